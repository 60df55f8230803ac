/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The persistent modinfo cache (cache.c): the input bytes are the cache file of a
 * module directory; cache_get() reads it (cache_load, find_line, parse_line),
 * cache_put() + cache_flush() merge a new entry into it and write it back.
 *
 * cache_load() maps the file; after the first lookup the mapping is swapped for a
 * heap copy of exactly the file's size, so AddressSanitizer sees reads past its end.
 *
 * Properties:
 *  - lookups of arbitrary relpaths (the first field of every line, with the numbers
 *    of that line as the file's key, size and hash, so that lines can hit) never read
 *    out of bounds, and a hit returns only what the line holds;
 *  - after cache_put() + cache_flush(), the file written back is a valid cache in
 *    which the new entry is found (when the input holds no NUL byte: lines with
 *    one are only ever misses).
 */
#include <dirent.h>
#include <inttypes.h>
#include <sys/mman.h>

#include "fuzz-common.h"
#include "libmodset-private.h"

static struct modset_ctx *ctx;
static char *cache_file;

/* The file name of the cache of @ctx, as cache_flush() writes it. */
static char *discover_cache_file(void)
{
	struct strv none = { 0 };
	struct cache_key key = { .size = 1 };
	char *found = NULL;
	DIR *d;
	struct dirent *e;

	cache_put(ctx, "kernel/discover.ko", &key, &none, &none);
	cache_flush(ctx);
	cache_done(&ctx->cache);
	d = opendir(fuzz_path(0, "cache"));
	FUZZ_ASSERT(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			FUZZ_ASSERT(!found);
			FUZZ_ASSERT(asprintf(&found, "%s/%s", fuzz_path(0, "cache"), e->d_name) > 0);
		}
	closedir(d);
	FUZZ_ASSERT(found);
	return found;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_mkdir(fuzz_path(0, "tree"));
	fuzz_mkdir(fuzz_path(0, "cache"));
	ctx = modset_new(fuzz_path(0, "tree"), NULL);
	FUZZ_ASSERT(ctx);
	modset_set_log_fn(ctx, NULL, NULL);
	FUZZ_ASSERT(modset_set_cache_dir(ctx, fuzz_path(0, "cache")) == 0);
	cache_file = discover_cache_file();
	return 0;
}

static uint64_t num(const char **p, const char *end)
{
	uint64_t v = 0;

	while (*p < end && **p >= '0' && **p <= '9')
		v = v * 10 + (uint64_t)(*(*p)++ - '0');
	if (*p < end && **p == '\t')
		(*p)++;
	return v;
}

static const uint8_t *cur_data;
static size_t cur_size;

/* Every value of @v is in the input as TAB TAG VALUE. */
static bool strv_in_input(const struct strv *v, char tag)
{
	for (size_t i = 0; i < v->n; i++) {
		char *want;
		bool found;

		FUZZ_ASSERT(asprintf(&want, "\t%c%s", tag, v->v[i]) > 0);
		found = memmem(cur_data, cur_size, want, strlen(want)) != NULL;
		free(want);
		if (!found)
			return false;
	}
	return true;
}

/* Look up the relpath of the line at @line, with that line's numbers as the key. */
static void lookup_line(const char *line, const char *end)
{
	const char *tab = memchr(line, '\t', (size_t)(end - line)), *p;
	struct strv wd = { 0 }, fw = { 0 };
	struct cache_key key = { 0 };
	char *relpath;

	relpath = fuzz_strndup(line, tab ? (size_t)(tab - line) : (size_t)(end - line));
	if (tab) {
		p = tab + 1;
		key.size = num(&p, end);
		key.hash = num(&p, end);
	}
	if (cache_get(ctx, relpath, &key, &wd, &fw)) {
		/* A hit returns what the file holds. */
		FUZZ_ASSERT(strv_in_input(&wd, 'W'));
		FUZZ_ASSERT(strv_in_input(&fw, 'F'));
	} else {
		FUZZ_ASSERT(wd.n == 0 && fw.n == 0);
	}
	strv_done(&wd);
	strv_done(&fw);
	free(relpath);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct modset_cache *c = &ctx->cache;
	struct strv wd = { 0 }, fw = { 0 }, nwd = { 0 }, nfw = { 0 };
	struct cache_key key = { .size = 4242, .hash = 7 };
	char *heap = NULL;
	const char *s, *end;
	int n = 0;

	cur_data = data;
	cur_size = size;
	cache_done(c);
	fuzz_write(cache_file, data, size);

	/* The first lookup loads the file (mapped). */
	cache_get(ctx, "kernel/first.ko", &key, &wd, &fw);
	strv_done(&wd);
	strv_done(&fw);
	FUZZ_ASSERT(c->loaded);
	if (c->map) {
		size_t off = (size_t)(c->data - (const char *)c->map);

		FUZZ_ASSERT(c->map_size == size && c->data && c->end == (char *)c->map + size);
		heap = malloc(size);
		FUZZ_ASSERT(heap);
		memcpy(heap, c->map, size);
		munmap(c->map, c->map_size);
		c->map = NULL;
		c->data = heap + off;
		c->end = heap + size;
	}

	/* Every line's relpath, with that line's numbers. */
	for (s = c->data, end = c->end; s && s < end && n++ < 64;) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));

		FUZZ_ASSERT(nl); /* the file ends with a newline */
		lookup_line(s, nl);
		s = nl + 1;
	}

	/* Merge a new entry and write the file back. */
	strv_push(&wd, "wd");
	strv_push(&fw, "fw/x.bin");
	cache_put(ctx, "kernel/fuzz/put.ko", &key, &wd, &fw);
	FUZZ_ASSERT(c->dirty);
	cache_flush(ctx);
	cache_done(c); /* data/end pointed into heap: not unmapped */
	free(heap);

	if (!memchr(data, '\0', size)) {
		FUZZ_ASSERT(cache_get(ctx, "kernel/fuzz/put.ko", &key, &nwd, &nfw));
		FUZZ_ASSERT(nwd.n == 1 && streq(nwd.v[0], "wd"));
		FUZZ_ASSERT(nfw.n == 1 && streq(nfw.v[0], "fw/x.bin"));
	}
	strv_done(&wd);
	strv_done(&fw);
	strv_done(&nwd);
	strv_done(&nfw);
	cache_done(c);
	return 0;
}
