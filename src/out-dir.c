/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --format dir: install the module image into a staging directory (-o DIR).
 * A file whose content is already there is left alone; one that differs is written
 * to a temporary file beside it and renamed over it, so a module is never seen
 * half-written. Every directory an entry goes through must stay inside DIR (a
 * symlink in DIR may lead elsewhere inside DIR, not out of it). Files not in the
 * image are left alone.
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

#include "image.h"
#include "output.h"

struct dirout {
	const char *dir;  /* as given */
	char *root;	  /* canonical */
	struct image *img;
	struct image_io io;
	unsigned long tmpseq;
};

/* The canonical directory of DIR/@rel's parent, checked to be inside DIR. */
static char *parent_of(struct dirout *d, const char *rel)
{
	const char *slash = strrchr(rel, '/');
	char *p = NULL, *real;
	size_t rl = strlen(d->root);

	if (!slash)
		return strdup(d->root);
	if (asprintf(&p, "%s/%.*s", d->root, (int)(slash - rel), rel) < 0)
		return NULL;
	real = realpath(p, NULL);
	if (!real) {
		image_error("%s: %s", p, strerror(errno));
		free(p);
		return NULL;
	}
	free(p);
	if (strncmp(real, d->root, rl) != 0 || (real[rl] != '/' && real[rl] != '\0')) {
		image_error("%s/%.*s: leads outside %s", d->dir, (int)(slash - rel), rel, d->dir);
		free(real);
		errno = EXDEV;
		return NULL;
	}
	return real;
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
 * Whether @path already holds what @s would write: 1, 0, or -ECANCELED (printed:
 * the source could not be read). An open source file is compared chunk by chunk,
 * then rewound.
 */
static int same_content(struct dirout *d, const char *path, struct image_src *s)
{
	unsigned char *buf;
	size_t half = IMAGE_COPY_BUF / 2;
	uint64_t off = 0;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), r = 1;

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
			image_error("%s: %s", s->path, strerror(errno));
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

/* Copy @s into @out through the copy buffer: -errno of the output, or -ECANCELED
 * (printed: the source). */
static int copy_to(struct dirout *d, struct image_src *s, int out)
{
	unsigned char *buf;

	if (s->fd < 0)
		return write_all(out, s->data, s->size);
	buf = image_io_buf(&d->io);
	if (!buf)
		return -ECANCELED;
	while (s->done < s->size) {
		ssize_t n = image_src_read(s, buf, IMAGE_COPY_BUF);
		int r;

		if (n < 0)
			return -ECANCELED;
		if ((r = write_all(out, buf, (size_t)n)) < 0)
			return r;
	}
	return image_src_end(s) < 0 ? -ECANCELED : 0;
}

static char *tmp_name(struct dirout *d, const char *parent, const char *base)
{
	char *t = NULL;

	if (asprintf(&t, "%s/.%s.%ld.%lu.tmp", parent, base, (long)getpid(), d->tmpseq++) < 0)
		return NULL;
	return t;
}

static int install_file(struct dirout *d, const struct image_entry *e, const char *parent,
			const char *base, uint64_t *bytes)
{
	_cleanup_(image_src_close) struct image_src s = { .fd = -1 };
	char *dst = NULL, *tmp = NULL;
	struct timespec ts[2] = { { (time_t)d->img->mtime, 0 }, { (time_t)d->img->mtime, 0 } };
	int fd = -1, r;

	if (image_src_open(&d->io, e, &s) < 0)
		return -ECANCELED;
	*bytes += s.size;
	if (asprintf(&dst, "%s/%s", parent, base) < 0)
		return -ENOMEM;
	r = same_content(d, dst, &s);
	if (r != 0) { /* the same: left alone */
		free(dst);
		return r < 0 ? r : 0;
	}
	tmp = tmp_name(d, parent, base);
	if (!tmp) {
		free(dst);
		return -ENOMEM;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = -errno;
		goto fail;
	}
	r = copy_to(d, &s, fd);
	if (r == -ECANCELED)
		goto out;
	if (r < 0)
		goto fail;
	/* No fsync per file: one syncfs() when the tree is complete (dir_write()). The
	 * rename still replaces each file whole, so no reader sees half a module. */
	if (fchmod(fd, e->mode) < 0 || futimens(fd, ts) < 0) {
		r = -errno;
		goto fail;
	}
	r = close(fd) < 0 ? -errno : 0;
	fd = -1;
	if (r == 0 && rename(tmp, dst) < 0)
		r = -errno;
	if (r == 0)
		goto out;
fail:
	image_error("%s: %s", dst, strerror(-r));
	r = -ECANCELED;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	fd = -1;
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	free(dst);
	free(tmp);
	return r;
}

static int install_symlink(struct dirout *d, const struct image_entry *e, const char *parent,
			   const char *base)
{
	char *dst = NULL, *tmp = NULL, cur[PATH_MAX];
	ssize_t n;
	int r = 0;

	if (asprintf(&dst, "%s/%s", parent, base) < 0)
		return -ENOMEM;
	n = readlink(dst, cur, sizeof(cur) - 1);
	if (n >= 0) {
		cur[n] = '\0';
		if (strcmp(cur, e->target) == 0) {
			free(dst);
			return 0;
		}
	}
	tmp = tmp_name(d, parent, base);
	if (!tmp || symlink(e->target, tmp) < 0 || rename(tmp, dst) < 0) {
		r = tmp ? errno : ENOMEM;
		image_error("%s: %s", dst, strerror(r));
		if (tmp)
			unlink(tmp);
		r = -ECANCELED;
	}
	free(dst);
	free(tmp);
	return r;
}

static int install_dir(const char *parent, const char *base)
{
	char *dst = NULL;
	struct stat st;
	int r = 0;

	if (asprintf(&dst, "%s/%s", parent, base) < 0)
		return -ENOMEM;
	if (mkdir(dst, 0755) < 0 && errno != EEXIST)
		r = errno;
	else if (stat(dst, &st) < 0)
		r = errno;
	else if (!S_ISDIR(st.st_mode))
		r = ENOTDIR;
	if (r) {
		image_error("%s: %s", dst, strerror(r));
		r = -ECANCELED;
	}
	free(dst);
	return r;
}

static int dir_write(struct output *out)
{
	const struct image_opts *o = out->opts->image;
	struct dirout d = { .dir = o->output };
	struct image img;
	uint64_t bytes = 0;
	int r;

	if (!o->output || strcmp(o->output, "-") == 0) {
		image_error("--format dir needs -o DIR");
		return -ECANCELED;
	}
	signal(SIGXFSZ, SIG_IGN);
	r = image_build(&img, (struct modset_set *)out->set, o);
	if (r < 0)
		return -ECANCELED;
	d.img = &img;
	if (mkdir(o->output, 0755) < 0 && errno != EEXIST) {
		image_error("%s: %s", o->output, strerror(errno));
		image_done(&img);
		return -ECANCELED;
	}
	d.root = realpath(o->output, NULL);
	if (!d.root) {
		image_error("%s: %s", o->output, strerror(errno));
		image_done(&img);
		return -ECANCELED;
	}
	for (size_t i = 0; i < img.n && r == 0; i++) {
		const struct image_entry *e = &img.v[i];
		const char *base = strrchr(e->path, '/');
		char *parent = parent_of(&d, e->path);

		base = base ? base + 1 : e->path;
		if (!parent) {
			r = errno == ENOMEM ? -ENOMEM : -ECANCELED;
			break;
		}
		if (e->type == IMAGE_DIR)
			r = install_dir(parent, base);
		else if (e->type == IMAGE_SYMLINK)
			r = install_symlink(&d, e, parent, base);
		else
			r = install_file(&d, e, parent, base, &bytes);
		free(parent);
		image_progress(&img, i + 1, bytes);
	}
	image_progress_end(&img);
	/* Durable before we say so: one syncfs() for the whole tree rather than an fsync()
	 * per file (which made installing 4000 modules ten times slower than cp). */
	if (r == 0) {
		int fd = open(d.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0 || syncfs(fd) < 0) {
			image_error("%s: %s", o->output, strerror(errno));
			r = -ECANCELED;
		}
		if (fd >= 0)
			close(fd);
	}
	free(d.root);
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
