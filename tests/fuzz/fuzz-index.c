/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kmod index files (modules.*.bin): index_open(), index_check_all(),
 * index_lookup() and index_validate() (index.c) on the input bytes.
 *
 * index_open() maps the file; the mapping is then swapped for a heap copy of exactly
 * the file's size, so AddressSanitizer sees any read past its end (it cannot see
 * reads past the end of a mapping that stay inside the last page).
 *
 * Properties:
 *  - lookups of arbitrary keys (every NUL-terminated string of the input, and
 *    every key of the trie) never read out of bounds, whether or not
 *    index_check_all() accepted the file;
 *  - when index_check_all() accepts the file, an independent walker (below, with
 *    its own bounds checks) finds every node in bounds, the walk ends, and
 *    index_lookup() of each key it spells returns that node's first value;
 *  - index_validate() on the file agrees with index_check_all() on the copy.
 */
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

struct walk {
	const struct index_file *f;
	char *key;
	size_t len, alloc;
	size_t budget; /* node visits left */
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

/* The trie was accepted: every node must be in bounds (asserted, independently of
 * index.c), the number of visits is bounded as in index_check_all(). */
static void walk_node(struct walk *w, uint32_t ref, size_t keylen)
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
		FUZZ_ASSERT(first <= last);
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
	/* The key this node spells, unless a child character on the way was NUL (no C
	 * string reaches it) or it is empty. */
	if (strlen(w->key) == keylen) {
		r = index_lookup(f, w->key, &got, &why);
		FUZZ_ASSERT(r == 0);
		FUZZ_ASSERT(got == value0);
	}
	for (int c = first; children && c <= last; c++) {
		char ch = (char)c;

		key_put(w, keylen, &ch, 1);
		walk_node(w, rd32(children + 4 * (size_t)(c - first)), keylen + 1);
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

	/* Lookups before the whole-trie check: each checks its own path. */
	lookup_strings(&f, data, size);
	checked = index_check_all(&f, &why);
	FUZZ_ASSERT(checked == 0 || (checked == -EBADMSG && why) || checked == -ENOMEM);
	FUZZ_ASSERT(checked == validated || checked == -ENOMEM || validated == -ENOMEM);
	if (checked == 0) {
		struct walk w = { .f = &f, .budget = f.size };

		FUZZ_ASSERT(f.checked);
		walk_node(&w, f.root, 0);
		free(w.key);
		lookup_strings(&f, data, size);
	}
	free(copy);
	return 0;
}
