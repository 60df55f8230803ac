/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The index writer (src/kmod-index.c): keys, values and priorities from the input go
 * through kindex_add() and kindex_write(); the bytes written are read back with the
 * library's checked reader (index.c).
 *
 * Input: records "P KEY \n VALUE \n", P one byte (priority = P % 4).
 * Properties: kindex_add() accepts exactly the non-empty 7-bit keys and 7-bit values
 * (and says 1 for a (key, value) pair it already had); the written file passes
 * index_open() and index_check_all(); index_lookup() of every key gives the value of
 * lowest priority, the last added among equals (depmod's order); kindex_count() is
 * the number of distinct keys; a key never added is not found.
 */
#include <sys/mman.h>

#include "fuzz-common.h"
#include "kmod-index.h"
#include "libmodset-private.h"

struct rec {
	char *key, *value;
	unsigned int prio;
};

static bool ascii7(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 128)
			return false;
	return true;
}

/* The next line of the input (up to '\n' or the end), NUL-free: NULs end it too. */
static char *next_line(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
	char *s;

	if (!nl)
		nl = end;
	s = fuzz_strndup(*p, (size_t)(nl - *p));
	*p = nl < end ? nl + 1 : end;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct kindex *idx = kindex_new();
	struct rec *recs = NULL;
	size_t n = 0, distinct = 0, len;
	unsigned char *bytes;
	struct index_file f;
	const char *why, *path = fuzz_path(0, "modules.dep.bin");
	int r;

	FUZZ_ASSERT(idx);
	while (p < end && n < 4096) {
		unsigned int prio = *p++ % 4;
		char *key = next_line(&p, end), *value = next_line(&p, end);
		bool valid = key[0] && ascii7(key) && ascii7(value), had = false;

		for (size_t i = 0; i < n; i++)
			had |= streq(recs[i].key, key) && streq(recs[i].value, value);
		r = kindex_add(idx, key, value, prio);
		if (!valid) {
			FUZZ_ASSERT(r == -EINVAL);
			free(key);
			free(value);
			continue;
		}
		FUZZ_ASSERT(r == (had ? 1 : 0));
		recs = realloc(recs, (n + 1) * sizeof(*recs));
		FUZZ_ASSERT(recs);
		recs[n++] = (struct rec){ key, value, prio };
	}
	for (size_t i = 0; i < n; i++) {
		bool first = true;

		for (size_t j = 0; j < i && first; j++)
			first = !streq(recs[j].key, recs[i].key);
		distinct += first;
	}
	FUZZ_ASSERT(kindex_count(idx) == distinct);

	/* both of depmod's layouts, by the input's length */
	r = kindex_write(idx, size & 1 ? MODSET_INDEX_PREORDER : MODSET_INDEX_POSTORDER, &bytes,
			 &len);
	FUZZ_ASSERT(r == 0);
	fuzz_write(path, bytes, len);
	r = index_open(path, &f, &why);
	FUZZ_ASSERT(r == 0);
	FUZZ_ASSERT(f.size == len && memcmp(f.mm, bytes, len) == 0);
	munmap((void *)f.mm, f.size);
	f.mm = bytes; /* the heap copy: reads past the end are seen */
	FUZZ_ASSERT(index_check_all(&f, &why) == 0);

	for (size_t i = 0; i < n; i++) {
		const struct rec *best = NULL;
		const char *value;
		char *other;

		/* the lowest priority; among equals, the last added */
		for (size_t j = 0; j < n; j++)
			if (streq(recs[j].key, recs[i].key) && (!best || recs[j].prio <= best->prio))
				best = &recs[j];
		FUZZ_ASSERT(index_lookup(&f, recs[i].key, &value, &why) == 0);
		FUZZ_ASSERT(value && streq(value, best->value));

		/* KEY + "~" is found only if it was added */
		FUZZ_ASSERT(asprintf(&other, "%s~", recs[i].key) > 0);
		FUZZ_ASSERT(index_lookup(&f, other, &value, &why) == 0);
		if (value) {
			bool added = false;

			for (size_t j = 0; j < n; j++)
				added |= streq(recs[j].key, other);
			FUZZ_ASSERT(added);
		}
		free(other);
	}
	for (size_t i = 0; i < n; i++) {
		free(recs[i].key);
		free(recs[i].value);
	}
	free(recs);
	free(bytes);
	kindex_free(idx);
	return 0;
}
