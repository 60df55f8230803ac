/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The context: a module tree, its indexes, logging. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "fs.h"
#include "libmodset-private.h"

__attribute__((format(printf, 6, 0))) static void
log_stderr(void *data _unused_, int priority _unused_, const char *file _unused_,
	   int line _unused_, const char *fn _unused_, const char *format, va_list args)
{
	fprintf(stderr, "libmodset: ");
	vfprintf(stderr, format, args);
}

void modset_log(const struct modset_ctx *ctx, int priority, const char *file, int line,
		const char *fn, const char *format, ...)
{
	va_list args;

	if (!ctx->log_fn)
		return;
	va_start(args, format);
	ctx->log_fn(ctx->log_data, priority, file, line, fn, format, args);
	va_end(args);
}

static int log_priority_from_string(const char *s)
{
	static const struct {
		const char *name;
		int prio;
	} names[] = {
		{ "err", LOG_ERR },	      { "error", LOG_ERR }, { "warning", LOG_WARNING },
		{ "warn", LOG_WARNING }, { "notice", LOG_NOTICE }, { "info", LOG_INFO },
		{ "debug", LOG_DEBUG },
	};
	char *end;
	long v = strtol(s, &end, 10);

	if (end != s && (*end == '\0' || *end == ' ' || *end == '\n'))
		return (int)v;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strncasecmp(s, names[i].name, strlen(names[i].name)) == 0)
			return names[i].prio;
	return LOG_ERR;
}

/* The sysroot is what comes before "[/usr]/lib/modules/KVER"; a tree elsewhere has
 * none (""), and then no default configuration: never the host's. */
static char *infer_sysroot(const char *moddir)
{
	const char *p = NULL, *s;
	size_t len;

	for (s = strstr(moddir, "/lib/modules/"); s; s = strstr(s + 1, "/lib/modules/"))
		p = s;
	if (!p || strchr(p + strlen("/lib/modules/"), '/'))
		return strdup("");
	len = p - moddir;
	if (len >= 4 && strncmp(p - 4, "/usr", 4) == 0)
		len -= 4;
	if (len == 0)
		return strdup("/");
	return strndup(moddir, len);
}

static void close_indexes(struct modset_ctx *ctx);

static void close_dirs(struct modset_ctx *ctx)
{
	if (ctx->treefd >= 0)
		close(ctx->treefd);
	if (ctx->rootfd >= 0)
		close(ctx->rootfd);
	ctx->treefd = ctx->rootfd = -1;
}

MODSET_EXPORT struct modset_ctx *modset_new(const char *moddir,
					    const char *const *config_paths)
{
	struct modset_ctx *ctx;
	char buf[PATH_MAX];
	const char *env;
	size_t n = 0;

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		goto fail;
	ctx->refcount = 1;
	ctx->treefd = ctx->rootfd = -1;
	ctx->log_fn = log_stderr;
	ctx->log_priority = LOG_ERR;
	env = secure_getenv("MODSET_LOG");
	if (env)
		ctx->log_priority = log_priority_from_string(env);

	if (!moddir) {
		struct utsname u;

		if (uname(&u) < 0)
			goto fail;
		snprintf(buf, sizeof(buf), "/lib/modules/%s", u.release);
		moddir = buf;
	}
	if (!*moddir) {
		errno = EINVAL;
		goto fail;
	}
	if (moddir[0] == '/') {
		ctx->moddir = strdup(moddir);
	} else {
		char cwd[PATH_MAX];

		if (!getcwd(cwd, sizeof(cwd)))
			goto fail;
		ctx->moddir = path_join(cwd, moddir);
	}
	if (!ctx->moddir)
		goto fail;
	path_normalize(ctx->moddir);
	ctx->kver = strdup(strrchr(ctx->moddir, '/') + 1);
	ctx->sysroot = infer_sysroot(ctx->moddir);
	if (!ctx->kver || !ctx->sysroot)
		goto fail;

	if (config_paths) {
		while (config_paths[n])
			n++;
		ctx->config_paths = calloc(n + 1, sizeof(char *));
		if (!ctx->config_paths)
			goto fail;
		for (size_t i = 0; i < n; i++) {
			ctx->config_paths[i] = strdup(config_paths[i]);
			if (!ctx->config_paths[i])
				goto fail;
		}
	}
	return ctx;
fail:
	if (!errno)
		errno = ENOMEM;
	return modset_unref(ctx);
}

MODSET_EXPORT struct modset_ctx *modset_ref(struct modset_ctx *ctx)
{
	if (ctx)
		ctx->refcount++;
	return ctx;
}

MODSET_EXPORT struct modset_ctx *modset_unref(struct modset_ctx *ctx)
{
	if (!ctx || --ctx->refcount > 0)
		return NULL;
	close_indexes(ctx);
	close_dirs(ctx);
	config_done(&ctx->cfg);
	cache_done(&ctx->cache);
	free(ctx->cache_dir);
	strv_done(&ctx->exclude);
	strv_done(&ctx->config_files);
	if (ctx->config_paths)
		for (char **p = ctx->config_paths; *p; p++)
			free(*p);
	free(ctx->config_paths);
	free(ctx->moddir);
	free(ctx->kver);
	free(ctx->sysroot);
	free(ctx);
	return NULL;
}

MODSET_EXPORT void modset_set_log_fn(struct modset_ctx *ctx, modset_log_fn fn, void *data)
{
	if (!ctx)
		return;
	ctx->log_fn = fn;
	ctx->log_data = data;
}

MODSET_EXPORT int modset_get_log_priority(const struct modset_ctx *ctx)
{
	return ctx ? ctx->log_priority : 0;
}

MODSET_EXPORT void modset_set_log_priority(struct modset_ctx *ctx, int priority)
{
	if (!ctx)
		return;
	ctx->log_priority = priority;
}

MODSET_EXPORT int modset_set_sysroot(struct modset_ctx *ctx, const char *sysroot)
{
	char *s;

	if (!ctx || !sysroot)
		return -EINVAL;
	if (ctx->loaded)
		return -EBUSY;
	s = strdup(sysroot);
	if (!s)
		return -ENOMEM;
	free(ctx->sysroot);
	ctx->sysroot = s;
	return 0;
}

MODSET_EXPORT int modset_set_exclude(struct modset_ctx *ctx, const char *const *patterns)
{
	struct strv v = { 0 };

	if (!ctx)
		return -EINVAL;
	for (size_t i = 0; patterns && patterns[i]; i++) {
		char *p = strdup(patterns[i]);

		if (!p || strv_push_take(&v, p) < 0) {
			strv_done(&v);
			return -ENOMEM;
		}
		normalize_inplace(p, false);
	}
	strv_done(&ctx->exclude);
	ctx->exclude = v;
	return 0;
}

MODSET_EXPORT const char *modset_get_moddir(const struct modset_ctx *ctx)
{
	return ctx ? ctx->moddir : NULL;
}

MODSET_EXPORT const char *modset_get_kver(const struct modset_ctx *ctx)
{
	return ctx ? ctx->kver : NULL;
}

MODSET_EXPORT const char *modset_get_sysroot(const struct modset_ctx *ctx)
{
	return ctx ? ctx->sysroot : NULL;
}

MODSET_EXPORT enum modset_index_layout modset_get_index_layout(const struct modset_ctx *ctx)
{
	return ctx && ctx->idx[IDX_DEP].preorder ? MODSET_INDEX_PREORDER
						 : MODSET_INDEX_POSTORDER;
}

MODSET_EXPORT const char *const *modset_get_config_files(const struct modset_ctx *ctx)
{
	static const char *const empty[] = { NULL };

	if (!ctx || !ctx->config_files.v)
		return empty;
	return (const char *const *)ctx->config_files.v;
}

MODSET_EXPORT unsigned int modset_get_config_warnings(const struct modset_ctx *ctx)
{
	return ctx ? ctx->cfg.warnings : 0;
}

static const char *const index_names[_IDX_COUNT] = {
	[IDX_DEP] = "modules.dep.bin",
	[IDX_ALIAS] = "modules.alias.bin",
	[IDX_SYMBOLS] = "modules.symbols.bin",
	[IDX_BUILTIN] = "modules.builtin.bin",
	[IDX_BUILTIN_ALIAS] = "modules.builtin.alias.bin",
};

static int index_error(const struct modset_ctx *ctx, int idx, int r, const char *why)
{
	ERR(ctx, "%s/%s: %s\n", ctx->moddir, index_names[idx], why ? why : strerror(-r));
	return r;
}

/* Map the indexes and check their headers; their nodes are checked as they are read
 * (see index.c): the path of each exact lookup, the nodes each wildcard search
 * visits. */
static int open_indexes(struct modset_ctx *ctx)
{
	for (int i = 0; i < _IDX_COUNT; i++) {
		_cleanup_free_ char *path = path_join(ctx->moddir, index_names[i]);
		const char *why = NULL;
		int r;

		if (!path)
			return -ENOMEM;
		r = index_openat(ctx->treefd, index_names[i], FS_BENEATH, &ctx->idx[i], &why);
		if (r == -ENOENT && i != IDX_DEP)
			continue;
		if (r == -ENOENT) {
			ERR(ctx, "%s: missing (run depmod for %s)\n", path, ctx->kver);
			return r;
		}
		if (r < 0)
			return index_error(ctx, i, r, why);
	}
	return 0;
}

static void close_indexes(struct modset_ctx *ctx)
{
	for (int i = 0; i < _IDX_COUNT; i++)
		index_close(&ctx->idx[i]);
}

int tree_index_lookup(const struct modset_ctx *ctx, int idx, const char *key,
		      const char **value)
{
	const char *why = NULL;
	int r;

	*value = NULL;
	if (!ctx->idx[idx].mm)
		return 0;
	r = index_lookup(&ctx->idx[idx], key, value, &why);
	return r < 0 ? index_error(ctx, idx, r, why) : 0;
}

/* The wildcard search of index_search_wild(), in the order of the reader libkmod
 * would use on this tree: the mmap one when kmod_load_resources() can map every
 * index (modules.builtin.alias.bin is optional there), else the file one. */
int tree_index_search_wild(const struct modset_ctx *ctx, int idx, const char *key,
			   struct index_values *out)
{
	static const int required[] = { IDX_DEP, IDX_ALIAS, IDX_SYMBOLS, IDX_BUILTIN };
	enum index_order order = INDEX_ORDER_MMAP;
	const char *why = NULL;
	int r;

	out->n = 0;
	if (!ctx->idx[idx].mm)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(required); i++)
		if (!ctx->idx[required[i]].mm)
			order = INDEX_ORDER_FILE;
	r = index_search_wild(&ctx->idx[idx], key, order, out, &why);
	return r < 0 ? index_error(ctx, idx, r, why) : 0;
}

/* @path with @prefix (a directory) and a '/' before the rest: the rest, else NULL. */
static const char *under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	while (n > 0 && prefix[n - 1] == '/')
		n--;
	if (strncmp(path, prefix, n) != 0 || path[n] != '/')
		return NULL;
	return path + n;
}

void tree_resolve(const struct modset_ctx *ctx, const char *path, int *dirfd,
		  const char **rel, enum fs_resolve *how)
{
	const char *r;

	if (ctx->treefd >= 0 && (r = under(path, ctx->moddir))) {
		*dirfd = ctx->treefd;
		*how = FS_BENEATH;
	} else if (ctx->rootfd >= 0 && (r = under(path, ctx->sysroot))) {
		*dirfd = ctx->rootfd;
		*how = FS_IN_ROOT;
	} else {
		r = path;
		*dirfd = AT_FDCWD;
		*how = FS_AS_GIVEN;
	}
	*rel = r;
}

int tree_dirfd(const struct modset_ctx *ctx)
{
	return ctx->treefd;
}

int tree_open_regular(const struct modset_ctx *ctx, const char *path, uint64_t max,
		      struct stat *st, const char **why)
{
	enum fs_resolve how;
	const char *rel;
	int dirfd;

	tree_resolve(ctx, path, &dirfd, &rel, &how);
	return fs_open_regular(dirfd, rel, how, max, st, why);
}

MODSET_EXPORT int modset_load(struct modset_ctx *ctx)
{
	int r;

	if (!ctx)
		return -EINVAL;
	if (ctx->loaded)
		return 0;

	/* the module directory and the sysroot as the caller named them (a link there
	 * is theirs); everything below them is opened beneath these fds */
	ctx->treefd = open(ctx->moddir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ctx->treefd < 0) {
		r = -errno;
		if (r == -ENOTDIR)
			ERR(ctx, "%s: not a directory\n", ctx->moddir);
		else
			ERR(ctx, "%s: %s\n", ctx->moddir, strerror(-r));
		return r;
	}
	if (ctx->sysroot[0])
		ctx->rootfd = open(ctx->sysroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = open_indexes(ctx);
	if (r < 0) {
		close_indexes(ctx);
		close_dirs(ctx);
		return r;
	}

	r = config_load(ctx);
	if (r < 0) {
		close_indexes(ctx);
		close_dirs(ctx);
		config_done(&ctx->cfg);
		strv_done(&ctx->config_files);
		return r;
	}

	ctx->loaded = true;
	return 0;
}
