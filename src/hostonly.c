/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --hostonly: roots from sysfs modalias files, fw_devlink suppliers and /proc/modules. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "hostonly.h"
#include "log.h"

/* sysfs is a tree without cycles when links are not followed; real ones are ~15 deep */
#define MAX_DEPTH 64

static void herr(const char *path, int err)
{
	log_error("%s: %s", path, strerror(err));
}

/* The first line of file @dirfd/@name, without its newline; NULL when unreadable
 * or empty. A sysfs attribute is one page at most. */
static char *read_line_at(int dirfd, const char *name)
{
	char buf[4096];
	ssize_t n;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf[0] ? strdup(buf) : NULL;
}

static int add_owned(struct roots *out, char *s)
{
	int r = s ? roots_add(out, s) : 0;

	free(s);
	return r;
}

/* Module of the driver bound to device @dev (a directory path): the basename of
 * what DEV/driver/module points to. NULL for no driver or a built-in one. */
static char *driver_module(const char *dev)
{
	char *link = NULL, *real, *base, *ret;

	if (asprintf(&link, "%s/driver/module", dev) < 0)
		return NULL;
	real = realpath(link, NULL);
	free(link);
	if (!real)
		return NULL;
	base = strrchr(real, '/');
	ret = base && base[1] ? strdup(base + 1) : NULL;
	free(real);
	return ret;
}

/* A "supplier:BUS:NAME" link of a device points to the devlink device, whose
 * "supplier" link points to the supplier device. */
static int add_supplier(const char *devpath, const char *linkname, struct roots *out)
{
	char *path = NULL, *sup;
	int r = 0, dfd;

	if (asprintf(&path, "%s/%s/supplier", devpath, linkname) < 0)
		return -ENOMEM;
	sup = realpath(path, NULL);
	free(path);
	if (!sup)
		return 0; /* a dangling link: nothing to add */
	dfd = open(sup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		r = add_owned(out, read_line_at(dfd, "modalias"));
		close(dfd);
	}
	if (r == 0)
		r = add_owned(out, driver_module(sup));
	free(sup);
	return r;
}

static int walk(const char *path, int dfd, unsigned int depth, struct roots *out)
{
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (depth > MAX_DEPTH)
		return 0;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return 0;
	}
	while (r == 0 && (de = readdir(d))) {
		const char *n = de->d_name;
		unsigned char type = de->d_type;

		if (n[0] == '.' && (!n[1] || (n[1] == '.' && !n[2])))
			continue;
		if (type == DT_UNKNOWN) {
			struct stat st;

			if (fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			type = S_ISDIR(st.st_mode)   ? DT_DIR
			       : S_ISLNK(st.st_mode) ? DT_LNK
			       : S_ISREG(st.st_mode) ? DT_REG
						     : DT_UNKNOWN;
		}
		if (type == DT_REG && strcmp(n, "modalias") == 0) {
			r = add_owned(out, read_line_at(dirfd(d), n));
		} else if (type == DT_LNK && strncmp(n, "supplier:", 9) == 0) {
			r = add_supplier(path, n, out);
		} else if (type == DT_DIR) {
			char *sub = NULL;
			int fd = openat(dirfd(d), n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (fd < 0)
				continue;
			if (asprintf(&sub, "%s/%s", path, n) < 0) {
				close(fd);
				r = -ENOMEM;
				break;
			}
			r = walk(sub, fd, depth + 1, out);
			free(sub);
		}
	}
	closedir(d);
	return r;
}

static int read_proc_modules(const char *path, struct roots *out)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	int r = 0;

	if (!f) {
		r = -errno;
		herr(path, -r);
		return r;
	}
	while (r == 0 && getline(&line, &cap, f) >= 0) {
		size_t len = strcspn(line, " \t\n");

		if (len == 0)
			continue;
		line[len] = '\0';
		r = roots_add(out, line);
	}
	if (r == 0 && ferror(f)) {
		/* getline() failed last, its errno says why (EISDIR for a directory) */
		r = errno ? -errno : -EIO;
		herr(path, -r);
	}
	free(line);
	fclose(f);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int hostonly_collect(const char *sysfs, const char *proc_modules, struct roots *out)
{
	struct roots found = { 0 };
	char *devices = NULL;
	int r, fd;

	if (asprintf(&devices, "%s/devices", sysfs ? sysfs : "/sys") < 0)
		return -ENOMEM;
	fd = open(devices, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		herr(devices, -r);
		free(devices);
		return r;
	}
	r = walk(devices, fd, 0, &found);
	free(devices);
	if (r == 0)
		r = read_proc_modules(proc_modules ? proc_modules : "/proc/modules", &found);
	if (r == 0 && found.n) {
		qsort(found.v, found.n, sizeof(char *), cmp_str);
		for (size_t i = 0; i < found.n && r == 0; i++)
			if (i == 0 || strcmp(found.v[i], found.v[i - 1]) != 0)
				r = roots_add(out, found.v[i]);
	}
	roots_done(&found);
	return r;
}

static bool in_roots(const struct roots *r, const char *s)
{
	for (size_t i = 0; r && i < r->n; i++)
		if (strcmp(r->v[i], s) == 0)
			return true;
	return false;
}

/* Whether @name is a missing root of @set. */
static bool missing_root(const struct modset_set *set, const char *name)
{
	size_t n = modset_set_missing_count(set);

	for (size_t i = 0; i < n; i++) {
		enum modset_missing_kind kind;
		const char *mname, *from;

		if (modset_set_missing(set, i, &mname, &kind, &from) == 0 &&
		    kind == MODSET_MISSING_ROOT && strcmp(mname, name) == 0)
			return true;
	}
	return false;
}

int hostonly_resolve(struct modset_ctx *ctx, const struct roots *roots,
		     const struct roots *host, unsigned int flags, struct modset_set **ret,
		     struct roots *used)
{
	struct roots all = { 0 };
	bool drop = false;
	int r = 0;

	*ret = NULL;
	for (size_t i = 0; i < roots->n && r == 0; i++)
		r = roots_add(&all, roots->v[i]);
	for (size_t i = 0; host && i < host->n && r == 0; i++)
		if (!in_roots(roots, host->v[i]))
			r = roots_add(&all, host->v[i]);
	if (r == 0)
		r = modset_resolve(ctx, (const char *const *)all.v, flags, ret);
	for (size_t i = roots->n; r == 0 && i < all.n && !drop; i++)
		drop = missing_root(*ret, all.v[i]);
	if (r == 0 && drop) {
		struct roots kept = { 0 };
		bool info = modset_get_log_priority(ctx) >= LOG_INFO;

		for (size_t i = 0; i < all.n && r == 0; i++) {
			if (i >= roots->n && missing_root(*ret, all.v[i])) {
				if (info)
					log_msg("hostonly: ", "%s matches no module, ignored",
						all.v[i]);
				continue;
			}
			r = roots_add(&kept, all.v[i]);
		}
		*ret = modset_set_unref(*ret);
		if (r == 0)
			r = modset_resolve(ctx, (const char *const *)kept.v, flags, ret);
		roots_done(&all);
		all = kept;
	}
	if (r == 0 && used) {
		for (size_t i = 0; i < all.n && r == 0; i++)
			r = roots_add(used, all.v[i]);
	}
	if (r < 0)
		*ret = modset_set_unref(*ret);
	roots_done(&all);
	return r;
}
