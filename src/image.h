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
	/* with @src: the context whose tree or sysroot @src is opened beneath
	 * (tree_open_regular(), fs.h); NULL: @src as given */
	const struct modset_ctx *ctx;
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
	const struct modset_ctx *ctx; /* of the set: file entries' sources */
};

/* Print "initrd-modset: error: ..." on stderr. */
#include "log.h"

/*
 * Build the entry list of @set. Errors are printed; returns 0 or -errno
 * (-ENOMEM, -EXDEV for a path leaving the tree, -ENOENT, -EINVAL for a bad
 * SOURCE_DATE_EPOCH...).
 */
int image_build(struct image *img, struct modset_set *set, const struct image_opts *o);
void image_done(struct image *img);

/* cleanup attributes, as in lib/ */
#define _cleanup_(f) __attribute__((cleanup(f)))

/* Reads and copies of file contents go through one buffer of this size. */
#define IMAGE_COPY_BUF ((size_t)1 << 20)
/* A module decompressed (--decompress-modules) into memory, because the cpio
 * header needs its size first, may not be larger than this. */
#define IMAGE_DECOMP_MAX ((size_t)1 << 30)

/* Buffers reused from one file entry to the next. */
struct image_io {
	unsigned char *buf; /* IMAGE_COPY_BUF bytes, allocated on first use */
	unsigned char *in;  /* compressed input of a module being decompressed */
	unsigned char *dec; /* a decompressed module */
	size_t dec_alloc;
};

/*
 * A file entry's content, opened for copying: either an open regular file read
 * up to the size it had when opened (@fd >= 0), or bytes in memory (@fd -1: the
 * entry's data, or the module decompressed into the image_io's buffer).
 */
struct image_src {
	const char *path; /* the source file, for messages (NULL: data) */
	int fd;
	const unsigned char *data;
	uint64_t size; /* what the image holds: a cpio header gives it first */
	uint64_t done; /* bytes of @fd read or copied so far */
};

/* The image_io's copy buffer, allocated on first use; NULL (printed) without memory. */
unsigned char *image_io_buf(struct image_io *io);
void image_io_done(struct image_io *io);

/*
 * Open file entry @e (a regular file, never a FIFO or a device), or decompress it
 * into @io. Errors are printed, naming the file: -EIO, -EBADMSG (corrupt
 * compressed data), -EFBIG (decompressed, above IMAGE_DECOMP_MAX), -ENOMEM.
 */
int image_src_open(struct image_io *io, const struct image_entry *e, struct image_src *s);
void image_src_close(struct image_src *s);

/*
 * Read at most @len bytes of an open file (@s->fd >= 0), never past @s->size: the
 * count (> 0), or -EIO (printed) on a read error or when the file ends early (it
 * shrank while being read). Only while @s->done < @s->size.
 */
ssize_t image_src_read(struct image_src *s, void *buf, size_t len);

/* Once @s->done == @s->size: 0 when the file ends there, -EIO (printed) when it
 * grew while being read. */
int image_src_end(struct image_src *s);

/* cpio: the compression of an archive, from --compress (@compress) or the suffix of
 * -o (@output): "zstd", "xz", "gzip" or "none". */
const char *cpio_compression(const char *compress, const char *output);

/* Progress on stderr: "N/TOTAL files, X MiB" on one line, redrawn at most every
 * 100 ms; image_progress_end() clears it. No-ops unless img->progress. */
void image_progress(struct image *img, size_t done, uint64_t bytes);
void image_progress_end(struct image *img);

#endif
