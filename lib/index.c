/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kmod's binary indexes (modules.*.bin), read by a walker that checks each node as it
 * reaches it: libkmod trusts every offset and length, so a truncated or corrupt file
 * would make it read out of bounds (or overflow its 128-entry child array), and a
 * loop would never end.
 *
 * Format (big-endian): header magic 0xB007F457, version 2.x, root offset; then trie
 * nodes addressed by offsets whose top bits are flags. A node: optional
 * NUL-terminated prefix; optional child table (first, last: 7-bit characters; then
 * last-first+1 u32 offsets, 0 = none); optional values (u32 count, then u32 priority
 * + NUL-terminated string each).
 *
 * Exact lookups (modules.dep.bin, modules.builtin.bin) walk one path, so only that
 * path is checked, on each lookup: cheap, and exactly what libkmod reads. Wildcard
 * searches (index_search_wild(): modules.alias.bin and the other alias indexes,
 * whose keys are fnmatch patterns) are libkmod's index_mm_searchwild(), checking the
 * nodes they visit. index_check_all() checks a whole file at once (index_validate()).
 *
 * Two layouts exist, and libkmod reads both: depmod up to kmod 33 writes the trie
 * children first (post-order: the root is the last node), depmod 34 in pre-order
 * (kmod commit dada048: the root at offset 12, each node before its children). The
 * root's offset tells which a file has: 12 means pre-order (a children-first file
 * whose root is at 12 has no other node). Every walk then requires each child it
 * follows to lie wholly on that layout's side of its parent: before it in a
 * children-first file, after the parent's bytes in a pre-order one. Offsets move one
 * way along any path, so no walk can loop, and the bytes a search reads are bounded
 * by what a tree of the file's size allows, so a node shared by many parents cannot
 * make the search explode.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
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
	size_t plen; /* strlen(prefix) */
	int first, last; /* child range; first > last when none */
	const unsigned char *children;
	uint32_t nvalues;
	const char *value0;
	const unsigned char *values; /* the first (priority, string) pair */
	size_t off, end;	     /* the node's bytes: [off, end) */
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

/* Check one node the way libkmod reads it, and describe it: all but its values, which
 * are only located (read_values() checks them). */
static int read_head(const struct index_file *f, uint32_t ref, struct node *n,
		     const char **why)
{
	size_t off = ref & NODE_MASK;

	*n = (struct node){ .prefix = "", .first = 1, .last = 0, .off = off };
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
		n->plen = off - 1 - (n->prefix - (const char *)f->mm);
	}
	if (ref & NODE_CHILDS) {
		if (off + 2 > f->size) {
			*why = "corrupt index: truncated node";
			return -EBADMSG;
		}
		n->first = (signed char)f->mm[off];
		n->last = (signed char)f->mm[off + 1];
		off += 2;
		/* depmod writes 7-bit characters only (and libkmod reads first and last
		 * as unsigned chars, so it would read a range over 0x80 differently) */
		if (n->first < 0 || n->last < n->first ||
		    n->last - n->first + 1 > CHILD_MAX) {
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
		n->values = f->mm + off;
		if (n->nvalues > (f->size - off) / 5) {
			*why = "corrupt index: value count out of range";
			return -EBADMSG;
		}
	}
	n->end = off;
	return 0;
}

/* Check the values of a node read_head() described: every (priority, string) pair in
 * the file, each string terminated. Sets value0 and the node's end. */
static int read_values(const struct index_file *f, struct node *n, const char **why)
{
	size_t off = n->values - f->mm;

	for (uint32_t i = 0; i < n->nvalues; i++) {
		off += 4;
		if (i == 0)
			n->value0 = (const char *)f->mm + off;
		if (skip_string(f, &off) < 0) {
			*why = "corrupt index: truncated value";
			return -EBADMSG;
		}
	}
	n->end = off;
	return 0;
}

static int read_node(const struct index_file *f, uint32_t ref, struct node *n,
		     const char **why)
{
	int r = read_head(f, ref, n, why);

	if (r < 0 || !n->nvalues)
		return r;
	return read_values(f, n, why);
}

#define WHY_LAYOUT "corrupt index: child node not stored before its parent (loop?)"
#define WHY_LAYOUT_PRE "corrupt index: child node not stored after its parent (loop?)"
#define WHY_SHARED "corrupt index: nodes shared by several parents (not a tree)"

/* Where a node lies: [off, end). end == 0: no node (the root's parent). */
struct span {
	size_t off, end;
};

static struct span span_of(const struct node *n)
{
	return (struct span){ n->off, n->end };
}

/* Read the node at @ref, a child of the node at @parent: checked like every node
 * (wholly with @values, else but its values), and laid out as the file's depmod
 * writes tries: in a children-first file wholly before its parent, in a pre-order
 * file after the parent's bytes read so far (its head, or all of it: a parent has a
 * child table, so it ends past its offset). No walk can then loop, and the prefixes
 * on a path are distinct bytes of the file. */
static int read_child(const struct index_file *f, uint32_t ref, struct span parent,
		      struct node *n, bool values, const char **why)
{
	int r = values ? read_node(f, ref, n, why) : read_head(f, ref, n, why);

	if (r < 0 || !parent.end)
		return r;
	if (f->preorder ? n->off < parent.end : n->off >= parent.off || n->end > parent.off) {
		*why = f->preorder ? WHY_LAYOUT_PRE : WHY_LAYOUT;
		return -EBADMSG;
	}
	return 0;
}

static uint32_t child_ref(const struct node *n, int i)
{
	return be32(n->children + 4 * (size_t)(i - n->first));
}

/* The child for character @ch (a key's char: negative above 0x7F), or 0. */
static inline uint32_t child_for(const struct node *n, int ch)
{
	if (!n->children || ch < n->first || ch > n->last)
		return 0;
	return child_ref(n, ch);
}

/* A pre-order file ends where the last node of its rightmost path does (each node's
 * last child is written last). So a cut file is refused at open, whatever a lookup
 * would reach: in pre-order the cut node is a leaf most lookups never read, where
 * in a children-first file it is the root. O(depth). */
static int check_end(const struct index_file *f, const char **why)
{
	struct span parent = { 0 };
	uint32_t ref = f->root;
	struct node n;
	int r;

	/* children first: a cut always takes (some of) the root, which every walk reads */
	if (!f->preorder || (ref & NODE_MASK) == 0)
		return 0;
	for (;;) {
		r = read_child(f, ref, parent, &n, true, why);
		if (r < 0)
			return r;
		ref = 0;
		for (int c = n.last; c >= n.first && !(ref & NODE_MASK); c--)
			ref = child_ref(&n, c);
		if (!(ref & NODE_MASK))
			break;
		parent = span_of(&n);
	}
	if (n.end != f->size) {
		*why = "corrupt index: bytes after its last node (cut, or not written by depmod)";
		return -EBADMSG;
	}
	return 0;
}

int index_openat(int dirfd, const char *path, int how, struct index_file *f,
		 const char **why)
{
	struct stat st;
	void *mm;
	int fd, r;

	*f = (struct index_file){ 0 };
	fd = fs_open_regular(dirfd, path, how, NODE_MASK, &st, why);
	if (fd == -EFBIG)
		*why = "corrupt index: too large";
	if (fd == -EINVAL || fd == -EFBIG)
		return -EBADMSG;
	if (fd < 0)
		return fd;
	if (st.st_size < 12) {
		close(fd);
		*why = "corrupt index: truncated header";
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
	f->preorder = (f->root & NODE_MASK) == 12;
	r = check_end(f, why);
	if (r < 0)
		index_close(f);
	return r;
}

int index_open(const char *path, struct index_file *f, const char **why)
{
	return index_openat(AT_FDCWD, path, FS_AS_GIVEN, f, why);
}

void index_close(struct index_file *f)
{
	if (f->mm)
		munmap((void *)f->mm, f->size);
	*f = (struct index_file){ 0 };
}

int index_check_all(struct index_file *f, const char **why)
{
	struct item {
		uint32_t ref;
		struct span parent; /* none for the root */
	};
	_cleanup_free_ struct item *stack = NULL;
	size_t depth = 0, alloc = 256, visits = 0;

	if (f->checked)
		return 0;
	stack = malloc(alloc * sizeof(*stack));
	if (!stack)
		return -ENOMEM;
	stack[depth++] = (struct item){ .ref = f->root };
	while (depth) {
		struct item it = stack[--depth];
		struct node n;
		int r;

		if ((it.ref & NODE_MASK) == 0)
			continue;
		/* A tree visits each node once: more visits than bytes means shared nodes
		 * (loops cannot be: offsets move one way along a path) */
		if (++visits > f->size) {
			*why = WHY_SHARED;
			return -EBADMSG;
		}
		r = read_child(f, it.ref, it.parent, &n, true, why);
		if (r < 0)
			return r;
		if (depth + CHILD_MAX > alloc) {
			struct item *p = realloc(stack, alloc * 2 * sizeof(*stack));

			if (!p)
				return -ENOMEM;
			stack = p;
			alloc *= 2;
		}
		for (int c = n.first; c <= n.last; c++)
			stack[depth++] =
				(struct item){ .ref = child_ref(&n, c), .parent = span_of(&n) };
	}
	f->checked = true;
	return 0;
}

int index_lookup(const struct index_file *f, const char *key, const char **value,
		 const char **why)
{
	uint32_t ref = f->root;
	struct span parent = { 0 };
	size_t i = 0;

	*value = NULL;
	for (;;) {
		struct node n;
		size_t j;
		int r, ch;

		if ((ref & NODE_MASK) == 0)
			return 0;
		r = read_child(f, ref, parent, &n, true, why);
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
		ref = child_for(&n, ch);
		parent = span_of(&n);
		i++;
	}
}

/* ---- wildcard search: libkmod's index_mm_searchwild() ---- */

/* A node of a search in progress, below a wildcard (libkmod's searchwild_all). */
struct frame {
	struct node n;
	int ch;	     /* the next child character to visit */
	size_t len;  /* the pattern's length before this node */
};

struct wild {
	const struct index_file *f;
	enum index_order order;
	struct index_values *out;
	size_t seq;	     /* values found so far, in libkmod's traversal order */
	uint64_t budget;     /* node bytes left to read */
	char *pat;	     /* the pattern: the index's characters from a wildcard on */
	size_t len, alloc;
	struct frame *stack; /* of wild_all() */
	size_t stack_alloc;
	const char **why;
};

/* Append the child character @c (none if negative; a NUL ends the pattern for
 * fnmatch() there, as in libkmod) and the @n characters of @s to the pattern. */
static int pat_add(struct wild *w, int c, const char *s, size_t n)
{
	size_t need = w->len + (c >= 0) + n + 1;

	if (need > w->alloc) {
		size_t a = w->alloc ? w->alloc : 128;
		char *p;

		while (need > a)
			a *= 2;
		p = realloc(w->pat, a);
		if (!p)
			return -ENOMEM;
		w->pat = p;
		w->alloc = a;
	}
	if (c >= 0)
		w->pat[w->len++] = (char)c;
	memcpy(w->pat + w->len, s, n);
	w->len += n;
	w->pat[w->len] = '\0';
	return 0;
}

static void pat_cut(struct wild *w, size_t len)
{
	w->len = len;
	if (w->pat)
		w->pat[len] = '\0';
}

/* A node's bytes plus the 4 of the reference to it: a tree holds at most twice the
 * file's size of them, and a search reads each node a bounded number of times (see
 * index_search_wild()). More means nodes reached by several paths. */
static int wild_charge(struct wild *w, size_t bytes)
{
	if (w->budget < bytes) {
		*w->why = WHY_SHARED;
		return -EBADMSG;
	}
	w->budget -= bytes;
	return 0;
}

/* Read the node at @ref, a child of the node at @parent (none for the root), but its
 * values (wild_values() reads them if the node matches), within the budget of bytes a
 * search may read in a tree of this size. */
static int wild_read(struct wild *w, uint32_t ref, struct span parent, struct node *n)
{
	int r = read_child(w->f, ref, parent, n, false, w->why);

	return r < 0 ? r : wild_charge(w, n->end - n->off + 4);
}

static int values_push(struct index_values *out, const char *value, uint32_t priority,
		       size_t seq)
{
	if (out->n == out->alloc) {
		size_t a = out->alloc ? out->alloc * 2 : 16;
		struct index_value *v = realloc(out->v, a * sizeof(*v));

		if (!v)
			return -ENOMEM;
		out->v = v;
		out->alloc = a;
	}
	out->v[out->n++] = (struct index_value){ value, priority, seq };
	return 0;
}

/* All the values of @n (libkmod's searchwild_allvalues), checked now. libkmod inserts
 * each into its result before those of equal priority: see index_search_wild() for
 * the order. */
static int wild_values(struct wild *w, struct node *n)
{
	const unsigned char *p = n->values;
	int r;

	r = read_values(w->f, n, w->why);
	if (r == 0)
		r = wild_charge(w, (size_t)(n->end - (n->values - w->f->mm)));
	if (r < 0)
		return r;
	for (uint32_t i = 0; i < n->nvalues; i++) {
		const char *v = (const char *)p + 4;
		/* libkmod's file reader sorts a node's values as it reads them, which
		 * reverses those of equal priority before they are inserted */
		size_t seq = w->order == INDEX_ORDER_FILE ? w->seq + n->nvalues - 1 - i
							  : w->seq + i;

		r = values_push(w->out, v, be32(p), seq);
		if (r < 0)
			return r;
		p += 4 + strlen(v) + 1;
	}
	w->seq += n->nvalues;
	return 0;
}

/* libkmod's searchwild_all: the subtree of @start (already read), its prefix from @j
 * on joining the pattern; the values of every node whose pattern matches @subkey,
 * each node after its children, children in character order. Iterative: a trie may
 * be as deep as its file is long. */
static int wild_all(struct wild *w, const struct node *start, size_t j,
		    const char *subkey)
{
	size_t depth = 0;
	int r;

	w->stack[depth++] =
		(struct frame){ .n = *start, .ch = start->first, .len = w->len };
	r = pat_add(w, -1, start->prefix + j, start->plen - j);
	if (r < 0)
		return r;
	while (depth) {
		struct frame *fr = &w->stack[depth - 1];

		if (fr->ch <= fr->n.last) {
			int c = fr->ch++;
			uint32_t ref = child_for(&fr->n, c);
			size_t len = w->len;
			struct node child;

			if ((ref & NODE_MASK) == 0)
				continue;
			r = wild_read(w, ref, span_of(&fr->n), &child);
			if (r < 0)
				return r;
			if (depth == w->stack_alloc) {
				size_t a = w->stack_alloc * 2;
				struct frame *st = realloc(w->stack, a * sizeof(*st));

				if (!st)
					return -ENOMEM;
				w->stack = st;
				w->stack_alloc = a;
			}
			r = pat_add(w, c, child.prefix, child.plen);
			if (r < 0)
				return r;
			w->stack[depth++] = (struct frame){
				.n = child,
				.ch = child.first,
				.len = len,
			};
			continue;
		}
		/* (a NUL child character ends the pattern there, as in libkmod) */
		if (fr->n.nvalues && fnmatch(w->pat, subkey, 0) == 0) {
			r = wild_values(w, &fr->n);
			if (r < 0)
				return r;
		}
		pat_cut(w, fr->len);
		depth--;
	}
	return 0;
}

/* libkmod's searchwild_all on the child of @n for the wildcard @c, if there is one. */
static int wild_child(struct wild *w, const struct node *n, char c, const char *subkey)
{
	uint32_t ref = child_for(n, c);
	struct node child;
	int r;

	if ((ref & NODE_MASK) == 0)
		return 0;
	r = wild_read(w, ref, span_of(n), &child);
	if (r < 0)
		return r;
	r = pat_add(w, c, "", 0);
	if (r == 0)
		r = wild_all(w, &child, 0, subkey);
	pat_cut(w, 0);
	return r;
}

static int cmp_value(const void *a, const void *b)
{
	const struct index_value *x = a, *y = b;

	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	/* equal priorities: the value found last first */
	return x->seq < y->seq ? 1 : x->seq > y->seq ? -1 : 0;
}

int index_search_wild(const struct index_file *f, const char *key, enum index_order order,
		      struct index_values *out, const char **why)
{
	struct wild w = {
		.f = f, .order = order, .out = out, .why = why, .stack_alloc = 16,
	};
	struct node n;
	uint32_t ref = f->root;
	struct span parent = { 0 };
	uint64_t wildcards = 0;
	size_t i = 0;
	int r = 0;

	out->n = 0;
	w.stack = malloc(w.stack_alloc * sizeof(*w.stack));
	if (!w.stack)
		return -ENOMEM;
	/* Each node is read at most once on the key's path, once below a wildcard
	 * character of its own or an ancestor's prefix, and, below the wildcard
	 * children of the path's nodes, once more for each wildcard character of the
	 * key (the path and such a subtree share nodes only through a child the key
	 * names with '*', '?' or '['): wildcards + 3 times. */
	for (const char *k = key; *k; k++)
		wildcards += *k == '*' || *k == '?' || *k == '[';
	w.budget = (wildcards + 3) * 2 * (uint64_t)f->size;

	/* libkmod's searchwild_node: follow the key; at each node, search the subtrees
	 * of its '*', '?' and '[' children; stop at a wildcard in a prefix. */
	while ((ref & NODE_MASK) != 0) {
		size_t j;

		r = wild_read(&w, ref, parent, &n);
		if (r < 0)
			break;
		for (j = 0; n.prefix[j]; j++) {
			char ch = n.prefix[j];

			if (ch == '*' || ch == '?' || ch == '[' || ch != key[i + j])
				break;
		}
		if (n.prefix[j]) {
			char ch = n.prefix[j];

			if (ch == '*' || ch == '?' || ch == '[')
				r = wild_all(&w, &n, j, key + i + j);
			break;
		}
		i += j;
		r = wild_child(&w, &n, '*', key + i);
		if (r == 0)
			r = wild_child(&w, &n, '?', key + i);
		if (r == 0)
			r = wild_child(&w, &n, '[', key + i);
		if (r < 0)
			break;
		if (key[i] == '\0') {
			r = wild_values(&w, &n);
			break;
		}
		ref = child_for(&n, (signed char)key[i]);
		parent = span_of(&n);
		i++;
	}
	free(w.pat);
	free(w.stack);
	if (r < 0) {
		out->n = 0;
		return r;
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), cmp_value);
	return 0;
}

void index_values_done(struct index_values *vals)
{
	free(vals->v);
	*vals = (struct index_values){ 0 };
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
