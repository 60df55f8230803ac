/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --check IMAGE: the initramfs reader and the completeness check.
 *
 * An initramfs is what the kernel's init/initramfs.c unpacks: a sequence of
 * segments, each a newc cpio archive ("070701"/"070702" headers, ending with a
 * "TRAILER!!!" entry) either as is or compressed as a whole; NUL bytes may pad the
 * space between segments, and the data a compressed segment decompresses to may
 * itself hold several archives separated by NULs. libarchive reads one compressed
 * stream at a time, so the segments are found here: a plain archive is parsed in
 * place (its end is exact), a compressed one is decompressed with libarchive's raw
 * format and parsed from the stream, and its end in the file is the stream's end:
 * what the decompressor consumed (gzip, bzip2, lzma), or, where libarchive rejects
 * trailing data or reads past the end, the end found from the format itself
 * (zstd frame sizes, the xz stream footer, lz4 block sizes).
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>
#include <zstd.h>

#include "check.h"
#include "hostonly.h"
#include "log.h"
#include "output.h"

#define EXIT_INPUT 2
#define EXIT_STRICT 3
#define CPIO_HDR 110
#define MAX_LINKS 40
/*
 * Bounds on what a hostile image can make --check do (past one: exit 2, naming the
 * image and the offset). Real initramfs images are far below each: Debian's
 * largest have some 10,000 entries and 2 MB of names, and compress 3:1 to 6:1.
 */
#define IMAGE_MAX (2ull << 30)		/* bytes of the image file (or pipe) */
#define ENTRIES_MAX 1000000		/* entries in all segments */
#define NAME_BYTES_MAX (64ull << 20)	/* bytes of entry names and link targets */
#define SEGMENT_MAX (2ull << 30)	/* decompressed bytes of one segment, and */
#define SEGMENT_RATIO 64		/* at most 64 times its compressed size, */
#define SEGMENT_FLOOR (256ull << 20)	/* or 256 MiB if that is more */
#define LINK_WORK_MAX (256ull << 20)	/* bytes of paths compared resolving links */

/* ------------------------------------------------------------------------- */
/* The image                                                                   */

enum ent_type { ENT_FILE, ENT_DIR, ENT_LINK, ENT_OTHER };

struct ent {
	char *path;   /* normalized: relative, no "." or empty components */
	char *link;   /* ENT_LINK: the target */
	enum ent_type type;
	size_t seq;   /* position in the image: a later entry replaces an earlier one */
};

struct segment {
	uint64_t offset, end;
	const char *compression; /* "none", "gzip", ... */
	size_t archives, entries;
};

struct imgmod {
	const char *kver; /* borrowed from the entry path copy below */
	char *kver_buf;
	char name[256];	  /* normalized */
	const char *path; /* the entry's path */
};

struct check_image {
	char *name;
	uint64_t size;
	struct ent *ents;
	size_t n_ents, alloc_ents;
	struct segment *segs;
	size_t n_segs, alloc_segs;
	struct imgmod *mods; /* sorted by (kver, name, path) */
	size_t n_mods;
	uint64_t entries, name_bytes;
	/* bytes of paths looked at by resolve(), which may be called on a const image */
	uint64_t *link_work;
};



static uint32_t le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* CRC-32 (IEEE 802.3, as xz and gzip use it). */
static uint32_t crc32_buf(const unsigned char *p, size_t n)
{
	static uint32_t table[256];
	uint32_t c = 0xFFFFFFFFu;

	if (!table[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t v = i;

			for (int k = 0; k < 8; k++)
				v = v & 1 ? 0xEDB88320u ^ (v >> 1) : v >> 1;
			table[i] = v;
		}
	while (n--)
		c = table[(c ^ *p++) & 0xFF] ^ (c >> 8);
	return c ^ 0xFFFFFFFFu;
}

/* ---- where a compressed stream ends ---- */

/* zstd: consecutive frames (skippable ones included). */
static size_t zstd_end(const unsigned char *p, size_t n)
{
	size_t off = 0;

	while (n - off >= 4) {
		uint32_t m = le32(p + off);
		size_t s;

		if (m != 0xFD2FB528u && (m & 0xFFFFFFF0u) != 0x184D2A50u)
			break;
		s = ZSTD_findFrameCompressedSize(p + off, n - off);
		if (ZSTD_isError(s))
			return n; /* truncated or corrupt: the decompressor says which */
		off += s;
	}
	return off ? off : n;
}

/* xz: the first stream footer ("YZ" at the end, 4-byte aligned, its CRC32 right, the
 * same stream flags as the header, its backward size leading to an index). */
static size_t xz_end(const unsigned char *p, size_t n)
{
	if (n < 32)
		return n;
	for (size_t f = 12; f + 12 <= n; f += 4) {
		uint64_t isz;

		if (p[f + 10] != 'Y' || p[f + 11] != 'Z' || memcmp(p + f + 8, p + 6, 2) != 0)
			continue;
		if (crc32_buf(p + f + 4, 6) != le32(p + f))
			continue;
		isz = ((uint64_t)le32(p + f + 4) + 1) * 4;
		if (isz > f - 12 || p[f - isz] != 0)
			continue;
		return f + 12;
	}
	return n;
}

/* lz4 legacy format (what the kernel's unlz4 reads): magic, then blocks of
 * (le32 size, data), a repeated magic allowed; a size of 0 or larger than a block
 * can be (LZ4_compressBound(8 MiB)) is not a block any more. */
static size_t lz4_legacy_end(const unsigned char *p, size_t n)
{
	const uint64_t bound = (8u << 20) + (8u << 20) / 255 + 16;
	size_t off = 4;

	while (n - off >= 4) {
		uint32_t s = le32(p + off);

		if (s == 0x184C2102u) {
			off += 4;
			continue;
		}
		if (s == 0 || s > bound)
			return off;
		if (s > n - off - 4)
			return n;
		off += 4 + (size_t)s;
	}
	return off < n ? off : n;
}

/* lz4 frame format: header, blocks until the end mark, optional checksum. */
static size_t lz4_frame_end(const unsigned char *p, size_t n)
{
	unsigned char flg;
	uint64_t off = 7;

	if (n < 7)
		return n;
	flg = p[4];
	off += (flg & 0x08 ? 8 : 0) + (flg & 0x01 ? 4 : 0);
	for (;;) {
		uint32_t s;

		if (off + 4 > n)
			return n;
		s = le32(p + off);
		off += 4;
		if (s == 0)
			break;
		off += (s & 0x7FFFFFFFu) + (flg & 0x10 ? 4 : 0);
	}
	off += flg & 0x04 ? 4 : 0;
	return off < n ? off : n;
}

struct comp {
	const char *name;
	const char *magic;
	size_t mlen;
	int code; /* ARCHIVE_FILTER_* */
	size_t (*end)(const unsigned char *p, size_t n); /* NULL: what was consumed */
};

static const struct comp comps[] = {
	{ "gzip", "\x1f\x8b", 2, ARCHIVE_FILTER_GZIP, NULL },
	{ "bzip2", "BZh", 3, ARCHIVE_FILTER_BZIP2, NULL },
	{ "xz", "\xfd" "7zXZ\0", 6, ARCHIVE_FILTER_XZ, xz_end },
	{ "lzma", "\x5d\x00\x00", 3, ARCHIVE_FILTER_LZMA, NULL },
	{ "lzo", "\x89LZO", 4, ARCHIVE_FILTER_LZOP, NULL },
	{ "lz4", "\x02\x21\x4c\x18", 4, ARCHIVE_FILTER_LZ4, lz4_legacy_end },
	{ "lz4", "\x04\x22\x4d\x18", 4, ARCHIVE_FILTER_LZ4, lz4_frame_end },
	{ "zstd", "\x28\xb5\x2f\xfd", 4, ARCHIVE_FILTER_ZSTD, zstd_end },
};

static const struct comp *comp_detect(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < sizeof(comps) / sizeof(comps[0]); i++)
		if (n >= comps[i].mlen && memcmp(p, comps[i].magic, comps[i].mlen) == 0)
			return &comps[i];
	return NULL;
}

/* ---- a byte stream: the file itself, or the data of a compressed segment ---- */

struct rd {
	const char *image;
	const struct segment *seg;
	struct archive *a; /* NULL: reading the file in memory */
	const unsigned char *blk;
	size_t blen, bpos;
	uint64_t pos; /* offset in the file, or in the decompressed data */
	uint64_t max; /* decompressed: the bytes allowed (0: none) */
};

static void rd_err(const struct rd *r, uint64_t pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void rd_err(const struct rd *r, uint64_t pos, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (r->a)
		log_error("%s: offset %llu: %s segment: offset %llu of its decompressed data: %s",
			  r->image, (unsigned long long)r->seg->offset, r->seg->compression,
			  (unsigned long long)pos, what);
	else
		log_error("%s: offset %llu: %s", r->image, (unsigned long long)pos, what);
}

/* 1: bytes available, 0: end of stream, -EBADMSG: decompression failed (printed). */
static int rd_fill(struct rd *r)
{
	while (r->bpos >= r->blen) {
		const void *b;
		size_t s;
		la_int64_t o;
		int x;

		if (!r->a)
			return 0;
		x = archive_read_data_block(r->a, &b, &s, &o);
		if (x == ARCHIVE_EOF)
			return 0;
		if (x != ARCHIVE_OK) {
			const char *e = archive_error_string(r->a);

			rd_err(r, r->pos, "%s", e ? e : "decompression failed");
			return -EBADMSG;
		}
		r->blk = b;
		r->blen = s;
		r->bpos = 0;
		if (r->max && r->pos + s > r->max) {
			rd_err(r, r->max, "decompresses to more than %llu MiB (the limit of "
					  "--check: %d times the segment, at least %llu MiB, at "
					  "most %llu MiB)",
			       (unsigned long long)r->max >> 20, SEGMENT_RATIO, SEGMENT_FLOOR >> 20,
			       SEGMENT_MAX >> 20);
			return -EBADMSG;
		}
	}
	return 1;
}

/* Read (@buf) or skip (@buf NULL) @n bytes: 0, 1 at the end of the stream first,
 * or -EBADMSG. */
static int rd_read(struct rd *r, void *buf, uint64_t n)
{
	unsigned char *p = buf;

	while (n) {
		int f = rd_fill(r);
		size_t k;

		if (f <= 0)
			return f < 0 ? f : 1;
		k = r->blen - r->bpos;
		if (k > n)
			k = (size_t)n;
		if (p) {
			memcpy(p, r->blk + r->bpos, k);
			p += k;
		}
		r->bpos += k;
		r->pos += k;
		n -= k;
	}
	return 0;
}

/* Skip NUL bytes; *c gets the next byte, or -1 at the end. 0 or -EBADMSG. */
static int rd_skip_nul(struct rd *r, int *c)
{
	for (;;) {
		int f = rd_fill(r);

		if (f <= 0) {
			*c = -1;
			return f;
		}
		while (r->bpos < r->blen && r->blk[r->bpos] == 0) {
			r->bpos++;
			r->pos++;
		}
		if (r->bpos < r->blen) {
			*c = r->blk[r->bpos];
			return 0;
		}
	}
}

/* ---- the entries ---- */

static int add_ent(struct check_image *img, char *path, char *link, enum ent_type type)
{
	if (img->n_ents == img->alloc_ents) {
		size_t n = img->alloc_ents ? img->alloc_ents * 2 : 256;
		struct ent *v = realloc(img->ents, n * sizeof(*v));

		if (!v)
			return -ENOMEM;
		img->ents = v;
		img->alloc_ents = n;
	}
	img->ents[img->n_ents] = (struct ent){ path, link, type, img->n_ents };
	img->n_ents++;
	return 0;
}

/*
 * Normalize a path (a cpio name or a joined symlink target) in place: drop "." and
 * empty components. Returns 0, 1 when nothing is left ("." itself), -EINVAL for an
 * absolute path (when @relative_only), -EXDEV for a ".." component (when
 * @relative_only; otherwise ".." goes up, and never above the top).
 */
static int path_clean(char *s, bool relative_only)
{
	char *out = s, *p = s;

	if (relative_only && s[0] == '/')
		return -EINVAL;
	while (*p) {
		char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len == 0 || (len == 1 && p[0] == '.')) {
			/* skip */
		} else if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (relative_only)
				return -EXDEV;
			while (out > s && out[-1] != '/')
				out--;
			if (out > s)
				out--;
		} else {
			if (out > s)
				*out++ = '/';
			memmove(out, p, len);
			out += len;
		}
		p += len + (e ? 1 : 0);
	}
	*out = '\0';
	return s[0] ? 0 : 1;
}

static int parse_hex(const char *p, unsigned long *v)
{
	*v = 0;
	for (int i = 0; i < 8; i++) {
		int c = p[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		*v = *v << 4 | (unsigned long)d;
	}
	return 0;
}

/* One newc archive, from its first header through its TRAILER!!! entry. */
static int parse_archive(struct check_image *img, struct rd *r, size_t *entries)
{
	const uint64_t start = r->pos;

	for (;;) {
		const uint64_t at = r->pos;
		char hdr[CPIO_HDR];
		unsigned long f[13], mode, size, namesize;
		char *name, *link = NULL, *shown;
		enum ent_type type;
		bool dot;
		int x;

		x = rd_read(r, hdr, CPIO_HDR);
		if (x < 0)
			return x;
		if (x > 0) {
			rd_err(r, at, "truncated cpio archive (no TRAILER!!! entry)");
			return -EBADMSG;
		}
		if (memcmp(hdr, "070701", 6) != 0 && memcmp(hdr, "070702", 6) != 0) {
			rd_err(r, at, "not a newc cpio header");
			return -EBADMSG;
		}
		for (int i = 0; i < 13; i++)
			if (parse_hex(hdr + 6 + 8 * i, &f[i]) < 0) {
				rd_err(r, at, "corrupt cpio header (a field is not hexadecimal)");
				return -EBADMSG;
			}
		mode = f[1];
		size = f[6];
		namesize = f[11];
		if (namesize == 0 || namesize > PATH_MAX) {
			rd_err(r, at, "corrupt cpio header (name size %lu)", namesize);
			return -EBADMSG;
		}
		if (++img->entries > ENTRIES_MAX) {
			rd_err(r, at, "more than %d entries (the limit of --check)", ENTRIES_MAX);
			return -EBADMSG;
		}
		img->name_bytes += namesize + ((mode & S_IFMT) == S_IFLNK ? size : 0);
		if (img->name_bytes > NAME_BYTES_MAX) {
			rd_err(r, at, "more than %llu MiB of entry names and link targets (the "
				      "limit of --check)",
			       NAME_BYTES_MAX >> 20);
			return -EBADMSG;
		}
		name = malloc(namesize);
		if (!name)
			return -ENOMEM;
		x = rd_read(r, name, namesize);
		if (x == 0 && (name[namesize - 1] != '\0' || strlen(name) != namesize - 1)) {
			free(name);
			rd_err(r, at, "corrupt cpio header (name not NUL-terminated)");
			return -EBADMSG;
		}
		if (x == 0)
			x = rd_read(r, NULL, (4 - (r->pos - start) % 4) % 4);
		if (x != 0) {
			free(name);
			if (x > 0)
				rd_err(r, at, "truncated cpio entry");
			return x > 0 ? -EBADMSG : x;
		}
		if (strcmp(name, "TRAILER!!!") == 0) {
			free(name);
			/* the data and padding of the trailer, if any; the end may come first */
			x = rd_read(r, NULL, size);
			if (x == 0)
				x = rd_read(r, NULL, (4 - (r->pos - start) % 4) % 4);
			return x < 0 ? x : 0;
		}
		/* the name as written, for messages (log.c makes it printable) */
		shown = strdup(name);
		if (!shown) {
			free(name);
			return -ENOMEM;
		}
		x = path_clean(name, true);
		if (x < 0) {
			rd_err(r, at, "cpio entry \"%s\": %s", shown,
			       x == -EINVAL ? "absolute path" : "\"..\" in the path");
			free(shown);
			free(name);
			return -EBADMSG;
		}
		dot = x == 1; /* "." or "./": the top directory itself */
		switch (mode & S_IFMT) {
		case S_IFREG: type = ENT_FILE; break;
		case S_IFDIR: type = ENT_DIR; break;
		case S_IFLNK: type = ENT_LINK; break;
		default: type = ENT_OTHER; break;
		}
		if (type == ENT_LINK) {
			if (size == 0 || size >= PATH_MAX) {
				rd_err(r, at, "cpio entry \"%s\": symlink target of %lu bytes", shown,
				       size);
				free(shown);
				free(name);
				return -EBADMSG;
			}
			link = calloc(1, size + 1);
			x = link ? rd_read(r, link, size) : -ENOMEM;
		} else {
			x = rd_read(r, NULL, size);
		}
		if (x == 0)
			x = rd_read(r, NULL, (4 - (r->pos - start) % 4) % 4);
		if (x > 0)
			rd_err(r, at, "truncated cpio entry \"%s\" (%lu bytes of data)", shown, size);
		free(shown);
		if (x != 0) {
			free(name);
			free(link);
			return x > 0 ? -EBADMSG : x;
		}
		(*entries)++;
		if (dot) {
			free(name);
			free(link);
			continue;
		}
		if (add_ent(img, name, link, type) < 0) {
			free(name);
			free(link);
			return -ENOMEM;
		}
	}
}

static struct segment *add_segment(struct check_image *img, uint64_t offset, const char *comp)
{
	if (img->n_segs == img->alloc_segs) {
		size_t n = img->alloc_segs ? img->alloc_segs * 2 : 4;
		struct segment *v = realloc(img->segs, n * sizeof(*v));

		if (!v)
			return NULL;
		img->segs = v;
		img->alloc_segs = n;
	}
	img->segs[img->n_segs] = (struct segment){ .offset = offset, .compression = comp };
	return &img->segs[img->n_segs++];
}

/* A compressed segment at @p (@len bytes to the end of the file, or to its end when
 * the format tells it). *consumed: the bytes the decompressor used. */
static int read_compressed(struct check_image *img, const struct comp *c,
			   const unsigned char *p, size_t len, struct segment *seg,
			   uint64_t *consumed)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct rd r = { .image = img->name, .seg = seg };
	int ch, x;

	r.max = (uint64_t)len * SEGMENT_RATIO;
	if (r.max < SEGMENT_FLOOR)
		r.max = SEGMENT_FLOOR;
	if (r.max > SEGMENT_MAX)
		r.max = SEGMENT_MAX;

	if (!a)
		return -ENOMEM;
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_memory(a, p, len) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK) {
		const char *s = archive_error_string(a);

		log_error("%s: offset %llu: %s segment: %s", img->name, (unsigned long long)seg->offset,
		     c->name, s ? s : "cannot be decompressed");
		archive_read_free(a);
		return -EBADMSG;
	}
	if (archive_filter_code(a, 0) != c->code) {
		log_error("%s: offset %llu: %s segment: corrupt header, or %s not supported by "
		     "libarchive",
		     img->name, (unsigned long long)seg->offset, c->name, c->name);
		archive_read_free(a);
		return -EBADMSG;
	}
	r.a = a;
	for (;;) {
		x = rd_skip_nul(&r, &ch);
		if (x < 0 || ch < 0)
			break;
		if (ch != '0') {
			rd_err(&r, r.pos, "junk after the cpio archive (byte 0x%02x)", ch);
			x = -EBADMSG;
			break;
		}
		x = parse_archive(img, &r, &seg->entries);
		if (x < 0)
			break;
		seg->archives++;
	}
	if (x == 0 && seg->archives == 0) {
		rd_err(&r, r.pos, "no cpio archive in the decompressed data");
		x = -EBADMSG;
	}
	*consumed = (uint64_t)archive_filter_bytes(a, -1);
	archive_read_free(a);
	return x;
}

static int cmp_ent(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	return c ? c : x->seq < y->seq ? -1 : x->seq > y->seq;
}

static const struct ent *find_ent(const struct check_image *img, const char *path)
{
	size_t lo = 0, hi = img->n_ents;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(path, img->ents[mid].path);

		if (c == 0)
			return &img->ents[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/*
 * The entry @path leads to in the image, symbolic links (of its directories too)
 * followed as in the unpacked image; NULL when there is none. A directory that is
 * not listed itself is fine: only listed symlinks change the path. An entry listed
 * under a path that goes through a symlink ("lib/firmware/x" with "lib -> usr/lib")
 * is found at that path too, as extracting it would have put it behind the link.
 * *@resolved (optional) gets the path with every link replaced, even when nothing
 * is there (NULL on a loop or ENOMEM); free it.
 */
static const struct ent *resolve(const struct check_image *img, const char *path,
				 char **resolved)
{
	char *cur = strdup(path);
	unsigned int hops = 0;
	const struct ent *e = NULL;
	char *p;

	if (resolved)
		*resolved = NULL;
	if (!cur || path_clean(cur, false) != 0)
		goto out;
	p = cur;
	for (;;) {
		char *slash, *next = NULL, *dir_end;
		const char *rest;
		int k;

		/* every look-up compares up to the path's length, and a loop under a deep
		 * path repeats them: bounded for the whole image */
		*img->link_work += strlen(cur);
		if (*img->link_work > LINK_WORK_MAX) {
			e = NULL;
			free(cur);
			cur = NULL;
			break;
		}
		if (p == cur && (e = find_ent(img, cur)) && e->type != ENT_LINK)
			break; /* listed as is */
		slash = strchr(p, '/');
		if (slash)
			*slash = '\0';
		e = find_ent(img, cur);
		if (!e || e->type != ENT_LINK) {
			if (!slash)
				break;
			*slash = '/';
			p = slash + 1;
			continue;
		}
		/* cur (up to here) is a symlink: replace it by its target, start again */
		if (++hops > MAX_LINKS) {
			e = NULL;
			free(cur);
			cur = NULL;
			break;
		}
		rest = slash ? slash + 1 : "";
		dir_end = strrchr(cur, '/');
		if (e->link[0] == '/')
			k = asprintf(&next, "%s/%s", e->link, rest);
		else
			k = asprintf(&next, "%.*s/%s/%s", dir_end ? (int)(dir_end - cur) : 0, cur,
				     e->link, rest);
		free(cur);
		cur = k < 0 ? NULL : next;
		e = NULL;
		if (!cur || path_clean(cur, false) != 0)
			break;
		p = cur;
	}
out:
	if (resolved && cur && cur[0]) {
		*resolved = cur;
		cur = NULL;
	}
	free(cur);
	return e;
}

/* "usr/lib/modules/KVER/.../NAME.ko[.xz|.zst|.gz]": the KVER and the module name */
static bool module_path(const char *path, const char **kver, size_t *kver_len, char *name,
			size_t name_size)
{
	static const char *const sfx[] = { ".ko", ".ko.xz", ".ko.zst", ".ko.gz" };
	const char *p = path, *slash, *base;
	size_t blen;

	if (strncmp(p, "usr/", 4) == 0)
		p += 4;
	if (strncmp(p, "lib/modules/", 12) != 0)
		return false;
	p += 12;
	slash = strchr(p, '/');
	if (!slash || slash == p || !slash[1])
		return false;
	base = strrchr(slash, '/') + 1;
	blen = strlen(base);
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		size_t sl = strlen(sfx[i]);

		if (blen > sl && strcmp(base + blen - sl, sfx[i]) == 0) {
			char raw[256];

			if (blen - sl >= sizeof(raw))
				return false;
			memcpy(raw, base, blen - sl);
			raw[blen - sl] = '\0';
			if (!modset_normalize_name(raw, name, name_size))
				return false;
			*kver = p;
			*kver_len = (size_t)(slash - p);
			return true;
		}
	}
	return false;
}

static int cmp_mod(const void *a, const void *b)
{
	const struct imgmod *x = a, *y = b;
	int c = strcmp(x->kver, y->kver);

	if (c == 0)
		c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->path, y->path);
}

/* Sort the entries, keep the last of each path, list the modules. */
static int link_work_error(const struct check_image *img, const char *path)
{
	log_error("%s: entry \"%s\": more than %llu MiB of paths compared resolving symlinks "
		  "(the limit of --check: symlink loops under deep paths?)",
		  img->name, path, LINK_WORK_MAX >> 20);
	return -EBADMSG;
}

static int index_image(struct check_image *img)
{
	size_t n = 0;

	if (img->n_ents)
		qsort(img->ents, img->n_ents, sizeof(*img->ents), cmp_ent);
	for (size_t i = 0; i < img->n_ents; i++) {
		if (i + 1 < img->n_ents && strcmp(img->ents[i].path, img->ents[i + 1].path) == 0) {
			free(img->ents[i].path);
			free(img->ents[i].link);
			continue;
		}
		img->ents[n++] = img->ents[i];
	}
	img->n_ents = n;
	img->mods = calloc(n ? n : 1, sizeof(*img->mods));
	if (!img->mods)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct ent *e = &img->ents[i], *t;
		struct imgmod *m = &img->mods[img->n_mods];
		const char *kver;
		size_t klen;

		if (e->type != ENT_FILE && e->type != ENT_LINK)
			continue;
		if (!module_path(e->path, &kver, &klen, m->name, sizeof(m->name)))
			continue;
		if (e->type == ENT_LINK && (!(t = resolve(img, e->path, NULL)) || t->type != ENT_FILE)) {
			if (*img->link_work > LINK_WORK_MAX)
				return link_work_error(img, e->path);
			continue;
		}
		m->kver_buf = strndup(kver, klen);
		if (!m->kver_buf)
			return -ENOMEM;
		m->kver = m->kver_buf;
		m->path = e->path;
		img->n_mods++;
	}
	if (img->n_mods)
		qsort(img->mods, img->n_mods, sizeof(*img->mods), cmp_mod);
	return 0;
}

void check_image_free(struct check_image *img)
{
	if (!img)
		return;
	for (size_t i = 0; i < img->n_ents; i++) {
		free(img->ents[i].path);
		free(img->ents[i].link);
	}
	for (size_t i = 0; i < img->n_mods; i++)
		free(img->mods[i].kver_buf);
	free(img->ents);
	free(img->segs);
	free(img->mods);
	free(img->link_work);
	free(img->name);
	free(img);
}

static int read_all(int fd, unsigned char **data, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	unsigned char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t k;

		if (n == cap && cap >= IMAGE_MAX) {
			free(buf);
			return -EFBIG;
		}
		if (n == cap) {
			unsigned char *nb = realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		k = read(fd, buf + n, cap - n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return -errno;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	*data = buf;
	*len = n;
	return 0;
}

static int read_segments(struct check_image *img, const unsigned char *data, size_t size)
{
	uint64_t off = 0;

	while (off < size) {
		const struct comp *c;
		struct segment *seg;
		size_t limit;
		uint64_t consumed = 0;
		int r;

		if (data[off] == 0) {
			off++;
			continue;
		}
		if (size - off >= 6 && (memcmp(data + off, "070701", 6) == 0 ||
					memcmp(data + off, "070702", 6) == 0)) {
			struct rd rd = { .image = img->name, .blk = data, .blen = size,
					 .bpos = (size_t)off, .pos = off };

			seg = add_segment(img, off, "none");
			if (!seg)
				return -ENOMEM;
			rd.seg = seg;
			r = parse_archive(img, &rd, &seg->entries);
			if (r < 0)
				return r;
			seg->archives = 1;
			seg->end = off = rd.pos;
			continue;
		}
		c = comp_detect(data + off, size - off);
		if (!c && size - off >= 6 && memcmp(data + off, "070707", 6) == 0) {
			log_error("%s: offset %llu: an odc (070707) cpio archive: the kernel reads newc "
			     "(070701) only",
			     img->name, (unsigned long long)off);
			return -EBADMSG;
		}
		if (!c) {
			const unsigned char *p = data + off;
			size_t k = size - off < 4 ? size - off : 4;
			char hex[16] = "";

			for (size_t i = 0; i < k; i++)
				sprintf(hex + strlen(hex), "%s%02x", i ? " " : "", p[i]);
			log_error("%s: offset %llu: neither a cpio archive nor a known compression "
			     "(bytes %s)",
			     img->name, (unsigned long long)off, hex);
			return -EBADMSG;
		}
		seg = add_segment(img, off, c->name);
		if (!seg)
			return -ENOMEM;
		limit = c->end ? c->end(data + off, size - off) : size - off;
		r = read_compressed(img, c, data + off, limit, seg, &consumed);
		if (r < 0)
			return r;
		if (c->end || consumed == 0 || consumed > limit)
			consumed = limit;
		seg->end = off += consumed;
	}
	return 0;
}

int check_image_read(const char *path, struct check_image **ret)
{
	struct check_image *img = calloc(1, sizeof(*img));
	unsigned char *data = NULL;
	size_t size = 0;
	bool mapped = false;
	struct stat st;
	int fd, r;

	*ret = NULL;
	if (!img || !(img->name = strdup(path)) || !(img->link_work = calloc(1, sizeof(uint64_t)))) {
		if (img)
			free(img->name);
		free(img);
		return -ENOMEM;
	}
	fd = strcmp(path, "-") == 0 ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		log_error("%s: %s", path, strerror(-r));
		if (fd >= 0)
			close(fd);
		check_image_free(img);
		return r;
	}
	if (S_ISDIR(st.st_mode)) {
		log_error("%s: is a directory, not an initramfs image", path);
		close(fd);
		check_image_free(img);
		return -EISDIR;
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > IMAGE_MAX) {
		log_error("%s: offset %llu: larger than %llu MiB (the limit of --check)", path,
			  IMAGE_MAX, IMAGE_MAX >> 20);
		close(fd);
		check_image_free(img);
		return -EFBIG;
	}
	if (S_ISREG(st.st_mode) && st.st_size > 0) {
		size = (size_t)st.st_size;
		data = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
		mapped = data != MAP_FAILED;
		if (!mapped)
			data = NULL;
	}
	if (!mapped && (r = read_all(fd, &data, &size)) < 0) {
		if (r == -EFBIG)
			log_error("%s: offset %llu: larger than %llu MiB (the limit of --check)",
				  path, IMAGE_MAX, IMAGE_MAX >> 20);
		else
			log_error("%s: %s", path, strerror(-r));
		close(fd);
		check_image_free(img);
		return r;
	}
	close(fd);
	img->size = size;
	if (size == 0) {
		log_error("%s: offset 0: empty file", path);
		r = -EBADMSG;
	} else {
		r = read_segments(img, data, size);
		if (r == 0 && img->n_segs == 0) {
			log_error("%s: offset %llu: no cpio archive, only NUL bytes", path,
			     (unsigned long long)size);
			r = -EBADMSG;
		}
	}
	if (mapped)
		munmap(data, size);
	else
		free(data);
	if (r == 0)
		r = index_image(img);
	if (r == -ENOMEM)
		log_error("%s: %s", path, strerror(ENOMEM));
	if (r < 0) {
		check_image_free(img);
		return r;
	}
	*ret = img;
	return 0;
}

static bool has_kver(const struct check_image *img, const char *kver)
{
	for (size_t i = 0; i < img->n_mods; i++)
		if (strcmp(img->mods[i].kver, kver) == 0)
			return true;
	return false;
}

/* The kernel versions with modules, ", "-separated. */
static char *kver_list(const struct check_image *img, size_t *count)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	*count = 0;
	if (!f)
		return NULL;
	for (size_t i = 0; i < img->n_mods; i++)
		if (i == 0 || strcmp(img->mods[i].kver, img->mods[i - 1].kver) != 0)
			fprintf(f, "%s%s", (*count)++ ? ", " : "", img->mods[i].kver);
	fclose(f);
	return s;
}

const char *check_image_kver(const struct check_image *img, const char *kver,
			     const char *moddir)
{
	size_t n;
	char *list;
	const char *base;

	if (img->n_mods == 0) {
		log_error("%s: offset %llu: no kernel modules in the image (no "
		     "[usr/]lib/modules/KVER/.../*.ko[.xz|.zst|.gz] in %zu entries of %zu "
		     "cpio segment%s)",
		     img->name, (unsigned long long)img->size, img->n_ents, img->n_segs,
		     img->n_segs == 1 ? "" : "s");
		return NULL;
	}
	if (kver) {
		if (has_kver(img, kver))
			return kver;
		list = kver_list(img, &n);
		log_error("%s: no modules for kernel %s in the image (it has modules for %s)",
		     img->name, kver, list ? list : "?");
		free(list);
		return NULL;
	}
	list = kver_list(img, &n);
	if (n == 1) {
		free(list);
		return img->mods[0].kver;
	}
	if (moddir) {
		size_t len = strlen(moddir);
		char *copy = strdup(moddir);

		while (copy && len > 1 && copy[len - 1] == '/')
			copy[--len] = '\0';
		base = copy ? strrchr(copy, '/') : NULL;
		base = base ? base + 1 : copy;
		for (size_t i = 0; base && i < img->n_mods; i++)
			if (strcmp(img->mods[i].kver, base) == 0) {
				free(copy);
				free(list);
				return img->mods[i].kver;
			}
		free(copy);
	}
	log_error("%s: modules for several kernels in the image (%s): choose one with --kver",
	     img->name, list ? list : "?");
	free(list);
	return NULL;
}

/* ------------------------------------------------------------------------- */
/* The check                                                                   */

enum item_type { T_ROOT, T_HARD, T_SOFT, T_WEAK, T_FIRMWARE, T_UNKNOWN };

static const char *const type_names[] = { "root", "hard", "soft", "weak", "firmware",
					  "unknown" };

/* Why something is wanted: an edge kind and the module that has it. */
enum want_kind { W_ROOT, W_HARD, W_SOFT_PRE, W_SOFT_POST, W_SOFT, W_WEAK, W_UNTAGGED,
		 W_FIRMWARE };

static const char *const want_names[] = { "root", "hard", "soft-pre", "soft-post", "soft",
					  "weak", "weak", "firmware" };

struct want {
	enum want_kind kind;
	const char *from; /* borrowed from the set; NULL for a root */
	bool from_missing;
};

struct item {
	enum item_type type;
	const char *name; /* borrowed (set, image or firmware name) */
	const char *path; /* T_UNKNOWN: the module's path in the image */
	bool error;
	bool in_tree;
	bool excluded;
	int installed; /* T_FIRMWARE: 1, 0, -1 unknown */
	struct want *w;
	size_t nw;
};

struct checker {
	const struct check_image *img;
	const char *kver;
	const struct check_opts *o;
	struct modset_set *set;
	struct imgmod *mods; /* the image's modules for kver (borrowed), sorted by name */
	size_t n_mods;
	struct item *items;
	size_t n_items, alloc_items;
	/* hard edges (from, to) known from the set: to find the direct ones */
	struct pair {
		const char *from, *to;
	} *pairs;
	size_t n_pairs;
	/* firmware the tree's sysroot lacks (modset_firmware_missing), or NULL */
	struct modset_firmware *fw;
};

static bool in_image(const struct checker *c, const char *name)
{
	size_t lo = 0, hi = c->n_mods;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int k = strcmp(name, c->mods[mid].name);

		if (k == 0)
			return true;
		if (k < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

static struct item *get_item(struct checker *c, enum item_type type, const char *name)
{
	struct item *it;

	for (size_t i = 0; i < c->n_items; i++)
		if (c->items[i].type == type && strcmp(c->items[i].name, name) == 0)
			return &c->items[i];
	if (c->n_items == c->alloc_items) {
		size_t n = c->alloc_items ? c->alloc_items * 2 : 32;
		struct item *v = realloc(c->items, n * sizeof(*v));

		if (!v)
			return NULL;
		c->items = v;
		c->alloc_items = n;
	}
	it = &c->items[c->n_items++];
	*it = (struct item){ .type = type, .name = name, .in_tree = true, .installed = -1 };
	return it;
}

static int add_want(struct item *it, enum want_kind kind, const char *from, bool from_missing)
{
	struct want *v;

	for (size_t i = 0; i < it->nw; i++)
		if (it->w[i].kind == kind &&
		    (it->w[i].from == from ||
		     (it->w[i].from && from && strcmp(it->w[i].from, from) == 0)))
			return 0;
	v = realloc(it->w, (it->nw + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	it->w = v;
	it->w[it->nw++] = (struct want){ kind, from, from_missing };
	return 0;
}

static int cmp_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int k = strcmp(x->from, y->from);

	return k ? k : strcmp(x->to, y->to);
}

static bool has_pair(const struct checker *c, const char *from, const char *to)
{
	struct pair key = { from, to };

	return c->n_pairs &&
	       bsearch(&key, c->pairs, c->n_pairs, sizeof(key), cmp_pair) != NULL;
}

/* A module of the set that is neither built in nor in the image. */
static bool mod_missing(const struct checker *c, const char *name)
{
	const struct modset_module *m = name ? modset_set_find(c->set, name) : NULL;

	if (!name)
		return false;
	if (m && modset_module_is_builtin(m))
		return false;
	return !in_image(c, name);
}

static bool mod_loaded(const struct checker *c, const char *name)
{
	const struct modset_module *m = name ? modset_set_find(c->set, name) : NULL;

	return m && modset_module_is_loaded(m);
}

/* Keep only the direct hard wanters: modules.dep lists every module a module needs,
 * transitively; F -> X is implied when another wanter G of X is a hard dep of F. */
static void direct_hard(const struct checker *c, struct item *it)
{
	size_t n = 0;

	for (size_t i = 0; i < it->nw; i++) {
		bool implied = false;

		if (it->w[i].kind == W_HARD)
			for (size_t k = 0; k < it->nw && !implied; k++)
				implied = k != i && it->w[k].kind == W_HARD &&
					  has_pair(c, it->w[i].from, it->w[k].from);
		if (!implied)
			it->w[n++] = it->w[i];
	}
	it->nw = n;
}

static int collect_pairs(struct checker *c)
{
	size_t n = modset_set_count(c->set), cap = 0;

	for (size_t i = 0; i < n; i++) {
		const struct modset_module *m = modset_set_get(c->set, i);
		size_t nr = modset_module_get_reason_count(m);

		for (size_t k = 0; k < nr; k++) {
			enum modset_edge edge;
			const char *from;

			modset_module_get_reason(m, k, &edge, &from, NULL);
			if (edge != MODSET_EDGE_HARD || !from)
				continue;
			if (c->n_pairs == cap) {
				struct pair *v;

				cap = cap ? cap * 2 : 64;
				v = realloc(c->pairs, cap * sizeof(*v));
				if (!v)
					return -ENOMEM;
				c->pairs = v;
			}
			c->pairs[c->n_pairs++] = (struct pair){ from, modset_module_get_name(m) };
		}
	}
	if (c->n_pairs)
		qsort(c->pairs, c->n_pairs, sizeof(*c->pairs), cmp_pair);
	return 0;
}

/* ---- firmware in the image ---- */

/* Whether a file listed in directory @dir of the image matches @base. */
static bool glob_in_dir(const struct check_image *img, const char *dir, const char *base)
{
	size_t len = strlen(dir);

	for (size_t i = 0; i < img->n_ents; i++) {
		const struct ent *x = &img->ents[i], *e;

		if (strncmp(x->path, dir, len) != 0 || x->path[len] != '/' ||
		    strchr(x->path + len + 1, '/') || fnmatch(base, x->path + len + 1, 0) != 0)
			continue;
		e = resolve(img, x->path, NULL);
		if (e && e->type != ENT_DIR)
			return true;
	}
	return false;
}

/* Whether a file of the image matches @pattern (a glob in its last component), in
 * its directory as listed or as resolved through links. */
static bool fw_glob(const struct check_image *img, const char *pattern)
{
	const char *slash = strrchr(pattern, '/');
	char *dir = slash ? strndup(pattern, (size_t)(slash - pattern)) : NULL, *rdir = NULL;
	bool found;

	if (!dir || strpbrk(dir, "*?[")) {
		free(dir);
		return false; /* firmware= names glob their file names only */
	}
	found = glob_in_dir(img, dir, slash + 1);
	if (!found) {
		resolve(img, dir, &rdir);
		found = rdir && strcmp(rdir, dir) != 0 && glob_in_dir(img, rdir, slash + 1);
	}
	free(dir);
	free(rdir);
	return found;
}

static bool fw_in_image(const struct checker *c, const char *name)
{
	static const char *const sfx[] = { "", ".zst", ".xz" };
	/* the kernel's search path (drivers/base/firmware_loader), NULL = KVER */
	static const char *const dirs[][2] = { { "lib/firmware/updates/", NULL },
					       { "lib/firmware/updates", "" },
					       { "lib/firmware/", NULL },
					       { "lib/firmware", "" } };
	bool glob = strpbrk(name, "*?[") != NULL;

	for (size_t u = 0; u < 2; u++)
		for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++)
			for (size_t s = 0; s < sizeof(sfx) / sizeof(sfx[0]); s++) {
				char path[PATH_MAX];
				const struct ent *e;

				if ((size_t)snprintf(path, sizeof(path), "%s%s%s/%s%s",
						     u ? "usr/" : "", dirs[d][0],
						     dirs[d][1] ? dirs[d][1] : c->kver, name,
						     sfx[s]) >= sizeof(path))
					continue;
				if (!glob) {
					e = resolve(c->img, path, NULL);
					if (e && e->type != ENT_DIR)
						return true;
					continue;
				}
				if (fw_glob(c->img, path))
					return true;
			}
	return false;
}

/* Whether the tree's sysroot has firmware @name for @from: 1, 0, -1 unknown. */
static int fw_installed(const struct checker *c, const char *name, const char *from)
{
	size_t n;

	if (!c->fw)
		return -1;
	n = modset_firmware_missing_count(c->fw);
	for (size_t i = 0; i < n; i++) {
		const char *mn, *mf;

		if (modset_firmware_missing(c->fw, i, &mn, &mf) == 0 && strcmp(mn, name) == 0 &&
		    mf && strcmp(mf, from) == 0)
			return 0;
	}
	return 1;
}

/* ---- building the list ---- */

static enum want_kind want_of(enum modset_edge edge, bool untagged)
{
	switch (edge) {
	case MODSET_EDGE_ROOT: return W_ROOT;
	case MODSET_EDGE_HARD: return W_HARD;
	case MODSET_EDGE_SOFT_PRE: return W_SOFT_PRE;
	case MODSET_EDGE_SOFT_POST: return W_SOFT_POST;
	default: return untagged ? W_UNTAGGED : W_WEAK;
	}
}

static int missing_module(struct checker *c, const struct modset_module *m)
{
	const char *name = modset_module_get_name(m);
	size_t nr = modset_module_get_reason_count(m);
	bool root = false, hard = false, soft = false, weak = false;
	struct item *it;
	int r = 0;

	/* Its kind: the strongest edge from a module that is in the image (or built
	 * in, or a root); from a missing one only when nothing else wants it. */
	for (int pass = 0; pass < 2 && !(root || hard || soft || weak); pass++)
		for (size_t k = 0; k < nr; k++) {
			enum modset_edge edge;
			const char *from;

			modset_module_get_reason(m, k, &edge, &from, NULL);
			if (pass == 0 && mod_missing(c, from))
				continue;
			root |= edge == MODSET_EDGE_ROOT;
			hard |= edge == MODSET_EDGE_HARD;
			soft |= edge == MODSET_EDGE_SOFT_PRE || edge == MODSET_EDGE_SOFT_POST;
			weak |= edge == MODSET_EDGE_WEAK;
		}
	it = get_item(c, root ? T_ROOT : hard ? T_HARD : soft ? T_SOFT : T_WEAK, name);
	if (!it)
		return -ENOMEM;
	for (size_t k = 0; k < nr && r == 0; k++) {
		enum modset_edge edge;
		const char *from;
		bool untagged;

		modset_module_get_reason(m, k, &edge, &from, &untagged);
		r = add_want(it, want_of(edge, untagged), from, mod_missing(c, from));
	}
	/* modprobe would load it (a root needs it through hard and soft edges) */
	it->error = it->type != T_WEAK && modset_module_is_loaded(m);
	return r;
}

static int present_module(struct checker *c, const struct modset_module *m)
{
	size_t n = c->o->no_firmware ? 0 : modset_module_get_firmware_count(m);
	const char *name = modset_module_get_name(m);
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++) {
		const char *fw = modset_module_get_firmware(m, i);
		struct item *it;

		if (fw_in_image(c, fw))
			continue;
		it = get_item(c, T_FIRMWARE, fw);
		if (!it)
			return -ENOMEM;
		r = add_want(it, W_FIRMWARE, name, false);
		if (fw_installed(c, fw, name) == 0)
			it->installed = 0;
		else if (it->installed < 0 && c->fw)
			it->installed = 1;
	}
	return r;
}

static int tree_missing(struct checker *c)
{
	size_t n = modset_set_missing_count(c->set);
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++) {
		enum modset_missing_kind kind;
		const char *name, *from;
		struct item *it;

		modset_set_missing(c->set, i, &name, &kind, &from);
		if (kind == MODSET_MISSING_ROOT) {
			bool image_mod = in_image(c, name);

			it = get_item(c, image_mod ? T_UNKNOWN : T_ROOT, name);
			if (!it)
				return -ENOMEM;
			it->in_tree = false;
			it->error = !image_mod;
			if (image_mod) {
				for (size_t k = 0; k < c->n_mods; k++)
					if (strcmp(c->mods[k].name, name) == 0) {
						it->path = c->mods[k].path;
						break;
					}
			} else {
				r = add_want(it, W_ROOT, NULL, false);
			}
			continue;
		}
		it = get_item(c,
			      kind == MODSET_MISSING_HARD || kind == MODSET_MISSING_CUT ? T_HARD
			      : kind == MODSET_MISSING_SOFT				     ? T_SOFT
											     : T_WEAK,
			      name);
		if (!it)
			return -ENOMEM;
		it->in_tree = kind == MODSET_MISSING_CUT;
		it->excluded = kind == MODSET_MISSING_CUT;
		r = add_want(it,
			     kind == MODSET_MISSING_HARD || kind == MODSET_MISSING_CUT ? W_HARD
			     : kind == MODSET_MISSING_SOFT				    ? W_SOFT
											    : W_WEAK,
			     from, mod_missing(c, from));
		/* a hard dep the tree lacks breaks loading the module that needs it */
		if (kind == MODSET_MISSING_HARD && mod_loaded(c, from))
			it->error = true;
	}
	return r;
}

static int cmp_want(const void *a, const void *b)
{
	const struct want *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (!x->from || !y->from)
		return (x->from != NULL) - (y->from != NULL);
	return strcmp(x->from, y->from);
}

static int cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Severity under the options: what is a warning by default becomes an error with
 * --require-weak (modules only needed through weak edges), --require-firmware, or
 * --strict (those two, and what the tree itself lacks). */
static void apply_options(const struct checker *c, struct item *it)
{
	const struct check_opts *o = c->o;

	if (it->error)
		return;
	if (o->strict)
		it->error = true;
	else if (it->type == T_FIRMWARE)
		it->error = o->require_firmware;
	else if (it->type != T_UNKNOWN && it->in_tree && !it->excluded)
		it->error = o->require_weak;
	else if (it->type == T_HARD && !it->excluded)
		it->error = o->require_weak; /* a weak dep's hard dep the tree lacks */
}

/* ---- the report ---- */

static void print_wants(FILE *f, const struct item *it)
{
	enum want_kind last = (enum want_kind)-1;

	for (size_t i = 0; i < it->nw; i++) {
		const struct want *w = &it->w[i];
		bool first_of_kind = i == 0 || w->kind != last;

		if (first_of_kind) {
			if (i)
				fputs("; ", f);
			switch (w->kind) {
			case W_ROOT: fputs("root", f); break;
			case W_HARD: fputs("needed by ", f); break;
			case W_SOFT_PRE: fputs("soft-pre dependency of ", f); break;
			case W_SOFT_POST: fputs("soft-post dependency of ", f); break;
			case W_SOFT: fputs("soft dependency of ", f); break;
			case W_WEAK: fputs("weak dependency of ", f); break;
			case W_UNTAGGED: fputs("untagged softdep of ", f); break;
			case W_FIRMWARE: fputs("firmware of ", f); break;
			}
		} else {
			fputs(", ", f);
		}
		last = w->kind;
		if (w->from)
			fprintf(f, "%s%s", w->from, w->from_missing ? " (missing too)" : "");
	}
}

static const char *const group_titles[] = {
	"missing roots", "missing hard dependencies", "missing soft dependencies",
	"missing weak dependencies", "missing firmware", "modules unknown to the tree",
};

static void report_text(FILE *f, const struct checker *c, size_t errors, size_t warnings)
{
	const struct check_image *img = c->img;
	int prev = -1;

	fprintf(f, "%s: %zu cpio segment%s (", img->name, img->n_segs, img->n_segs == 1 ? "" : "s");
	for (size_t i = 0; i < img->n_segs; i++)
		fprintf(f, "%s%s at %llu", i ? ", " : "", img->segs[i].compression,
			(unsigned long long)img->segs[i].offset);
	fprintf(f, "), kernel %s, %zu module%s\n", c->kver, c->n_mods, c->n_mods == 1 ? "" : "s");
	fprintf(f, "tree: %s\n", modset_get_moddir(modset_set_get_ctx(c->set)));
	for (size_t i = 0; i < c->n_items; i++) {
		const struct item *it = &c->items[i];

		if ((int)it->type != prev)
			fprintf(f, "%s:\n", group_titles[it->type]);
		prev = (int)it->type;
		fprintf(f, "  %s: %s", it->error ? "error" : "warning", it->name);
		if (it->type == T_UNKNOWN) {
			fprintf(f, ": %s, no module of that name in the tree\n", it->path);
			continue;
		}
		fputs(": ", f);
		print_wants(f, it);
		if (!it->in_tree)
			fputs(it->type == T_ROOT ? ", no such module or alias in the tree"
						 : "; not in the tree",
			      f);
		if (it->excluded)
			fputs("; excluded", f);
		if (it->installed == 0)
			fputs("; not in the tree's firmware directories either", f);
		fputc('\n', f);
	}
	if (errors)
		fprintf(f, "result: incomplete, %zu error%s, %zu warning%s\n", errors,
			errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s");
	else if (warnings)
		fprintf(f, "result: complete, %zu warning%s\n", warnings, warnings == 1 ? "" : "s");
	else
		fputs("result: complete\n", f);
}


static int report_json(FILE *f, const struct checker *c, const struct roots *used,
		       size_t errors, size_t warnings)
{
	const struct check_image *img = c->img;
	json_object *root = json_object_new_object();
	json_object *segs = json_object_new_array(), *mods = json_object_new_array();
	json_object *roots = json_object_new_array(), *missing = json_object_new_array();
	int r = 0;

	json_object_object_add(root, "schema", json_object_new_int(1));
	json_object_object_add(root, "image", json_str(img->name));
	json_object_object_add(root, "size", json_object_new_int64((int64_t)img->size));
	for (size_t i = 0; i < img->n_segs; i++) {
		json_object *s = json_object_new_object();

		json_object_object_add(s, "offset",
				       json_object_new_int64((int64_t)img->segs[i].offset));
		json_object_object_add(s, "end", json_object_new_int64((int64_t)img->segs[i].end));
		json_object_object_add(s, "compression", json_str(img->segs[i].compression));
		json_object_object_add(s, "archives",
				       json_object_new_int64((int64_t)img->segs[i].archives));
		json_object_object_add(s, "entries",
				       json_object_new_int64((int64_t)img->segs[i].entries));
		json_object_array_add(segs, s);
	}
	json_object_object_add(root, "segments", segs);
	json_object_object_add(root, "kernel", json_str(c->kver));
	json_object_object_add(root, "moddir", json_str(modset_get_moddir(modset_set_get_ctx(c->set))));
	for (size_t i = 0; i < c->n_mods; i++) {
		json_object *m = json_object_new_object();

		json_object_object_add(m, "name", json_str(c->mods[i].name));
		json_object_object_add(m, "path", json_str(c->mods[i].path));
		json_object_array_add(mods, m);
	}
	json_object_object_add(root, "modules", mods);
	for (size_t i = 0; used && i < used->n; i++)
		json_object_array_add(roots, json_str(used->v[i]));
	json_object_object_add(root, "roots", roots);
	for (size_t i = 0; i < c->n_items; i++) {
		const struct item *it = &c->items[i];
		json_object *o = json_object_new_object(), *w = json_object_new_array();

		json_object_object_add(o, "type", json_str(type_names[it->type]));
		json_object_object_add(o, "name", json_str(it->name));
		json_object_object_add(o, "severity", json_str(it->error ? "error" : "warning"));
		json_object_object_add(o, "in_tree", json_object_new_boolean(it->in_tree));
		if (it->type == T_UNKNOWN)
			json_object_object_add(o, "path", json_str(it->path));
		if (it->excluded)
			json_object_object_add(o, "excluded", json_object_new_boolean(true));
		if (it->type == T_FIRMWARE)
			json_object_object_add(o, "installed",
					       it->installed < 0
						       ? NULL
						       : json_object_new_boolean(it->installed));
		for (size_t k = 0; k < it->nw; k++) {
			json_object *x = json_object_new_object();

			json_object_object_add(x, "type", json_str(want_names[it->w[k].kind]));
			json_object_object_add(x, "from", json_str(it->w[k].from));
			if (it->w[k].kind == W_UNTAGGED)
				json_object_object_add(x, "untagged",
						       json_object_new_boolean(true));
			if (it->w[k].from)
				json_object_object_add(
					x, "missing", json_object_new_boolean(it->w[k].from_missing));
			json_object_array_add(w, x);
		}
		json_object_object_add(o, "wanted_by", w);
		json_object_array_add(missing, o);
	}
	json_object_object_add(root, "missing", missing);
	json_object_object_add(root, "complete", json_object_new_boolean(errors == 0));
	json_object_object_add(root, "errors", json_object_new_int64((int64_t)errors));
	json_object_object_add(root, "warnings", json_object_new_int64((int64_t)warnings));
	r = json_write(f, root);
	json_object_put(root);
	return r;
}

static int cmp_mod_name(const void *a, const void *b)
{
	const struct imgmod *x = a, *y = b;

	return strcmp(x->name, y->name);
}

int check_image_run(struct modset_ctx *ctx, const struct check_image *img, const char *kver,
		    const struct check_opts *o)
{
	struct checker c = { .img = img, .kver = kver, .o = o };
	struct roots roots = { 0 }, used = { 0 };
	struct outfile out;
	size_t errors = 0, warnings = 0, n;
	int r = 0, status;

	/* the image's modules for kver, one per name */
	c.mods = calloc(img->n_mods ? img->n_mods : 1, sizeof(*c.mods));
	if (!c.mods)
		return EXIT_FAILURE;
	for (size_t i = 0; i < img->n_mods; i++)
		if (strcmp(img->mods[i].kver, kver) == 0 &&
		    (c.n_mods == 0 || strcmp(c.mods[c.n_mods - 1].name, img->mods[i].name) != 0))
			c.mods[c.n_mods++] = img->mods[i];
	qsort(c.mods, c.n_mods, sizeof(*c.mods), cmp_mod_name);
	for (size_t i = 0; i < c.n_mods && r == 0; i++)
		r = roots_add(&roots, c.mods[i].name);
	for (size_t i = 0; o->roots && i < o->roots->n && r == 0; i++)
		r = roots_add(&roots, o->roots->v[i]);
	if (r == 0)
		r = hostonly_resolve(ctx, &roots, o->host,
				     o->flags | (o->no_firmware ? 0 : MODSET_RESOLVE_MODINFO),
				     &c.set, &used);
	if (r < 0) {
		/* the library logged what and where; out of memory, it may not have */
		if (r == -ENOMEM)
			log_error("%s", strerror(ENOMEM));
		status = r == -ENOMEM ? EXIT_FAILURE : EXIT_INPUT;
		goto out;
	}
	if (!o->no_firmware) {
		/* which firmware the tree's sysroot lacks too: only a note, so quietly */
		int prio = modset_get_log_priority(ctx);

		modset_set_log_priority(ctx, LOG_CRIT);
		if (modset_firmware_resolve(c.set, o->firmware_path, &c.fw) < 0)
			c.fw = NULL;
		modset_set_log_priority(ctx, prio);
	}
	r = collect_pairs(&c);
	n = modset_set_count(c.set);
	for (size_t i = 0; i < n && r == 0; i++) {
		const struct modset_module *m = modset_set_get(c.set, i);

		if (modset_module_is_builtin(m))
			continue;
		r = in_image(&c, modset_module_get_name(m)) ? present_module(&c, m)
							     : missing_module(&c, m);
	}
	if (r == 0)
		r = tree_missing(&c);
	if (r < 0) {
		status = EXIT_FAILURE;
		goto out;
	}
	/* firmware look-ups resolve links too: past the bound, no verdict */
	if (*img->link_work > LINK_WORK_MAX) {
		link_work_error(img, "(firmware look-ups)");
		status = EXIT_INPUT;
		goto out;
	}
	for (size_t i = 0; i < c.n_items; i++) {
		struct item *it = &c.items[i];

		if (it->nw > 1)
			qsort(it->w, it->nw, sizeof(*it->w), cmp_want);
		direct_hard(&c, it);
		apply_options(&c, it);
		if (it->error)
			errors++;
		else
			warnings++;
	}
	if (c.n_items > 1)
		qsort(c.items, c.n_items, sizeof(*c.items), cmp_item);
	/* the roots of the report: those of the command line and the host */
	{
		struct roots extra = { 0 };

		for (size_t i = c.n_mods; i < used.n && r == 0; i++)
			r = roots_add(&extra, used.v[i]);
		roots_done(&used);
		used = extra;
	}
	r = outfile_open(&out, o->output);
	if (r < 0) {
		log_error("%s: %s", o->output ? o->output : "stdout", outfile_strerror(r));
		status = EXIT_INPUT;
		goto out;
	}
	if (o->json) {
		r = report_json(out.fp, &c, &used, errors, warnings);
	} else {
		report_text(out.fp, &c, errors, warnings);
		/* flushed here: a failed write is tried again, and says why (ENOSPC) */
		r = fflush(out.fp) == EOF || ferror(out.fp) ? (errno ? -errno : -EIO) : 0;
	}
	if (r < 0)
		outfile_abort(&out);
	else
		r = outfile_commit(&out);
	if (r < 0) {
		log_error("%s: %s", o->output ? o->output : "stdout", strerror(-r));
		status = EXIT_INPUT;
	} else {
		status = errors ? EXIT_STRICT : EXIT_SUCCESS;
	}
out:
	for (size_t i = 0; i < c.n_items; i++)
		free(c.items[i].w);
	free(c.items);
	free(c.pairs);
	free(c.mods);
	modset_firmware_unref(c.fw);
	modset_set_unref(c.set);
	roots_done(&roots);
	roots_done(&used);
	return status;
}
