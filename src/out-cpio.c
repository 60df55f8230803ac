/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --format cpio: the module image as a newc cpio archive (what the kernel unpacks
 * as an initramfs, alone or appended to another one), with zstd, xz or gzip
 * compression. Reproducible: entries sorted, inode numbers by position, owner 0:0,
 * mtime SOURCE_DATE_EPOCH or 0, no gzip timestamp; an uncompressed archive is padded
 * to 512 bytes like cpio -o, a compressed one is not padded at all.
 *
 * The archive is written here, the bytes libarchive's newc writer gives, streamed
 * through one 1 MiB buffer: never whole in memory, each file read straight into
 * the buffer. Uncompressed, the buffer goes to the output file as it fills and
 * libarchive is not even loaded (with its dozen dependencies it cost as much as
 * all the rest for a small image); compressed with zstd or gzip, libarchive
 * compresses the stream (its "raw" format: one entry, no header of its own). xz is
 * written here with liblzma: libarchive's xz writer always uses the CRC64 check, and
 * the kernel's XZ decoder accepts only CRC32 or none ("Input was encoded with
 * settings that are not supported"), so it could not unpack the image. CRC32, as
 * dracut and mkinitramfs write it (xz --check=crc32).
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <inttypes.h>
#include <lzma.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image.h"
#include "output.h"

/* The output: the archive's next bytes, and where they go. */
struct cpio {
	FILE *fp;
	const char *name;  /* for messages: -o, or "stdout" */
	struct archive *a; /* the compressor (zstd, gzip), or NULL */
	lzma_stream *xz;   /* the xz compressor, or NULL */
	struct image_io io;
	unsigned char *buf; /* io.buf, IMAGE_COPY_BUF bytes, @len of them pending */
	size_t len;
	uint64_t total; /* bytes of the (uncompressed) archive so far */
};

static bool ends_with(const char *s, const char *sfx)
{
	size_t a = strlen(s), b = strlen(sfx);

	return a >= b && strcmp(s + a - b, sfx) == 0;
}

const char *cpio_compression(const char *compress, const char *output)
{
	if (compress)
		return compress;
	if (output && ends_with(output, ".zst"))
		return "zstd";
	if (output && ends_with(output, ".xz"))
		return "xz";
	if (output && ends_with(output, ".gz"))
		return "gzip";
	return "none";
}

/* An error of libarchive while writing: the output's errno. */
static int archive_failed(struct cpio *c)
{
	int e = archive_errno(c->a);

	log_error("%s: %s", c->name, e > 0 ? strerror(e) : archive_error_string(c->a));
	return -ECANCELED;
}

/* libarchive as the compressor @comp (zstd or gzip) of the stream, written to c->fp. */
static int compressor_open(struct cpio *c, const char *comp, int level)
{
	struct archive *a = archive_write_new();
	struct archive_entry *ae = archive_entry_new();
	int r;

	c->a = a;
	if (!a || !ae) {
		archive_entry_free(ae);
		return -ENOMEM;
	}
	r = archive_write_set_format_raw(a);
	if (r == ARCHIVE_OK) {
		if (strcmp(comp, "zstd") == 0)
			r = archive_write_add_filter_zstd(a);
		else {
			r = archive_write_add_filter_gzip(a);
			/* no time in the gzip header */
			if (r == ARCHIVE_OK)
				r = archive_write_set_filter_option(a, "gzip",
								    "timestamp", NULL);
		}
	}
	if (r == ARCHIVE_OK && level >= 0) {
		char s[16];

		snprintf(s, sizeof(s), "%d", level);
		r = archive_write_set_filter_option(a, NULL, "compression-level", s);
	}
	/* no blocking, no padding of the compressed stream */
	if (r == ARCHIVE_OK)
		r = archive_write_set_bytes_per_block(a, 0);
	if (r == ARCHIVE_OK)
		r = archive_write_set_bytes_in_last_block(a, 1);
	if (r != ARCHIVE_OK) {
		log_error("%s compression: %s", comp, archive_error_string(a));
		archive_entry_free(ae);
		return -ECANCELED;
	}
	if (archive_write_open_FILE(a, c->fp) != ARCHIVE_OK) {
		archive_entry_free(ae);
		return archive_failed(c);
	}
	/* the raw format's one entry: the whole cpio stream */
	archive_entry_set_filetype(ae, AE_IFREG);
	r = archive_write_header(a, ae);
	archive_entry_free(ae);
	return r < ARCHIVE_WARN ? archive_failed(c) : 0;
}

static int write_fd(struct cpio *c, const unsigned char *p, size_t left);

/* The xz compressor, preset @level (0-9; -1: 6, xz's default), check CRC32. */
static int xz_open(struct cpio *c, int level)
{
	lzma_ret e;

	/* (liblzma: loaded by main() before the output was created) */
	c->xz = calloc(1, sizeof(*c->xz) + IMAGE_COPY_BUF);
	if (!c->xz)
		return -ENOMEM;
	e = lzma_easy_encoder(c->xz, level < 0 ? 6 : (uint32_t)level, LZMA_CHECK_CRC32);
	if (e != LZMA_OK) {
		free(c->xz);
		c->xz = NULL;
		log_error("xz compression: %s",
			    e == LZMA_MEM_ERROR ? strerror(ENOMEM) : "unsupported preset");
		return -ECANCELED;
	}
	return 0;
}

/* Compress @n bytes (or, with LZMA_FINISH, the end of the stream) and write what
 * comes out; the output buffer follows the stream struct. */
static int xz_put(struct cpio *c, const unsigned char *p, size_t n, lzma_action action)
{
	unsigned char *out = (unsigned char *)(c->xz + 1);

	c->xz->next_in = p;
	c->xz->avail_in = n;
	for (;;) {
		lzma_ret e;
		int r;

		c->xz->next_out = out;
		c->xz->avail_out = IMAGE_COPY_BUF;
		e = lzma_code(c->xz, action);
		if (e != LZMA_OK && e != LZMA_STREAM_END) {
			log_error("xz compression: %s",
				    e == LZMA_MEM_ERROR ? strerror(ENOMEM) : "failed");
			return -ECANCELED;
		}
		r = write_fd(c, out, IMAGE_COPY_BUF - c->xz->avail_out);
		if (r < 0)
			return r;
		if (action == LZMA_FINISH ? e == LZMA_STREAM_END : c->xz->avail_in == 0)
			return 0;
	}
}

static void xz_close(struct cpio *c)
{
	if (!c->xz)
		return;
	lzma_end(c->xz);
	free(c->xz);
	c->xz = NULL;
}

/* Write out the pending bytes. */
static int flush(struct cpio *c)
{
	size_t left = c->len;

	c->len = 0;
	if (c->xz)
		return xz_put(c, c->buf, left, LZMA_RUN);
	return write_fd(c, c->buf, left);
}

/* Write @left bytes to the output: through libarchive's compressor, or as they are. */
static int write_fd(struct cpio *c, const unsigned char *p, size_t left)
{
	while (left > 0) {
		ssize_t n;

		if (c->a) {
			n = archive_write_data(c->a, p, left);
			if (n <= 0)
				return archive_failed(c);
		} else {
			n = write(fileno(c->fp), p, left);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				log_error("%s: %s", c->name,
					    strerror(n < 0 ? errno : EIO));
				return -ECANCELED;
			}
		}
		p += n;
		left -= (size_t)n;
	}
	return 0;
}

static int put(struct cpio *c, const void *data, size_t n)
{
	const unsigned char *p = data;
	int r;

	while (n > 0) {
		size_t k = IMAGE_COPY_BUF - c->len;

		if (k == 0) {
			if ((r = flush(c)) < 0)
				return r;
			k = IMAGE_COPY_BUF;
		}
		if (k > n)
			k = n;
		memcpy(c->buf + c->len, p, k);
		c->len += k;
		c->total += k;
		p += k;
		n -= k;
	}
	return 0;
}

/* NUL bytes up to the next multiple of @align (4: newc; 512: the last block). */
static int pad(struct cpio *c, unsigned int align)
{
	static const char zeros[512];

	return put(c, zeros, (align - c->total % align) % align);
}

static void hex8(char *p, uint32_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 4)
		p[i] = "0123456789abcdef"[v & 0xf];
}

/* A newc header and name, padded; the data (@size bytes) follows. */
static int header(struct cpio *c, uint32_t ino, uint32_t mode, uint32_t nlink,
		  uint32_t mtime, uint64_t size, const char *path)
{
	size_t namesize = strlen(path) + 1;
	uint32_t f[13] = { ino, mode, 0, 0, nlink, mtime, (uint32_t)size, 0, 0, 0, 0,
			   (uint32_t)namesize, 0 };
	char h[6 + 13 * 8];
	int r;

	if (size > UINT32_MAX) {
		log_error("%s: %" PRIu64 " bytes: too large for a newc cpio archive",
			    path, size);
		return -ECANCELED;
	}
	memcpy(h, "070701", 6);
	for (int i = 0; i < 13; i++)
		hex8(h + 6 + 8 * i, f[i]);
	if ((r = put(c, h, sizeof(h))) < 0 || (r = put(c, path, namesize)) < 0)
		return r;
	return pad(c, 4);
}

/* The content of an open file, read into the buffer as it empties. */
static int put_file(struct cpio *c, struct image_src *s)
{
	int r;

	if (s->fd < 0)
		return put(c, s->data, s->size);
	while (s->done < s->size) {
		ssize_t n;

		if (c->len == IMAGE_COPY_BUF && (r = flush(c)) < 0)
			return r;
		n = image_src_read(s, c->buf + c->len, IMAGE_COPY_BUF - c->len);
		if (n < 0)
			return -ECANCELED;
		c->len += (size_t)n;
		c->total += (uint64_t)n;
	}
	return image_src_end(s) < 0 ? -ECANCELED : 0;
}

static int write_entry(struct cpio *c, const struct image *img, size_t i, uint64_t *bytes)
{
	const struct image_entry *e = &img->v[i];
	_cleanup_(image_src_close) struct image_src s = { .fd = -1 };
	uint32_t ino = (uint32_t)i + 1, mtime = (uint32_t)img->mtime;
	int r;

	switch (e->type) {
	case IMAGE_DIR:
		return header(c, ino, S_IFDIR | e->mode, 2, mtime, 0, e->path);
	case IMAGE_SYMLINK:
		/* the target is the data */
		r = header(c, ino, S_IFLNK | e->mode, 1, mtime, strlen(e->target),
			   e->path);
		if (r == 0)
			r = put(c, e->target, strlen(e->target));
		return r < 0 ? r : pad(c, 4);
	case IMAGE_FILE:
		break;
	}
	if (image_src_open(&c->io, e, &s) < 0)
		return -ECANCELED;
	r = header(c, ino, S_IFREG | e->mode, 1, mtime, s.size, e->path);
	if (r == 0)
		r = put_file(c, &s);
	if (r == 0)
		r = pad(c, 4);
	*bytes += s.size;
	return r;
}

/* The trailer entry, the last block's padding, and the compressor's end. */
static int finish(struct cpio *c)
{
	int r = header(c, 0, 0, 1, 0, 0, "TRAILER!!!");

	if (r == 0 && !c->a && !c->xz)
		r = pad(c, 512);
	if (r == 0)
		r = flush(c);
	if (r == 0 && c->xz)
		r = xz_put(c, NULL, 0, LZMA_FINISH);
	if (r == 0 && c->a && archive_write_close(c->a) != ARCHIVE_OK)
		r = archive_failed(c);
	return r;
}

static int cpio_write(struct output *out)
{
	const struct image_opts *o = out->opts->image;
	const char *comp = cpio_compression(o->compress, o->output);
	struct cpio c = {
		.fp = out->fp,
		.name = o->output && strcmp(o->output, "-") ? o->output : "stdout",
	};
	struct image img;
	uint64_t bytes = 0;
	int r;

	if (out->fp == stdout && isatty(STDOUT_FILENO)) {
		log_error("refusing to write a cpio archive to a terminal (use -o FILE)");
		return -ECANCELED;
	}
	/* A size limit (ulimit -f) is an error to report, not a signal that kills. */
	signal(SIGXFSZ, SIG_IGN);
	r = image_build(&img, (struct modset_set *)out->set, o);
	if (r < 0)
		return -ECANCELED;
	c.buf = image_io_buf(&c.io);
	if (!c.buf)
		r = -ECANCELED;
	else if (fflush(c.fp) != 0) /* written by fd from here on */
		r = -errno;
	else if (strcmp(comp, "xz") == 0)
		r = xz_open(&c, o->compress_level);
	else if (strcmp(comp, "none") != 0)
		r = compressor_open(&c, comp, o->compress_level);
	for (size_t i = 0; i < img.n && r == 0; i++) {
		r = write_entry(&c, &img, i, &bytes);
		image_progress(&img, i + 1, bytes);
	}
	image_progress_end(&img);
	if (r == 0)
		r = finish(&c);
	if (c.a)
		archive_write_free(c.a);
	xz_close(&c);
	image_io_done(&c.io);
	image_done(&img);
	return r;
}

const struct output_format output_cpio = {
	.name = "cpio",
	.resolve_flags = MODSET_RESOLVE_MODINFO,
	.write = cpio_write,
};
