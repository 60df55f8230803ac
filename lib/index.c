/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kmod's binary indexes (modules.*.bin), checked before libkmod reads them: libkmod
 * trusts every offset and length, so a truncated or corrupt file would make it read
 * out of bounds (or overflow its 128-entry child array).
 *
 * Format (big-endian): header magic 0xB007F457, version 2.x, root offset; then trie
 * nodes addressed by offsets whose top bits are flags. A node: optional
 * NUL-terminated prefix; optional child table (first, last: signed chars; then
 * last-first+1 u32 offsets, 0 = none); optional values (u32 count, then u32 priority
 * + NUL-terminated string each).
 *
 * Exact lookups (modules.dep.bin, modules.builtin.bin) walk one path, so only that
 * path is checked, on each lookup: cheap, and exactly what libkmod will read.
 * Wildcard searches (modules.alias.bin) may visit any node: the whole trie is
 * checked once, before the first one.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libmodset-private.h"

#define INDEX_MAGIC 0xB007F457u
#define INDEX_VERSION_MAJOR 0x0002u
#define NODE_PREFIX 0x80000000u
#define NODE_VALUES 0x40000000u
#define NODE_CHILDS 0x20000000u
#define NODE_MASK 0x0FFFFFFFu
#define CHILD_MAX 128

struct node {
	const char *prefix;
	int first, last; /* child range; first > last when none */
	const unsigned char *children;
	uint32_t nvalues;
	const char *value0;
};

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int skip_string(const struct index_file *f, size_t *off)
{
	const unsigned char *nul;

	if (*off >= f->size)
		return -1;
	nul = memchr(f->mm + *off, '\0', f->size - *off);
	if (!nul)
		return -1;
	*off = nul - f->mm + 1;
	return 0;
}

/* Check one node the way libkmod reads it, and describe it. */
static int read_node(const struct index_file *f, uint32_t ref, struct node *n,
		     const char **why)
{
	size_t off = ref & NODE_MASK;

	*n = (struct node){ .prefix = "", .first = 1, .last = 0 };
	if (off < 12 || off > f->size) {
		*why = "corrupt index: node offset out of range";
		return -EBADMSG;
	}
	if (ref & NODE_PREFIX) {
		n->prefix = (const char *)f->mm + off;
		if (skip_string(f, &off) < 0) {
			*why = "corrupt index: unterminated prefix";
			return -EBADMSG;
		}
	}
	if (ref & NODE_CHILDS) {
		if (off + 2 > f->size) {
			*why = "corrupt index: truncated node";
			return -EBADMSG;
		}
		n->first = (signed char)f->mm[off];
		n->last = (signed char)f->mm[off + 1];
		off += 2;
		if (n->last < n->first || n->last - n->first + 1 > CHILD_MAX) {
			*why = "corrupt index: bad child range";
			return -EBADMSG;
		}
		n->children = f->mm + off;
		off += (size_t)(n->last - n->first + 1) * 4;
		if (off > f->size) {
			*why = "corrupt index: truncated node";
			return -EBADMSG;
		}
	}
	if (ref & NODE_VALUES) {
		if (off + 4 > f->size) {
			*why = "corrupt index: truncated values";
			return -EBADMSG;
		}
		n->nvalues = be32(f->mm + off);
		off += 4;
		if (n->nvalues > (f->size - off) / 5) {
			*why = "corrupt index: value count out of range";
			return -EBADMSG;
		}
		for (uint32_t i = 0; i < n->nvalues; i++) {
			off += 4;
			if (i == 0)
				n->value0 = (const char *)f->mm + off;
			if (skip_string(f, &off) < 0) {
				*why = "corrupt index: truncated value";
				return -EBADMSG;
			}
		}
	}
	return 0;
}

static uint32_t child_ref(const struct node *n, int i)
{
	return be32(n->children + 4 * (size_t)(i - n->first));
}

int index_open(const char *path, struct index_file *f, const char **why)
{
	struct stat st;
	void *mm;
	int fd, r;

	*f = (struct index_file){ 0 };
	*why = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < 12 || (uint64_t)st.st_size > NODE_MASK) {
		close(fd);
		*why = !S_ISREG(st.st_mode) ? "not a regular file"
		       : st.st_size < 12    ? "corrupt index: truncated header"
					    : "corrupt index: too large";
		return -EBADMSG;
	}
	mm = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	r = -errno;
	close(fd);
	if (mm == MAP_FAILED)
		return r;
	f->mm = mm;
	f->size = st.st_size;
	if (be32(f->mm) != INDEX_MAGIC) {
		*why = "corrupt index: bad magic";
		index_close(f);
		return -EBADMSG;
	}
	if (be32(f->mm + 4) >> 16 != INDEX_VERSION_MAJOR) {
		*why = "corrupt index: unsupported version";
		index_close(f);
		return -EBADMSG;
	}
	f->root = be32(f->mm + 8);
	return 0;
}

void index_close(struct index_file *f)
{
	if (f->mm)
		munmap((void *)f->mm, f->size);
	*f = (struct index_file){ 0 };
}

int index_check_all(struct index_file *f, const char **why)
{
	_cleanup_free_ uint32_t *stack = NULL;
	size_t depth = 0, alloc = 256, visits = 0;

	if (f->checked)
		return 0;
	stack = malloc(alloc * sizeof(*stack));
	if (!stack)
		return -ENOMEM;
	stack[depth++] = f->root;
	while (depth) {
		uint32_t ref = stack[--depth];
		struct node n;
		int r;

		if ((ref & NODE_MASK) == 0)
			continue;
		/* A tree visits each node once: more visits than bytes means a loop. */
		if (++visits > f->size) {
			*why = "corrupt index: loop in the trie";
			return -EBADMSG;
		}
		r = read_node(f, ref, &n, why);
		if (r < 0)
			return r;
		if (depth + CHILD_MAX > alloc) {
			uint32_t *p = realloc(stack, alloc * 2 * sizeof(*stack));

			if (!p)
				return -ENOMEM;
			stack = p;
			alloc *= 2;
		}
		for (int c = n.first; c <= n.last; c++)
			stack[depth++] = child_ref(&n, c);
	}
	f->checked = true;
	return 0;
}

int index_lookup(const struct index_file *f, const char *key, const char **value,
		 const char **why)
{
	uint32_t ref = f->root;
	size_t i = 0;

	*value = NULL;
	/* Each step consumes a key character, so a loop cannot trap this walk. */
	for (;;) {
		struct node n;
		size_t j;
		int r, ch;

		if ((ref & NODE_MASK) == 0)
			return 0;
		r = read_node(f, ref, &n, why);
		if (r < 0)
			return r;
		for (j = 0; n.prefix[j]; j++)
			if (n.prefix[j] != key[i + j])
				return 0;
		i += j;
		if (key[i] == '\0') {
			*value = n.value0;
			return 0;
		}
		ch = (signed char)key[i];
		if (ch < n.first || ch > n.last)
			return 0;
		ref = child_ref(&n, ch);
		i++;
	}
}

int index_validate(const char *path, const char **why)
{
	struct index_file f;
	int r = index_open(path, &f, why);

	if (r < 0)
		return r;
	r = index_check_all(&f, why);
	index_close(&f);
	return r;
}
