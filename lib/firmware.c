/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Firmware files of a set: every firmware= name of every module (builtins too) looked
 * up in the firmware directories the way the kernel's loader does (first directory
 * that has it; the name, then NAME.zst, then NAME.xz), glob names matching every file.
 * A file that is a symlink stays a symlink, and what it points to is included too,
 * while its chain stays inside its firmware directory. A chain that leaves it is
 * followed to its end inside the sysroot, as the kernel would on the running
 * system: an end that is a file of a firmware directory is included, and the name
 * becomes a symlink straight to it (the links on the way, e.g. in /etc/alternatives,
 * are not included); an end outside every firmware directory is never opened, and
 * the name is passed over like a missing file. So is a symlink loop, which the
 * kernel cannot open (ELOOP). Nothing outside the firmware directories is ever an
 * item; a missing item names the first loop or link leading outside met.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
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

/* Why a name was passed over: the first symlink loop or link leading outside met. */
struct fw_why {
	char *at; /* absolute path of the file of the name, or NULL */
	char *to; /* where it leads outside the firmware directories; NULL: a loop */
};

struct fw_missing {
	char *name;
	const char *from; /* borrowed from the set */
	struct fw_why why;
};

struct modset_firmware {
	int refcount;
	struct modset_set *set;
	struct ptrv items;   /* struct fw_item *, sorted by relpath at the end */
	struct hmap by_rel;  /* relpath -> item */
	struct fw_missing *missing;
	size_t n_missing, alloc_missing;
	size_t n_dirs; /* directories that exist */
	/* while resolving: the search list, and the sysroot (canonical, "" for "/") */
	const struct fw_dir *dirs;
	size_t n_search;
	char *top;
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
		free(fw->missing[i].why.at);
		free(fw->missing[i].why.to);
	}
	free(fw->missing);
	free(fw->top);
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
 * when the path loops (a directory symlink loop); -EXDEV, not logged, when a
 * directory on the way leads out of ROOT; another -errno, logged.
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
	if (!under_root(d, real))
		return -EXDEV;
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
 * target's path loops; -EXDEV, not logged, when it leads out of ROOT; another
 * -errno, logged (-ENOENT dangling).
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
		if (r < 0 || !under_root(d, rabs))
			return -EXDEV;
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
	if (!trel)
		return errno == ENOMEM ? -ENOMEM : -EXDEV;
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
 * The symlink chain from ROOT/@rel to the regular file it ends in, inside ROOT:
 * @chain, *n steps (at most LINK_MAX_DEPTH + 1). 0; -ELOOP, not logged, when the
 * chain comes back on itself or takes more than LINK_MAX_DEPTH links (the kernel's
 * loader gets ELOOP: the firmware is missing, not the input corrupt); -EXDEV, not
 * logged, when it leaves ROOT (see follow()); another -errno, logged.
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
 * The item @relpath wanted by @from: the one already there, or a new one named
 * @name, for the file @path, a symlink to @link unless NULL. 0 or -ENOMEM.
 */
static int add_item(struct modset_firmware *fw, const char *relpath, const char *name,
		    const char *path, const char *link, const char *from)
{
	struct fw_item *it = hmap_get(&fw->by_rel, relpath);

	if (it)
		return add_from(it, from);
	it = calloc(1, sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->name = strdup(name);
	it->relpath = strdup(relpath);
	it->path = strdup(path);
	it->link = link ? strdup(link) : NULL;
	if (!it->name || !it->relpath || !it->path || (link && !it->link) ||
	    add_from(it, from) < 0 || ptrv_push(&fw->items, it) < 0) {
		fw_item_free(it);
		return -ENOMEM;
	}
	return hmap_put(&fw->by_rel, it->relpath, it) < 0 ? -ENOMEM : 0;
}

/* Where a path leads, see follow(). */
struct fw_end {
	char path[PATH_MAX];   /* the end, or where following it failed */
	char rest[PATH_MAX];   /* what was still to follow after a failure, or "" */
	struct stat st;	       /* of the end */
	char link[PATH_MAX];   /* the last symlink followed, "" for none */
	char target[PATH_MAX]; /* its target */
};

/*
 * Follow @dir/@rel (@dir canonical) to where it leads, as the kernel would with the
 * sysroot @top (canonical, "" for "/") as its root: every symlink followed, those of
 * the directories on the way too, an absolute target and ".." taken inside @top
 * (".." stops there), at most LINK_MAX_DEPTH links. Only lstat() and readlink():
 * nothing is opened. 0 with e->path the end (canonical) and e->st; -ELOOP past
 * LINK_MAX_DEPTH links; -ENOMEM; another -errno (ENOENT, ENOTDIR, EACCES,
 * ENAMETOOLONG) with e->path where it failed, e->rest what came after it. Nothing
 * is logged.
 */
static int follow(const char *top, const char *dir, const char *rel, struct fw_end *e)
{
	size_t toplen = strlen(top), len = strlen(dir);
	_cleanup_free_ char *rest = strdup(rel);
	unsigned int links = 0;
	const char *p = rest;

	e->path[0] = e->rest[0] = e->link[0] = e->target[0] = '\0';
	if (!rest)
		return -ENOMEM;
	if (len >= sizeof(e->path) || toplen >= sizeof(e->path))
		return -ENAMETOOLONG;
	memcpy(e->path, dir, len + 1);
	for (;;) {
		char *more;
		ssize_t k;
		size_t n;

		while (*p == '/')
			p++;
		if (!*p)
			break; /* it ends in the directory e->path */
		n = strcspn(p, "/");
		if (n == 1 && p[0] == '.') {
			p += n;
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (len != toplen || memcmp(e->path, top, len) != 0) {
				while (len > 0 && e->path[len - 1] != '/')
					len--;
				if (len > 0)
					len--; /* the slash */
				e->path[len] = '\0';
			}
			p += n;
			continue;
		}
		if (len + 1 + n >= sizeof(e->path))
			return -ENAMETOOLONG;
		e->path[len] = '/';
		memcpy(e->path + len + 1, p, n);
		e->path[len + 1 + n] = '\0';
		p += n;
		if (lstat(e->path, &e->st) < 0) {
			int r = -errno;
			size_t m;

			while (*p == '/')
				p++;
			snprintf(e->rest, sizeof(e->rest), "%s", p);
			for (m = strlen(e->rest); m > 0 && e->rest[m - 1] == '/'; m--)
				e->rest[m - 1] = '\0';
			return r;
		}
		if (S_ISDIR(e->st.st_mode)) {
			len += 1 + n;
			continue;
		}
		if (!S_ISLNK(e->st.st_mode)) {
			/* a file: the end, unless the path goes on below it */
			return *p ? -ENOTDIR : 0;
		}
		if (++links > LINK_MAX_DEPTH)
			return -ELOOP;
		k = readlink(e->path, e->target, sizeof(e->target) - 1);
		if (k < 0)
			return -errno;
		e->target[k] = '\0';
		memcpy(e->link, e->path, len + n + 2);
		if (asprintf(&more, "%s%s", e->target, p) < 0)
			return -ENOMEM;
		free(rest);
		rest = more;
		p = rest;
		if (e->target[0] == '/') {
			len = toplen;
			memcpy(e->path, top, len + 1);
		} else {
			e->path[len] = '\0';
		}
	}
	if (len == 0)
		strcpy(e->path, "/");
	return lstat(e->path, &e->st) < 0 ? -errno : 0;
}

/*
 * Add ROOT/@rel, wanted by @from as @name, whose symlink chain leaves ROOT: followed
 * to its end (see follow()). An end that is a regular file of a firmware directory
 * is an item (named by its path below that directory), and @rel a symlink straight
 * to it, or that file itself when the two have the same path below their
 * directories; the links on the way are not items. 0; -ELOOP, not logged; -EXDEV,
 * not logged, when it ends outside every firmware directory (*to: that end, which
 * is never opened); another -errno, logged (-ENOENT dangling inside a firmware
 * directory, -EINVAL not a regular file).
 */
static int add_followed(struct modset_firmware *fw, const struct fw_dir *d,
			const char *name, const char *rel, const char *from, char **to)
{
	struct modset_ctx *ctx = fw->set->ctx;
	_cleanup_free_ struct fw_end *e = malloc(sizeof(*e));
	_cleanup_free_ char *path = path_join(d->root, rel), *link = NULL;
	const char *root = NULL, *frel;
	int r;

	if (!e || !path)
		return -ENOMEM;
	r = follow(fw->top, d->root, rel, e);
	if (r == -ELOOP || r == -ENOMEM)
		return r;
	for (size_t i = 0; i < fw->n_search && !root; i++)
		if (under_root(&fw->dirs[i], e->path))
			root = fw->dirs[i].root;
	if (!root) {
		*to = e->rest[0] ? path_join(e->path, e->rest) : strdup(e->path);
		return *to ? -EXDEV : -ENOMEM;
	}
	if (r == -ENOENT && e->link[0]) {
		ERR(ctx, "%s: dangling symlink to %s (%s)\n", e->link, e->target,
		    strerror(-r));
		return r;
	}
	if (r < 0) {
		ERR(ctx, "%s: %s\n", e->path, strerror(-r));
		return r;
	}
	if (!S_ISREG(e->st.st_mode)) {
		ERR(ctx, "%s: not a regular file\n", e->path);
		return -EINVAL;
	}
	frel = e->path + strlen(root) + 1;
	if (streq(frel, rel))
		return add_item(fw, rel, name, e->path, NULL, from);
	link = rel_link(rel, frel);
	if (!link)
		return -ENOMEM;
	r = add_item(fw, rel, name, path, link, from);
	return r < 0 ? r : add_item(fw, frel, frel, e->path, NULL, from);
}

/*
 * Add the file ROOT/@rel wanted by @from as @name. A symlink whose chain stays
 * inside ROOT stays one, and the files of its chain are added too (named by their
 * path below ROOT), each wanted by @from; one whose chain leaves ROOT is followed to
 * its end (see add_followed()). 0; -ELOOP, not logged, for a symlink loop (see
 * walk_chain()); -EXDEV, not logged, for a chain ending outside the firmware
 * directories (*to: where); another -errno, logged.
 */
static int add_file(struct modset_firmware *fw, const struct fw_dir *d, const char *name,
		    const char *rel, const char *from, char **to)
{
	struct fw_step chain[LINK_MAX_DEPTH + 1] = { 0 };
	size_t n = 0;
	int r;

	r = walk_chain(fw->set->ctx, d, rel, chain, &n);
	for (size_t i = 0; i < n && r == 0; i++) {
		_cleanup_free_ char *path = path_join(d->root, chain[i].rel);

		r = path ? add_item(fw, chain[i].rel, i == 0 ? name : chain[i].rel, path,
				    chain[i].link, from)
			 : -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		free(chain[i].rel);
		free(chain[i].link);
	}
	if (r == -EXDEV)
		r = add_followed(fw, d, name, rel, from, to);
	return r;
}

/*
 * The candidate @path passed over: a symlink loop (@to NULL), or a chain ending
 * outside the firmware directories at @to (taken). The first one is kept in *why.
 * 0 or -ENOMEM.
 */
static int passed_over(struct modset_firmware *fw, struct fw_why *why, const char *path,
		       char *to)
{
	if (to)
		INFO(fw->set->ctx,
		     "%s leads outside the firmware directories (to %s): passed over\n", path,
		     to);
	if (why->at) {
		free(to);
		return 0;
	}
	why->at = strdup(path);
	if (!why->at) {
		free(to);
		return -ENOMEM;
	}
	why->to = to;
	return 0;
}

/*
 * Look @name (wanted by @from) up; *found set when something matched. A candidate
 * that is a symlink loop, or whose chain ends outside the firmware directories, is
 * passed over, as the kernel's loader passes over a path it cannot open, and the
 * first one met is given in *why (the caller frees it) to say why a name is
 * missing.
 */
static int lookup_name(struct modset_firmware *fw, const struct fw_dir *dirs,
		       size_t n_dirs, const char *name, const char *from, bool *found,
		       struct fw_why *why)
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
				char *to = NULL;

				if (lstat(pat, &st) < 0) {
					if (errno == ELOOP &&
					    passed_over(fw, why, pat, NULL) < 0)
						return -ENOMEM;
					continue;
				}
				if (S_ISDIR(st.st_mode))
					continue;
				r = add_file(fw, d, name, pat + strlen(d->root) + 1, from,
					     &to);
				if (r == -ELOOP || r == -EXDEV) {
					r = passed_over(fw, why, pat, to);
					if (r < 0)
						return r;
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
				char *to = NULL;

				if (lstat(p, &st) < 0 || S_ISDIR(st.st_mode))
					continue;
				r = add_file(fw, d, p + strlen(base) + 1, p + strlen(d->root) + 1,
					     from, &to);
				if (r == -ELOOP || r == -EXDEV)
					r = passed_over(fw, why, p, to);
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

/* Add a missing item; takes *why (cleared). 0 or -ENOMEM. */
static int add_missing(struct modset_firmware *fw, const char *name, const char *from,
		       struct fw_why *why)
{
	struct fw_missing *m;

	if (fw->n_missing == fw->alloc_missing) {
		size_t n = fw->alloc_missing ? fw->alloc_missing * 2 : 8;
		struct fw_missing *p = realloc(fw->missing, n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		fw->missing = p;
		fw->alloc_missing = n;
	}
	m = &fw->missing[fw->n_missing];
	m->name = strdup(name);
	if (!m->name)
		return -ENOMEM;
	m->from = from;
	m->why = *why;
	*why = (struct fw_why){ 0 };
	fw->n_missing++;
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

/* Without openat2() (the fallback walk refuses links: lib -> usr/lib): the canonical
 * path, when it stays under the sysroot; never a directory outside it. */
static char *sysroot_dir_walk(const struct modset_ctx *ctx, const char *sub)
{
	_cleanup_free_ char *top = realpath(ctx->sysroot, NULL);
	_cleanup_free_ char *p = path_join(ctx->sysroot, sub);
	char *real = p ? realpath(p, NULL) : NULL;
	size_t n = top ? strlen(top) : 0;

	if (n == 1)
		n = 0; /* "/" */
	if (real && top && strncmp(real, top, n) == 0 && real[n] == '/')
		return real;
	free(real);
	return NULL;
}

/* @sub (a directory of the sysroot) resolved inside the sysroot, as after chroot (an
 * absolute link on the way, ../.., mean the sysroot's), canonical: malloc'ed, or NULL
 * when it is missing. */
static char *sysroot_dir(const struct modset_ctx *ctx, const char *sub)
{
	char link[64], buf[PATH_MAX];
	ssize_t n;
	int fd;

	if (ctx->rootfd < 0)
		return NULL;
	fd = fs_openat(ctx->rootfd, sub, O_PATH | O_DIRECTORY, FS_IN_ROOT);
	if (fd == -ELOOP)
		return sysroot_dir_walk(ctx, sub);
	if (fd < 0)
		return NULL;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || buf[0] != '/')
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
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
	if (!sysroot[0])
		INFO(ctx, "%s: not under [/usr]/lib/modules: no sysroot, no default firmware "
		     "directories\n", modset_get_moddir(ctx));
	for (int u = 0; u < 2 && sysroot[0]; u++) {
		_cleanup_free_ char *p = NULL;
		char *root;

		if (asprintf(&p, "%s%s", streq(sysroot, "/") ? "" : sysroot,
			     u ? "/usr/lib/firmware" : "/lib/firmware") < 0) {
			p = NULL;
			free(roots[0]);
			return -ENOMEM;
		}
		root = sysroot_dir(ctx, u ? "usr/lib/firmware" : "lib/firmware");
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

/* The sysroot, canonical, without its final slash: "" for "/" (and for none: the
 * default firmware directories are then the host's, see make_dirs()). */
static int make_top(struct modset_ctx *ctx, char **ret)
{
	const char *sysroot = modset_get_sysroot(ctx);
	char *top = NULL;
	size_t len;

	if (sysroot[0]) {
		top = realpath(sysroot, NULL);
		if (!top && errno == ENOMEM)
			return -ENOMEM;
	}
	if (!top)
		top = strdup(sysroot);
	if (!top)
		return -ENOMEM;
	len = strlen(top);
	while (len > 0 && top[len - 1] == '/')
		top[--len] = '\0';
	*ret = top;
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
	if (r == 0)
		r = make_top(set->ctx, &fw->top);
	fw->dirs = d;
	fw->n_search = n_dirs;
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
			struct fw_why why = { 0 };
			bool found = false;

			if (!path_is_safe_relative(name)) {
				ERR(set->ctx, "%s: firmware name %s leads outside the firmware directory\n",
				    m->name, name);
				r = -EXDEV;
				break;
			}
			r = lookup_name(fw, d, n_dirs, name, m->name, &found, &why);
			if (r == 0 && !found)
				r = add_missing(fw, name, m->name, &why);
			free(why.at);
			free(why.to);
		}
	}
	dirs_free(d, n_dirs);
	fw->dirs = NULL;
	fw->n_search = 0;
	free(fw->top);
	fw->top = NULL;
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
		*path = fw->missing[i].why.to ? NULL : fw->missing[i].why.at;
	return 0;
}

MODSET_EXPORT int modset_firmware_missing_outside(const struct modset_firmware *fw,
						  size_t i, const char **path,
						  const char **target)
{
	const struct fw_why *why;

	if (!fw || i >= fw->n_missing)
		return -ERANGE;
	why = &fw->missing[i].why;
	if (path)
		*path = why->to ? why->at : NULL;
	if (target)
		*target = why->to;
	return 0;
}
