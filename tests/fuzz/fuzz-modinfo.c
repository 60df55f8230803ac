/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Module files' .modinfo: modinfo_read_batch() (modinfo.c: the file mapped,
 * decompressed by decompress.c, its ELF read) on a file holding the input. The first
 * byte picks the file:
 *   0  the rest as a plain .ko
 *   1  the rest as a .ko.xz (raw bytes: xz stream parsing)
 *   2  the rest as a .ko.zst (raw bytes: zstd frame parsing)
 *   3  the rest compressed with xz, as a .ko.xz (the ELF reader behind xz)
 *   4  the rest compressed with zstd, as a .ko.zst (the ELF reader behind zstd)
 *   5  the rest as a .ko.gz (raw bytes: gzip member parsing)
 *   6  the rest compressed with gzip, as a .ko.gz
 * The decompressed size is limited to FUZZ_MAX_EXPANSION (MODSET_MODULE_SIZE_MAX).
 *
 * Properties:
 *  - no crash, no leak; the job ends with 0 or a negative errno, and an error has a
 *    reason (or is the plain -EFBIG of the limit);
 *  - the same file through a decompressor that has already decoded other inputs
 *    (state kept from file to file, as in a worker) gives the same bytes and error;
 *  - modinfo_parse() on an exact-size heap copy of the ELF bytes (AddressSanitizer
 *    sees any read past their end, which the mapping or the decompressor's larger
 *    buffer would hide) gives the same result and values;
 *  - values come from the ELF bytes;
 *  - libkmod's kmod_module_get_info() on the same file agrees: the same values when
 *    the module is read, an error too when its ELF is refused. Skipped where libkmod
 *    30 itself cannot be asked: ELF files it asserts on (libkmod_would_abort), gzip
 *    (Debian's libkmod is built without zlib), and streams the reader refuses (libkmod
 *    is lax with cut zstd frames and has no size limit).
 */
#include <elf.h>
#include <libkmod.h>
#include <zstd.h>
#ifdef FUZZ_HAVE_LZMA
#include <lzma.h>
#endif
#ifdef FUZZ_HAVE_ZLIB
#include <zlib.h>
#endif

#include "fuzz-common.h"
#include "libmodset-private.h"

#define FUZZ_MAX_EXPANSION (4u << 20)
#define FUZZ_MAX_EXPANSION_ENV "4M"

static struct modset_ctx *ctx;
static struct kmod_ctx *kctx;
static struct decomp *reused;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const no_config[] = { NULL };

	(void)argc;
	(void)argv;
	fuzz_mkdir(fuzz_path(0, "tree"));
	ctx = modset_new(fuzz_path(0, "tree"), NULL);
	FUZZ_ASSERT(ctx);
	modset_set_log_fn(ctx, NULL, NULL);
	setenv("MODSET_THREADS", "1", 1);
	setenv("MODSET_MODULE_SIZE_MAX", FUZZ_MAX_EXPANSION_ENV, 1);
	FUZZ_ASSERT(modinfo_size_max() == FUZZ_MAX_EXPANSION);
	kctx = kmod_new(fuzz_path(0, "tree"), no_config);
	FUZZ_ASSERT(kctx);
	kmod_set_log_priority(kctx, 0);
	reused = decomp_new();
	FUZZ_ASSERT(reused);
	return 0;
}

/*
 * True for the ELF files libkmod 30 asserts on (aborting the process) or reads past:
 * a section name table index of 0 or past the table, a name table or .modinfo that
 * starts at the end of the file, a .modinfo that ends there (libkmod reads the byte
 * after it). This follows libkmod's reads (libkmod-elf.c: kmod_elf_new, then
 * kmod_elf_get_strings(".modinfo")); what libkmod refuses cleanly is not flagged.
 */
static bool libkmod_would_abort(const unsigned char *p, size_t size)
{
	uint64_t shoff, shnum, shstrndx, shdr, stroff, strsize, end;
	const unsigned char *sh;
	bool is64, msb;

	if (size <= EI_NIDENT || memcmp(p, ELFMAG, SELFMAG) != 0 ||
	    (p[EI_CLASS] != ELFCLASS32 && p[EI_CLASS] != ELFCLASS64) ||
	    (p[EI_DATA] != ELFDATA2LSB && p[EI_DATA] != ELFDATA2MSB))
		return false;
	is64 = p[EI_CLASS] == ELFCLASS64;
	msb = p[EI_DATA] == ELFDATA2MSB;
	shdr = is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	if (size <= (is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)) ||
	    ELF_FIELD(p, is64, msb, Ehdr, e_shentsize) != shdr)
		return false;
	shoff = ELF_FIELD(p, is64, msb, Ehdr, e_shoff);
	shnum = ELF_FIELD(p, is64, msb, Ehdr, e_shnum);
	shstrndx = ELF_FIELD(p, is64, msb, Ehdr, e_shstrndx);
	if (__builtin_add_overflow(shoff, shnum * shdr, &end) || end > size)
		return false;
	if (shstrndx == SHN_UNDEF || shstrndx >= shnum)
		return true;
	sh = p + shoff + shstrndx * shdr;
	stroff = ELF_FIELD(sh, is64, msb, Shdr, sh_offset);
	strsize = ELF_FIELD(sh, is64, msb, Shdr, sh_size);
	if (__builtin_add_overflow(stroff, strsize, &end) || end > size)
		return false;
	if (stroff >= size)
		return true;
	if (strsize == 0 || p[stroff + strsize - 1] != '\0')
		return false;
	for (uint64_t i = 1; i < shnum; i++) {
		uint64_t off, len, name;

		sh = p + shoff + i * shdr;
		off = ELF_FIELD(sh, is64, msb, Shdr, sh_offset);
		len = ELF_FIELD(sh, is64, msb, Shdr, sh_size);
		name = ELF_FIELD(sh, is64, msb, Shdr, sh_name);
		if (__builtin_add_overflow(off, len, &end) || end > size || name >= strsize ||
		    strcmp((const char *)p + stroff + name, ".modinfo") != 0)
			continue;
		/* the first .modinfo is the one libkmod reads */
		return off >= size || (len > 0 && end == size);
	}
	return false;
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

#ifdef FUZZ_HAVE_ZLIB
static void write_gzip(const char *path, const uint8_t *data, size_t size)
{
	z_stream z = { 0 };
	size_t cap = size + size / 100 + 64;
	uint8_t *buf = malloc(cap);

	FUZZ_ASSERT(buf);
	FUZZ_ASSERT(deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8,
				 Z_DEFAULT_STRATEGY) == Z_OK);
	z.next_in = (uint8_t *)data;
	z.avail_in = (unsigned int)size;
	z.next_out = buf;
	z.avail_out = (unsigned int)cap;
	FUZZ_ASSERT(deflate(&z, Z_FINISH) == Z_STREAM_END);
	fuzz_write(path, buf, cap - z.avail_out);
	deflateEnd(&z);
	free(buf);
}
#endif

/* The whole file @path, into the heap (*size bytes). */
static uint8_t *slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t alloc = 0;

	FUZZ_ASSERT(f);
	*size = 0;
	for (;;) {
		size_t n;

		if (*size == alloc) {
			alloc = alloc ? alloc * 2 : 65536;
			buf = realloc(buf, alloc);
			FUZZ_ASSERT(buf);
		}
		n = fread(buf + *size, 1, alloc - *size, f);
		if (n == 0)
			break;
		*size += n;
	}
	FUZZ_ASSERT(!ferror(f));
	fclose(f);
	return buf;
}

static bool strv_in(const struct strv *v, const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->v[i][0] && !memmem(data, size, v->v[i], strlen(v->v[i])))
			return false;
	return true;
}

static bool strv_eq(const struct strv *a, const struct strv *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

/* kmod_module_get_info() on @path: 0 with the weakdep= and firmware= values, or < 0. */
static int libkmod_read(const char *path, struct strv *weakdep, struct strv *firmware)
{
	struct kmod_module *mod = NULL;
	struct kmod_list *info = NULL, *l;
	int r;

	r = kmod_module_new_from_path(kctx, path, &mod);
	FUZZ_ASSERT(r == 0);
	r = kmod_module_get_info(mod, &info);
	kmod_list_foreach(l, info)
	{
		const char *key = kmod_module_info_get_key(l);
		const char *val = kmod_module_info_get_value(l);

		if (streq(key, "weakdep"))
			FUZZ_ASSERT(strv_push(weakdep, val) == 0);
		else if (streq(key, "firmware"))
			FUZZ_ASSERT(strv_push(firmware, val) == 0);
	}
	kmod_module_info_free_list(info);
	kmod_module_unref(mod);
	return r < 0 ? r : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "fuzz.ko", "fuzz.ko.xz", "fuzz.ko.zst",
					      "fuzz.ko.gz" };
	static const unsigned int name_of_mode[] = { 0, 1, 2, 1, 2, 3, 3 };
	struct modinfo_job job = { 0 };
	struct strv w = { 0 }, f = { 0 };
	const unsigned char *out = NULL;
	unsigned char *elf = NULL;
	size_t file_size, elf_size = 0;
	enum comp_format format;
	uint8_t *file;
	const char *path, *why;
	unsigned int mode;
	int r, r2;

	if (size < 1)
		return -1;
	mode = data[0] % 7;
	data++;
	size--;
	path = fuzz_path(1, names[name_of_mode[mode]]);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		unlink(fuzz_path(2, names[i]));
	switch (mode) {
	case 0:
	case 1:
	case 2:
	case 5:
		fuzz_write(path, data, size);
		break;
	case 3:
#ifdef FUZZ_HAVE_LZMA
		write_xz(path, data, size);
		break;
#else
		return -1;
#endif
	case 4:
		write_zstd(path, data, size);
		break;
	case 6:
#ifdef FUZZ_HAVE_ZLIB
		write_gzip(path, data, size);
		break;
#else
		return -1;
#endif
	}

	job.path = path;
	job.relpath = strrchr(path, '/') + 1;
	r = modinfo_read_batch(ctx, &job, 1);
	FUZZ_ASSERT(r == job.err && r <= 0);
	FUZZ_ASSERT(r == 0 || r == -ENOMEM || job.why || r == -EFBIG);

	/* The same bytes through a decompressor that has decoded other files. */
	file = slurp(path, &file_size);
	format = comp_detect(file, file_size);
	r2 = 0;
	if (format == COMP_NONE) {
		out = file;
		elf_size = file_size;
	} else {
		r2 = decomp_run(reused, format, file, file_size, FUZZ_MAX_EXPANSION, &out,
				&elf_size, &why);
		decomp_trim(reused);
		FUZZ_ASSERT(r2 <= 0);
		/* zstd's own state left by earlier files can move where a damaged frame is
		 * noticed: "truncated" or "corrupt", the same -EBADMSG (tests/README, Open) */
		if (r2 < 0)
			FUZZ_ASSERT(r2 == r && (format == COMP_ZSTD || streq(why, job.why)));
	}
	if (r2 == 0) {
		/* an exact-size copy: a read past the end is a heap overflow */
		elf = malloc(elf_size ? elf_size : 1);
		FUZZ_ASSERT(elf);
		if (elf_size)
			memcpy(elf, out, elf_size);
		r2 = modinfo_parse(elf, elf_size, &w, &f, &why);
		FUZZ_ASSERT(r2 == r && streq(why, job.why));
		FUZZ_ASSERT(strv_eq(&w, &job.weakdep) && strv_eq(&f, &job.firmware));
		FUZZ_ASSERT(strv_in(&w, elf, elf_size) && strv_in(&f, elf, elf_size));

		/* libkmod agrees, where it can be asked */
		if (format != COMP_GZIP && !libkmod_would_abort(elf, elf_size)) {
			struct strv kw = { 0 }, kf = { 0 };
			int kr = libkmod_read(path, &kw, &kf);

			if (r == 0)
				FUZZ_ASSERT(kr == 0 && strv_eq(&kw, &w) &&
					    strv_eq(&kf, &f));
			else
				FUZZ_ASSERT(kr < 0);
			strv_done(&kw);
			strv_done(&kf);
		}
	}
	free(elf);
	free(file);
	strv_done(&w);
	strv_done(&f);
	strv_done(&job.weakdep);
	strv_done(&job.firmware);
	return 0;
}
