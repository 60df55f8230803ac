/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Module files' .modinfo: modinfo_read_batch() (modinfo.c, which hands the file to
 * libkmod's kmod_module_get_info) on a file holding the input. The first byte picks
 * the file:
 *   0  the rest as a plain .ko
 *   1  the rest as a .ko.xz (raw bytes: xz stream parsing)
 *   2  the rest as a .ko.zst (raw bytes: zstd frame parsing)
 *   3  the rest compressed with xz, as a .ko.xz (the ELF reader behind xz)
 *   4  the rest compressed with zstd, as a .ko.zst (the ELF reader behind zstd)
 *
 * Two known limits of libkmod 30 are not this target's business (tests/README):
 * it decompresses with no size limit, and it aborts on some malformed ELF files,
 * which the library refuses itself only when the module is not compressed
 * (modinfo_elf_check). Compressed inputs that expand past FUZZ_MAX_EXPANSION or hold
 * such an ELF file are skipped, so the fuzzer looks for other bugs (FUZZ_KNOWN=1 in
 * the environment: ELF files are not skipped, to reproduce tests/fuzz/known/).
 *
 * Properties: no crash, no leak; the job ends with 0 or a negative errno; a module
 * that libkmod reads yields only weakdep/firmware values that are in the input.
 */
#include <zstd.h>
#ifdef FUZZ_HAVE_LZMA
#include <lzma.h>
#endif

#include "fuzz-common.h"
#include "libmodset-private.h"

#define FUZZ_MAX_EXPANSION (4u << 20)

static struct modset_ctx *ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_mkdir(fuzz_path(0, "tree"));
	ctx = modset_new(fuzz_path(0, "tree"), NULL);
	FUZZ_ASSERT(ctx);
	modset_set_log_fn(ctx, NULL, NULL);
	setenv("MODSET_THREADS", "1", 1);
	return 0;
}

/* The decompressed bytes of a zstd stream, up to @cap (+ one byte). */
static size_t zstd_unpack(const uint8_t *data, size_t size, uint8_t *out, size_t cap)
{
	ZSTD_DStream *d = ZSTD_createDStream();
	ZSTD_inBuffer in = { data, size, 0 };
	size_t total = 0;

	FUZZ_ASSERT(d);
	ZSTD_initDStream(d);
	while (total <= cap) {
		ZSTD_outBuffer o = { out + total, cap + 1 - total, 0 };
		size_t r = ZSTD_decompressStream(d, &o, &in);

		total += o.pos;
		if (ZSTD_isError(r) || (o.pos == 0 && in.pos == in.size))
			break;
	}
	ZSTD_freeDStream(d);
	return total;
}

#ifdef FUZZ_HAVE_LZMA
static size_t xz_unpack(const uint8_t *data, size_t size, uint8_t *out, size_t cap)
{
	lzma_stream s = LZMA_STREAM_INIT;

	if (lzma_stream_decoder(&s, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
		return 0;
	s.next_in = data;
	s.avail_in = size;
	s.next_out = out;
	s.avail_out = cap + 1;
	while (s.avail_out && lzma_code(&s, LZMA_FINISH) == LZMA_OK)
		;
	lzma_end(&s);
	return cap + 1 - s.avail_out;
}
#endif

/*
 * What libkmod will parse behind a compressed stream must be fit for it: not past
 * FUZZ_MAX_EXPANSION, and none of the ELF files libkmod 30 aborts on, which the
 * library cannot refuse before libkmod decompresses them (tests/README).
 */
static bool fit_for_libkmod(unsigned int mode, const uint8_t *data, size_t size)
{
	static uint8_t *out;
	size_t n;

	if (!out) {
		out = malloc(FUZZ_MAX_EXPANSION + 1);
		FUZZ_ASSERT(out);
	}
#ifdef FUZZ_HAVE_LZMA
	if (mode == 1)
		n = xz_unpack(data, size, out, FUZZ_MAX_EXPANSION);
	else
#endif
		n = zstd_unpack(data, size, out, FUZZ_MAX_EXPANSION);
	return n <= FUZZ_MAX_EXPANSION && (modinfo_elf_check(out, n) == 0 || fuzz_known_issues());
}

#ifdef FUZZ_HAVE_LZMA
static void write_xz(const char *path, const uint8_t *data, size_t size)
{
	size_t cap = lzma_stream_buffer_bound(size), pos = 0;
	uint8_t *buf = malloc(cap);

	FUZZ_ASSERT(buf);
	FUZZ_ASSERT(lzma_easy_buffer_encode(0, LZMA_CHECK_CRC32, NULL, data, size, buf, &pos,
					    cap) == LZMA_OK);
	fuzz_write(path, buf, pos);
	free(buf);
}
#endif

static void write_zstd(const char *path, const uint8_t *data, size_t size)
{
	size_t cap = ZSTD_compressBound(size), n;
	void *buf = malloc(cap);

	FUZZ_ASSERT(buf);
	n = ZSTD_compress(buf, cap, data, size, 1);
	FUZZ_ASSERT(!ZSTD_isError(n));
	fuzz_write(path, buf, n);
	free(buf);
}

static bool strv_in_input(const struct strv *v, const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->v[i][0] && !memmem(data, size, v->v[i], strlen(v->v[i])))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "fuzz.ko", "fuzz.ko.xz", "fuzz.ko.zst" };
	struct modinfo_job job = { 0 };
	const char *path;
	unsigned int mode;
	int r;

	if (size < 1)
		return -1;
	mode = data[0] % 5;
	data++;
	size--;
	path = fuzz_path(1, names[mode == 0 ? 0 : mode % 2 ? 1 : 2]);
	for (size_t i = 0; i < 3; i++)
		unlink(fuzz_path(2, names[i]));
	switch (mode) {
	case 0:
		fuzz_write(path, data, size);
		break;
	case 1:
	case 2:
#ifndef FUZZ_HAVE_LZMA
		if (mode == 1)
			return -1;
#endif
		if (!fit_for_libkmod(mode, data, size))
			return -1;
		fuzz_write(path, data, size);
		break;
	case 3:
#ifdef FUZZ_HAVE_LZMA
		if (modinfo_elf_check(data, size) < 0 && !fuzz_known_issues())
			return -1;
		write_xz(path, data, size);
		break;
#else
		return -1;
#endif
	case 4:
		if (modinfo_elf_check(data, size) < 0 && !fuzz_known_issues())
			return -1;
		write_zstd(path, data, size);
		break;
	}
	job.path = path;
	job.relpath = strrchr(path, '/') + 1;
	r = modinfo_read_batch(ctx, &job, 1);
	FUZZ_ASSERT(r == job.err && r <= 0);
	if (r == 0 && (mode == 0 || mode >= 3)) {
		/* Values come from the (uncompressed) input. */
		FUZZ_ASSERT(strv_in_input(&job.weakdep, data, size));
		FUZZ_ASSERT(strv_in_input(&job.firmware, data, size));
	}
	strv_done(&job.weakdep);
	strv_done(&job.firmware);
	return 0;
}
