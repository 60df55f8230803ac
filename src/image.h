/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The module image (--format cpio and dir): the list of entries to install, built
 * from a resolved set. Paths are relative ("usr/lib/modules/KVER/kernel/..."), with
 * no ".." and no leading '/', sorted bytewise, every parent directory listed before
 * its children. Nothing of the host (owner, mode, time) goes in: files are 0644,
 * directories 0755, symlinks 0777, owner 0:0, mtime SOURCE_DATE_EPOCH or 0.
 */
#ifndef INITRD_MODSET_IMAGE_H
#define INITRD_MODSET_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "libmodset.h"

struct image_opts {
	const char *prefix;	/* "usr/lib" or "lib"...; NULL: as the source tree */
	bool with_config;	/* etc/modprobe.d: the config files that were read */
	bool decompress;	/* store modules uncompressed */
	bool progress;		/* progress line on stderr (the caller checked the TTY) */
	const struct modset_firmware *firmware; /* NULL: no firmware */
	const char *output;	/* -o as given (NULL or "-": stdout, cpio only) */
	const char *compress;	/* cpio: zstd, xz, gzip, none; NULL: from the suffix */
	int compress_level;	/* cpio: -1 for the compressor's default */
};

enum image_type {
	IMAGE_DIR,
	IMAGE_FILE,
	IMAGE_SYMLINK,
};

enum image_decomp {
	DECOMP_NONE,
	DECOMP_ZSTD,
	DECOMP_XZ,
	DECOMP_GZIP,
};

struct image_entry {
	char *path;	       /* in the image */
	enum image_type type;
	mode_t mode;
	char *src;	       /* IMAGE_FILE: the file to copy, or NULL (data) */
	enum image_decomp decomp; /* IMAGE_FILE with src: decompress it */
	unsigned char *data;   /* IMAGE_FILE without src: the content */
	size_t size;
	char *target;	       /* IMAGE_SYMLINK */
};

struct image {
	struct image_entry *v;
	size_t n, alloc;
	int64_t mtime;
	bool progress;
};

/* Print "initrd-modset: error: ..." on stderr. */
void image_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Build the entry list of @set. Errors are printed; returns 0 or -errno
 * (-ENOMEM, -EXDEV for a path leaving the tree, -ENOENT, -EINVAL for a bad
 * SOURCE_DATE_EPOCH...).
 */
int image_build(struct image *img, struct modset_set *set, const struct image_opts *o);
void image_done(struct image *img);

/*
 * The content of file entry @e: *data is @e->data (borrowed, *owned false) or a new
 * buffer holding the file, decompressed if asked (*owned true: free it). Errors
 * are printed, naming the file: -EIO, -EBADMSG (corrupt compressed data), -ENOMEM.
 */
int image_entry_load(const struct image_entry *e, unsigned char **data, size_t *len,
		     bool *owned);

/* Progress on stderr: "N/TOTAL files, X MiB" on one line, redrawn at most every
 * 100 ms; image_progress_end() clears it. No-ops unless img->progress. */
void image_progress(struct image *img, size_t done, uint64_t bytes);
void image_progress_end(struct image *img);

#endif
