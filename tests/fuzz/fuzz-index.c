/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kmod index files (modules.*.bin): index_open(), index_check_all(),
 * index_lookup(), index_search_wild() and index_validate() (index.c) on the input
 * bytes.
 *
 * index_open() maps the file; the mapping is then swapped for a heap copy of exactly
 * the file's size, so AddressSanitizer sees any read past its end (it cannot see
 * reads past the end of a mapping that stay inside the last page).
 *
 * Properties:
 *  - lookups and wildcard searches of arbitrary keys (every NUL-terminated string
 *    of the input, and every key of the trie) never read out of bounds and end,
 *    whether or not index_check_all() accepted the file: 0 or -EBADMSG with a
 *    reason; every value found is a terminated string of the file;
 *  - when index_check_all() accepts the file, an independent walker (below, with
 *    its own bounds checks) finds every node in bounds and on its layout's side of
 *    its parent (the root at offset 12: pre-order, depmod 34, each node after its
 *    parent's bytes; else children first, depmod <= 33, each node wholly before
 *    its parent), the walk ends, and index_lookup() of each key it spells returns
 *    that node's first value;
 *  - when that walker also finds a tree (no node reached twice), the wildcard
 *    search succeeds for every key and gives exactly what a port of libkmod's own
 *    index_mm_searchwild() (below: recursive, trusting, as libkmod is) gives, in
 *    the same order, for libkmod's mmap and file readers alike;
 *  - index_validate() on the file agrees with index_check_all() on the copy.
 */
#include <fnmatch.h>
#include <sys/mman.h>

#include "fuzz-common.h"
#include "libmodset-private.h"

#define F_PREFIX 0x80000000u
#define F_VALUES 0x40000000u
#define F_CHILDS 0x20000000u
#define F_MASK 0x0FFFFFFFu

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

#define MAX_KEYS 24

struct walk {
	const struct index_file *f;
	bool preorder;	     /* told by the root's offset, as depmod 34 writes it */
	char *key;
	size_t len, alloc;
	size_t budget;	     /* node visits left */
	unsigned char *seen; /* per byte of the file: 1 a node starts there, 2 a node's */
	bool tree;	     /* no node reached twice, no two nodes sharing bytes */
	char *keys[MAX_KEYS]; /* some keys the trie spells */
	size_t nkeys;
};

static void key_put(struct walk *w, size_t at, const char *s, size_t n)
{
	if (at + n + 1 > w->alloc) {
		w->alloc = (at + n + 1) * 2;
		w->key = realloc(w->key, w->alloc);
		FUZZ_ASSERT(w->key);
	}
	memcpy(w->key + at, s, n);
	w->key[at + n] = '\0';
	w->len = at + n;
}

/* The trie was accepted: every node must be in bounds and on its layout's side of its
 * parent (whose bytes are [@parent, @parent_end); @parent_end 0 for the root), its
 * child range 7-bit (asserted, independently of index.c), the number of visits is
 * bounded as in index_check_all(). */
static void walk_node(struct walk *w, uint32_t ref, size_t keylen, size_t parent,
		      size_t parent_end)
{
	const struct index_file *f = w->f;
	size_t off = ref & F_MASK, plen = 0;
	const char *value0 = NULL, *got, *why;
	int first = 1, last = 0, r;
	const unsigned char *children = NULL;

	if (off == 0)
		return;
	FUZZ_ASSERT(w->budget > 0);
	w->budget--;
	FUZZ_ASSERT(off >= 12 && off <= f->size); /* an empty node may sit at the end */
	if (w->seen[off] & 1)
		w->tree = false;
	w->seen[off] |= 1;
	if (ref & F_PREFIX) {
		const unsigned char *nul = memchr(f->mm + off, 0, f->size - off);

		FUZZ_ASSERT(nul);
		plen = (size_t)(nul - (f->mm + off));
		key_put(w, keylen, (const char *)f->mm + off, plen);
		off += plen + 1;
	} else {
		key_put(w, keylen, "", 0);
	}
	keylen += plen;
	if (ref & F_CHILDS) {
		FUZZ_ASSERT(off + 2 <= f->size);
		first = (signed char)f->mm[off];
		last = (signed char)f->mm[off + 1];
		off += 2;
		FUZZ_ASSERT(first >= 0 && first <= last);
		children = f->mm + off;
		off += (size_t)(last - first + 1) * 4;
		FUZZ_ASSERT(off <= f->size);
	}
	if (ref & F_VALUES) {
		uint32_t n;

		FUZZ_ASSERT(off + 4 <= f->size);
		n = rd32(f->mm + off);
		off += 4;
		for (uint32_t i = 0; i < n; i++) {
			const unsigned char *nul;

			FUZZ_ASSERT(off + 4 <= f->size);
			off += 4;
			FUZZ_ASSERT(off < f->size);
			if (i == 0)
				value0 = (const char *)f->mm + off;
			nul = memchr(f->mm + off, 0, f->size - off);
			FUZZ_ASSERT(nul);
			off = (size_t)(nul - f->mm) + 1;
		}
	}
	if (parent_end && w->preorder)
		FUZZ_ASSERT((ref & F_MASK) >= parent_end);
	else if (parent_end)
		FUZZ_ASSERT((ref & F_MASK) < parent && off <= parent);
	for (size_t b = ref & F_MASK; b < off; b++) {
		if (w->seen[b] & 2)
			w->tree = false;
		w->seen[b] |= 2;
	}
	/* The key this node spells, unless a child character on the way was NUL (no C
	 * string reaches it) or it is empty. */
	if (strlen(w->key) == keylen) {
		r = index_lookup(f, w->key, &got, &why);
		FUZZ_ASSERT(r == 0);
		FUZZ_ASSERT(got == value0);
		if (w->nkeys < MAX_KEYS)
			w->keys[w->nkeys++] = fuzz_strndup(w->key, keylen);
	}
	for (int c = first; children && c <= last; c++) {
		char ch = (char)c;

		key_put(w, keylen, &ch, 1);
		walk_node(w, rd32(children + 4 * (size_t)(c - first)), keylen + 1,
			  ref & F_MASK, off);
	}
}

/* Every NUL-terminated string of the input, as a key (at most 64). */
static void lookup_strings(const struct index_file *f, const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *end = s + size;
	int n = 0;

	while (s < end && n++ < 64) {
		const char *nul = memchr(s, 0, (size_t)(end - s)), *value, *why;
		char *key = fuzz_strndup(s, nul ? (size_t)(nul - s) : (size_t)(end - s));
		int r = index_lookup(f, key, &value, &why);

		FUZZ_ASSERT(r == 0 || (r == -EBADMSG && why));
		if (r == 0 && value)
			FUZZ_ASSERT((const unsigned char *)value >= f->mm + 12 &&
				    (const unsigned char *)value < f->mm + f->size &&
				    memchr(value, 0, (size_t)(f->mm + f->size -
							     (const unsigned char *)value)));
		free(key);
		s = nul ? nul + 1 : end;
	}
}

/* ---- libkmod 30's index_mm_searchwild() and index_searchwild(), ported as they are:
 * recursive, trusting every offset. Only run on tries the checks above accepted. */

struct ref_value {
	struct ref_value *next;
	unsigned int priority;
	const char *value;
};

/* libkmod's add_value(): sorted by priority, a new value before equal ones */
static void ref_add(struct ref_value **values, const char *value, unsigned int priority)
{
	struct ref_value *v = malloc(sizeof(*v));

	FUZZ_ASSERT(v);
	while (*values && (*values)->priority < priority)
		values = &(*values)->next;
	*v = (struct ref_value){ *values, priority, value };
	*values = v;
}

static void ref_free(struct ref_value *v)
{
	while (v) {
		struct ref_value *next = v->next;

		free(v);
		v = next;
	}
}

struct ref_node {
	const char *prefix;
	unsigned char first, last; /* as libkmod keeps them */
	const unsigned char *children;
	uint32_t nvalues;
	const unsigned char *values;
};

struct ref_buf {
	char *s;
	size_t len, cap;
};

static bool ref_read(const struct index_file *f, uint32_t ref, struct ref_node *n)
{
	const unsigned char *p = f->mm + (ref & F_MASK);

	if ((ref & F_MASK) == 0)
		return false;
	*n = (struct ref_node){ .prefix = "", .first = 128, .last = 0 };
	if (ref & F_PREFIX) {
		n->prefix = (const char *)p;
		p += strlen(n->prefix) + 1;
	}
	if (ref & F_CHILDS) {
		n->first = p[0];
		n->last = p[1];
		n->children = p + 2;
		p += 2 + 4 * (size_t)(n->last - n->first + 1);
	}
	if (ref & F_VALUES) {
		n->nvalues = rd32(p);
		n->values = p + 4;
	}
	return true;
}

static bool ref_child(const struct index_file *f, const struct ref_node *n, int ch,
		      struct ref_node *c)
{
	if (!(n->first <= ch && ch <= n->last))
		return false;
	return ref_read(f, rd32(n->children + 4 * (size_t)(ch - n->first)), c);
}

/* searchwild_allvalues; with the file reader, a node's values are first sorted by
 * add_value() as it reads them */
static void ref_allvalues(const struct ref_node *n, bool file_reader, struct ref_value **out)
{
	const unsigned char *p = n->values;
	struct ref_value *node = NULL;

	for (uint32_t i = 0; i < n->nvalues; i++) {
		const char *v = (const char *)p + 4;

		if (file_reader)
			ref_add(&node, v, rd32(p));
		else
			ref_add(out, v, rd32(p));
		p += 4 + strlen(v) + 1;
	}
	for (struct ref_value *v = node; v; v = v->next)
		ref_add(out, v->value, v->priority);
	ref_free(node);
}

static void ref_push(struct ref_buf *b, char c)
{
	FUZZ_ASSERT(b->len + 1 < b->cap); /* prefixes: distinct bytes; a char per node */
	b->s[b->len++] = c;
	b->s[b->len] = '\0';
}

static void ref_pop(struct ref_buf *b, size_t n)
{
	b->len -= n;
	b->s[b->len] = '\0';
}

static void ref_all(const struct index_file *f, const struct ref_node *n, int j,
		    struct ref_buf *buf, const char *subkey, bool fr, struct ref_value **out)
{
	int pushed = 0;

	while (n->prefix[j]) {
		ref_push(buf, n->prefix[j++]);
		pushed++;
	}
	for (int ch = n->first; ch <= n->last; ch++) {
		struct ref_node c;

		if (!ref_child(f, n, ch, &c))
			continue;
		ref_push(buf, (char)ch);
		ref_all(f, &c, 0, buf, subkey, fr, out);
		ref_pop(buf, 1);
	}
	if (n->nvalues > 0 && fnmatch(buf->s, subkey, 0) == 0)
		ref_allvalues(n, fr, out);
	ref_pop(buf, (size_t)pushed);
}

static struct ref_value *ref_searchwild(const struct index_file *f, const char *key, bool fr)
{
	struct ref_value *out = NULL;
	struct ref_buf b = { calloc(2 * f->size + 16, 1), 0, 2 * f->size + 16 }, *buf = &b;
	struct ref_node n, c;
	bool have = ref_read(f, f->root, &n);
	int i = 0;

	FUZZ_ASSERT(b.s);
	while (have) {
		int j;

		for (j = 0; n.prefix[j]; j++) {
			char ch = n.prefix[j];

			if (ch == '*' || ch == '?' || ch == '[') {
				ref_all(f, &n, j, buf, &key[i + j], fr, &out);
				goto done;
			}
			if (ch != key[i + j])
				goto done;
		}
		i += j;
		for (const char *w = "*?["; *w; w++)
			if (ref_child(f, &n, *w, &c)) {
				ref_push(buf, *w);
				ref_all(f, &c, 0, buf, &key[i], fr, &out);
				ref_pop(buf, 1);
			}
		if (key[i] == '\0') {
			ref_allvalues(&n, fr, &out);
			break;
		}
		have = ref_child(f, &n, key[i], &c);
		n = c;
		i++;
	}
done:
	free(b.s);
	return out;
}

/* index_search_wild() of @key, with both orders: never out of bounds, 0 or -EBADMSG
 * with a reason, values in the file; on a tree, exactly libkmod's answer. */
static void check_search(const struct index_file *f, const char *key, bool tree)
{
	for (int o = 0; o < 2; o++) {
		enum index_order order = o ? INDEX_ORDER_FILE : INDEX_ORDER_MMAP;
		struct index_values vals = { 0 };
		const char *why = NULL;
		int r = index_search_wild(f, key, order, &vals, &why);

		FUZZ_ASSERT(r == 0 || r == -ENOMEM || (r == -EBADMSG && why));
		FUZZ_ASSERT(r == 0 || vals.n == 0);
		for (size_t i = 0; i < vals.n; i++) {
			const unsigned char *v = (const unsigned char *)vals.v[i].value;

			FUZZ_ASSERT(v >= f->mm + 12 && v < f->mm + f->size);
			FUZZ_ASSERT(memchr(v, 0, (size_t)(f->mm + f->size - v)));
		}
		if (tree) {
			struct ref_value *want = ref_searchwild(f, key, o == 1), *w = want;
			size_t i = 0;

			FUZZ_ASSERT(r == 0 || r == -ENOMEM);
			for (; r == 0 && w; w = w->next, i++) {
				FUZZ_ASSERT(i < vals.n);
				FUZZ_ASSERT(vals.v[i].value == w->value);
				FUZZ_ASSERT(vals.v[i].priority == w->priority);
			}
			FUZZ_ASSERT(r != 0 || i == vals.n);
			ref_free(want);
		}
		index_values_done(&vals);
	}
}

/* Searches for the NUL-terminated strings of the input (at most 16). */
static void search_strings(const struct index_file *f, const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *end = s + size;
	int n = 0;

	while (s < end && n++ < 16) {
		const char *nul = memchr(s, 0, (size_t)(end - s));
		char *key = fuzz_strndup(s, nul ? (size_t)(nul - s) : (size_t)(end - s));

		check_search(f, key, false);
		free(key);
		s = nul ? nul + 1 : end;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_path(0, "modules.dep.bin"), *why = NULL, *vwhy = NULL;
	struct index_file f;
	unsigned char *copy;
	int r, checked, validated;

	fuzz_write(path, data, size);
	r = index_open(path, &f, &why);
	validated = index_validate(path, &vwhy);
	if (r < 0) {
		FUZZ_ASSERT(r == -EBADMSG && why);
		FUZZ_ASSERT(validated == r);
		return 0;
	}
	FUZZ_ASSERT(f.size == size && f.mm);
	copy = malloc(size);
	FUZZ_ASSERT(copy);
	memcpy(copy, f.mm, size);
	munmap((void *)f.mm, f.size);
	f.mm = copy;

	/* Lookups and searches before the whole-trie check: each checks what it reads. */
	lookup_strings(&f, data, size);
	search_strings(&f, data, size);
	checked = index_check_all(&f, &why);
	FUZZ_ASSERT(checked == 0 || (checked == -EBADMSG && why) || checked == -ENOMEM);
	FUZZ_ASSERT(checked == validated || checked == -ENOMEM || validated == -ENOMEM);
	if (checked == 0) {
		struct walk w = { .f = &f, .budget = f.size, .tree = true,
				  .preorder = (rd32(f.mm + 8) & F_MASK) == 12 };

		FUZZ_ASSERT(f.checked);
		w.seen = calloc(f.size + 1, 1);
		FUZZ_ASSERT(w.seen);
		FUZZ_ASSERT(w.preorder == f.preorder);
		walk_node(&w, f.root, 0, 0, 0);
		free(w.key);
		lookup_strings(&f, data, size);
		/* the keys of the trie, one character longer, and any string of the input */
		for (size_t i = 0; i < w.nkeys; i++) {
			char *longer = malloc(strlen(w.keys[i]) + 2);

			FUZZ_ASSERT(longer);
			strcpy(longer, w.keys[i]);
			strcat(longer, "x");
			check_search(&f, w.keys[i], w.tree);
			check_search(&f, longer, w.tree);
			free(longer);
			free(w.keys[i]);
		}
		check_search(&f, "", w.tree);
		if (w.tree) {
			const char *s = (const char *)data, *end = s + size;

			for (int n = 0; s < end && n < 16; n++) {
				const char *nul = memchr(s, 0, (size_t)(end - s));
				char *key = fuzz_strndup(s, nul ? (size_t)(nul - s) : (size_t)(end - s));

				check_search(&f, key, true);
				free(key);
				s = nul ? nul + 1 : end;
			}
		}
		free(w.seen);
	}
	free(copy);
	return 0;
}
