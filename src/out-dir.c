/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --format dir: install the module image into a staging directory (-o DIR).
 * A file whose content is already there is left alone; one that differs is written
 * to a temporary file beside it and renamed over it, so a module is never seen
 * half-written. Every directory an entry goes through must stay inside DIR (a
 * symlink in DIR may lead elsewhere inside DIR, not out of it). Files not in the
 * image are left alone. Files are copied with copy_file_range(), each directory
 * is opened once, from DIR's descriptor with RESOLVE_BENEATH (lib/fs.h), never by
 * a path string: a directory swapped for a symlink while we run cannot lead
 * outside DIR. Its entries are made relative to it, and in a directory this run
 * made nothing is compared first. DIR itself must not be a symlink, and must not
 * be, or contain, the source tree.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "image.h"
#include "output.h"

struct dirout {
	const char *dir; /* as given */
	int rootfd;	 /* DIR, opened once */
	bool root_fresh; /* made by this run */
	struct image *img;
	struct image_io io;
	/* per entry, for directories: made by this run (so holding only what this run
	 * put in it) */
	struct dir_state {
		bool fresh;
	} *dirs;
	unsigned long tmpseq;
	long pid;
	mode_t umask;
	/* the directory of the entries being installed: its path in the image (the
	 * first @prel_len bytes of @prel), DIR/ that path (for messages), descriptor */
	const char *prel;
	size_t prel_len;
	char *parent;
	int pfd;
	bool pfresh;
};

/* The entry of directory @path (@len bytes) in the sorted list, or -1. */
static ssize_t find_dir(const struct image *img, const char *path, size_t len)
{
	size_t lo = 0, hi = img->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *p = img->v[mid].path;
		int c = strncmp(path, p, len);

		if (c == 0 && p[len] != '\0')
			c = -1; /* @path is a prefix of @p: before it */
		if (c == 0)
			return img->v[mid].type == IMAGE_DIR ? (ssize_t)mid : -1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

static void leave_parent(struct dirout *d)
{
	if (d->pfd >= 0)
		close(d->pfd);
	d->pfd = -1;
	free(d->parent);
	d->parent = NULL;
	d->prel = NULL;
}

/*
 * Make the directory of entry @path current: DIR/ its path up to the last '/',
 * opened from DIR's descriptor beneath it. Kept while the entries that follow
 * (sorted) are in the same directory. 0, -ECANCELED (printed), -ENOMEM.
 */
static int enter_parent(struct dirout *d, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t len = slash ? (size_t)(slash - path) : 0;
	char *rel;
	ssize_t k;

	if (d->prel && d->prel_len == len && strncmp(d->prel, path, len) == 0)
		return 0;
	leave_parent(d);
	d->pfresh = d->root_fresh;
	if (slash) {
		/* every parent is an entry of its own, listed before (image_build()) */
		k = find_dir(d->img, path, len);
		if (k < 0) {
			log_error("%s/%.*s: not a directory of the image", d->dir,
				    (int)len, path);
			return -ECANCELED;
		}
		d->pfresh = d->dirs[k].fresh;
	}
	if (asprintf(&d->parent, "%s%s%.*s", d->dir, len ? "/" : "", (int)len, path) < 0) {
		d->parent = NULL;
		return -ENOMEM;
	}
	rel = strndup(path, len);
	if (!rel)
		return -ENOMEM;
	d->pfd = fs_openat(d->rootfd, rel, O_RDONLY | O_DIRECTORY, FS_BENEATH);
	free(rel);
	if (d->pfd < 0) {
		int e = -d->pfd;

		d->pfd = -1;
		if (e == EXDEV)
			log_error("%s: leads outside %s", d->parent, d->dir);
		else
			log_error("%s: %s", d->parent, strerror(e));
		return -ECANCELED;
	}
	d->prel = path;
	d->prel_len = len;
	return 0;
}

/* Read up to @len bytes, fewer only at the end of the file. */
static ssize_t read_full(int fd, unsigned char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/*
 * Whether @base in the current directory already holds what @s would write: 1,
 * 0, or -ECANCELED (printed: the source could not be read). An open source file is
 * compared chunk by chunk, then rewound.
 */
static int same_content(struct dirout *d, const char *base, struct image_src *s)
{
	unsigned char *buf;
	size_t half = IMAGE_COPY_BUF / 2;
	uint64_t off = 0;
	struct stat st;
	int fd = openat(d->pfd, base, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), r = 1;

	if (fd < 0)
		return 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size != s->size || !(buf = image_io_buf(&d->io))) {
		close(fd);
		return 0;
	}
	while (r == 1 && off < s->size) {
		size_t k = s->size - off < half ? (size_t)(s->size - off) : half;
		const unsigned char *want;

		if (s->fd < 0) {
			want = s->data + off;
		} else {
			for (size_t got = 0; got < k;) {
				ssize_t n = image_src_read(s, buf + half + got, k - got);

				if (n < 0) {
					close(fd);
					return -ECANCELED;
				}
				got += (size_t)n;
			}
			want = buf + half;
		}
		if (read_full(fd, buf, k) != (ssize_t)k || memcmp(buf, want, k) != 0)
			r = 0;
		off += k;
	}
	if (r == 1 && read_full(fd, buf, 1) != 0)
		r = 0; /* the file grew meanwhile */
	close(fd);
	if (s->fd >= 0) {
		if (r == 1 && s->done == s->size && image_src_end(s) < 0)
			return -ECANCELED;
		if (lseek(s->fd, 0, SEEK_SET) < 0) {
			log_error("%s: %s", s->path, strerror(errno));
			return -ECANCELED;
		}
		s->done = 0;
	}
	return r;
}

static int write_all(int fd, const unsigned char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Copy @s into @out: copy_file_range() for an open file (no copy through user
 * memory; a reflink where the file system shares extents), read()/write() through
 * the copy buffer where it is not supported (EXDEV, EINVAL, ENOSYS, EOPNOTSUPP, or
 * nothing copied). -errno of the output, or -ECANCELED (printed: the source).
 */
static int copy_to(struct dirout *d, struct image_src *s, int out)
{
	bool cfr = true;
	unsigned char *buf;

	if (s->fd < 0)
		return write_all(out, s->data, s->size);
	while (s->done < s->size) {
		ssize_t n;
		int r;

		if (cfr) {
			uint64_t left = s->size - s->done;

			n = copy_file_range(s->fd, NULL, out, NULL,
					    left < (1u << 30) ? (size_t)left : (1u << 30),
					    0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno != EXDEV && errno != EINVAL &&
			    errno != ENOSYS && errno != EOPNOTSUPP)
				return -errno;
			if (n > 0) {
				s->done += (uint64_t)n;
				continue;
			}
			cfr = false; /* unsupported, or the end: read() tells which */
		}
		buf = image_io_buf(&d->io);
		if (!buf)
			return -ECANCELED;
		n = image_src_read(s, buf, IMAGE_COPY_BUF);
		if (n < 0)
			return -ECANCELED;
		if ((r = write_all(out, buf, (size_t)n)) < 0)
			return r;
	}
	return image_src_end(s) < 0 ? -ECANCELED : 0;
}

/* ".BASE.PID.SEQ.tmp": 0, or -ENAMETOOLONG. */
static int tmp_name(struct dirout *d, const char *base, char *buf, size_t size)
{
	int n = snprintf(buf, size, ".%s.%ld.%lu.tmp", base, d->pid, d->tmpseq++);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int install_file(struct dirout *d, const struct image_entry *e, const char *base,
			uint64_t *bytes)
{
	_cleanup_(image_src_close) struct image_src s = { .fd = -1 };
	time_t t = (time_t)d->img->mtime;
	struct timespec ts[2] = { { t, 0 }, { t, 0 } };
	char tmp[NAME_MAX + 64];
	int fd = -1, r;

	if (image_src_open(&d->io, e, &s) < 0)
		return -ECANCELED;
	*bytes += s.size;
	/* nothing to compare with in a directory this run made */
	r = d->pfresh ? 0 : same_content(d, base, &s);
	if (r != 0)
		return r < 0 ? r : 0; /* the same: left alone */
	r = tmp_name(d, base, tmp, sizeof(tmp));
	if (r < 0)
		goto fail;
	fd = openat(d->pfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		    e->mode);
	if (fd < 0) {
		r = -errno;
		goto fail;
	}
	tmp_guard(TMP_GUARD_INSTALL, d->pfd, tmp);
	r = copy_to(d, &s, fd);
	if (r == -ECANCELED)
		goto out;
	if (r < 0)
		goto fail;
	/* No fsync per file: one syncfs() when the tree is complete (dir_write()). The
	 * rename still replaces each file whole, so no reader sees half a module. The
	 * mode was given at creation; fchmod() only when the umask took some of it. */
	if (((e->mode & ~d->umask) != e->mode && fchmod(fd, e->mode) < 0) ||
	    futimens(fd, ts) < 0) {
		r = -errno;
		goto fail;
	}
	r = close(fd) < 0 ? -errno : 0;
	fd = -1;
	if (r == 0 && renameat(d->pfd, tmp, d->pfd, base) < 0)
		r = -errno;
	if (r == 0) {
		tmp_guard(TMP_GUARD_INSTALL, AT_FDCWD, NULL);
		return 0;
	}
fail:
	log_error("%s/%s: %s", d->parent, base, strerror(-r));
	r = -ECANCELED;
out:
	if (fd >= 0)
		close(fd);
	tmp_guard(TMP_GUARD_INSTALL, AT_FDCWD, NULL);
	unlinkat(d->pfd, tmp, 0);
	return r;
}

static int install_symlink(struct dirout *d, const struct image_entry *e,
			   const char *base)
{
	char tmp[NAME_MAX + 64], cur[PATH_MAX];
	ssize_t n;
	int r;

	n = readlinkat(d->pfd, base, cur, sizeof(cur) - 1);
	if (n >= 0) {
		cur[n] = '\0';
		if (strcmp(cur, e->target) == 0)
			return 0;
	}
	r = tmp_name(d, base, tmp, sizeof(tmp));
	if (r == 0 && (symlinkat(e->target, d->pfd, tmp) < 0 ||
		       renameat(d->pfd, tmp, d->pfd, base) < 0)) {
		r = -errno;
		unlinkat(d->pfd, tmp, 0);
	}
	if (r < 0) {
		log_error("%s/%s: %s", d->parent, base, strerror(-r));
		return -ECANCELED;
	}
	return 0;
}

static int install_dir(struct dirout *d, size_t i, const char *base)
{
	struct stat st;
	int r = 0;

	if (mkdirat(d->pfd, base, 0755) == 0) {
		d->dirs[i].fresh = true;
		return 0;
	}
	if (errno != EEXIST)
		r = errno;
	else if (fstatat(d->pfd, base, &st, 0) < 0)
		r = errno;
	else if (!S_ISDIR(st.st_mode))
		r = ENOTDIR;
	if (r) {
		log_error("%s/%s: %s", d->parent, base, strerror(r));
		return -ECANCELED;
	}
	return 0;
}

/* DIR must not be, nor contain, the source tree @moddir: its indexes would be
 * replaced with the trimmed ones (-f dir -o SYSROOT). -ECANCELED (printed). */
static int refuse_source(struct dirout *d, const char *moddir)
{
	struct stat root, st;
	char *p = strdup(moddir);
	int r = 0;

	if (!p)
		return -ENOMEM;
	if (fstat(d->rootfd, &root) < 0) {
		free(p);
		log_error("%s: %s", d->dir, strerror(errno));
		return -ECANCELED;
	}
	/* the tree, then each directory above it */
	for (;;) {
		char *slash;

		if (stat(*p ? p : "/", &st) == 0 && st.st_dev == root.st_dev &&
		    st.st_ino == root.st_ino) {
			log_error("%s: holds the source tree %s: not written over", d->dir,
				    moddir);
			r = -ECANCELED;
			break;
		}
		slash = strrchr(p, '/');
		if (!slash || !*p)
			break;
		*slash = '\0';
	}
	free(p);
	return r;
}

static int dir_write(struct output *out)
{
	const struct image_opts *o = out->opts->image;
	struct dirout d = { .dir = o->output, .rootfd = -1, .pfd = -1, .pid = (long)getpid() };
	struct image img;
	uint64_t bytes = 0;
	int r;

	if (!o->output || strcmp(o->output, "-") == 0) {
		log_error("--format dir needs -o DIR");
		return -ECANCELED;
	}
	signal(SIGXFSZ, SIG_IGN);
	r = image_build(&img, (struct modset_set *)out->set, o);
	if (r < 0)
		return -ECANCELED;
	d.img = &img;
	d.umask = umask(0);
	umask(d.umask);
	d.dirs = calloc(img.n ? img.n : 1, sizeof(*d.dirs));
	if (!d.dirs) {
		image_done(&img);
		return -ENOMEM;
	}
	if (mkdir(o->output, 0755) == 0)
		d.root_fresh = true;
	else if (errno != EEXIST) {
		log_error("%s: %s", o->output, strerror(errno));
		r = -ECANCELED;
	}
	if (r == 0) {
		/* not through a symlink (one planted in a shared directory) */
		struct stat st;

		d.rootfd = open(o->output, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (d.rootfd < 0) {
			int e = errno;

			if (lstat(o->output, &st) == 0 && S_ISLNK(st.st_mode))
				e = ELOOP;
			log_error("%s: %s", o->output, outfile_strerror(-e));
			r = -ECANCELED;
		}
	}
	if (r == 0)
		r = refuse_source(&d, modset_get_moddir(modset_set_get_ctx(out->set)));
	for (size_t i = 0; i < img.n && r == 0; i++) {
		const struct image_entry *e = &img.v[i];
		const char *base = strrchr(e->path, '/');

		base = base ? base + 1 : e->path;
		r = enter_parent(&d, e->path);
		if (r < 0)
			break;
		if (e->type == IMAGE_DIR)
			r = install_dir(&d, i, base);
		else if (e->type == IMAGE_SYMLINK)
			r = install_symlink(&d, e, base);
		else
			r = install_file(&d, e, base, &bytes);
		image_progress(&img, i + 1, bytes);
	}
	image_progress_end(&img);
	leave_parent(&d);
	/* Durable before we say so: one syncfs() for the whole tree rather than an fsync()
	 * per file (which made installing 4000 modules ten times slower than cp). */
	if (r == 0 && syncfs(d.rootfd) < 0) {
		log_error("%s: %s", o->output, strerror(errno));
		r = -ECANCELED;
	}
	if (d.rootfd >= 0)
		close(d.rootfd);
	free(d.dirs);
	image_io_done(&d.io);
	image_done(&img);
	return r;
}

const struct output_format output_dir = {
	.name = "dir",
	.resolve_flags = MODSET_RESOLVE_MODINFO,
	.write = dir_write,
	.writes_dir = true,
};
