/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --format cpio: the module image as a newc cpio archive (what the kernel unpacks
 * as an initramfs, alone or appended to another one), through libarchive, with
 * zstd, xz or gzip compression. Reproducible: entries sorted, inode numbers by
 * position, owner 0:0, mtime SOURCE_DATE_EPOCH or 0, no gzip timestamp; an
 * uncompressed archive is padded to 512 bytes like cpio -o, a compressed one is
 * not padded at all. Files are streamed (image_src_read()) through one 1 MiB
 * buffer, never held whole.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image.h"
#include "output.h"

static bool ends_with(const char *s, const char *sfx)
{
	size_t a = strlen(s), b = strlen(sfx);

	return a >= b && strcmp(s + a - b, sfx) == 0;
}

/* --compress, else the output file's suffix. */
static const char *compression(const struct image_opts *o)
{
	if (o->compress)
		return o->compress;
	if (o->output && ends_with(o->output, ".zst"))
		return "zstd";
	if (o->output && ends_with(o->output, ".xz"))
		return "xz";
	if (o->output && ends_with(o->output, ".gz"))
		return "gzip";
	return "none";
}

static int setup(struct archive *a, const struct image_opts *o)
{
	const char *c = compression(o);
	int r = archive_write_set_format_cpio_newc(a);

	if (r == ARCHIVE_OK) {
		if (strcmp(c, "zstd") == 0)
			r = archive_write_add_filter_zstd(a);
		else if (strcmp(c, "xz") == 0)
			r = archive_write_add_filter_xz(a);
		else if (strcmp(c, "gzip") == 0) {
			r = archive_write_add_filter_gzip(a);
			/* no time in the gzip header */
			if (r == ARCHIVE_OK)
				r = archive_write_set_filter_option(a, "gzip", "timestamp", NULL);
		} else
			r = archive_write_add_filter_none(a);
	}
	if (r == ARCHIVE_OK && o->compress_level >= 0 && strcmp(c, "none") != 0) {
		char level[16];

		snprintf(level, sizeof(level), "%d", o->compress_level);
		r = archive_write_set_filter_option(a, NULL, "compression-level", level);
	}
	if (r == ARCHIVE_OK && strcmp(c, "none") == 0) {
		/* written in large blocks, the last one padded to 512 bytes */
		r = archive_write_set_bytes_per_block(a, (int)IMAGE_COPY_BUF);
		if (r == ARCHIVE_OK)
			r = archive_write_set_bytes_in_last_block(a, 512);
	} else if (r == ARCHIVE_OK) {
		r = archive_write_set_bytes_per_block(a, 0);
		if (r == ARCHIVE_OK)
			r = archive_write_set_bytes_in_last_block(a, 1);
	}
	if (r != ARCHIVE_OK) {
		image_error("%s compression: %s", c, archive_error_string(a));
		return -ECANCELED;
	}
	return 0;
}

/* An error of libarchive while writing: the output's errno. */
static int write_error(struct archive *a, const struct image_opts *o)
{
	int e = archive_errno(a);

	image_error("%s: %s", o->output && strcmp(o->output, "-") ? o->output : "stdout",
		    e > 0 ? strerror(e) : archive_error_string(a));
	return -ECANCELED;
}

/* The content of file entry @s, through the copy buffer. */
static int write_data(struct archive *a, struct image_io *io, struct image_src *s,
		      const struct image_opts *o)
{
	const unsigned char *p = s->data;
	uint64_t left = s->size;

	while (left > 0) {
		size_t k = left < IMAGE_COPY_BUF ? (size_t)left : IMAGE_COPY_BUF;
		la_ssize_t n;

		if (s->fd >= 0) {
			ssize_t got = 0;

			p = image_io_buf(io);
			if (!p)
				return -ECANCELED;
			for (size_t off = 0; off < k; off += (size_t)got) {
				got = image_src_read(s, (unsigned char *)p + off, k - off);
				if (got < 0)
					return -ECANCELED;
			}
		}
		for (size_t off = 0; off < k; off += (size_t)n) {
			n = archive_write_data(a, p + off, k - off);
			if (n <= 0)
				return write_error(a, o);
		}
		if (s->fd < 0)
			p += k;
		left -= k;
	}
	return image_src_end(s) < 0 ? -ECANCELED : 0;
}

static int write_entry(struct archive *a, struct archive_entry *ae, struct image *img,
		       size_t i, uint64_t *bytes, struct image_io *io,
		       const struct image_opts *o)
{
	const struct image_entry *e = &img->v[i];
	_cleanup_(image_src_close) struct image_src s = { .fd = -1 };
	int r;

	archive_entry_clear(ae);
	archive_entry_set_pathname(ae, e->path);
	archive_entry_set_ino(ae, (la_int64_t)i + 1);
	archive_entry_set_dev(ae, 0);
	archive_entry_set_uid(ae, 0);
	archive_entry_set_gid(ae, 0);
	archive_entry_set_mtime(ae, (time_t)img->mtime, 0);
	switch (e->type) {
	case IMAGE_DIR:
		archive_entry_set_filetype(ae, AE_IFDIR);
		archive_entry_set_nlink(ae, 2);
		archive_entry_set_size(ae, 0);
		break;
	case IMAGE_SYMLINK:
		archive_entry_set_filetype(ae, AE_IFLNK);
		archive_entry_set_symlink(ae, e->target);
		archive_entry_set_nlink(ae, 1);
		archive_entry_set_size(ae, 0);
		break;
	case IMAGE_FILE:
		/* the size goes in the header, before the data */
		if (image_src_open(io, e, &s) < 0)
			return -ECANCELED;
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_nlink(ae, 1);
		archive_entry_set_size(ae, (la_int64_t)s.size);
		break;
	}
	archive_entry_set_perm(ae, e->mode);
	r = archive_write_header(a, ae);
	if (r < ARCHIVE_WARN)
		return write_error(a, o);
	if (e->type != IMAGE_FILE)
		return 0;
	r = write_data(a, io, &s, o);
	*bytes += s.size;
	return r;
}

static int cpio_write(struct output *out)
{
	const struct image_opts *o = out->opts->image;
	struct archive *a;
	struct archive_entry *ae;
	struct image img;
	struct image_io io = { 0 };
	uint64_t bytes = 0;
	int r;

	if (out->fp == stdout && isatty(STDOUT_FILENO)) {
		image_error("refusing to write a cpio archive to a terminal (use -o FILE)");
		return -ECANCELED;
	}
	/* A size limit (ulimit -f) is an error to report, not a signal that kills. */
	signal(SIGXFSZ, SIG_IGN);
	r = image_build(&img, (struct modset_set *)out->set, o);
	if (r < 0)
		return -ECANCELED;
	a = archive_write_new();
	ae = archive_entry_new();
	if (!a || !ae) {
		archive_write_free(a);
		archive_entry_free(ae);
		image_done(&img);
		return -ENOMEM;
	}
	r = setup(a, o);
	if (r == 0 && archive_write_open_FILE(a, out->fp) != ARCHIVE_OK)
		r = write_error(a, o);
	for (size_t i = 0; i < img.n && r == 0; i++) {
		r = write_entry(a, ae, &img, i, &bytes, &io, o);
		image_progress(&img, i + 1, bytes);
	}
	image_progress_end(&img);
	if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
		r = write_error(a, o);
	archive_write_free(a);
	archive_entry_free(ae);
	image_io_done(&io);
	image_done(&img);
	return r;
}

const struct output_format output_cpio = {
	.name = "cpio",
	.resolve_flags = MODSET_RESOLVE_MODINFO,
	.write = cpio_write,
};
