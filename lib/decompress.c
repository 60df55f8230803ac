/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Decompressing module files (.ko.xz, .ko.zst, .ko.gz) into memory, never past a
 * size limit.
 *
 * The libraries are the ones libkmod itself is linked with (liblzma, libzstd, zlib).
 * libmodset links libkmod only: each library is loaded with dlopen() the first time
 * a file needs it (once per process, pthread_once), its functions typed from its
 * header (typeof). A missing library is an error naming it, for that file only.
 *
 * The format is chosen from the first bytes, as libkmod chooses it; what a valid
 * stream decodes to is what libkmod gets. Where libkmod is lax the reader is not: a
 * truncated stream, or bytes after the last xz or zstd stream, is an error (libkmod
 * returns what it decoded of a cut zstd frame). gzip follows zlib's gzread(), as
 * libkmod does: members are concatenated, bytes after the last member that do not
 * start another one are ignored.
 *
 * A decompressor belongs to one thread; it keeps its library contexts and its output
 * buffer from one file to the next. The output grows by doubling, up to the limit
 * plus one byte: one byte more than the limit is how a stream is known to exceed it.
 * No size a stream declares is trusted beyond the limit.
 *
 * The whole stream is always decoded, so that its integrity checks (xz's CRC or
 * SHA-256, zstd's checksum, gzip's CRC-32) are verified before anything it holds is
 * used. Stopping after the ELF section headers would save nothing on real modules
 * anyway: the linker puts the section headers last.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <lzma.h>
#include <pthread.h>
#include <string.h>
#include <zstd.h>
#include <zstd_errors.h>
#ifdef HAVE_ZLIB
#include <zlib.h>
#endif

#include "libmodset-private.h"

/* Output buffers larger than this are freed after each file (see decomp_trim). */
#define DECOMP_KEEP_MAX (64u << 20)
#define DECOMP_MIN_ALLOC (256u << 10)
/* liblzma's memory limit: the size limit plus room for the largest preset's
 * dictionary (64 MiB for xz -9) and the decoder's own state. */
#define XZ_MEMLIMIT_EXTRA (80u << 20)

struct decomp {
	unsigned char *buf;
	size_t alloc;
	bool xz_init;
	lzma_stream xz;
	ZSTD_DCtx *zstd;
#ifdef HAVE_ZLIB
	bool gz_init;
	z_stream gz;
#endif
};

/* ---- the libraries, loaded on first use ---- */

struct dl_lib {
	const char *soname;
	const char *missing; /* the error for a file that needs it */
	pthread_once_t once;
	bool ok;
};

static struct dl_lib lib_lzma = {
	"liblzma.so.5",
	"cannot decompress: liblzma.so.5 not available",
	PTHREAD_ONCE_INIT,
	false,
};
static struct dl_lib lib_zstd = {
	"libzstd.so.1",
	"cannot decompress: libzstd.so.1 not available",
	PTHREAD_ONCE_INIT,
	false,
};

static typeof(lzma_stream_decoder) *sym_lzma_stream_decoder;
static typeof(lzma_code) *sym_lzma_code;
static typeof(lzma_end) *sym_lzma_end;

static typeof(ZSTD_createDCtx) *sym_ZSTD_createDCtx;
static typeof(ZSTD_freeDCtx) *sym_ZSTD_freeDCtx;
static typeof(ZSTD_DCtx_reset) *sym_ZSTD_DCtx_reset;
static typeof(ZSTD_decompressStream) *sym_ZSTD_decompressStream;
static typeof(ZSTD_isError) *sym_ZSTD_isError;
static typeof(ZSTD_getErrorCode) *sym_ZSTD_getErrorCode;
static typeof(ZSTD_getFrameContentSize) *sym_ZSTD_getFrameContentSize;

#ifdef HAVE_ZLIB
static struct dl_lib lib_z = {
	"libz.so.1",
	"cannot decompress: libz.so.1 not available",
	PTHREAD_ONCE_INIT,
	false,
};

static typeof(inflateInit2_) *sym_inflateInit2_;
static typeof(inflateReset) *sym_inflateReset;
static typeof(inflate) *sym_inflate;
static typeof(inflateEnd) *sym_inflateEnd;
#endif

/* Look @name up in @h; a missing symbol clears *ok. */
static void *dl_sym(void *h, const char *name, bool *ok)
{
	void *p = h ? dlsym(h, name) : NULL;

	if (!p)
		*ok = false;
	return p;
}

#define DL_SYM(h, ok, fn) (sym_##fn = (typeof(sym_##fn))dl_sym(h, #fn, &(ok)))

/* dlopen() @lib; NULL when it is missing. The handle is kept for the process. */
static void *dl_open(struct dl_lib *lib)
{
	return dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
}

static void load_lzma(void)
{
	void *h = dl_open(&lib_lzma);
	bool ok = h != NULL;

	DL_SYM(h, ok, lzma_stream_decoder);
	DL_SYM(h, ok, lzma_code);
	DL_SYM(h, ok, lzma_end);
	if (!ok && h)
		dlclose(h);
	lib_lzma.ok = ok;
}

static void load_zstd(void)
{
	void *h = dl_open(&lib_zstd);
	bool ok = h != NULL;

	DL_SYM(h, ok, ZSTD_createDCtx);
	DL_SYM(h, ok, ZSTD_freeDCtx);
	DL_SYM(h, ok, ZSTD_DCtx_reset);
	DL_SYM(h, ok, ZSTD_decompressStream);
	DL_SYM(h, ok, ZSTD_isError);
	DL_SYM(h, ok, ZSTD_getErrorCode);
	DL_SYM(h, ok, ZSTD_getFrameContentSize);
	if (!ok && h)
		dlclose(h);
	lib_zstd.ok = ok;
}

#ifdef HAVE_ZLIB
static void load_z(void)
{
	void *h = dl_open(&lib_z);
	bool ok = h != NULL;

	DL_SYM(h, ok, inflateInit2_);
	DL_SYM(h, ok, inflateReset);
	DL_SYM(h, ok, inflate);
	DL_SYM(h, ok, inflateEnd);
	if (!ok && h)
		dlclose(h);
	lib_z.ok = ok;
}
#endif

/* True once @lib is loaded (loading it on the first call, in any thread). */
static bool lib_ready(struct dl_lib *lib, void (*load)(void))
{
	return pthread_once(&lib->once, load) == 0 && lib->ok;
}

/* ---- format ---- */

static const unsigned char magic_zstd[] = { 0x28, 0xB5, 0x2F, 0xFD };
static const unsigned char magic_xz[] = { 0xFD, '7', 'z', 'X', 'Z', 0x00 };
static const unsigned char magic_gzip[] = { 0x1F, 0x8B };

static bool has_magic(const void *p, size_t size, const unsigned char *magic, size_t n)
{
	return size >= n && memcmp(p, magic, n) == 0;
}

enum comp_format comp_detect(const void *p, size_t size)
{
	if (has_magic(p, size, magic_zstd, sizeof(magic_zstd)))
		return COMP_ZSTD;
	if (has_magic(p, size, magic_xz, sizeof(magic_xz)))
		return COMP_XZ;
	if (has_magic(p, size, magic_gzip, sizeof(magic_gzip)))
		return COMP_GZIP;
	return COMP_NONE;
}

/* ---- the output buffer ---- */

struct decomp *decomp_new(void)
{
	struct decomp *d = calloc(1, sizeof(*d));

	if (d)
		d->xz = (lzma_stream)LZMA_STREAM_INIT;
	return d;
}

void decomp_free(struct decomp *d)
{
	if (!d)
		return;
	if (d->xz_init)
		sym_lzma_end(&d->xz);
	if (d->zstd)
		sym_ZSTD_freeDCtx(d->zstd);
#ifdef HAVE_ZLIB
	if (d->gz_init)
		sym_inflateEnd(&d->gz);
#endif
	free(d->buf);
	free(d);
}

void decomp_trim(struct decomp *d)
{
	if (d && d->alloc > DECOMP_KEEP_MAX) {
		free(d->buf);
		d->buf = NULL;
		d->alloc = 0;
	}
}

/* Make the buffer at least @want bytes (at most @limit). */
static int reserve(struct decomp *d, size_t want, size_t limit)
{
	unsigned char *p;

	if (want > limit)
		want = limit;
	if (want <= d->alloc)
		return 0;
	p = realloc(d->buf, want);
	if (!p)
		return -ENOMEM;
	d->buf = p;
	d->alloc = want;
	return 0;
}

/* The buffer is full: double it, up to @limit; -EFBIG when it is @limit already. */
static int grow(struct decomp *d, size_t limit)
{
	size_t want = d->alloc < DECOMP_MIN_ALLOC ? DECOMP_MIN_ALLOC : d->alloc;

	if (d->alloc >= limit)
		return -EFBIG;
	if (want <= limit / 2)
		want *= 2;
	else
		want = limit;
	return reserve(d, want, limit);
}

/* ---- xz ---- */

/* Decode the xz stream at in[*in_pos], appending to the output at *pos. */
static int xz_stream(struct decomp *d, const unsigned char *in, size_t in_size,
		     size_t *in_pos, size_t max, size_t *pos, const char **why)
{
	/* the size limit, plus room for any preset's dictionary (xz -9: 64 MiB) */
	uint64_t memlimit = (uint64_t)max + XZ_MEMLIMIT_EXTRA;
	lzma_ret ret;
	int r;

	/* any integrity check, as libkmod */
	if (sym_lzma_stream_decoder(&d->xz, memlimit, 0) != LZMA_OK) {
		*why = "cannot decompress: out of memory";
		return -ENOMEM;
	}
	d->xz_init = true;
	d->xz.next_in = in + *in_pos;
	d->xz.avail_in = in_size - *in_pos;
	do {
		if (*pos == d->alloc && (r = grow(d, max + 1)) < 0) {
			if (r == -ENOMEM)
				*why = "cannot decompress: out of memory";
			return r;
		}
		d->xz.next_out = d->buf + *pos;
		d->xz.avail_out = d->alloc - *pos;
		ret = sym_lzma_code(&d->xz, LZMA_FINISH);
		*pos = d->alloc - d->xz.avail_out;
		if (*pos > max)
			return -EFBIG;
	} while (ret == LZMA_OK);
	*in_pos = in_size - d->xz.avail_in;
	switch (ret) {
	case LZMA_STREAM_END:
		return 0;
	case LZMA_MEM_ERROR:
		*why = "cannot decompress: out of memory";
		return -ENOMEM;
	case LZMA_MEMLIMIT_ERROR:
		*why = "cannot decompress: the xz stream needs more memory than the size "
		       "limit allows";
		return -EFBIG;
	case LZMA_OPTIONS_ERROR:
		*why = "unsupported xz stream options";
		return -EBADMSG;
	case LZMA_BUF_ERROR:
		*why = "truncated xz stream";
		return -EBADMSG;
	default:
		*why = "corrupt xz stream";
		return -EBADMSG;
	}
}

/*
 * One xz stream after another, as liblzma's LZMA_CONCATENATED (libkmod's flag) reads
 * them, but by hand, to tell bytes after the last stream from a stream cut short: a
 * stream may be followed by stream padding (NULs, a multiple of 4 bytes), then by
 * another stream or the end.
 */
static int run_xz(struct decomp *d, const unsigned char *in, size_t in_size, size_t max,
		  size_t *out_size, const char **why)
{
	size_t pos = 0, in_pos = 0, pad;
	int r;

	if (!lib_ready(&lib_lzma, load_lzma)) {
		*why = lib_lzma.missing;
		return -ELIBACC;
	}
	for (;;) {
		r = xz_stream(d, in, in_size, &in_pos, max, &pos, why);
		if (r < 0)
			return r;
		for (pad = 0; in_pos < in_size && in[in_pos] == 0; in_pos++)
			pad++;
		if (pad % 4 != 0) {
			*why = "corrupt xz stream (bad stream padding)";
			return -EBADMSG;
		}
		if (in_pos == in_size)
			break;
		if (!has_magic(in + in_pos, in_size - in_pos, magic_xz,
			       sizeof(magic_xz))) {
			*why = "corrupt xz stream (garbage after its end)";
			return -EBADMSG;
		}
	}
	*out_size = pos;
	return 0;
}

/* ---- zstd ---- */

static int run_zstd(struct decomp *d, const unsigned char *in, size_t in_size, size_t max,
		    size_t *out_size, const char **why)
{
	ZSTD_inBuffer zin = { in, in_size, 0 };
	unsigned long long declared;
	/* The output room zstd is given: what a new decompressor would have, whatever
	 * this one's buffer kept from earlier files. zstd takes other paths (and can
	 * fail otherwise) with more room, and the result must not depend on history. */
	size_t view = 0;
	size_t pos = 0, ret = 1;
	bool frame_done = false;

	if (!lib_ready(&lib_zstd, load_zstd)) {
		*why = lib_zstd.missing;
		return -ELIBACC;
	}
	if (!d->zstd && !(d->zstd = sym_ZSTD_createDCtx())) {
		*why = "cannot decompress: out of memory";
		return -ENOMEM;
	}
	sym_ZSTD_DCtx_reset(d->zstd, ZSTD_reset_session_only);
	/* The first frame's declared size: a size hint within the limit; past it, the
	 * stream either holds that much or is corrupt (zstd checks the size). */
	declared = sym_ZSTD_getFrameContentSize(in, in_size);
	if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR) {
		if (declared > max)
			return -EFBIG;
		if (reserve(d, (size_t)declared, max + 1) < 0) {
			*why = "cannot decompress: out of memory";
			return -ENOMEM;
		}
		view = (size_t)declared;
	}
	for (;;) {
		size_t in_before = zin.pos, out_before = pos;
		ZSTD_outBuffer zout;

		if (pos == view) {
			/* as grow() does for a new buffer */
			size_t want = view < DECOMP_MIN_ALLOC ? DECOMP_MIN_ALLOC : view;

			if (view >= max + 1)
				return -EFBIG;
			want = want <= (max + 1) / 2 ? want * 2 : max + 1;
			if (reserve(d, want, max + 1) < 0) {
				*why = "cannot decompress: out of memory";
				return -ENOMEM;
			}
			view = want;
		}
		zout = (ZSTD_outBuffer){ d->buf, view, pos };
		ret = sym_ZSTD_decompressStream(d->zstd, &zout, &zin);
		pos = zout.pos;
		if (pos > max)
			return -EFBIG;
		if (sym_ZSTD_isError(ret)) {
			ZSTD_ErrorCode code = sym_ZSTD_getErrorCode(ret);

			/* where a frame ended, the bytes that follow are no frame */
			if (frame_done && code == ZSTD_error_prefix_unknown) {
				*why = "corrupt zstd stream (garbage after its end)";
				return -EBADMSG;
			}
			switch (code) {
			case ZSTD_error_memory_allocation:
				*why = "cannot decompress: out of memory";
				return -ENOMEM;
			case ZSTD_error_frameParameter_windowTooLarge:
				*why = "unsupported zstd stream: window too large";
				return -EBADMSG;
			default:
				*why = "corrupt zstd stream";
				return -EBADMSG;
			}
		}
		/* 0: a frame is decoded and flushed; the next one, if any, follows. */
		frame_done = ret == 0;
		if (ret == 0 && zin.pos == zin.size) {
			*out_size = pos;
			return 0;
		}
		/* Room left in the output and no input left: the frame is cut short. */
		if (zout.pos < zout.size && zin.pos == zin.size) {
			*why = "truncated zstd stream";
			return -EBADMSG;
		}
		/* never loop without progress (zstd always makes some with room left) */
		if (zin.pos == in_before && pos == out_before && zout.pos < zout.size) {
			*why = "corrupt zstd stream";
			return -EBADMSG;
		}
	}
}

/* ---- gzip ---- */

#ifdef HAVE_ZLIB
static int run_gzip(struct decomp *d, const unsigned char *in, size_t in_size, size_t max,
		    size_t *out_size, const char **why)
{
	size_t pos = 0, in_pos = 0;
	int ret, r;

	if (!lib_ready(&lib_z, load_z)) {
		*why = lib_z.missing;
		return -ELIBACC;
	}
	if (!d->gz_init) {
		memset(&d->gz, 0, sizeof(d->gz));
		/* gzip only (16 +) */
		if (sym_inflateInit2_(&d->gz, 16 + MAX_WBITS, ZLIB_VERSION,
				      (int)sizeof(z_stream)) != Z_OK) {
			*why = "cannot decompress: out of memory";
			return -ENOMEM;
		}
		d->gz_init = true;
	} else if (sym_inflateReset(&d->gz) != Z_OK) {
		*why = "corrupt gzip stream";
		return -EBADMSG;
	}
	for (;;) {
		size_t in_left = in_size - in_pos, out_left, in_chunk, out_chunk;

		if (pos == d->alloc && (r = grow(d, max + 1)) < 0) {
			if (r == -ENOMEM)
				*why = "cannot decompress: out of memory";
			return r;
		}
		out_left = d->alloc - pos;
		/* zlib counts in unsigned int */
		in_chunk = in_left < UINT_MAX ? in_left : UINT_MAX;
		out_chunk = out_left < UINT_MAX ? out_left : UINT_MAX;
		d->gz.next_in = (unsigned char *)in + in_pos;
		d->gz.avail_in = (unsigned int)in_chunk;
		d->gz.next_out = d->buf + pos;
		d->gz.avail_out = (unsigned int)out_chunk;
		ret = sym_inflate(&d->gz, Z_NO_FLUSH);
		in_pos += in_chunk - d->gz.avail_in;
		pos += out_chunk - d->gz.avail_out;
		if (pos > max)
			return -EFBIG;
		switch (ret) {
		case Z_STREAM_END:
			/* as gzread(): another member follows, or the rest is ignored */
			if (!has_magic(in + in_pos, in_size - in_pos, magic_gzip,
				       sizeof(magic_gzip))) {
				*out_size = pos;
				return 0;
			}
			if (sym_inflateReset(&d->gz) != Z_OK) {
				*why = "corrupt gzip stream";
				return -EBADMSG;
			}
			continue;
		case Z_OK:
		case Z_BUF_ERROR:
			/* no progress possible: the output is full (grow), or the input
			 * ended inside the member */
			if (d->gz.avail_out == 0)
				continue;
			if (in_pos == in_size) {
				*why = "truncated gzip stream";
				return -EBADMSG;
			}
			continue;
		case Z_MEM_ERROR:
			*why = "cannot decompress: out of memory";
			return -ENOMEM;
		default:
			*why = "corrupt gzip stream";
			return -EBADMSG;
		}
	}
}
#endif

int decomp_run(struct decomp *d, enum comp_format f, const void *in, size_t in_size,
	       size_t max, const unsigned char **out, size_t *out_size, const char **why)
{
	size_t n = 0;
	int r;

	*why = NULL;
	*out = NULL;
	*out_size = 0;
	if (max >= SIZE_MAX / 2)
		max = SIZE_MAX / 2;
	switch (f) {
	case COMP_XZ:
		r = run_xz(d, in, in_size, max, &n, why);
		break;
	case COMP_ZSTD:
		r = run_zstd(d, in, in_size, max, &n, why);
		break;
	case COMP_GZIP:
#ifdef HAVE_ZLIB
		r = run_gzip(d, in, in_size, max, &n, why);
#else
		*why = "cannot decompress: built without gzip support";
		r = -ENOTSUP;
#endif
		break;
	default:
		return -EINVAL;
	}
	if (r < 0)
		return r;
	*out = d->buf;
	*out_size = n;
	return 0;
}
