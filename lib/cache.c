/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Optional persistent cache of what module files say in .modinfo (weakdep=,
 * firmware=), so a module is decompressed once per change rather than once per run.
 *
 * One text file per module tree: DIR/modinfo-<hash of the module directory>.cache.
 * An entry is used only while the module file has the size and the hash of its bytes
 * that were recorded (not its times or inode: on squashfs with pinned times, or in a
 * reproducible build, two different files have the same ones); a line that does not
 * parse is a miss, a cache without the header is ignored whole, and so is
 * one that another user could have written: a cache file, or a cache directory, not
 * owned by the effective user or writable by group or others (a shared --cache-dir,
 * a HOME kept under sudo) is neither read nor written. Writes go to a temporary
 * file renamed over the old one, so readers never see half a cache.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "libmodset-private.h"

#define CACHE_MAGIC "initrd-modset modinfo cache 3"

struct cache_entry {
	char *relpath;
	struct cache_key key;
	struct strv weakdep, firmware;
};

static void entry_free(struct cache_entry *e)
{
	if (!e)
		return;
	free(e->relpath);
	strv_done(&e->weakdep);
	strv_done(&e->firmware);
	free(e);
}

/* 64 bits a word: a multiply and a shift per 8 bytes (a few GB/s), enough to tell
 * files apart by accident; the cache is only ever read when no other user could
 * have written it, so nobody chooses collisions. */
static uint64_t hash_bytes(uint64_t h, const unsigned char *p, size_t n)
{
	const uint64_t k = 0x9E3779B97F4A7C15ull;

	for (; n >= 8; p += 8, n -= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		h = (h ^ v) * k;
		h ^= h >> 31;
	}
	for (; n > 0; p++, n--)
		h = (h ^ *p) * k;
	return h ^ h >> 29;
}

int cache_key_of(int fd, struct cache_key *key)
{
	struct stat st;
	void *map;

	if (fstat(fd, &st) < 0)
		return -errno;
	*key = (struct cache_key){ (uint64_t)st.st_size, hash_bytes(st.st_size, NULL, 0) };
	if (st.st_size == 0)
		return 0;
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	key->hash = hash_bytes((uint64_t)st.st_size, map, st.st_size);
	munmap(map, st.st_size);
	return 0;
}

static bool entry_matches(const struct cache_entry *e, const struct cache_key *key)
{
	return e->key.size == key->size && e->key.hash == key->hash;
}

/* Ours alone: owned by the effective user, writable by nobody else. */
static bool trusted(const struct stat *st)
{
	return st->st_uid == geteuid() && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

static bool dir_trusted(struct modset_ctx *ctx)
{
	struct stat st;

	if (stat(ctx->cache_dir, &st) < 0)
		return errno == ENOENT; /* made by cache_flush(), 0700 */
	if (S_ISDIR(st.st_mode) && trusted(&st))
		return true;
	INFO(ctx, "%s: not owned by this user, or writable by others: cache not used\n",
	     ctx->cache_dir);
	return false;
}

static char *cache_path(const struct modset_ctx *ctx)
{
	uint64_t h = 14695981039346656037ULL;
	char *p;

	for (const char *s = ctx->moddir; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	if (asprintf(&p, "%s/modinfo-%016" PRIx64 ".cache", ctx->cache_dir, h) < 0)
		return NULL;
	return p;
}

static bool parse_u64(const char *s, const char *end, uint64_t *v)
{
	uint64_t x = 0;

	if (s == end || end - s > 20)
		return false;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9' || x > (UINT64_MAX - 9) / 10)
			return false;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*v = x;
	return true;
}

/* One line: RELPATH SIZE HASH {Wvalue|Fvalue}..., tab-separated. */
static int parse_line(const char *line, size_t len, struct cache_entry *e)
{
	const char *p = line, *end = line + len;
	uint64_t *nums[] = { &e->key.size, &e->key.hash };
	const char *tab = memchr(p, '\t', end - p);
	int r;

	if (!tab || !(e->relpath = strndup(p, tab - p)) || !path_is_safe_relative(e->relpath))
		return -EBADMSG;
	p = tab + 1;
	for (size_t i = 0; i < ARRAY_SIZE(nums); i++) {
		tab = memchr(p, '\t', end - p);
		if (!parse_u64(p, tab ? tab : end, nums[i]))
			return -EBADMSG;
		p = tab ? tab + 1 : end;
		if (!tab && i + 1 < ARRAY_SIZE(nums))
			return -EBADMSG;
	}
	while (p < end) {
		struct strv *dst = *p == 'W' ? &e->weakdep : *p == 'F' ? &e->firmware : NULL;

		tab = memchr(p, '\t', end - p);
		if (!tab)
			tab = end;
		if (!dst || tab - p < 2)
			return -EBADMSG;
		r = strv_push_take(dst, strndup(p + 1, tab - p - 1));
		if (r < 0)
			return r;
		p = tab < end ? tab + 1 : end;
	}
	return 0;
}

static size_t line_len(const char *line)
{
	return strcspn(line, "\n");
}

/* Compare @relpath with the relpath field of a cache line. */
static int cmp_key(const char *relpath, const char *line)
{
	size_t n = strcspn(line, "\t\n");
	int r = strncmp(relpath, line, n);

	return r ? r : (relpath[n] != '\0');
}

static int cmp_lines(const char *a, const char *b)
{
	size_t na = strcspn(a, "\t\n"), nb = strcspn(b, "\t\n");
	int r = memcmp(a, b, na < nb ? na : nb);

	return r ? r : (na > nb) - (na < nb);
}

static int cmp_line_ptrs(const void *a, const void *b)
{
	return cmp_lines(*(const char *const *)a, *(const char *const *)b);
}

static void cache_clear(struct modset_cache *c)
{
	for (size_t i = 0; i < c->added.n; i++)
		entry_free(c->added.v[i]);
	ptrv_done(&c->added);
	hmap_done(&c->added_by_path);
	if (c->map)
		munmap(c->map, c->map_size);
	c->map = NULL;
	c->data = c->end = NULL;
}

/* The cache file is mapped, not read: a run that needs 20 entries of 4000 touches a
 * few pages. Its lines are sorted by relpath (as written), found by binary search
 * and parsed only when asked for; a line that does not parse is a miss. */
static void cache_load(struct modset_ctx *ctx)
{
	struct modset_cache *c = &ctx->cache;
	_cleanup_free_ char *path = NULL;
	size_t mlen = strlen(CACHE_MAGIC) + 1;
	const char *why;
	struct stat st;
	void *map;
	int fd;

	c->loaded = true;
	c->untrusted = !dir_trusted(ctx);
	path = c->untrusted ? NULL : cache_path(ctx);
	if (!path)
		return;
	/* a regular file of the cache directory only: no link out of it, no FIFO */
	fd = fs_open_regular(AT_FDCWD, path, FS_AS_GIVEN_NOFOLLOW, FS_TEXT_MAX, &st, &why);
	if (fd < 0) {
		if (fd != -ENOENT)
			DBG(ctx, "%s: %s; cache not used\n", path, why ? why : strerror(-fd));
		return;
	}
	if (!trusted(&st)) {
		close(fd);
		INFO(ctx, "%s: not owned by this user, or writable by others: ignored\n", path);
		return;
	}
	if ((size_t)st.st_size < mlen ||
	    (map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED) {
		close(fd);
		INFO(ctx, "%s: not a valid cache file, ignored\n", path);
		return;
	}
	close(fd);
	c->map = map;
	c->map_size = st.st_size;
	if (memcmp(map, CACHE_MAGIC "\n", mlen) != 0 || ((char *)map)[st.st_size - 1] != '\n') {
		INFO(ctx, "%s: not a valid cache file, ignored\n", path);
		munmap(map, st.st_size);
		c->map = NULL;
		return;
	}
	c->data = (const char *)map + mlen;
	c->end = (const char *)map + st.st_size;
}

static const char *line_start(const struct modset_cache *c, const char *p)
{
	const char *nl = p > c->data ? memrchr(c->data, '\n', p - c->data) : NULL;

	return nl ? nl + 1 : c->data;
}

static const char *find_line(const struct modset_cache *c, const char *relpath)
{
	const char *lo = c->data, *hi = c->end;

	while (lo < hi) {
		const char *line = line_start(c, lo + (hi - lo) / 2);
		const char *next = memchr(line, '\n', c->end - line) + 1;
		int r = cmp_key(relpath, line);

		if (r == 0)
			return line;
		if (r < 0)
			hi = line;
		else
			lo = next;
	}
	return NULL;
}

bool cache_get(struct modset_ctx *ctx, const char *relpath, const struct cache_key *key,
	       struct strv *weakdep, struct strv *firmware)
{
	struct cache_entry *e, parsed = { 0 };
	const char *line;
	bool hit = false;

	if (!ctx->cache_dir)
		return false;
	if (!ctx->cache.loaded)
		cache_load(ctx);
	e = hmap_get(&ctx->cache.added_by_path, relpath);
	if (!e) {
		line = find_line(&ctx->cache, relpath);
		if (!line || parse_line(line, line_len(line), &parsed) < 0)
			goto out;
		e = &parsed;
	}
	if (!entry_matches(e, key))
		goto out;
	hit = true;
	for (size_t i = 0; i < e->weakdep.n && hit; i++)
		hit = strv_push(weakdep, e->weakdep.v[i]) == 0;
	for (size_t i = 0; i < e->firmware.n && hit; i++)
		hit = strv_push(firmware, e->firmware.v[i]) == 0;
	if (!hit) {
		strv_done(weakdep);
		strv_done(firmware);
	}
out:
	free(parsed.relpath);
	strv_done(&parsed.weakdep);
	strv_done(&parsed.firmware);
	return hit;
}

static bool storable(const char *s)
{
	return *s && !strpbrk(s, "\t\n");
}

void cache_put(struct modset_ctx *ctx, const char *relpath, const struct cache_key *key,
	       const struct strv *weakdep, const struct strv *firmware)
{
	struct modset_cache *c = &ctx->cache;
	struct cache_entry *e;

	if (!ctx->cache_dir || !storable(relpath) || !path_is_safe_relative(relpath) ||
	    hmap_get(&c->added_by_path, relpath))
		return;
	for (size_t i = 0; i < weakdep->n; i++)
		if (!storable(weakdep->v[i]))
			return;
	for (size_t i = 0; i < firmware->n; i++)
		if (!storable(firmware->v[i]))
			return;
	e = calloc(1, sizeof(*e));
	if (!e || !(e->relpath = strdup(relpath))) {
		entry_free(e);
		return;
	}
	e->key = *key;
	for (size_t i = 0; i < weakdep->n; i++)
		strv_push(&e->weakdep, weakdep->v[i]);
	for (size_t i = 0; i < firmware->n; i++)
		strv_push(&e->firmware, firmware->v[i]);
	if (ptrv_push(&c->added, e) < 0) {
		entry_free(e);
		return;
	}
	if (hmap_put(&c->added_by_path, e->relpath, e) < 0) {
		c->added.n--;
		entry_free(e);
		return;
	}
	c->dirty = true;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct cache_entry *x = *(void *const *)a, *y = *(void *const *)b;

	return strcmp(x->relpath, y->relpath);
}

static int mkdir_parents(const char *dir)
{
	_cleanup_free_ char *p = strdup(dir);

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Best effort: a cache that cannot be written only costs time next run. */
void cache_flush(struct modset_ctx *ctx)
{
	struct modset_cache *c = &ctx->cache;
	_cleanup_free_ char *path = NULL, *tmp = NULL;
	struct ptrv old = { 0 };
	FILE *f;
	int fd, r = 0;

	if (!ctx->cache_dir || !c->dirty)
		return;
	if (!c->loaded)
		cache_load(ctx);
	if (c->untrusted)
		return;
	c->dirty = false;
	path = cache_path(ctx);
	if (!path || asprintf(&tmp, "%s.XXXXXX", path) < 0) {
		tmp = NULL;
		return;
	}
	if ((r = mkdir_parents(ctx->cache_dir)) < 0) {
		DBG(ctx, "%s: %s; cache not written\n", ctx->cache_dir, strerror(-r));
		return;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		DBG(ctx, "%s: %s; cache not written\n", tmp, strerror(errno));
		return;
	}
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return;
	}
	if (c->added.n > 1)
		qsort(c->added.v, c->added.n, sizeof(void *), cmp_entry);
	/* The old lines, sorted again in case the file was not: merged with the new
	 * entries, the new ones winning, each relpath once. */
	for (const char *p = c->data; p && p < c->end; p += line_len(p) + 1)
		if (ptrv_push(&old, (void *)p) < 0)
			old.n = 0;
	if (old.n > 1)
		qsort(old.v, old.n, sizeof(void *), cmp_line_ptrs);
	fputs(CACHE_MAGIC "\n", f);
	for (size_t i = 0, k = 0; i < old.n || k < c->added.n;) {
		const struct cache_entry *e = k < c->added.n ? c->added.v[k] : NULL;
		int cmp = i < old.n ? (e ? cmp_key(e->relpath, old.v[i]) : 1) : -1;

		if (cmp > 0) {
			if (i + 1 >= old.n || cmp_lines(old.v[i], old.v[i + 1]) != 0)
				fwrite(old.v[i], 1, line_len(old.v[i]) + 1, f);
			i++;
			continue;
		}
		if (cmp == 0) {
			i++;
			continue;
		}
		k++;
		fprintf(f, "%s\t%" PRIu64 "\t%" PRIu64, e->relpath, e->key.size, e->key.hash);
		for (size_t w = 0; w < e->weakdep.n; w++)
			fprintf(f, "\tW%s", e->weakdep.v[w]);
		for (size_t w = 0; w < e->firmware.n; w++)
			fprintf(f, "\tF%s", e->firmware.v[w]);
		fputc('\n', f);
	}
	ptrv_done(&old);
	if (fflush(f) != 0 || ferror(f))
		r = -EIO;
	if (fclose(f) != 0 && r == 0)
		r = -EIO;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		DBG(ctx, "%s: %s; cache not written\n", path, strerror(-r));
		unlink(tmp);
	}
}

void cache_done(struct modset_cache *c)
{
	cache_clear(c);
	*c = (struct modset_cache){ 0 };
}

MODSET_EXPORT int modset_set_cache_dir(struct modset_ctx *ctx, const char *dir)
{
	char *d = NULL;

	if (!ctx)
		return -EINVAL;
	if (dir && !(d = strdup(dir)))
		return -ENOMEM;
	cache_done(&ctx->cache);
	free(ctx->cache_dir);
	ctx->cache_dir = d;
	return 0;
}
