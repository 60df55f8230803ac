/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Optional persistent cache of what module files say in .modinfo (weakdep=,
 * firmware=), so a module is decompressed once per change rather than once per run.
 *
 * One text file per module tree: DIR/modinfo-<hash of the module directory>.cache.
 * An entry is used only while the file's size, mtime, inode and device are those
 * recorded; a cache that does not parse is ignored whole, never trusted. Writes go
 * to a temporary file renamed over the old one, so readers never see half a cache.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libmodset-private.h"

#define CACHE_MAGIC "initrd-modset modinfo cache 1"

struct cache_entry {
	char *relpath;
	uint64_t size, mtime_ns, ino, dev;
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

static uint64_t mtime_ns(const struct stat *st)
{
	return (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec;
}

static bool entry_matches(const struct cache_entry *e, const struct stat *st)
{
	return e->size == (uint64_t)st->st_size && e->mtime_ns == mtime_ns(st) &&
	       e->ino == (uint64_t)st->st_ino && e->dev == (uint64_t)st->st_dev;
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

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno == 0 && *end == '\0';
}

/* One line: RELPATH SIZE MTIME_NS INO DEV {Wvalue|Fvalue}..., tab-separated. */
static int parse_line(struct modset_cache *c, char *line)
{
	struct cache_entry *e = calloc(1, sizeof(*e));
	char *save = NULL, *tok;
	uint64_t *nums[4];
	int r = -EBADMSG;

	if (!e)
		return -ENOMEM;
	nums[0] = &e->size;
	nums[1] = &e->mtime_ns;
	nums[2] = &e->ino;
	nums[3] = &e->dev;
	tok = strtok_r(line, "\t", &save);
	if (!tok || !path_is_safe_relative(tok) || !(e->relpath = strdup(tok)))
		goto out;
	for (int i = 0; i < 4; i++) {
		tok = strtok_r(NULL, "\t", &save);
		if (!tok || !parse_u64(tok, nums[i]))
			goto out;
	}
	while ((tok = strtok_r(NULL, "\t", &save))) {
		struct strv *dst = tok[0] == 'W' ? &e->weakdep : tok[0] == 'F' ? &e->firmware : NULL;

		if (!dst || !tok[1])
			goto out;
		if ((r = strv_push(dst, tok + 1)) < 0)
			goto out;
		r = -EBADMSG;
	}
	if (hmap_get(&c->entries, e->relpath))
		goto out;
	r = ptrv_push(&c->list, e);
	if (r == 0 && (r = hmap_put(&c->entries, e->relpath, e)) < 0)
		c->list.n--;
out:
	if (r < 0)
		entry_free(e);
	return r;
}

static void cache_clear(struct modset_cache *c)
{
	for (size_t i = 0; i < c->list.n; i++)
		entry_free(c->list.v[i]);
	ptrv_done(&c->list);
	hmap_done(&c->entries);
}

static void cache_load(struct modset_ctx *ctx)
{
	struct modset_cache *c = &ctx->cache;
	_cleanup_free_ char *path = NULL, *buf = NULL;
	char *line, *save = NULL;
	size_t len;
	int r;

	c->loaded = true;
	path = cache_path(ctx);
	if (!path)
		return;
	r = read_file(path, &buf, &len);
	if (r < 0) {
		if (r != -ENOENT)
			DBG(ctx, "%s: %s; cache not used\n", path, strerror(-r));
		return;
	}
	line = memchr(buf, '\0', len) ? NULL : strtok_r(buf, "\n", &save);
	if (!line || !streq(line, CACHE_MAGIC)) {
		INFO(ctx, "%s: not a cache file, ignored\n", path);
		return;
	}
	while ((line = strtok_r(NULL, "\n", &save))) {
		r = parse_line(c, line);
		if (r < 0) {
			INFO(ctx, "%s: corrupt, ignored\n", path);
			cache_clear(c);
			return;
		}
	}
}

bool cache_get(struct modset_ctx *ctx, const char *relpath, const struct stat *st,
	       struct strv *weakdep, struct strv *firmware)
{
	struct cache_entry *e;

	if (!ctx->cache_dir)
		return false;
	if (!ctx->cache.loaded)
		cache_load(ctx);
	e = hmap_get(&ctx->cache.entries, relpath);
	if (!e || !entry_matches(e, st))
		return false;
	for (size_t i = 0; i < e->weakdep.n; i++)
		if (strv_push(weakdep, e->weakdep.v[i]) < 0)
			return false;
	for (size_t i = 0; i < e->firmware.n; i++)
		if (strv_push(firmware, e->firmware.v[i]) < 0)
			return false;
	return true;
}

static bool storable(const char *s)
{
	return *s && !strpbrk(s, "\t\n");
}

void cache_put(struct modset_ctx *ctx, const char *relpath, const struct stat *st,
	       const struct strv *weakdep, const struct strv *firmware)
{
	struct modset_cache *c = &ctx->cache;
	struct cache_entry *e, *old;

	if (!ctx->cache_dir || !storable(relpath) || !path_is_safe_relative(relpath))
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
	e->size = st->st_size;
	e->mtime_ns = mtime_ns(st);
	e->ino = st->st_ino;
	e->dev = st->st_dev;
	for (size_t i = 0; i < weakdep->n; i++)
		strv_push(&e->weakdep, weakdep->v[i]);
	for (size_t i = 0; i < firmware->n; i++)
		strv_push(&e->firmware, firmware->v[i]);
	old = hmap_get(&c->entries, relpath);
	if (old) {
		for (size_t i = 0; i < c->list.n; i++)
			if (c->list.v[i] == old)
				c->list.v[i] = e;
		entry_free(old);
	} else if (ptrv_push(&c->list, e) < 0) {
		entry_free(e);
		return;
	}
	if (hmap_put(&c->entries, e->relpath, e) < 0)
		return;
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
	FILE *f;
	int fd, r = 0;

	if (!ctx->cache_dir || !c->dirty)
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
	if (c->list.n > 1)
		qsort(c->list.v, c->list.n, sizeof(void *), cmp_entry);
	fputs(CACHE_MAGIC "\n", f);
	for (size_t i = 0; i < c->list.n; i++) {
		const struct cache_entry *e = c->list.v[i];

		fprintf(f, "%s\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64, e->relpath,
			e->size, e->mtime_ns, e->ino, e->dev);
		for (size_t k = 0; k < e->weakdep.n; k++)
			fprintf(f, "\tW%s", e->weakdep.v[k]);
		for (size_t k = 0; k < e->firmware.n; k++)
			fprintf(f, "\tF%s", e->firmware.v[k]);
		fputc('\n', f);
	}
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
