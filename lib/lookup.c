/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * From names, aliases, paths and directories to modules of the tree, through
 * libkmod's indexes (modules.dep.bin, modules.alias.bin, modules.builtin.bin) and the
 * builtin aliases of modules.builtin.modinfo.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "libmodset-private.h"

static bool list_has_name(struct kmod_list *list, const char *name)
{
	struct kmod_list *l;
	bool found = false;

	kmod_list_foreach(l, list)
	{
		struct kmod_module *km = kmod_module_get_module(l);

		found = found || streq(kmod_module_get_name(km), name);
		kmod_module_unref(km);
	}
	return found;
}

/* Builtin, as modules.builtin.bin says: libkmod's filter drops builtins from a list.
 * (kmod_module_get_initstate() would also look at the host's /sys/module.) */
static bool kmod_is_builtin(struct modset_ctx *ctx, struct kmod_module *km)
{
	const char *name = kmod_module_get_name(km);
	struct kmod_list *in = NULL, *out = NULL;
	bool builtin = false;

	if (kmod_module_new_from_lookup(ctx->kmod, name, &in) < 0 || !in)
		return false;
	if (list_has_name(in, name) &&
	    kmod_module_apply_filter(ctx->kmod, KMOD_FILTER_BUILTIN, in, &out) == 0)
		builtin = !list_has_name(out, name);
	kmod_module_unref_list(out);
	kmod_module_unref_list(in);
	return builtin;
}

/* An index entry must name a file inside the module directory. */
int module_check_path(struct modset_ctx *ctx, const char *name, const char *path)
{
	size_t dlen = strlen(ctx->moddir);

	if (strncmp(path, ctx->moddir, dlen) == 0 && path[dlen] == '/' &&
	    path_is_safe_relative(path + dlen + 1))
		return 0;
	ERR(ctx, "%s/modules.dep.bin: entry for '%s' points outside the module directory: %s\n",
	    ctx->moddir, name, path);
	return -EXDEV;
}

/* The set's module for a libkmod module: NULL in *ret when the tree has no such
 * module (neither a file in modules.dep nor a builtin). Takes no reference on @km. */
static int module_from_kmod(struct modset_set *set, struct kmod_module *km,
			    struct modset_module **ret)
{
	struct modset_ctx *ctx = set->ctx;
	const char *name = kmod_module_get_name(km);
	struct modset_module *m;
	const char *path;
	bool builtin = false;
	int r;

	*ret = hmap_get(&set->by_name, name);
	if (*ret)
		return 0;
	path = kmod_module_get_path(km);
	if (path) {
		r = module_check_path(ctx, name, path);
		if (r < 0)
			return r;
	} else {
		builtin = kmod_is_builtin(ctx, km);
		if (!builtin)
			return 0;
	}
	m = set_add(set, name, path, builtin);
	if (!m)
		return -ENOMEM;
	m->kmod = kmod_module_ref(km);
	*ret = m;
	return 0;
}

static int push_unique(struct ptrv *out, struct modset_module *m)
{
	for (size_t i = 0; i < out->n; i++)
		if (out->v[i] == m)
			return 0;
	return ptrv_push(out, m);
}

int lookup_module_by_name(struct modset_set *set, const char *name, struct modset_module **ret)
{
	struct kmod_module *km = NULL;
	char buf[PATH_MAX];
	int r;

	*ret = NULL;
	if (!modset_normalize_name(name, buf, sizeof(buf)))
		return 0;
	*ret = hmap_get(&set->by_name, buf);
	if (*ret)
		return 0;
	r = kmod_module_new_from_name(set->ctx->kmod, buf, &km);
	if (r < 0)
		return r;
	r = module_from_kmod(set, km, ret);
	kmod_module_unref(km);
	return r;
}

/* Builtin aliases, which kmod consults only when no loadable module matched. */
static int lookup_builtin_alias(struct modset_set *set, const char *target, struct ptrv *out)
{
	const struct modset_config *cfg = &set->ctx->cfg;
	char norm[PATH_MAX];
	int r;

	if (strlen(target) >= sizeof(norm))
		return 0;
	strcpy(norm, target);
	normalize_inplace(norm, false);
	for (size_t i = 0; i < cfg->builtins.n; i++) {
		const struct builtin_info *b = cfg->builtins.v[i];

		for (size_t j = 0; j < b->alias.n; j++) {
			char alias[PATH_MAX];
			struct modset_module *m;

			if (strlen(b->alias.v[j]) >= sizeof(alias))
				continue;
			strcpy(alias, b->alias.v[j]);
			normalize_inplace(alias, false);
			if (fnmatch(alias, norm, 0) != 0)
				continue;
			r = lookup_module_by_name(set, b->name, &m);
			if (r < 0)
				return r;
			if (m && (r = push_unique(out, m)) < 0)
				return r;
			break;
		}
	}
	return 0;
}

/* modprobe.d "alias" lines come first, as in kmod: when one matches, the
 * indexes are not asked. */
static int lookup_config_alias(struct modset_set *set, const char *target, struct ptrv *out)
{
	const struct modset_config *cfg = &set->ctx->cfg;
	char norm[PATH_MAX];
	int r;

	if (!cfg->n_aliases || strlen(target) >= sizeof(norm))
		return 0;
	strcpy(norm, target);
	normalize_inplace(norm, false);
	for (size_t i = 0; i < cfg->n_aliases; i++) {
		struct modset_module *m;

		if (fnmatch(cfg->aliases[i].pattern, norm, 0) != 0)
			continue;
		r = lookup_module_by_name(set, cfg->aliases[i].modname, &m);
		if (r < 0)
			return r;
		if (m && (r = push_unique(out, m)) < 0)
			return r;
	}
	return 0;
}

int lookup_target(struct modset_set *set, const char *target, struct ptrv *out)
{
	struct kmod_list *list = NULL, *l;
	size_t before = out->n;
	int r;

	r = lookup_config_alias(set, target, out);
	if (r < 0 || out->n > before)
		return r;
	r = kmod_module_new_from_lookup(set->ctx->kmod, target, &list);
	if (r < 0) {
		DBG(set->ctx, "lookup of '%s' failed: %s\n", target, strerror(-r));
		return 0;
	}
	r = 0;
	kmod_list_foreach(l, list)
	{
		struct kmod_module *km = kmod_module_get_module(l);
		struct modset_module *m;

		r = module_from_kmod(set, km, &m);
		kmod_module_unref(km);
		if (r < 0)
			break;
		if (m && (r = push_unique(out, m)) < 0)
			break;
	}
	kmod_module_unref_list(list);
	if (r < 0)
		return r;
	if (set->ctx->cfg.builtins.n && !set->compat)
		r = lookup_builtin_alias(set, target, out);
	return r;
}

static bool is_module_file(const char *name)
{
	static const char *const suffixes[] = { ".ko", ".ko.xz", ".ko.zst", ".ko.gz" };
	size_t n = strlen(name);

	for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++) {
		size_t s = strlen(suffixes[i]);

		if (n > s && streq(name + n - s, suffixes[i]))
			return true;
	}
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk_dir(struct modset_ctx *ctx, const char *dir, struct strv *files, int depth)
{
	struct dirent **ents = NULL;
	int k, r = 0;

	if (depth > 64)
		return 0;
	k = scandir(dir, &ents, NULL, NULL);
	if (k < 0)
		return errno == ENOENT ? 0 : -errno;
	for (int i = 0; i < k; i++) {
		const char *n = ents[i]->d_name;
		struct stat st;
		char *p;

		if (r < 0 || n[0] == '.') {
			free(ents[i]);
			continue;
		}
		p = path_join(dir, n);
		if (!p)
			r = -ENOMEM;
		else if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			r = walk_dir(ctx, p, files, depth + 1);
		else if (is_module_file(n)) {
			r = strv_push_take(files, p);
			p = NULL;
		}
		free(p);
		free(ents[i]);
	}
	free(ents);
	return r;
}

/* "=DIR": every module under DIR of the tree (or under kernel/DIR, as dracut does). */
static int lookup_dir(struct modset_set *set, const char *dir, struct ptrv *out)
{
	struct modset_ctx *ctx = set->ctx;
	struct strv files = { 0 };
	int r = 0;

	while (*dir == '/')
		dir++;
	if (*dir && !path_is_safe_relative(dir)) {
		ERR(ctx, "=%s: directory outside the module directory %s\n", dir, ctx->moddir);
		return -EXDEV;
	}
	for (int i = 0; i < 2 && r == 0; i++) {
		_cleanup_free_ char *base = path_join(ctx->moddir, i == 0 ? "" : "kernel");
		_cleanup_free_ char *p = base ? path_join(base, dir) : NULL;

		if (!p)
			r = -ENOMEM;
		else
			r = walk_dir(ctx, p, &files, 0);
	}
	if (r == 0 && files.n > 1)
		qsort(files.v, files.n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < files.n && r == 0; i++) {
		const char *base = strrchr(files.v[i], '/') + 1;
		struct modset_module *m;

		r = lookup_module_by_name(set, base, &m);
		if (r == 0 && m && !m->builtin)
			r = push_unique(out, m);
	}
	strv_done(&files);
	return r;
}

static int lookup_path(struct modset_set *set, const char *root, struct ptrv *out)
{
	struct modset_ctx *ctx = set->ctx;
	char real[PATH_MAX], realdir[PATH_MAX];
	_cleanup_free_ char *abs = NULL;
	struct modset_module *m;
	size_t dlen;
	int r;

	abs = root[0] == '/' ? strdup(root) : path_join(ctx->moddir, root);
	if (!abs)
		return -ENOMEM;
	if (!realpath(abs, real)) {
		/* A relative path may also be relative to the working directory. */
		if (root[0] == '/' || !realpath(root, real))
			return 0;
	}
	if (!realpath(ctx->moddir, realdir))
		return -errno;
	dlen = strlen(realdir);
	if (strncmp(real, realdir, dlen) != 0 || real[dlen] != '/') {
		ERR(ctx, "%s: outside the module directory %s\n", root, ctx->moddir);
		return -EXDEV;
	}
	r = lookup_module_by_name(set, strrchr(real, '/') + 1, &m);
	if (r < 0 || !m)
		return r;
	return push_unique(out, m);
}

int lookup_root(struct modset_set *set, const char *root, struct ptrv *out)
{
	if (root[0] == '=')
		return lookup_dir(set, root + 1, out);
	if (strchr(root, '/') || is_module_file(root))
		return lookup_path(set, root, out);
	return lookup_target(set, root, out);
}
