/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * From names, aliases, paths and directories to modules of the tree, through kmod's
 * indexes (modules.dep.bin, modules.alias.bin, modules.symbols.bin,
 * modules.builtin.bin, modules.builtin.alias.bin: read by index.c, never by libkmod)
 * and the builtin aliases of modules.builtin.modinfo.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libmodset-private.h"

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


/* The module of the tree called @name (normalized here): a file listed in
 * modules.dep.bin or a builtin in modules.builtin.bin; NULL in *ret if neither.
 *
 * The path comes from the module's modules.dep.bin line, read with the checked
 * walk of index.c (what libkmod's kmod_module_get_path() does too, minus trusting
 * the file, and minus failing the lookup -- with a log line naming a pointer -- when
 * a dependency listed on the line is missing). No libkmod here, nor in the alias
 * lookups of lookup_target(). */
int lookup_module_by_name(struct modset_set *set, const char *name, struct modset_module **ret)
{
	struct modset_ctx *ctx = set->ctx;
	_cleanup_free_ char *path = NULL;
	struct modset_module *m;
	const char *line;
	char buf[PATH_MAX];
	bool builtin = false;
	int r;

	*ret = NULL;
	if (!modset_normalize_name(name, buf, sizeof(buf)) || !buf[0])
		return 0;
	*ret = hmap_get(&set->by_name, buf);
	if (*ret || set_is_excluded(set, buf))
		return 0;
	r = tree_index_lookup(ctx, IDX_DEP, buf, &line);
	if (r < 0)
		return r;
	if (line) {
		size_t n = strcspn(line, ":");

		path = line[n] == ':' && n > 0 ? strndup(line, n) : NULL;
		if (!path) {
			ERR(ctx, "%s/modules.dep.bin: bad entry for '%s'\n", ctx->moddir, buf);
			return -EBADMSG;
		}
		if (path[0] != '/') {
			char *abs = path_join(ctx->moddir, path);

			if (!abs)
				return -ENOMEM;
			free(path);
			path = abs;
		}
		r = module_check_path(ctx, buf, path);
		if (r < 0)
			return r;
		if (access(path, F_OK) < 0) {
			/* Indexed but gone: the tree is out of date. Not in the set; said once. */
			if (hmap_get(&set->gone, buf))
				return 0;
			WARN(ctx, "%s: listed in modules.dep.bin but missing\n", path);
			if ((r = strv_push(&set->gone_names, buf)) < 0)
				return r;
			return hmap_put(&set->gone, set->gone_names.v[set->gone_names.n - 1],
					set->gone_names.v[set->gone_names.n - 1]);
		}
	} else {
		r = tree_index_lookup(ctx, IDX_BUILTIN, buf, &line);
		if (r < 0 || !line)
			return r;
		builtin = true;
	}
	m = set_add(set, buf, path, builtin);
	if (!m)
		return -ENOMEM;
	*ret = m;
	return 0;
}

/* Add the module called @name to @out, unless it is excluded (then *excluded is set:
 * the target named something, on purpose left out) or the tree has none. In
 * --kmod-compat mode, a blacklisted module reached through an alias is left out the
 * same way, as modprobe does (KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY). */
static int take(struct modset_set *set, const char *name, bool via_alias, struct ptrv *out,
		bool *excluded)
{
	struct modset_module *m;
	char buf[PATH_MAX];
	int r;

	if (modset_normalize_name(name, buf, sizeof(buf)) &&
	    (set_is_excluded(set, buf) ||
	     (via_alias && set->blacklist_alias_roots &&
	      strv_contains(&set->ctx->cfg.blacklist, buf)))) {
		*excluded = true;
		return 0;
	}
	r = lookup_module_by_name(set, name, &m);
	if (r < 0 || !m)
		return r;
	return ptrv_push_unique(out, m);
}

/* Builtin aliases (modules.builtin.modinfo): kmod consults them (as
 * modules.builtin.alias.bin) only when no loadable module matched; we add them to any
 * alias's answer (but in --kmod-compat mode), so that a target alias brings every
 * provider. @alias is normalized. */
static int lookup_builtin_alias(struct modset_set *set, const char *alias,
				struct ptrv *out, bool *excluded)
{
	const struct modset_config *cfg = &set->ctx->cfg;
	int r;

	if (strlen(alias) >= PATH_MAX)
		return 0;
	for (size_t i = 0; i < cfg->builtins.n; i++) {
		const struct builtin_info *b = cfg->builtins.v[i];

		for (size_t j = 0; j < b->alias.n; j++) {
			if (strlen(b->alias.v[j]) >= PATH_MAX ||
			    fnmatch(b->alias.v[j], alias, 0) != 0)
				continue;
			r = take(set, b->name, true, out, excluded);
			if (r < 0)
				return r;
			break;
		}
	}
	return 0;
}

/* modprobe.d "alias" lines come first, as in kmod: when one matches, the indexes are
 * not asked (even when the module it names does not exist). @alias is normalized.
 * 1 when a line matched, 0 when none did, or -errno. */
static int lookup_config_alias(struct modset_set *set, const char *alias,
			       struct ptrv *out, bool *excluded)
{
	const struct modset_config *cfg = &set->ctx->cfg;
	bool matched = false;
	int r;

	for (size_t i = 0; i < cfg->n_aliases; i++) {
		if (fnmatch(cfg->aliases[i].pattern, alias, 0) != 0)
			continue;
		matched = true;
		r = take(set, cfg->aliases[i].modname, true, out, excluded);
		if (r < 0)
			return r;
	}
	return matched;
}

/* Every module @vals names, found for @alias in an alias index, in their order
 * (libkmod's kmod_lookup_alias_from_alias_bin()). libkmod makes a module called
 * "NAME\ALIAS" of each, in a PATH_MAX buffer, and fails the whole lookup when one does
 * not fit: 1 then, with nothing taken. */
static int take_values(struct modset_set *set, const char *alias,
		       const struct index_values *vals, struct ptrv *out, bool *excluded)
{
	size_t alen = strlen(alias);
	int r;

	for (size_t i = 0; i < vals->n; i++)
		if (strlen(vals->v[i].value) + alen + 2 > PATH_MAX) {
			ERR(set->ctx, "Could not create module for alias=%s realname=%s: %s\n",
			    alias, vals->v[i].value, strerror(ENAMETOOLONG));
			return 1;
		}
	for (size_t i = 0; i < vals->n; i++) {
		r = take(set, vals->v[i].value, true, out, excluded);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * libkmod 30's kmod_module_new_from_lookup() on the tree's indexes, with our own
 * reader (index.c), after the configuration's aliases (ours, see lookup_target()):
 * the first source that names anything answers, even when what it names is left out
 * or has no file.
 *   1. modules.dep.bin, the alias as a module name (never one with ':'): a loadable
 *      module's name is that module, even when it is also an alias;
 *   2. modules.symbols.bin for "symbol:NAME" (wildcard search);
 *   (3. install/remove commands: none, as for a libkmod context given no configuration)
 *   4. modules.alias.bin (wildcard search: its keys are fnmatch patterns);
 *   5. modules.builtin.bin, the alias as a builtin's name (so an alias of loadable
 *      modules that is also a builtin's name, like "crc32", is those modules);
 *   6. modules.builtin.alias.bin (wildcard search).
 * A missing index answers nothing. Modules found through an alias index are "aliases"
 * for --kmod-compat's blacklist, as in modprobe. Only the nodes each search visits
 * are read and checked. @alias is normalized. *by_name is set when a module name
 * answered (1. or 5.). 0, 1 when libkmod's lookup fails (then nothing is taken), or
 * -errno.
 */
static int lookup_indexes(struct modset_set *set, const char *alias, struct ptrv *out,
			  bool *excluded, bool *by_name)
{
	struct modset_ctx *ctx = set->ctx;
	_cleanup_(index_values_done) struct index_values vals = { 0 };
	const char *line;
	int r;

	*by_name = false;
	if (!strchr(alias, ':')) {
		r = tree_index_lookup(ctx, IDX_DEP, alias, &line);
		*by_name = line;
		if (r < 0 || line)
			return r < 0 ? r : take(set, alias, false, out, excluded);
	}
	if (strncmp(alias, "symbol:", strlen("symbol:")) == 0) {
		r = tree_index_search_wild(ctx, IDX_SYMBOLS, alias, &vals);
		if (r < 0 || vals.n)
			return r < 0 ? r : take_values(set, alias, &vals, out, excluded);
	}
	r = tree_index_search_wild(ctx, IDX_ALIAS, alias, &vals);
	if (r < 0 || vals.n)
		return r < 0 ? r : take_values(set, alias, &vals, out, excluded);
	r = tree_index_lookup(ctx, IDX_BUILTIN, alias, &line);
	*by_name = line;
	if (r < 0 || line)
		return r < 0 ? r : take(set, alias, false, out, excluded);
	r = tree_index_search_wild(ctx, IDX_BUILTIN_ALIAS, alias, &vals);
	if (r < 0 || vals.n)
		return r < 0 ? r : take_values(set, alias, &vals, out, excluded);
	return 0;
}

int lookup_target(struct modset_set *set, const char *target, struct ptrv *out,
		  bool *excluded)
{
	_cleanup_free_ char *alias = NULL;
	size_t before = out->n;
	bool excl = false, by_name;
	int r;

	if (!excluded)
		excluded = &excl;
	/* Every lookup of kmod's starts with the alias normalized; one it rejects
	 * ("a]", "[a") finds nothing anywhere. */
	r = normalize_alias(target, &alias);
	if (r == -EINVAL) {
		DBG(set->ctx, "invalid alias: %s\n", target);
		return 0;
	}
	if (r < 0)
		return r;
	r = lookup_config_alias(set, alias, out, excluded);
	if (r != 0 || out->n > before || *excluded)
		return r < 0 ? r : 0;
	r = lookup_indexes(set, alias, out, excluded, &by_name);
	if (r != 0 || set->compat || by_name)
		return r < 0 ? r : 0;
	r = config_load_builtins(set->ctx);
	if (r == 0 && set->ctx->cfg.builtins.n)
		r = lookup_builtin_alias(set, alias, out, excluded);
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
	if (k < 0) {
		/* "=DIR" naming nothing, or a file: a root that names no module */
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		ERR(ctx, "%s: %s\n", dir, strerror(errno));
		return -errno;
	}
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
static int lookup_dir(struct modset_set *set, const char *dir, struct ptrv *out,
		      bool *excluded)
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
		const char *line;
		char name[PATH_MAX];

		/* Files only: a stray file named like a builtin is not that builtin. */
		if (!modset_normalize_name(base, name, sizeof(name)))
			continue;
		r = tree_index_lookup(ctx, IDX_DEP, name, &line);
		if (r == 0 && line)
			r = take(set, name, false, out, excluded);
	}
	strv_done(&files);
	return r;
}

static int lookup_path(struct modset_set *set, const char *root, struct ptrv *out,
		       bool *excluded)
{
	struct modset_ctx *ctx = set->ctx;
	char real[PATH_MAX], realdir[PATH_MAX];
	_cleanup_free_ char *abs = NULL;
	size_t dlen;

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
	return take(set, strrchr(real, '/') + 1, false, out, excluded);
}

int lookup_root(struct modset_set *set, const char *root, struct ptrv *out, bool *excluded)
{
	if (root[0] == '=')
		return lookup_dir(set, root + 1, out, excluded);
	if (strchr(root, '/') || is_module_file(root))
		return lookup_path(set, root, out, excluded);
	return lookup_target(set, root, out, excluded);
}
