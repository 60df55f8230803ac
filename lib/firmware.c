/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Firmware files of a set: every firmware= name of every module (builtins too) looked
 * up in the firmware directories the way the kernel's loader does (first directory
 * that has it; the name, then NAME.zst, then NAME.xz), glob names matching every file.
 * A file that is a symlink stays a symlink; what it points to is included too, and
 * must stay inside the same firmware directory: nothing outside the firmware
 * directories is ever an item. A symlink loop, which the kernel cannot open
 * (ELOOP), is passed over like a missing file, and named in the missing item.
 */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libmodset-private.h"

/* symlinks followed at most in one lookup, as the kernel (MAXSYMLINKS) */
#define LINK_MAX_DEPTH 40

struct fw_item {
	char *name;    /* as asked for (a glob's match: its path below the directory) */
	char *relpath; /* below the firmware root */
	char *path;    /* absolute */
	char *link;    /* symlink target, relative, or NULL for a file */
	struct strv from;
};

struct fw_missing {
	char *name;
	const char *from; /* borrowed from the set */
	char *loop;	  /* a symlink loop met looking it up, or NULL */
};

struct modset_firmware {
	int refcount;
	struct modset_set *set;
	struct ptrv items;   /* struct fw_item *, sorted by relpath at the end */
	struct hmap by_rel;  /* relpath -> item */
	struct fw_missing *missing;
	size_t n_missing, alloc_missing;
	size_t n_dirs; /* directories that exist */
};

/* A firmware search directory: ROOT/SUB; items are named below ROOT. */
struct fw_dir {
	char *root; /* canonical */
	char *sub;  /* "" or "updates/KVER", ... */
};

static void fw_item_free(struct fw_item *it)
{
	if (!it)
		return;
	free(it->name);
	free(it->relpath);
	free(it->path);
	free(it->link);
	strv_done(&it->from);
	free(it);
}

MODSET_EXPORT struct modset_firmware *modset_firmware_unref(struct modset_firmware *fw)
{
	if (!fw || --fw->refcount > 0)
		return NULL;
	for (size_t i = 0; i < fw->items.n; i++)
		fw_item_free(fw->items.v[i]);
	ptrv_done(&fw->items);
	hmap_done(&fw->by_rel);
	for (size_t i = 0; i < fw->n_missing; i++) {
		free(fw->missing[i].name);
		free(fw->missing[i].loop);
	}
	free(fw->missing);
	modset_set_unref(fw->set);
	free(fw);
	return NULL;
}

MODSET_EXPORT struct modset_firmware *modset_firmware_ref(struct modset_firmware *fw)
{
	if (fw)
		fw->refcount++;
	return fw;
}

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* Lexically normalize @rel (relative): drop "." and empty parts, fold "..".
 * NULL when it climbs above its start (or on ENOMEM: errno tells). */
static char *rel_normalize(const char *rel)
{
	char *out = malloc(strlen(rel) + 1), *copy = strdup(rel), *save = NULL;
	size_t len = 0;

	if (!out || !copy) {
		free(out);
		free(copy);
		errno = ENOMEM;
		return NULL;
	}
	for (char *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (streq(t, "."))
			continue;
		if (streq(t, "..")) {
			if (len == 0) {
				free(out);
				free(copy);
				errno = EXDEV;
				return NULL;
			}
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--; /* the slash */
			continue;
		}
		if (len)
			out[len++] = '/';
		memcpy(out + len, t, strlen(t));
		len += strlen(t);
	}
	out[len] = '\0';
	free(copy);
	if (len == 0) {
		free(out);
		errno = EXDEV;
		return NULL;
	}
	return out;
}

static int add_from(struct fw_item *it, const char *from)
{
	if (!from || strv_contains(&it->from, from))
		return 0;
	return strv_push(&it->from, from);
}

/* Relative path from the directory of @from_rel to @to_rel (both below one root). */
static char *rel_link(const char *from_rel, const char *to_rel)
{
	const char *a = from_rel, *b = to_rel;
	size_t common = 0, ups = 0, len;
	char *out;

	/* common leading directories */
	for (size_t i = 0; a[i] && a[i] == b[i]; i++)
		if (a[i] == '/')
			common = i + 1;
	for (const char *p = a + common; *p; p++)
		if (*p == '/')
			ups++;
	len = ups * 3 + strlen(b + common) + 1;
	out = malloc(len);
	if (!out)
		return NULL;
	out[0] = '\0';
	for (size_t i = 0; i < ups; i++)
		strcat(out, "../");
	strcat(out, b + common);
	return out;
}

/* @p (absolute) is ROOT or below it. */
static bool under_root(const struct fw_dir *d, const char *p)
{
	size_t rootlen = strlen(d->root);

	return strncmp(p, d->root, rootlen) == 0 && (p[rootlen] == '/' || p[rootlen] == '\0');
}

/* One step of a symlink chain: ROOT/@rel, a symlink to @link or the file it ends in. */
struct fw_step {
	char *rel;
	char *link; /* relative to the directory of @rel; NULL for the file */
};

/*
 * Check ROOT/@rel: the directories on the way must not lead out of ROOT, and it
 * must be a regular file or a symlink (*is_link then set). 0; -ELOOP, not logged,
 * when the path loops (a directory symlink loop); another -errno, logged.
 */
static int check_step(struct modset_ctx *ctx, const struct fw_dir *d, const char *rel,
		      bool *is_link)
{
	_cleanup_free_ char *path = path_join(d->root, rel);
	_cleanup_free_ char *dir = NULL, *real = NULL;
	struct stat st;
	char *slash;
	int r;

	if (!path)
		return -ENOMEM;
	if (lstat(path, &st) < 0) {
		r = -errno;
		if (r != -ELOOP)
			ERR(ctx, "%s: %s\n", path, strerror(-r));
		return r;
	}
	dir = strdup(path);
	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	*slash = '\0';
	real = realpath(dir, NULL);
	if (!real) {
		r = -errno;
		if (r != -ELOOP)
			ERR(ctx, "%s: %s\n", dir, strerror(-r));
		return r;
	}
	if (!under_root(d, real)) {
		ERR(ctx, "%s: leads outside the firmware directory %s\n", path, d->root);
		return -EXDEV;
	}
	if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
		ERR(ctx, "%s: not a regular file\n", path);
		return -EINVAL;
	}
	*is_link = S_ISLNK(st.st_mode);
	return 0;
}

/*
 * The target of the symlink ROOT/@rel, as a path below ROOT (*ret): a relative
 * target is taken from the link's directory, an absolute one below the sysroot;
 * either must stay inside ROOT, and must exist. 0; -ELOOP, not logged, when the
 * target's path loops; another -errno, logged (-EXDEV outside ROOT, -ENOENT
 * dangling).
 */
static int link_target(struct modset_ctx *ctx, const struct fw_dir *d, const char *rel,
		       char **ret)
{
	_cleanup_free_ char *path = path_join(d->root, rel);
	_cleanup_free_ char *joined = NULL, *trel = NULL, *tpath = NULL;
	const char *slash = strrchr(rel, '/');
	size_t rootlen = strlen(d->root);
	char target[PATH_MAX];
	struct stat tst;
	ssize_t n;
	int r;

	if (!path)
		return -ENOMEM;
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		r = -errno;
		ERR(ctx, "%s: %s\n", path, strerror(-r));
		return r;
	}
	target[n] = '\0';
	if (target[0] == '/') {
		/* absolute: meant inside the sysroot */
		const char *sysroot = modset_get_sysroot(ctx);
		_cleanup_free_ char *abs = streq(sysroot, "/") ? strdup(target)
						 : path_join(sysroot, target);
		_cleanup_free_ char *rabs = NULL;
		char *s;

		if (!abs)
			return -ENOMEM;
		/* its directory, canonical, must be below the root */
		s = strrchr(abs, '/');
		*s = '\0';
		rabs = realpath(abs[0] ? abs : "/", NULL);
		r = rabs ? 0 : -errno;
		*s = '/';
		if (r == -ELOOP || r == -ENOMEM)
			return r;
		if (r < 0 && under_root(d, abs)) {
			ERR(ctx, "%s: dangling symlink to %s (%s)\n", path, target,
			    strerror(-r));
			return r;
		}
		if (r < 0 || !under_root(d, rabs)) {
			ERR(ctx, "%s: symlink to %s, outside the firmware directory %s\n", path,
			    target, d->root);
			return -EXDEV;
		}
		if (asprintf(&joined, "%s%s", rabs + rootlen + (rabs[rootlen] == '/'), s) < 0) {
			joined = NULL;
			return -ENOMEM;
		}
	} else if (asprintf(&joined, "%.*s%s", slash ? (int)(slash - rel + 1) : 0, rel,
			    target) < 0) {
		joined = NULL;
		return -ENOMEM;
	}
	trel = rel_normalize(joined[0] == '/' ? joined + 1 : joined);
	if (!trel) {
		if (errno == ENOMEM)
			return -ENOMEM;
		ERR(ctx, "%s: symlink to %s, outside the firmware directory %s\n", path, target,
		    d->root);
		return -EXDEV;
	}
	tpath = path_join(d->root, trel);
	if (!tpath)
		return -ENOMEM;
	if (lstat(tpath, &tst) < 0) {
		r = -errno;
		if (r != -ELOOP)
			ERR(ctx, "%s: dangling symlink to %s (%s)\n", path, target,
			    strerror(-r));
		return r;
	}
	*ret = TAKE_PTR(trel);
	return 0;
}

/*
 * The symlink chain from ROOT/@rel to the regular file it ends in: @chain, *n
 * steps (at most LINK_MAX_DEPTH + 1). 0; -ELOOP, not logged, when the chain comes
 * back on itself or takes more than LINK_MAX_DEPTH links (the kernel's loader gets
 * ELOOP: the firmware is missing, not the input corrupt); another -errno, logged.
 */
static int walk_chain(struct modset_ctx *ctx, const struct fw_dir *d, const char *rel,
		      struct fw_step *chain, size_t *n)
{
	char *cur = strdup(rel);
	int r;

	*n = 0;
	if (!cur)
		return -ENOMEM;
	for (;;) {
		bool is_link = false;

		for (size_t k = 0; k < *n; k++)
			if (streq(chain[k].rel, cur)) {
				free(cur);
				return -ELOOP;
			}
		if (*n > LINK_MAX_DEPTH) {
			free(cur);
			return -ELOOP;
		}
		chain[(*n)++].rel = cur;
		r = check_step(ctx, d, cur, &is_link);
		if (r < 0 || !is_link)
			return r;
		r = link_target(ctx, d, cur, &cur);
		if (r < 0)
			return r;
		chain[*n - 1].link = rel_link(chain[*n - 1].rel, cur);
		if (!chain[*n - 1].link) {
			free(cur);
			return -ENOMEM;
		}
	}
}

/*
 * Add the file ROOT/@rel wanted by @from as @name; a symlink stays one, and the
 * files of its chain are added too (named by their path below ROOT), each wanted
 * by @from. 0; -ELOOP, not logged, for a symlink loop (see walk_chain()); another
 * -errno, logged.
 */
static int add_file(struct modset_firmware *fw, const struct fw_dir *d, const char *name,
		    const char *rel, const char *from)
{
	struct fw_step chain[LINK_MAX_DEPTH + 1] = { 0 };
	size_t n = 0;
	int r;

	r = walk_chain(fw->set->ctx, d, rel, chain, &n);
	for (size_t i = 0; i < n && r == 0; i++) {
		struct fw_item *it = hmap_get(&fw->by_rel, chain[i].rel);

		if (it) {
			r = add_from(it, from);
			continue;
		}
		it = calloc(1, sizeof(*it));
		if (!it) {
			r = -ENOMEM;
			break;
		}
		it->name = strdup(i == 0 ? name : chain[i].rel);
		it->path = path_join(d->root, chain[i].rel);
		it->relpath = TAKE_PTR(chain[i].rel);
		it->link = TAKE_PTR(chain[i].link);
		if (!it->name || !it->path || add_from(it, from) < 0 ||
		    ptrv_push(&fw->items, it) < 0) {
			fw_item_free(it);
			r = -ENOMEM;
			break;
		}
		if (hmap_put(&fw->by_rel, it->relpath, it) < 0)
			r = -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		free(chain[i].rel);
		free(chain[i].link);
	}
	return r;
}

/* A loop met at @path: the first one is kept in *loop. 0 or -ENOMEM. */
static int note_loop(char **loop, const char *path)
{
	if (*loop)
		return 0;
	*loop = strdup(path);
	return *loop ? 0 : -ENOMEM;
}

/*
 * Look @name (wanted by @from) up; *found set when something matched. A candidate
 * that is a symlink loop is passed over, as the kernel's loader passes over a
 * path it cannot open, and the first one met is given in *loop (the caller frees
 * it; NULL when none) to say why a name is missing.
 */
static int lookup_name(struct modset_firmware *fw, const struct fw_dir *dirs, size_t n_dirs,
		       const char *name, const char *from, bool *found, char **loop)
{
	static const char *const sfx[] = { "", ".zst", ".xz" };
	bool glob_name = has_glob(name);
	int r;

	*found = false;
	for (size_t i = 0; i < n_dirs; i++) {
		const struct fw_dir *d = &dirs[i];
		_cleanup_free_ char *base = d->sub[0] ? path_join(d->root, d->sub)
						      : strdup(d->root);

		if (!base)
			return -ENOMEM;
		for (size_t k = 0; k < ARRAY_SIZE(sfx); k++) {
			_cleanup_free_ char *pat = NULL;
			glob_t g = { 0 };

			if (asprintf(&pat, "%s/%s%s", base, name, sfx[k]) < 0) {
				pat = NULL;
				return -ENOMEM;
			}
			if (!glob_name) {
				struct stat st;

				if (lstat(pat, &st) < 0) {
					if (errno == ELOOP && note_loop(loop, pat) < 0)
						return -ENOMEM;
					continue;
				}
				if (S_ISDIR(st.st_mode))
					continue;
				r = add_file(fw, d, name, pat + strlen(d->root) + 1, from);
				if (r == -ELOOP) {
					if (note_loop(loop, pat) < 0)
						return -ENOMEM;
					continue;
				}
				*found = r == 0;
				return r;
			}
			if (glob(pat, GLOB_NOSORT, NULL, &g) != 0) {
				globfree(&g);
				continue;
			}
			r = 0;
			for (size_t j = 0; j < g.gl_pathc && r == 0; j++) {
				const char *p = g.gl_pathv[j];
				struct stat st;

				if (lstat(p, &st) < 0 || S_ISDIR(st.st_mode))
					continue;
				r = add_file(fw, d, p + strlen(base) + 1, p + strlen(d->root) + 1,
					     from);
				if (r == -ELOOP)
					r = note_loop(loop, p);
				else if (r == 0)
					*found = true;
			}
			globfree(&g);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int add_missing(struct modset_firmware *fw, const char *name, const char *from,
		       char *loop)
{
	if (fw->n_missing == fw->alloc_missing) {
		size_t n = fw->alloc_missing ? fw->alloc_missing * 2 : 8;
		struct fw_missing *p = realloc(fw->missing, n * sizeof(*p));

		if (!p) {
			free(loop);
			return -ENOMEM;
		}
		fw->missing = p;
		fw->alloc_missing = n;
	}
	fw->missing[fw->n_missing].name = strdup(name);
	if (!fw->missing[fw->n_missing].name) {
		free(loop);
		return -ENOMEM;
	}
	fw->missing[fw->n_missing].loop = loop;
	fw->missing[fw->n_missing++].from = from;
	return 0;
}

static int cmp_item(const void *a, const void *b)
{
	const struct fw_item *x = *(void *const *)a, *y = *(void *const *)b;

	return strcmp(x->relpath, y->relpath);
}

static int cmp_missing(const void *a, const void *b)
{
	const struct fw_missing *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->from, y->from);
}

static void dirs_free(struct fw_dir *dirs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(dirs[i].root);
		free(dirs[i].sub);
	}
	free(dirs);
}

/* The search list: @given (each its own root), or the kernel's defaults under the
 * sysroot, lib/firmware and usr/lib/firmware (once when one is a link to the other). */
static int make_dirs(struct modset_ctx *ctx, const char *const *given, struct fw_dir **ret,
		     size_t *ret_n)
{
	const char *kver = modset_get_kver(ctx), *sysroot = modset_get_sysroot(ctx);
	struct fw_dir *dirs;
	size_t n = 0, cap;
	char *roots[2] = { 0 };
	size_t n_roots = 0;

	if (given) {
		size_t k = 0;

		while (given[k])
			k++;
		dirs = calloc(k ? k : 1, sizeof(*dirs));
		if (!dirs)
			return -ENOMEM;
		for (size_t i = 0; i < k; i++) {
			char *root = realpath(given[i], NULL);

			if (!root) {
				if (errno == ENOMEM) {
					dirs_free(dirs, n);
					return -ENOMEM;
				}
				INFO(ctx, "%s: %s (firmware directory skipped)\n", given[i],
				     strerror(errno));
				continue;
			}
			dirs[n].root = root;
			dirs[n].sub = strdup("");
			if (!dirs[n++].sub) {
				dirs_free(dirs, n);
				return -ENOMEM;
			}
		}
		*ret = dirs;
		*ret_n = n;
		return 0;
	}
	for (int u = 0; u < 2; u++) {
		_cleanup_free_ char *p = NULL;
		char *root;

		if (asprintf(&p, "%s%s", streq(sysroot, "/") ? "" : sysroot,
			     u ? "/usr/lib/firmware" : "/lib/firmware") < 0) {
			p = NULL;
			free(roots[0]);
			return -ENOMEM;
		}
		root = realpath(p, NULL);
		if (!root)
			continue;
		if (n_roots && streq(roots[0], root)) {
			free(root);
			continue;
		}
		roots[n_roots++] = root;
	}
	cap = n_roots * 4;
	dirs = calloc(cap ? cap : 1, sizeof(*dirs));
	if (!dirs) {
		free(roots[0]);
		free(roots[1]);
		return -ENOMEM;
	}
	for (int s = 0; s < 4; s++)
		for (size_t i = 0; i < n_roots; i++) {
			char *sub = NULL;
			int k;

			switch (s) {
			case 0: k = asprintf(&sub, "updates/%s", kver); break;
			case 1: k = (sub = strdup("updates")) ? 0 : -1; break;
			case 2: k = (sub = strdup(kver)) ? 0 : -1; break;
			default: k = (sub = strdup("")) ? 0 : -1; break;
			}
			dirs[n].root = k < 0 ? NULL : strdup(roots[i]);
			dirs[n].sub = k < 0 ? NULL : sub;
			if (!dirs[n++].root) {
				free(roots[0]);
				free(roots[1]);
				dirs_free(dirs, n);
				return -ENOMEM;
			}
		}
	free(roots[0]);
	free(roots[1]);
	*ret = dirs;
	*ret_n = n;
	return 0;
}

MODSET_EXPORT int modset_firmware_resolve(struct modset_set *set, const char *const *dirs,
					  struct modset_firmware **ret)
{
	struct modset_firmware *fw;
	struct fw_dir *d = NULL;
	size_t n_dirs = 0;
	int r;

	if (!set || !ret)
		return -EINVAL;
	*ret = NULL;
	fw = calloc(1, sizeof(*fw));
	if (!fw)
		return -ENOMEM;
	fw->refcount = 1;
	fw->set = modset_set_ref(set);
	r = make_dirs(set->ctx, dirs, &d, &n_dirs);
	for (size_t i = 0; r == 0 && i < n_dirs; i++) {
		_cleanup_free_ char *p = d[i].sub[0] ? path_join(d[i].root, d[i].sub) : NULL;
		struct stat st;

		if (!d[i].sub[0] || (p && stat(p, &st) == 0 && S_ISDIR(st.st_mode)))
			fw->n_dirs++;
	}
	for (size_t i = 0; i < modset_set_count(set) && r == 0; i++) {
		const struct modset_module *m = modset_set_get(set, i);

		for (size_t k = 0; k < modset_module_get_firmware_count(m) && r == 0; k++) {
			const char *name = modset_module_get_firmware(m, k);
			char *loop = NULL;
			bool found = false;

			if (!path_is_safe_relative(name)) {
				ERR(set->ctx, "%s: firmware name %s leads outside the firmware directory\n",
				    m->name, name);
				r = -EXDEV;
				break;
			}
			r = lookup_name(fw, d, n_dirs, name, m->name, &found, &loop);
			if (r == 0 && !found)
				r = add_missing(fw, name, m->name, TAKE_PTR(loop));
			free(loop);
		}
	}
	dirs_free(d, n_dirs);
	if (r < 0) {
		modset_firmware_unref(fw);
		return r;
	}
	if (fw->items.n > 1)
		qsort(fw->items.v, fw->items.n, sizeof(void *), cmp_item);
	for (size_t i = 0; i < fw->items.n; i++)
		strv_sort_uniq(&((struct fw_item *)fw->items.v[i])->from);
	if (fw->n_missing > 1)
		qsort(fw->missing, fw->n_missing, sizeof(*fw->missing), cmp_missing);
	*ret = fw;
	return 0;
}

MODSET_EXPORT size_t modset_firmware_dir_count(const struct modset_firmware *fw)
{
	return fw ? fw->n_dirs : 0;
}

MODSET_EXPORT size_t modset_firmware_count(const struct modset_firmware *fw)
{
	return fw ? fw->items.n : 0;
}

MODSET_EXPORT int modset_firmware_get(const struct modset_firmware *fw, size_t i,
				      const char **name, const char **relpath,
				      const char **path, const char **link,
				      const char *const **from)
{
	const struct fw_item *it;

	if (!fw || i >= fw->items.n)
		return -ERANGE;
	it = fw->items.v[i];
	if (name)
		*name = it->name;
	if (relpath)
		*relpath = it->relpath;
	if (path)
		*path = it->path;
	if (link)
		*link = it->link;
	if (from)
		*from = (const char *const *)it->from.v;
	return 0;
}

MODSET_EXPORT size_t modset_firmware_missing_count(const struct modset_firmware *fw)
{
	return fw ? fw->n_missing : 0;
}

MODSET_EXPORT int modset_firmware_missing(const struct modset_firmware *fw, size_t i,
					  const char **name, const char **from)
{
	if (!fw || i >= fw->n_missing)
		return -ERANGE;
	if (name)
		*name = fw->missing[i].name;
	if (from)
		*from = fw->missing[i].from;
	return 0;
}

MODSET_EXPORT int modset_firmware_missing_loop(const struct modset_firmware *fw, size_t i,
					       const char **path)
{
	if (!fw || i >= fw->n_missing)
		return -ERANGE;
	if (path)
		*path = fw->missing[i].loop;
	return 0;
}
