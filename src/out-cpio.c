/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --format cpio: the module image as a newc cpio archive (what the kernel unpacks
 * as an initramfs, alone or appended to another one), through libarchive, with
 * zstd, xz or gzip compression. Reproducible: entries sorted, inode numbers by
 * position, owner 0:0, mtime SOURCE_DATE_EPOCH or 0, no gzip timestamp; an
 * uncompressed archive is padded to 512 bytes like cpio -o, a compressed one is
 * not padded at all.
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
		r = archive_write_set_bytes_per_block(a, 512);
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

static int write_entry(struct archive *a, struct archive_entry *ae, struct image *img,
		       size_t i, uint64_t *bytes, const struct image_opts *o)
{
	const struct image_entry *e = &img->v[i];
	unsigned char *data = NULL;
	size_t len = 0;
	bool owned = false;
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
		r = image_entry_load(e, &data, &len, &owned);
		if (r < 0)
			return -ECANCELED;
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_nlink(ae, 1);
		archive_entry_set_size(ae, (la_int64_t)len);
		break;
	}
	archive_entry_set_perm(ae, e->mode);
	r = archive_write_header(a, ae);
	if (r < ARCHIVE_WARN) {
		if (owned)
			free(data);
		return write_error(a, o);
	}
	for (size_t off = 0; off < len;) {
		la_ssize_t n = archive_write_data(a, data + off, len - off);

		if (n <= 0) {
			if (owned)
				free(data);
			return write_error(a, o);
		}
		off += (size_t)n;
	}
	*bytes += len;
	if (owned)
		free(data);
	return 0;
}

static int cpio_write(struct output *out)
{
	const struct image_opts *o = out->opts->image;
	struct archive *a;
	struct archive_entry *ae;
	struct image img;
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
		r = write_entry(a, ae, &img, i, &bytes, o);
		image_progress(&img, i + 1, bytes);
	}
	image_progress_end(&img);
	if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
		r = write_error(a, o);
	archive_write_free(a);
	archive_entry_free(ae);
	image_done(&img);
	return r;
}

const struct output_format output_cpio = {
	.name = "cpio",
	.resolve_flags = MODSET_RESOLVE_MODINFO,
	.write = cpio_write,
};
