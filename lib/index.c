/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Structural check of kmod's binary indexes (modules.*.bin) before libkmod mmaps
 * them: libkmod trusts every offset, so a truncated or corrupt file would make it
 * read out of bounds. Format: big-endian header (magic 0xB007F457, version 2.x,
 * root offset), then trie nodes addressed by offsets whose top bits are flags.
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

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int check_string(const unsigned char *mm, size_t size, size_t *off)
{
	const unsigned char *nul;

	if (*off >= size)
		return -1;
	nul = memchr(mm + *off, '\0', size - *off);
	if (!nul)
		return -1;
	*off = nul - mm + 1;
	return 0;
}

static int check_trie(const unsigned char *mm, size_t size, uint32_t root, const char **why)
{
	_cleanup_free_ uint32_t *stack = NULL;
	size_t depth = 0, alloc = 64, visits = 0;

	stack = malloc(alloc * sizeof(*stack));
	if (!stack)
		return -ENOMEM;
	stack[depth++] = root;
	while (depth) {
		uint32_t node = stack[--depth];
		size_t off = node & NODE_MASK;

		if (off == 0)
			continue;
		/* A tree visits each node once: more visits than bytes means a loop. */
		if (++visits > size) {
			*why = "corrupt index: loop in the trie";
			return -EBADMSG;
		}
		if (off < 12 || off > size) {
			*why = "corrupt index: node offset out of range";
			return -EBADMSG;
		}
		if ((node & NODE_PREFIX) && check_string(mm, size, &off) < 0) {
			*why = "corrupt index: unterminated prefix";
			return -EBADMSG;
		}
		if (node & NODE_CHILDS) {
			unsigned first, last, n;

			if (off + 2 > size) {
				*why = "corrupt index: truncated node";
				return -EBADMSG;
			}
			first = mm[off];
			last = mm[off + 1];
			off += 2;
			if (last < first) {
				*why = "corrupt index: bad child range";
				return -EBADMSG;
			}
			n = last - first + 1;
			if (off + (size_t)n * 4 > size) {
				*why = "corrupt index: truncated node";
				return -EBADMSG;
			}
			if (depth + n > alloc) {
				uint32_t *p;

				while (depth + n > alloc)
					alloc *= 2;
				p = realloc(stack, alloc * sizeof(*stack));
				if (!p)
					return -ENOMEM;
				stack = p;
			}
			for (unsigned i = 0; i < n; i++)
				stack[depth++] = be32(mm + off + 4 * i);
			off += (size_t)n * 4;
		}
		if (node & NODE_VALUES) {
			uint32_t count;

			if (off + 4 > size) {
				*why = "corrupt index: truncated values";
				return -EBADMSG;
			}
			count = be32(mm + off);
			off += 4;
			if (count > (size - off) / 5) {
				*why = "corrupt index: value count out of range";
				return -EBADMSG;
			}
			for (uint32_t i = 0; i < count; i++) {
				off += 4;
				if (check_string(mm, size, &off) < 0) {
					*why = "corrupt index: truncated value";
					return -EBADMSG;
				}
			}
		}
	}
	return 0;
}

int index_validate(const char *path, const char **why)
{
	struct stat st;
	void *mm;
	int fd, r;

	*why = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		*why = "not a regular file";
		return -EBADMSG;
	}
	if (st.st_size < 12) {
		close(fd);
		*why = "corrupt index: truncated header";
		return -EBADMSG;
	}
	if ((uint64_t)st.st_size > NODE_MASK) {
		close(fd);
		*why = "corrupt index: too large";
		return -EBADMSG;
	}
	mm = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	r = -errno;
	close(fd);
	if (mm == MAP_FAILED)
		return r;
	if (be32(mm) != INDEX_MAGIC) {
		*why = "corrupt index: bad magic";
		r = -EBADMSG;
	} else if (be32((unsigned char *)mm + 4) >> 16 != INDEX_VERSION_MAJOR) {
		*why = "corrupt index: unsupported version";
		r = -EBADMSG;
	} else {
		r = check_trie(mm, st.st_size, be32((unsigned char *)mm + 8), why);
	}
	munmap(mm, st.st_size);
	return r;
}
