/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * modprobe.d configuration, modules.softdep, modules.weakdep and
 * modules.builtin.modinfo. libkmod keeps only the first softdep line that matches a
 * module; we keep every rule, in kmod's file order, so the closure can merge them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "libmodset-private.h"

/* Token separators: libkmod splits a softdep body on isspace(), so a CRLF file's
 * "\r" separates too. */
#define WS " \t\r\v\f"

struct conf_file {
	char *path;
	const char *base;
};

static int cmp_conf_file(const void *a, const void *b)
{
	const struct conf_file *x = a, *y = b;

	return strcmp(x->base, y->base);
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && streq(s + ls - lx, suffix);
}

/* Add @path unless a file of the same basename is already listed (earlier wins). */
static int conf_add(struct conf_file **files, size_t *n, char *path)
{
	const char *base = strrchr(path, '/');
	struct conf_file *p;

	base = base ? base + 1 : path;
	for (size_t i = 0; i < *n; i++)
		if (streq((*files)[i].base, base)) {
			free(path);
			return 0;
		}
	p = realloc(*files, (*n + 1) * sizeof(**files));
	if (!p) {
		free(path);
		return -ENOMEM;
	}
	*files = p;
	p[*n].path = path;
	p[*n].base = base;
	(*n)++;
	return 0;
}

/* An O_PATH fd of @path, resolved as tree_resolve() says, and its stat: 0 or -errno. */
static int conf_stat(const struct modset_ctx *ctx, const char *path, struct stat *st)
{
	enum fs_resolve how;
	const char *rel;
	int dirfd, fd, r = 0;

	tree_resolve(ctx, path, &dirfd, &rel, &how);
	fd = fs_openat(dirfd, rel, O_PATH, how);
	if (fd < 0)
		return fd;
	if (fstat(fd, st) < 0)
		r = -errno;
	close(fd);
	return r;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in directory @path (resolved as tree_resolve() says), sorted: 0 or -errno. */
static int list_dir(const struct modset_ctx *ctx, const char *path, struct strv *names)
{
	enum fs_resolve how;
	const char *rel;
	struct dirent *de;
	DIR *d;
	int dirfd, fd, r = 0;

	tree_resolve(ctx, path, &dirfd, &rel, &how);
	fd = fs_openat(dirfd, rel, O_RDONLY | O_DIRECTORY, how);
	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	while (r == 0 && (errno = 0, de = readdir(d)))
		r = strv_push(names, de->d_name);
	if (r == 0 && errno)
		r = -errno;
	closedir(d);
	if (names->n > 1)
		qsort(names->v, names->n, sizeof(char *), cmp_name);
	return r;
}

static int conf_add_path(struct modset_ctx *ctx, struct conf_file **files, size_t *n,
			 const char *path, bool explicit)
{
	struct strv names = { 0 };
	struct stat st;
	int k, r = 0;

	k = conf_stat(ctx, path, &st);
	if (k < 0) {
		if (explicit)
			WARN(ctx, "%s: %s\n", path, strerror(-k));
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		char *p = strdup(path);

		return p ? conf_add(files, n, p) : -ENOMEM;
	}
	k = list_dir(ctx, path, &names);
	if (k == -ENOMEM) {
		strv_done(&names);
		return k;
	}
	if (k < 0) {
		WARN(ctx, "%s: %s\n", path, strerror(-k));
		strv_done(&names);
		return 0;
	}
	for (size_t i = 0; i < names.n && r == 0; i++) {
		const char *name = names.v[i];

		/* kmod < 33 also reads *.alias. Which kmod the target has is told by the
		 * tree: depmod >= 33 always writes modules.weakdep. */
		if (name[0] != '.' &&
		    (has_suffix(name, ".conf") ||
		     (has_suffix(name, ".alias") && !ctx->cfg.have_modules_weakdep))) {
			char *p = path_join(path, name);

			if (!p)
				r = -ENOMEM;
			else if (conf_stat(ctx, p, &st) == 0 && S_ISDIR(st.st_mode))
				free(p);
			else
				r = conf_add(files, n, p);
		}
	}
	strv_done(&names);
	return r;
}

static int add_softdep_rule(struct modset_config *cfg, struct softdep_rule *r)
{
	if (cfg->n_softdeps == cfg->alloc_softdeps) {
		size_t n = cfg->alloc_softdeps ? cfg->alloc_softdeps * 2 : 16;
		struct softdep_rule *p = realloc(cfg->softdeps, n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		cfg->softdeps = p;
		cfg->alloc_softdeps = n;
	}
	cfg->softdeps[cfg->n_softdeps++] = *r;
	return 0;
}

static int add_weakdep_rule(struct modset_config *cfg, struct weakdep_rule *r)
{
	if (cfg->n_weakdeps == cfg->alloc_weakdeps) {
		size_t n = cfg->alloc_weakdeps ? cfg->alloc_weakdeps * 2 : 16;
		struct weakdep_rule *p = realloc(cfg->weakdeps, n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		cfg->weakdeps = p;
		cfg->alloc_weakdeps = n;
	}
	cfg->weakdeps[cfg->n_weakdeps++] = *r;
	return 0;
}

static int add_alias_rule(struct modset_config *cfg, const char *alias, const char *modname)
{
	struct alias_rule r = { strdup(alias), strdup(modname) };

	if (r.pattern && r.modname && cfg->n_aliases == cfg->alloc_aliases) {
		size_t n = cfg->alloc_aliases ? cfg->alloc_aliases * 2 : 16;
		struct alias_rule *p = realloc(cfg->aliases, n * sizeof(*p));

		if (p) {
			cfg->aliases = p;
			cfg->alloc_aliases = n;
		}
	}
	if (!r.pattern || !r.modname || cfg->n_aliases == cfg->alloc_aliases) {
		free(r.pattern);
		free(r.modname);
		return -ENOMEM;
	}
	cfg->aliases[cfg->n_aliases++] = r;
	return 0;
}

void softdep_rule_done(struct softdep_rule *r)
{
	free(r->pattern);
	strv_done(&r->pre);
	strv_done(&r->post);
	strv_done(&r->untagged);
}

int softdep_parse_body(struct softdep_rule *rule, char *body)
{
	struct strv *cur = &rule->untagged;
	char *save = NULL;

	for (char *tok = strtok_r(body, WS, &save); tok; tok = strtok_r(NULL, WS, &save)) {
		int r;

		if (streq(tok, "pre:"))
			cur = &rule->pre;
		else if (streq(tok, "post:"))
			cur = &rule->post;
		else if ((r = strv_push(cur, tok)) < 0)
			return r;
	}
	return 0;
}

/* kmod's underscores(): '-' -> '_' outside brackets; an open bracket must close. */
static bool normalize_pattern(char *s)
{
	for (; *s; s++) {
		if (*s == '[') {
			s += strcspn(s, "]");
			if (!*s)
				return false;
		} else if (*s == '-') {
			*s = '_';
		}
	}
	return true;
}

static bool is_known_command(const char *cmd)
{
	static const char *const known[] = { "options", "remove" };

	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (streq(cmd, known[i]))
			return true;
	return false;
}

/* Minimum number of arguments after the command. */
static int min_args(const char *cmd)
{
	if (streq(cmd, "options") || streq(cmd, "remove"))
		return 2;
	return 1;
}

static int parse_line(struct modset_ctx *ctx, const char *file, unsigned int lineno,
		      char *line)
{
	struct modset_config *cfg = &ctx->cfg;
	char *save = NULL, *cmd, *modname, *rest;
	int r;

	while (*line == ' ' || *line == '\t')
		line++;
	if (*line == '\0' || *line == '#')
		return 0;
	cmd = strtok_r(line, WS, &save);
	if (!cmd)
		return 0;

	if (streq(cmd, "softdep")) {
		struct softdep_rule rule = { .file = file, .line = lineno };

		modname = strtok_r(NULL, WS, &save);
		rest = strtok_r(NULL, "", &save);
		if (!modname || !rest || !normalize_pattern(modname))
			goto bad;
		rule.pattern = strdup(modname);
		if (!rule.pattern)
			return -ENOMEM;
		r = softdep_parse_body(&rule, rest);
		if (r == 0)
			r = add_softdep_rule(cfg, &rule);
		if (r < 0)
			softdep_rule_done(&rule);
		return r;
	}
	if (streq(cmd, "weakdep")) {
		struct weakdep_rule rule = { .file = file, .line = lineno };
		char *tok;

		modname = strtok_r(NULL, WS, &save);
		if (!modname || !normalize_pattern(modname))
			goto bad;
		rule.pattern = strdup(modname);
		if (!rule.pattern)
			return -ENOMEM;
		while ((tok = strtok_r(NULL, WS, &save)))
			if ((r = strv_push(&rule.deps, tok)) < 0)
				break;
		if (rule.deps.n == 0) {
			free(rule.pattern);
			goto bad;
		}
		r = add_weakdep_rule(cfg, &rule);
		if (r < 0) {
			free(rule.pattern);
			strv_done(&rule.deps);
		}
		return r;
	}
	if (streq(cmd, "alias")) {
		char *alias = strtok_r(NULL, WS, &save);

		modname = strtok_r(NULL, WS, &save);
		if (!alias || !modname || !normalize_pattern(alias) || !normalize_pattern(modname))
			goto bad;
		return add_alias_rule(cfg, alias, modname);
	}
	if (streq(cmd, "blacklist")) {
		modname = strtok_r(NULL, WS, &save);
		if (!modname || !normalize_pattern(modname))
			goto bad;
		return strv_push(&cfg->blacklist, modname);
	}
	if (streq(cmd, "install")) {
		modname = strtok_r(NULL, WS, &save);
		if (!modname || !strtok_r(NULL, WS, &save) || !normalize_pattern(modname))
			goto bad;
		return strv_push(&cfg->install, modname);
	}
	if (is_known_command(cmd)) {
		int need = min_args(cmd);

		for (int i = 0; i < need; i++)
			if (!strtok_r(NULL, WS, &save))
				goto bad;
		return 0;
	}
	if (streq(cmd, "include") || streq(cmd, "config")) {
		cfg->warnings++;
		WARN(ctx, "%s:%u: command '%s' is not supported by kmod, line ignored\n",
		     file, lineno, cmd);
		return 0;
	}
bad:
	cfg->warnings++;
	WARN(ctx, "%s:%u: ignoring malformed line starting with '%s'\n", file, lineno, cmd);
	return 0;
}

/* Lines with a trailing backslash continue on the next line (kmod's rule). */
static int parse_file(struct modset_ctx *ctx, const char *path)
{
	_cleanup_free_ char *buf = NULL;
	enum fs_resolve how;
	const char *rel, *why;
	int dirfd;
	char *p, *end;
	unsigned int lineno = 0;
	size_t len;
	int r;

	tree_resolve(ctx, path, &dirfd, &rel, &how);
	r = fs_read_file(dirfd, rel, how, FS_TEXT_MAX, &buf, &len, &why);
	if (r < 0) {
		WARN(ctx, "%s: %s\n", path, why ? why : strerror(-r));
		ctx->cfg.warnings++;
		return 1; /* not read: not listed */
	}
	for (p = buf, end = buf + len; p < end;) {
		char *nl, *w = p, *line = p;
		unsigned int first = lineno + 1;

		/* Join continuation lines in place. */
		for (;;) {
			nl = memchr(p, '\n', end - p);
			lineno++;
			if (!nl)
				nl = end;
			if (nl > p && nl[-1] == '\\') {
				memmove(w, p, nl - 1 - p);
				w += nl - 1 - p;
				p = nl + 1;
				if (p >= end)
					break;
				continue;
			}
			memmove(w, p, nl - p);
			w += nl - p;
			p = nl + 1;
			break;
		}
		*w = '\0';
		/* As in libkmod, which reads lines as C strings: a NUL ends the line. */
		if (strlen(line) != (size_t)(w - line)) {
			ctx->cfg.warnings++;
			WARN(ctx, "%s:%u: NUL byte, rest of the line ignored\n", path, first);
		}
		r = parse_line(ctx, path, first, line);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool is_glob(const char *p)
{
	return strpbrk(p, "*?[") != NULL;
}

static int index_add(struct rule_index *ri, const char *pattern, size_t n)
{
	void *num = (void *)(uintptr_t)(n + 1);
	struct ptrv *list;
	int r;

	if (is_glob(pattern))
		return ptrv_push(&ri->glob, num);
	list = hmap_get(&ri->exact, pattern);
	if (!list) {
		list = calloc(1, sizeof(*list));
		if (!list)
			return -ENOMEM;
		if (ptrv_push(&ri->lists, list) < 0) {
			free(list);
			return -ENOMEM;
		}
		/* from here on, index_done() frees it */
		if ((r = hmap_put(&ri->exact, pattern, list)) < 0)
			return r;
	}
	return ptrv_push(list, num);
}

static void index_done(struct rule_index *ri)
{
	for (size_t i = 0; i < ri->lists.n; i++) {
		ptrv_done(ri->lists.v[i]);
		free(ri->lists.v[i]);
	}
	ptrv_done(&ri->lists);
	hmap_done(&ri->exact);
	ptrv_done(&ri->glob);
}

static int build_indexes(struct modset_config *cfg)
{
	int r = 0;

	for (size_t i = 0; i < cfg->n_softdeps && r == 0; i++)
		r = index_add(&cfg->softdep_index, cfg->softdeps[i].pattern, i);
	for (size_t i = 0; i < cfg->n_weakdeps && r == 0; i++)
		r = index_add(&cfg->weakdep_index, cfg->weakdeps[i].pattern, i);
	return r;
}

/* Merge the exact-name rules and the matching glob rules, both in file order. */
static int match(const struct modset_config *cfg, const struct rule_index *ri,
		 const char *(*pattern)(const struct modset_config *, size_t), const char *name,
		 struct ptrv *out)
{
	const struct ptrv *exact = hmap_get(&ri->exact, name);
	size_t i = 0, k = 0;
	int r = 0;

	out->n = 0;
	while (r == 0 && (i < (exact ? exact->n : 0) || k < ri->glob.n)) {
		uintptr_t a = exact && i < exact->n ? (uintptr_t)exact->v[i] : UINTPTR_MAX;
		uintptr_t b = k < ri->glob.n ? (uintptr_t)ri->glob.v[k] : UINTPTR_MAX;

		if (a < b) {
			r = ptrv_push(out, (void *)(a - 1));
			i++;
			continue;
		}
		k++;
		if (fnmatch(pattern(cfg, b - 1), name, 0) == 0)
			r = ptrv_push(out, (void *)(b - 1));
	}
	return r;
}

static const char *softdep_pattern(const struct modset_config *cfg, size_t i)
{
	return cfg->softdeps[i].pattern;
}

static const char *weakdep_pattern(const struct modset_config *cfg, size_t i)
{
	return cfg->weakdeps[i].pattern;
}

int config_match_softdeps(const struct modset_config *cfg, const char *name, struct ptrv *out)
{
	return match(cfg, &cfg->softdep_index, softdep_pattern, name, out);
}

int config_match_weakdeps(const struct modset_config *cfg, const char *name, struct ptrv *out)
{
	return match(cfg, &cfg->weakdep_index, weakdep_pattern, name, out);
}

static const char *const default_dirs[] = { "etc/modprobe.d", "run/modprobe.d",
					    "usr/local/lib/modprobe.d", "usr/lib/modprobe.d",
					    "lib/modprobe.d" };

int config_load(struct modset_ctx *ctx)
{
	struct conf_file *files = NULL;
	_cleanup_free_ char *weakdep_file = path_join(ctx->moddir, "modules.weakdep");
	struct stat st;
	size_t n = 0;
	int r = 0;

	if (!weakdep_file)
		return -ENOMEM;
	/* Known before the directories are read: it decides whether *.alias files are. */
	ctx->cfg.have_modules_weakdep =
		conf_stat(ctx, weakdep_file, &st) == 0 && S_ISREG(st.st_mode);
	if (ctx->config_paths) {
		for (char **p = ctx->config_paths; *p && r == 0; p++)
			r = conf_add_path(ctx, &files, &n, *p, true);
	} else if (!ctx->sysroot[0]) {
		INFO(ctx, "%s: not under [/usr]/lib/modules: no sysroot, no default modprobe.d\n",
		     ctx->moddir);
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(default_dirs) && r == 0; i++) {
			_cleanup_free_ char *d = path_join(ctx->sysroot, default_dirs[i]);

			r = d ? conf_add_path(ctx, &files, &n, d, false) : -ENOMEM;
		}
	}
	/* The tree's modules.softdep / modules.weakdep join the list by basename. */
	for (size_t i = 0; i < 2 && r == 0; i++) {
		const char *name = i == 0 ? "modules.softdep" : "modules.weakdep";
		char *p = path_join(ctx->moddir, name);

		if (!p)
			r = -ENOMEM;
		else if (i == 1 ? !ctx->cfg.have_modules_weakdep
				: conf_stat(ctx, p, &st) < 0 || !S_ISREG(st.st_mode))
			free(p);
		else
			r = conf_add(&files, &n, p);
	}
	if (r == 0 && n > 1)
		qsort(files, n, sizeof(*files), cmp_conf_file);
	for (size_t i = 0; i < n; i++) {
		if (r == 0)
			r = strv_push_take(&ctx->config_files, files[i].path);
		else
			free(files[i].path);
	}
	free(files);
	if (r < 0)
		return r;
	for (size_t i = 0, j = 0, n_files = ctx->config_files.n; i < n_files; i++) {
		r = parse_file(ctx, ctx->config_files.v[j]);
		if (r < 0)
			return r;
		if (r == 0) {
			j++;
			continue;
		}
		/* unread (no rule borrows its name): out of the list of files read */
		free(ctx->config_files.v[j]);
		memmove(&ctx->config_files.v[j], &ctx->config_files.v[j + 1],
			(ctx->config_files.n - j) * sizeof(char *));
		ctx->config_files.n--;
	}
	r = build_indexes(&ctx->cfg);
	if (r < 0)
		return r;

	return 0;
}

/* modules.builtin.modinfo: builtins' softdeps, weakdeps, firmware and aliases, which
 * depmod never indexes. Read on first use: most runs meet no builtin. */
int config_load_builtins(struct modset_ctx *ctx)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ char *buf = NULL;
	const char *why;
	size_t len;
	int r;

	if (ctx->cfg.builtins_loaded)
		return 0;
	path = path_join(ctx->moddir, "modules.builtin.modinfo");
	if (!path)
		return -ENOMEM;
	r = fs_read_file(ctx->treefd, "modules.builtin.modinfo", FS_BENEATH, FS_INDEX_MAX, &buf,
			 &len, &why);
	if (r == -ENOENT)
		r = 0;
	else if (r < 0)
		ERR(ctx, "%s: %s\n", path, why ? why : strerror(-r));
	else if ((r = builtin_modinfo_parse(&ctx->cfg, buf, len)) < 0)
		ERR(ctx, "%s: %s\n", path, strerror(-r));
	if (r == 0)
		ctx->cfg.builtins_loaded = true;
	return r;
}

static struct builtin_info *builtin_get(struct modset_config *cfg, const char *name,
					size_t len)
{
	struct builtin_info *b;
	char key[256];

	if (len == 0 || len >= sizeof(key))
		return NULL;
	memcpy(key, name, len);
	key[len] = '\0';
	normalize_inplace(key, false);
	b = hmap_get(&cfg->builtin_by_name, key);
	if (b)
		return b;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->name = strdup(key);
	if (!b->name || ptrv_push(&cfg->builtins, b) < 0) {
		free(b->name);
		free(b);
		return NULL;
	}
	if (hmap_put(&cfg->builtin_by_name, b->name, b) < 0)
		return NULL;
	return b;
}

static const struct {
	const char *key;
	size_t off;
} builtin_keys[] = {
	{ "softdep", offsetof(struct builtin_info, softdep) },
	{ "weakdep", offsetof(struct builtin_info, weakdep) },
	{ "firmware", offsetof(struct builtin_info, firmware) },
	{ "alias", offsetof(struct builtin_info, alias) },
};

/* NUL-separated "modname.key=value" records. */
int builtin_modinfo_parse(struct modset_config *cfg, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *rec = p, *nul = memchr(p, '\0', end - p);
		const char *dot, *eq;
		struct builtin_info *b;
		struct strv *v;
		size_t klen, k;
		int r;

		if (!nul)
			nul = end;
		p = nul + 1;
		dot = memchr(rec, '.', nul - rec);
		eq = dot ? memchr(dot, '=', nul - dot) : NULL;
		if (!dot || !eq || dot == rec || dot - rec >= 256)
			continue;
		klen = eq - dot - 1;
		for (k = 0; k < ARRAY_SIZE(builtin_keys); k++)
			if (strlen(builtin_keys[k].key) == klen &&
			    !memcmp(dot + 1, builtin_keys[k].key, klen))
				break;
		if (k == ARRAY_SIZE(builtin_keys))
			continue;
		b = builtin_get(cfg, rec, dot - rec);
		if (!b)
			return -ENOMEM;
		v = (struct strv *)((char *)b + builtin_keys[k].off);
		r = strv_push_take(v, strndup(eq + 1, nul - eq - 1));
		if (r < 0)
			return r;
		/* aliases are fnmatch patterns for normalized aliases: normalized once */
		if (v == &b->alias)
			normalize_inplace(v->v[v->n - 1], false);
	}
	return 0;
}

void config_done(struct modset_config *cfg)
{
	for (size_t i = 0; i < cfg->n_softdeps; i++)
		softdep_rule_done(&cfg->softdeps[i]);
	free(cfg->softdeps);
	for (size_t i = 0; i < cfg->n_weakdeps; i++) {
		free(cfg->weakdeps[i].pattern);
		strv_done(&cfg->weakdeps[i].deps);
	}
	free(cfg->weakdeps);
	index_done(&cfg->softdep_index);
	index_done(&cfg->weakdep_index);
	for (size_t i = 0; i < cfg->n_aliases; i++) {
		free(cfg->aliases[i].pattern);
		free(cfg->aliases[i].modname);
	}
	free(cfg->aliases);
	strv_done(&cfg->blacklist);
	strv_done(&cfg->install);
	for (size_t i = 0; i < cfg->builtins.n; i++) {
		struct builtin_info *b = cfg->builtins.v[i];

		free(b->name);
		strv_done(&b->softdep);
		strv_done(&b->weakdep);
		strv_done(&b->firmware);
		strv_done(&b->alias);
		free(b);
	}
	ptrv_done(&cfg->builtins);
	hmap_done(&cfg->builtin_by_name);
	*cfg = (struct modset_config){ 0 };
}
