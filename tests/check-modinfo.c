/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/modinfo.c, lib/decompress.c: reading weakdep= and firmware= from module files
 * (.ko, .ko.xz, .ko.zst, .ko.gz) in parallel; the ELF reader against libkmod's
 * kmod_module_get_info() on crafted files (both classes, both byte orders, odd
 * .modinfo layouts); malformed ELF, corrupt and truncated streams, the decompressed
 * size limit, a missing decompression library; independence from the number of
 * threads.
 */
#include <dlfcn.h>
#include <elf.h>

#include "check-common.h"

/*
 * dlopen() as the library sees it: the test binary's own definition comes first.
 * While $CHECK_REFUSE_DLOPEN names a library, opening it fails as if it were not
 * installed (a library libkmod links is otherwise always there).
 */
void *dlopen(const char *file, int mode)
{
	static void *(*real)(const char *, int);
	const char *refused = getenv("CHECK_REFUSE_DLOPEN");

	if (file && refused && streq(file, refused))
		return NULL;
	if (!real)
		real = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
	return real(file, mode);
}

static char *joined(const struct strv *v)
{
	struct sbuf b = { 0 };

	for (size_t i = 0; i < v->n; i++)
		sbuf_word(&b, v->v[i]);
	return sbuf_take(&b);
}

static void jobs_done(struct modinfo_job *jobs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		strv_done(&jobs[i].weakdep);
		strv_done(&jobs[i].firmware);
		free((char *)jobs[i].path);
	}
	free(jobs);
}

/* Jobs for the blank-separated paths (relative to @md). */
static struct modinfo_job *make_jobs(const char *md, const char *rels, size_t *n)
{
	char **v = split_words(rels);
	struct modinfo_job *jobs;

	for (*n = 0; v[*n]; (*n)++)
		;
	jobs = calloc(*n ? *n : 1, sizeof(*jobs));
	ck_assert_ptr_nonnull(jobs);
	for (size_t i = 0; i < *n; i++) {
		jobs[i].path = xasprintf("%s/%s", md, v[i]);
		jobs[i].relpath = strrchr(jobs[i].path, '/') + 1;
	}
	free(v);
	return jobs;
}

START_TEST(read_compressions)
{
	struct modset_ctx *ctx = fixture_ctx("hard");
	char *md = fixture_moddir("hard");
	size_t n;
	struct modinfo_job *jobs = make_jobs(md,
					     "kernel/drivers/fixture/lonely.ko "
					     "kernel/drivers/misc/fwdev.ko.xz "
					     "kernel/drivers/misc/plain.ko.zst "
					     "kernel/lib/chain1.ko.xz",
					     &n);

	ck_assert_int_eq(modinfo_read_batch(ctx, jobs, n), 0);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(jobs[i].err, 0);
		ck_assert_uint_eq(jobs[i].weakdep.n, 0);
	}
	/* in .modinfo order */
	ck_assert_str_eq_free(joined(&jobs[0].firmware), "lonely/fw1.bin lonely/fw2.bin");
	ck_assert_str_eq_free(joined(&jobs[1].firmware), "vendor/fwdev-a.bin vendor/fwdev-b.bin");
	ck_assert_uint_eq(jobs[2].firmware.n, 0);
	ck_assert_uint_eq(jobs[3].firmware.n, 0);
	jobs_done(jobs, n);
	free(md);
	modset_unref(ctx);
}
END_TEST

START_TEST(read_weakdeps)
{
	struct modset_ctx *ctx = fixture_ctx("weak");
	char *md = fixture_moddir("weak");
	size_t n;
	struct modinfo_job *jobs = make_jobs(md,
					     "kernel/drivers/fixture/wk_main.ko "
					     "kernel/drivers/fixture/wk_b.ko.xz "
					     "kernel/drivers/fixture/wk_modinfo_only.ko "
					     "kernel/drivers/fixture/wk-dash.ko "
					     "kernel/drivers/fixture/wk-helper3.ko.zst",
					     &n);

	ck_assert_int_eq(modinfo_read_batch(ctx, jobs, n), 0);
	ck_assert_str_eq_free(joined(&jobs[0].weakdep), "wk_helper crypto-wk");
	ck_assert_str_eq_free(joined(&jobs[1].weakdep), "wk_a");
	ck_assert_str_eq_free(joined(&jobs[2].weakdep), "wk_helper2 wk_missing");
	ck_assert_str_eq_free(joined(&jobs[3].weakdep), "wk-helper3 wk_builtin");
	/* a softdep= is not a weakdep */
	ck_assert_str_eq_free(joined(&jobs[4].weakdep), "");
	jobs_done(jobs, n);
	free(md);
	modset_unref(ctx);
}
END_TEST

START_TEST(read_empty_batch)
{
	struct modset_ctx *ctx = fixture_ctx("hard");

	ck_assert_int_eq(modinfo_read_batch(ctx, NULL, 0), 0);
	modset_unref(ctx);
}
END_TEST

/* One file made bad in a copy of the "bad" tree: the batch fails, naming it. */
static void check_bad_file(const char *rel, void (*spoil)(const char *path), const char *what)
{
	char *md, *tmp = copy_fixture("bad", &md);
	struct modset_ctx *ctx = modset_new(md, NULL);
	struct logcap lc;
	size_t n;
	/* a good file before and after the bad one */
	char *rels = xasprintf("kernel/drivers/bad/extra.ko %s %s", rel,
			       strstr(rel, "base") ? "kernel/drivers/bad/top.ko.xz"
						   : "kernel/lib/base.ko");
	struct modinfo_job *jobs = make_jobs(md, rels, &n);
	int r;

	spoil(jobs[1].path);
	logcap_attach(&lc, ctx, LOG_ERR);
	r = modinfo_read_batch(ctx, jobs, n);
	ck_assert_msg(r < 0, "%s: %d", what, r);
	ck_assert_int_eq(jobs[1].err, r);
	/* the others were read */
	ck_assert_int_eq(jobs[0].err, 0);
	ck_assert_int_eq(jobs[2].err, 0);
	ck_assert_log_has(&lc, jobs[1].path);
	ck_assert_uint_eq(lc.count_err, 1);
	jobs_done(jobs, n);
	logcap_done(&lc);
	free(rels);
	modset_unref(ctx);
	rm_rf(tmp);
	free(tmp);
	free(md);
}

static void truncate_half(const char *path)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(truncate(path, st.st_size / 2), 0);
}

static void make_text(const char *path)
{
	free(write_text(path, NULL, "this is not an ELF file\n"));
}

static void make_empty(const char *path)
{
	ck_assert_int_eq(truncate(path, 0), 0);
}

static void remove_file(const char *path)
{
	ck_assert_int_eq(unlink(path), 0);
}

START_TEST(bad_files)
{
	check_bad_file("kernel/drivers/bad/top.ko.xz", truncate_half, "truncated .xz");
	check_bad_file("kernel/drivers/bad/zmod.ko.zst", truncate_half, "truncated .zst");
	check_bad_file("kernel/drivers/bad/top.ko.xz", make_text, "text named .ko.xz");
	check_bad_file("kernel/drivers/bad/zmod.ko.zst", make_empty, "empty .ko.zst");
	check_bad_file("kernel/lib/base.ko", make_text, "non-ELF .ko");
	check_bad_file("kernel/lib/base.ko", make_empty, "empty .ko");
	check_bad_file("kernel/lib/base.ko", remove_file, "missing file");
}
END_TEST

START_TEST(first_error_wins)
{
	/* several bad jobs: the error returned is the first in job order */
	char *md, *tmp = copy_fixture("bad", &md);
	struct modset_ctx *ctx = modset_new(md, NULL);
	size_t n;
	struct modinfo_job *jobs = make_jobs(md,
					     "kernel/drivers/bad/extra.ko kernel/nothere.ko "
					     "kernel/lib/base.ko kernel/drivers/bad/top.ko.xz",
					     &n);

	ctx_quiet(ctx);
	make_text(jobs[3].path);
	ck_assert_int_eq(modinfo_read_batch(ctx, jobs, n), -ENOENT);
	ck_assert_int_eq(jobs[1].err, -ENOENT);
	ck_assert_int_lt(jobs[3].err, 0);
	ck_assert_int_eq(jobs[2].err, 0);
	jobs_done(jobs, n);
	modset_unref(ctx);
	rm_rf(tmp);
	free(tmp);
	free(md);
}
END_TEST

/* Every module file of every tree, read with MODSET_THREADS=@threads (NULL: unset):
 * "path: weakdep=... firmware=..." lines. */
static char *read_all(const char *threads)
{
	static const char *const trees[] = { "hard", "soft", "builtin", "weak", "confdirs",
					      "bad" };
	struct sbuf out = { 0 };

	if (threads)
		setenv("MODSET_THREADS", threads, 1);
	else
		unsetenv("MODSET_THREADS");
	for (size_t t = 0; t < ARRAY_SIZE(trees); t++) {
		struct modset_ctx *ctx = fixture_ctx(trees[t]);
		struct modset_set *set = resolve_ok(ctx, "=", MODSET_RESOLVE_NO_SOFT |
								  MODSET_RESOLVE_NO_WEAK);
		size_t n = 0;
		struct modinfo_job *jobs = calloc(modset_set_count(set) + 1, sizeof(*jobs));

		for (size_t i = 0; i < modset_set_count(set); i++) {
			const struct modset_module *m = modset_set_get(set, i);

			if (modset_module_is_builtin(m))
				continue;
			jobs[n].path = strdup(modset_module_get_path(m));
			jobs[n++].relpath = modset_module_get_relpath(m);
		}
		ck_assert_int_eq(modinfo_read_batch(ctx, jobs, n), 0);
		for (size_t i = 0; i < n; i++) {
			char *w = joined(&jobs[i].weakdep), *f = joined(&jobs[i].firmware);

			sbuf_addf(&out, "%s: weakdep=%s firmware=%s\n", jobs[i].relpath, w, f);
			free(w);
			free(f);
		}
		jobs_done(jobs, n);
		modset_set_unref(set);
		modset_unref(ctx);
	}
	unsetenv("MODSET_THREADS");
	return sbuf_take(&out);
}

START_TEST(threads_same_results)
{
	char *one = read_all("1"), *dflt = read_all(NULL), *many = read_all("16");
	char *silly = read_all("0"), *junk = read_all("lots");

	ck_assert_ptr_nonnull(strstr(one, "wk_main.ko: weakdep=wk_helper crypto-wk firmware=\n"));
	ck_assert_ptr_nonnull(strstr(one, "lonely.ko: weakdep= firmware=lonely/fw1.bin "
					  "lonely/fw2.bin\n"));
	ck_assert_str_eq(one, dflt);
	ck_assert_str_eq(one, many);
	ck_assert_str_eq(one, silly);
	ck_assert_str_eq(one, junk);
	free(one);
	free(dflt);
	free(many);
	free(silly);
	free(junk);
}
END_TEST

START_TEST(threads_same_resolve)
{
	/* the public view: firmware and modinfo weakdeps, one thread or many */
	const char *roots = "=";
	char *a, *b;

	setenv("MODSET_THREADS", "1", 1);
	a = FIXTURE_VIEW(set_dump, "weak", roots, MODSET_RESOLVE_MODINFO);
	setenv("MODSET_THREADS", "8", 1);
	b = FIXTURE_VIEW(set_dump, "weak", roots, MODSET_RESOLVE_MODINFO);
	unsetenv("MODSET_THREADS");
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
}
END_TEST

/* ---- through modset_resolve() ---- */

START_TEST(resolve_reads_modinfo_when_needed)
{
	/* "bad" has no modules.weakdep: weakdeps come from .modinfo, so a corrupt
	 * module on the way is an error naming it; a corrupt module that is not on the
	 * way is never read */
	char *md, *tmp = copy_fixture("bad", &md);
	char *top = xasprintf("%s/kernel/drivers/bad/top.ko.xz", md);
	struct modset_ctx *ctx = modset_new(md, NULL);
	struct modset_set *set;
	struct logcap lc;

	ctx_quiet(ctx);
	set = resolve_ok(ctx, "top", 0);
	ck_assert_str_eq_free(set_names(set), "base extra top");
	ck_assert_str_eq_free(set_image_only(set), "extra");
	modset_set_unref(set);
	modset_unref(ctx);

	truncate_half(top);
	ctx = modset_new(md, NULL);
	logcap_attach(&lc, ctx, LOG_ERR);
	set = resolve_ok(ctx, "zmod", 0);
	ck_assert_str_eq_free(set_names(set), "base zmod");
	modset_set_unref(set);
	ck_assert_int_lt(resolve_err(ctx, "top", 0), 0);
	ck_assert_log_has(&lc, top);
	/* without weak deps and without MODSET_RESOLVE_MODINFO, nothing is read */
	set = resolve_ok(ctx, "top", MODSET_RESOLVE_NO_WEAK);
	ck_assert_str_eq_free(set_names(set), "base top");
	modset_set_unref(set);
	set = resolve_ok(ctx, "top", MODSET_RESOLVE_KMOD_COMPAT);
	modset_set_unref(set);
	ck_assert_int_lt(resolve_err(ctx, "top", MODSET_RESOLVE_NO_WEAK | MODSET_RESOLVE_MODINFO),
			 0);
	modset_unref(ctx);
	logcap_done(&lc);
	rm_rf(tmp);
	free(tmp);
	free(top);
	free(md);
}
END_TEST

START_TEST(resolve_corrupt_module_errno)
{
	/* the error, logged with the file and the reason (libmodset.h: -EBADMSG for a
	 * corrupt stream, -ENOEXEC for a file that is not a valid ELF module) */
	static const struct {
		const char *rel, *root;
		void (*spoil)(const char *);
		int err;
		const char *why;
	} cases[] = {
		{ "kernel/drivers/bad/top.ko.xz", "top", truncate_half, -EBADMSG,
		  ": truncated xz stream\n" },
		{ "kernel/drivers/bad/zmod.ko.zst", "zmod", truncate_half, -EBADMSG,
		  ": truncated zstd stream\n" },
		{ "kernel/lib/base.ko", "base", make_text, -ENOEXEC,
		  ": not a valid kernel module: not an ELF file\n" },
		{ "kernel/lib/base.ko", "base", make_empty, -ENOEXEC,
		  ": not a valid kernel module: not an ELF file\n" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *md, *tmp = copy_fixture("bad", &md), *p = xasprintf("%s/%s", md, cases[i].rel);
		struct modset_ctx *ctx = modset_new(md, NULL);
		struct logcap lc;
		int r;

		cases[i].spoil(p);
		logcap_attach(&lc, ctx, LOG_ERR);
		r = resolve_err(ctx, cases[i].root, MODSET_RESOLVE_MODINFO);
		ck_assert_msg(r == cases[i].err, "%s: %d", cases[i].rel, r);
		ck_assert_log_has(&lc, p);
		ck_assert_log_has(&lc, cases[i].why);
		logcap_done(&lc);
		modset_unref(ctx);
		rm_rf(tmp);
		free(tmp);
		free(p);
		free(md);
	}
}
END_TEST

START_TEST(resolve_module_file_gone)
{
	/* a module whose file is gone is not in the tree: a missing item, not an error */
	char *md, *tmp = copy_fixture("bad", &md), *p = xasprintf("%s/kernel/drivers/bad/extra.ko", md);
	struct modset_ctx *ctx = modset_new(md, NULL);
	struct modset_set *set;

	remove_file(p);
	ctx_quiet(ctx);
	set = resolve_ok(ctx, "extra top", MODSET_RESOLVE_MODINFO);
	ck_assert_str_eq_free(set_names(set), "base top");
	ck_assert_str_eq_free(set_missing(set), "extra/root/- extra/weak/top");
	modset_set_unref(set);
	modset_unref(ctx);
	rm_rf(tmp);
	free(tmp);
	free(p);
	free(md);
}
END_TEST

/* ---- the ELF reader, on crafted files ---- */

struct sec {
	const char *name;
	const char *data;
	size_t len;
	bool out_of_bounds; /* sh_offset past the end of the file */
};

static void put(unsigned char *b, size_t off, uint64_t v, size_t n, bool msb)
{
	for (size_t i = 0; i < n; i++)
		b[off + (msb ? n - 1 - i : i)] = (unsigned char)(v >> (8 * i));
}

#define PUT(b, off, is64, msb, type, field, v)                                           \
	((is64) ? put(b, (off) + offsetof(Elf64_##type, field), v,                       \
		      sizeof(((Elf64_##type *)0)->field), msb)                           \
		: put(b, (off) + offsetof(Elf32_##type, field), v,                       \
		      sizeof(((Elf32_##type *)0)->field), msb))

/*
 * A relocatable ELF file of class @is64, byte order @msb: the header, the data of
 * @secs (NULL-terminated by name), the section name table, then the section headers
 * (null section, @secs, .shstrtab), as a linker lays them out. *len gets the size.
 */
static unsigned char *make_elf(bool is64, bool msb, const struct sec *secs, size_t *len)
{
	size_t ehsize = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	size_t shsize = is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	size_t nsec = 0, off, names_off, shoff, names_len = 1;
	size_t name_at[16], data_at[16];
	unsigned char *b;

	while (secs[nsec].name)
		nsec++;
	CHECK(nsec < 15);
	off = ehsize;
	for (size_t i = 0; i < nsec; i++) {
		data_at[i] = off;
		off += secs[i].len;
		name_at[i] = names_len;
		names_len += strlen(secs[i].name) + 1;
	}
	names_off = off;
	name_at[nsec] = names_len;
	names_len += strlen(".shstrtab") + 1;
	shoff = (names_off + names_len + 7) & ~(size_t)7;
	*len = shoff + (nsec + 2) * shsize;
	b = calloc(1, *len);
	CHECK(b != NULL);
	memcpy(b, ELFMAG, SELFMAG);
	b[EI_CLASS] = is64 ? ELFCLASS64 : ELFCLASS32;
	b[EI_DATA] = msb ? ELFDATA2MSB : ELFDATA2LSB;
	b[EI_VERSION] = EV_CURRENT;
	PUT(b, 0, is64, msb, Ehdr, e_type, ET_REL);
	PUT(b, 0, is64, msb, Ehdr, e_machine, is64 ? EM_X86_64 : EM_386);
	PUT(b, 0, is64, msb, Ehdr, e_version, EV_CURRENT);
	PUT(b, 0, is64, msb, Ehdr, e_shoff, shoff);
	PUT(b, 0, is64, msb, Ehdr, e_ehsize, ehsize);
	PUT(b, 0, is64, msb, Ehdr, e_shentsize, shsize);
	PUT(b, 0, is64, msb, Ehdr, e_shnum, nsec + 2);
	PUT(b, 0, is64, msb, Ehdr, e_shstrndx, nsec + 1);
	for (size_t i = 0; i < nsec; i++) {
		size_t sh = shoff + (i + 1) * shsize;

		memcpy(b + data_at[i], secs[i].data, secs[i].len);
		strcpy((char *)b + names_off + name_at[i], secs[i].name);
		PUT(b, sh, is64, msb, Shdr, sh_name, name_at[i]);
		PUT(b, sh, is64, msb, Shdr, sh_type, SHT_PROGBITS);
		PUT(b, sh, is64, msb, Shdr, sh_offset,
		    secs[i].out_of_bounds ? *len + 1 : data_at[i]);
		PUT(b, sh, is64, msb, Shdr, sh_size, secs[i].len);
		PUT(b, sh, is64, msb, Shdr, sh_addralign, 1);
	}
	memcpy(b + names_off + name_at[nsec], ".shstrtab", strlen(".shstrtab") + 1);
	PUT(b, shoff + (nsec + 1) * shsize, is64, msb, Shdr, sh_name, name_at[nsec]);
	PUT(b, shoff + (nsec + 1) * shsize, is64, msb, Shdr, sh_type, SHT_STRTAB);
	PUT(b, shoff + (nsec + 1) * shsize, is64, msb, Shdr, sh_offset, names_off);
	PUT(b, shoff + (nsec + 1) * shsize, is64, msb, Shdr, sh_size, names_len);
	PUT(b, shoff + (nsec + 1) * shsize, is64, msb, Shdr, sh_addralign, 1);
	return b;
}

/* "weakdep=... firmware=..." as libkmod's kmod_module_get_info() reads @path
 * ('|' separates values, so that empty ones show). */
static char *libkmod_view(struct kmod_ctx *k, const char *path)
{
	struct kmod_module *mod = NULL;
	struct kmod_list *info = NULL, *l;
	struct sbuf w = { 0 }, f = { 0 };
	char *ret;
	int r;

	ck_assert_int_eq(kmod_module_new_from_path(k, path, &mod), 0);
	r = kmod_module_get_info(mod, &info);
	kmod_list_foreach(l, info)
	{
		const char *key = kmod_module_info_get_key(l);
		const char *val = kmod_module_info_get_value(l);

		if (streq(key, "weakdep"))
			sbuf_addf(&w, "%s|", val);
		else if (streq(key, "firmware"))
			sbuf_addf(&f, "%s|", val);
	}
	kmod_module_info_free_list(info);
	kmod_module_unref(mod);
	ret = r < 0 ? xasprintf("error")
		    : xasprintf("weakdep=%s firmware=%s", w.s ? w.s : "", f.s ? f.s : "");
	free(w.s);
	free(f.s);
	return ret;
}

/* The same through modinfo_parse(). */
static char *our_view(const unsigned char *p, size_t len)
{
	struct strv w = { 0 }, f = { 0 };
	struct sbuf sw = { 0 }, sf = { 0 };
	const char *why;
	char *ret;
	int r = modinfo_parse(p, len, &w, &f, &why);

	for (size_t i = 0; i < w.n; i++)
		sbuf_addf(&sw, "%s|", w.v[i]);
	for (size_t i = 0; i < f.n; i++)
		sbuf_addf(&sf, "%s|", f.v[i]);
	ret = r < 0 ? xasprintf("error")
		    : xasprintf("weakdep=%s firmware=%s", sw.s ? sw.s : "",
				sf.s ? sf.s : "");
	strv_done(&w);
	strv_done(&f);
	free(sw.s);
	free(sf.s);
	return ret;
}

#define MI(s) s, sizeof(s) - 1
#define SEC(name, s) { name, MI(s), false }
#define SEC_OOB(name, s) { name, MI(s), true }
#define SEC_END { NULL, NULL, 0, false }

START_TEST(elf_same_as_libkmod)
{
	static const struct {
		const char *data;
		size_t len;
		const char *expect;
	} infos[] = {
		{ MI("firmware=a.bin\0weakdep=w\0license=GPL\0"),
		  "weakdep=w| firmware=a.bin|" },
		/* leading NULs, runs of NULs, no final NUL */
		{ MI("\0\0\0firmware=a\0\0\0weakdep=b\0\0firmware=c"),
		  "weakdep=b| firmware=a|c|" },
		/* one byte left after the leading NULs is no string at all */
		{ MI("x"), "weakdep= firmware=" },
		{ MI("\0\0\0x"), "weakdep= firmware=" },
		{ MI("\0"), "weakdep= firmware=" },
		{ MI(""), "weakdep= firmware=" },
		{ MI("\0\0ab"), "weakdep= firmware=" },
		/* no '=': the key alone, an empty value */
		{ MI("firmware\0weakdep"), "weakdep=| firmware=|" },
		{ MI("firmware=\0weakdep=\0"), "weakdep=| firmware=|" },
		/* the key ends at the first '=' */
		{ MI("firmware=a=b\0weakdep==c\0"), "weakdep==c| firmware=a=b|" },
		{ MI("firmwarex=a\0firmwar=b\0 firmware=c\0weakdeps=d\0Firmware=e\0"),
		  "weakdep= firmware=" },
		{ MI("\0firmware=z"), "weakdep= firmware=z|" },
	};
	char *dir = make_tempdir();
	struct kmod_ctx *k = kmod_new(dir, (const char *const[]){ NULL });

	ck_assert_ptr_nonnull(k);
	kmod_set_log_priority(k, 0);
	for (unsigned int cls = 0; cls < 4; cls++) {
		bool is64 = cls & 1, msb = cls & 2;

		for (size_t i = 0; i < ARRAY_SIZE(infos); i++) {
			struct sec secs[] = {
				SEC(".text", "\x90\x90\x90\x90"),
				{ ".modinfo", infos[i].data, infos[i].len, false },
				SEC(".data", "firmware=not-this\0"),
				SEC_END,
			};
			size_t len;
			unsigned char *elf = make_elf(is64, msb, secs, &len);
			char *path = write_bytes(dir, "m.ko", elf, len);
			char *ours = our_view(elf, len), *theirs = libkmod_view(k, path);

			CHECK_MSG(streq(ours, theirs), "%u/%zu: '%s', libkmod '%s'",
				  cls, i, ours, theirs);
			CHECK_MSG(streq(ours, infos[i].expect), "%u/%zu: '%s'",
				  cls, i, ours);
			free(ours);
			free(theirs);
			free(path);
			free(elf);
		}
	}
	kmod_unref(k);
	rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(elf_first_modinfo_in_bounds)
{
	/* libkmod takes the first .modinfo whose data is inside the file */
	static const struct {
		struct sec secs[4];
		const char *expect;
	} cases[] = {
		{ { SEC(".modinfo", "firmware=first\0"),
		    SEC(".modinfo", "firmware=second\0") },
		  "weakdep= firmware=first|" },
		{ { SEC_OOB(".modinfo", "firmware=first\0"),
		    SEC(".modinfo", "firmware=second\0") },
		  "weakdep= firmware=second|" },
		{ { SEC(".modinfo.x", "firmware=first\0"),
		    SEC(".modinf", "firmware=second\0"),
		    SEC(".modinfo", "firmware=third\0") },
		  "weakdep= firmware=third|" },
		/* no .modinfo: an error for both */
		{ { SEC_OOB(".modinfo", "firmware=first\0") }, "error" },
		{ { SEC(".text", "firmware=first\0") }, "error" },
	};
	char *dir = make_tempdir();
	struct kmod_ctx *k = kmod_new(dir, (const char *const[]){ NULL });

	kmod_set_log_priority(k, 0);
	for (unsigned int cls = 0; cls < 4; cls++) {
		for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
			size_t len;
			bool is64 = cls & 1, msb = cls & 2;
			unsigned char *elf = make_elf(is64, msb, cases[i].secs, &len);
			char *path = write_bytes(dir, "m.ko", elf, len);
			char *ours = our_view(elf, len), *theirs = libkmod_view(k, path);

			CHECK_MSG(streq(ours, theirs), "%u/%zu: '%s', libkmod '%s'",
				  cls, i, ours, theirs);
			CHECK_MSG(streq(ours, cases[i].expect), "%u/%zu: '%s'",
				  cls, i, ours);
			free(ours);
			free(theirs);
			free(path);
			free(elf);
		}
	}
	kmod_unref(k);
	rm_rf(dir);
	free(dir);
}
END_TEST

/* modinfo_parse() on a copy of @elf with @n bytes of @v written at @off. */
static int parse_poked(const unsigned char *elf, size_t len, size_t off, uint64_t v,
		       size_t n, bool msb, const char **why)
{
	unsigned char *b = malloc(len);
	struct strv w = { 0 }, f = { 0 };
	int r;

	memcpy(b, elf, len);
	if (n)
		put(b, off, v, n, msb);
	r = modinfo_parse(b, len, &w, &f, why);
	strv_done(&w);
	strv_done(&f);
	free(b);
	return r;
}

/* The offset of a field of an ELF structure, of the class of the file being built. */
#define EOFF(is64, type, field)                                                          \
	((is64) ? offsetof(Elf64_##type, field) : offsetof(Elf32_##type, field))

START_TEST(elf_refused)
{
	for (unsigned int cls = 0; cls < 4; cls++) {
		bool is64 = cls & 1, msb = cls & 2;
		struct sec secs[] = { SEC(".modinfo", "firmware=a\0"), SEC_END };
		size_t len, shsize = is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
		size_t ehsize = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
		unsigned char *elf = make_elf(is64, msb, secs, &len);
		size_t shoff_at = EOFF(is64, Ehdr, e_shoff);
		size_t shnum_at = EOFF(is64, Ehdr, e_shnum);
		size_t strndx_at = EOFF(is64, Ehdr, e_shstrndx);
		size_t entsz_at = EOFF(is64, Ehdr, e_shentsize);
		size_t shoff = len - 3 * shsize, mi_hdr = shoff + shsize;
		size_t names = shoff + 2 * shsize; /* its header */
		size_t soff_at = EOFF(is64, Shdr, sh_offset);
		size_t ssize_at = EOFF(is64, Shdr, sh_size);
		size_t word = is64 ? 8 : 4;
		uint64_t max = is64 ? UINT64_MAX : UINT32_MAX;
		const char *why;

		/* the unchanged file is fine */
		ck_assert_int_eq(parse_poked(elf, len, 0, 0, 0, msb, &why), 0);
#define REFUSED(off, v, n, err, reason)                                                  \
	do {                                                                             \
		ck_assert_int_eq(parse_poked(elf, len, off, v, n, msb, &why), err);      \
		ck_assert_str_eq(why, "not a valid kernel module: " reason);             \
	} while (0)
#define NOEXEC(off, v, n, reason) REFUSED(off, v, n, -ENOEXEC, reason)
		NOEXEC(1, 0x7f, 1, "not an ELF file");
		NOEXEC(EI_CLASS, 3, 1, "unknown ELF class");
		NOEXEC(EI_DATA, 0, 1, "unknown ELF byte order");
		NOEXEC(entsz_at, shsize + 1, 2, "bad section header size");
		/* section headers out of bounds: past the end, ending one byte past it,
		 * an offset that overflows */
		NOEXEC(shoff_at, len, word, "section headers out of bounds");
		NOEXEC(shoff_at, shoff + 1, word, "section headers out of bounds");
		NOEXEC(shoff_at, max - 8, word, "section headers out of bounds");
		NOEXEC(shnum_at, 4, 2, "section headers out of bounds");
		NOEXEC(shnum_at, 0xffff, 2, "section headers out of bounds");
		/* no sections at all: no name table */
		NOEXEC(shnum_at, 0, 2, "bad section name table index");
		NOEXEC(strndx_at, 0, 2, "bad section name table index");
		NOEXEC(strndx_at, 3, 2, "bad section name table index");
		NOEXEC(strndx_at, SHN_XINDEX, 2, "bad section name table index");
		NOEXEC(names + soff_at, len, word, "section name table out of bounds");
		NOEXEC(names + ssize_at, len, word, "section name table out of bounds");
		NOEXEC(names + ssize_at, max, word, "section name table out of bounds");
		NOEXEC(names + ssize_at, 0, word, "empty section name table");
		/* the name table cut before its last NUL */
		NOEXEC(names + ssize_at, 3, word,
		       "section name table not NUL-terminated");
		/* .modinfo's name out of the table, its data out of the file: skipped */
		REFUSED(mi_hdr, 1000, 4, -EBADMSG, "no .modinfo section");
		REFUSED(mi_hdr + soff_at, len - 1, word, -EBADMSG, "no .modinfo section");
		/* an empty .modinfo at the end of the file is in bounds: no strings */
		{
			unsigned char *b = malloc(len);
			struct strv w = { 0 }, f = { 0 };

			memcpy(b, elf, len);
			put(b, mi_hdr + soff_at, len, word, msb);
			put(b, mi_hdr + ssize_at, 0, word, msb);
			ck_assert_int_eq(modinfo_parse(b, len, &w, &f, &why), 0);
			ck_assert_uint_eq(w.n + f.n, 0);
			free(b);
		}
		/* every prefix of the file: refused, never read past its end */
		for (size_t n = 0; n < len; n++) {
			unsigned char *b = malloc(n ? n : 1);
			struct strv w = { 0 }, f = { 0 };

			memcpy(b, elf, n);
			CHECK(modinfo_parse(b, n, &w, &f, &why) == -ENOEXEC);
			CHECK(why != NULL);
			CHECK(n > ehsize || strstr(why, "section headers") == NULL);
			free(b);
		}
#undef NOEXEC
#undef REFUSED
		free(elf);
	}
}
END_TEST

/* ---- compressed files ---- */

/* Run a shell command (compressors), failing the test if it fails. */
static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	va_list ap;
	char *cmd;

	va_start(ap, fmt);
	CHECK(vasprintf(&cmd, fmt, ap) >= 0);
	va_end(ap);
	if (system(cmd) != 0)
		ck_abort_msg("failed: %s", cmd);
	free(cmd);
}

/* Read one file through modinfo_read_batch(); the error logged goes to @log. */
static int read_one(const char *path, struct strv *firmware, char **log)
{
	struct modset_ctx *ctx = fixture_ctx("hard");
	struct modinfo_job job = { .path = path, .relpath = strrchr(path, '/') + 1 };
	struct logcap lc;
	int r;

	logcap_attach(&lc, ctx, LOG_ERR);
	r = modinfo_read_batch(ctx, &job, 1);
	ck_assert_int_eq(r, job.err);
	if (log)
		*log = strdup(logcap_text(&lc));
	if (firmware)
		*firmware = job.firmware;
	else
		strv_done(&job.firmware);
	strv_done(&job.weakdep);
	logcap_done(&lc);
	modset_unref(ctx);
	return r;
}

#define ck_assert_read(path, err, msg)                                                   \
	do {                                                                             \
		char *log_;                                                              \
		ck_assert_int_eq(read_one(path, NULL, &log_), err);                      \
		ck_assert_msg(strstr(log_, msg) && strstr(log_, path), "log: %s", log_); \
		free(log_);                                                              \
	} while (0)

START_TEST(compressed_formats)
{
	/* the same module plain, xz, zstd, gzip, and xz/zstd of two streams */
	char *dir = make_tempdir(), *md = fixture_moddir("hard");
	char *ko = xasprintf("%s/kernel/drivers/fixture/lonely.ko", md);
	const char *names[] = { "m.ko", "m.ko.xz", "m.ko.zst", "m.ko.gz", "m2.ko.xz",
				"m2.ko.zst" };

	sh("cd %s && cp %s m.ko && xz -c m.ko > m.ko.xz && zstd -q -c m.ko > m.ko.zst && "
	   "gzip -c m.ko > m.ko.gz && head -c 100 m.ko | xz -c > h.xz && "
	   "tail -c +101 m.ko | xz -c > t.xz && cat h.xz t.xz > m2.ko.xz && "
	   "head -c 100 m.ko | zstd -q -c > h.zst && "
	   "tail -c +101 m.ko | zstd -q -c > t.zst && cat h.zst t.zst > m2.ko.zst",
	   dir, ko);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char *p = xasprintf("%s/%s", dir, names[i]);
		struct strv fw;

		ck_assert_int_eq(read_one(p, &fw, NULL), 0);
		ck_assert_str_eq_free(joined(&fw), "lonely/fw1.bin lonely/fw2.bin");
		strv_done(&fw);
		free(p);
	}
	rm_rf(dir);
	free(dir);
	free(ko);
	free(md);
}
END_TEST

/* Broken streams: the file, the command that makes it (in a directory holding m.ko and
 * good.xz, good.zst, good.gz, its compressed forms), the error and the log line. */
static const struct {
	const char *name, *cmd;
	int err;
	const char *msg;
} broken[] = {
	/* truncated: every format, cut at several places */
	{ "t1.ko.xz", "head -c 30 good.xz", -EBADMSG, ": truncated xz stream\n" },
	{ "t2.ko.xz", "head -c -1 good.xz", -EBADMSG, ": truncated xz stream\n" },
	{ "t3.ko.xz", "head -c 6 good.xz", -EBADMSG, ": truncated xz stream\n" },
	{ "t1.ko.zst", "head -c 30 good.zst", -EBADMSG, ": truncated zstd stream\n" },
	{ "t2.ko.zst", "head -c -1 good.zst", -EBADMSG, ": truncated zstd stream\n" },
	{ "t3.ko.zst", "head -c 4 good.zst", -EBADMSG, ": truncated zstd stream\n" },
	{ "t1.ko.gz", "head -c 30 good.gz", -EBADMSG, ": truncated gzip stream\n" },
	{ "t2.ko.gz", "head -c -1 good.gz", -EBADMSG, ": truncated gzip stream\n" },
	/* corrupt */
	{ "c.ko.xz", "{ head -c 60 good.xz; printf XXXXXXXX; tail -c +69 good.xz; }",
	  -EBADMSG, ": corrupt xz stream\n" },
	{ "c.ko.zst", "{ head -c 30 good.zst; printf XXXXXXXX; tail -c +39 good.zst; }",
	  -EBADMSG, ": corrupt zstd stream\n" },
	{ "c.ko.gz", "{ head -c 30 good.gz; printf XXXXXXXX; tail -c +39 good.gz; }",
	  -EBADMSG, ": corrupt gzip stream\n" },
	/* garbage after the stream: an error for xz and zstd (ignored after a gzip
	 * member, as zlib's gzread() ignores it for libkmod: see below) */
	{ "g.ko.xz", "{ cat good.xz; printf garbage; }", -EBADMSG,
	  ": corrupt xz stream (garbage after its end)\n" },
	{ "g.ko.zst", "{ cat good.zst; printf garbage; }", -EBADMSG,
	  ": corrupt zstd stream (garbage after its end)\n" },
	/* bad ELF inside a compressed stream (libkmod 30 aborts on these) */
	{ "e.ko.xz", "{ head -c 62 m.ko; printf '\\000\\000'; tail -c +65 m.ko; } | xz",
	  -ENOEXEC, ": not a valid kernel module: bad section name table index\n" },
	{ "e.ko.zst",
	  "{ head -c 40 m.ko; printf '\\377\\377\\377\\377'; tail -c +45 m.ko; } | zstd",
	  -ENOEXEC, ": not a valid kernel module: section headers out of bounds\n" },
	{ "e.ko.gz", "echo not ELF at all | gzip", -ENOEXEC,
	  ": not a valid kernel module: not an ELF file\n" },
};

START_TEST(compressed_broken)
{
	char *dir = make_tempdir(), *md = fixture_moddir("hard");
	char *ko = xasprintf("%s/kernel/drivers/fixture/lonely.ko", md);
	char *p;

	sh("cd %s && cp %s m.ko && xz -c m.ko > good.xz && zstd -q -c m.ko > good.zst && "
	   "gzip -c m.ko > good.gz",
	   dir, ko);
	for (size_t i = 0; i < ARRAY_SIZE(broken); i++) {
		sh("cd %s && %s > %s", dir, broken[i].cmd, broken[i].name);
		p = xasprintf("%s/%s", dir, broken[i].name);
		ck_assert_read(p, broken[i].err, broken[i].msg);
		free(p);
	}
	p = xasprintf("%s/g.ko.gz", dir);
	sh("cd %s && { cat good.gz; printf garbage; } > g.ko.gz", dir);
	ck_assert_int_eq(read_one(p, NULL, NULL), 0);
	free(p);
	/* a .modinfo without its final NUL, compressed: read */
	p = xasprintf("%s/n.ko.xz", dir);
	{
		struct sec secs[] = {
			SEC(".modinfo", "firmware=x\0firmware=last"),
			SEC_END,
		};
		size_t len;
		unsigned char *elf = make_elf(true, false, secs, &len);
		char *plain = write_bytes(dir, "n.ko", elf, len);
		struct strv fw;

		sh("cd %s && xz -c n.ko > n.ko.xz", dir);
		ck_assert_int_eq(read_one(p, &fw, NULL), 0);
		ck_assert_str_eq_free(joined(&fw), "x last");
		strv_done(&fw);
		free(plain);
		free(elf);
	}
	free(p);
	rm_rf(dir);
	free(dir);
	free(ko);
	free(md);
}
END_TEST

START_TEST(size_limit)
{
	char *dir = make_tempdir(), *md = fixture_moddir("hard");
	char *ko = xasprintf("%s/kernel/drivers/fixture/lonely.ko", md);
	char *p;
	struct stat st;

	ck_assert_int_eq(stat(ko, &st), 0);
	/* zeros: 3 MiB, compressed; the module; the limit is 2 MiB */
	sh("cd %s && head -c 3145728 /dev/zero > z && xz -0 -c z > z.ko.xz && "
	   "zstd -q -c z > z.ko.zst && zstd -q -c < z > zs.ko.zst && "
	   "gzip -c z > z.ko.gz && xz -c %s > m.ko.xz && zstd -q -c %s > m.ko.zst && "
	   "gzip -c %s > m.ko.gz",
	   dir, ko, ko, ko);
	setenv("MODSET_MODULE_SIZE_MAX", "2M", 1);
	ck_assert_uint_eq(modinfo_size_max(), 2u << 20);
	for (size_t i = 0; i < 4; i++) {
		static const char *const z[] = { "z.ko.xz", "z.ko.zst", "zs.ko.zst",
						  "z.ko.gz" };

		p = xasprintf("%s/%s", dir, z[i]);
		ck_assert_read(p, -EFBIG, ": decompressed size exceeds 2 MiB");
		free(p);
	}
	/* at the module's exact size it is read; one byte less is too much */
	for (size_t i = 0; i < 3; i++) {
		static const char *const m[] = { "m.ko.xz", "m.ko.zst", "m.ko.gz" };
		char *v = xasprintf("%lld", (long long)st.st_size), *msg;

		p = xasprintf("%s/%s", dir, m[i]);
		setenv("MODSET_MODULE_SIZE_MAX", v, 1);
		ck_assert_int_eq(read_one(p, NULL, NULL), 0);
		free(v);
		v = xasprintf("%lld", (long long)st.st_size - 1);
		msg = xasprintf(": decompressed size exceeds %lld bytes",
				(long long)st.st_size - 1);
		setenv("MODSET_MODULE_SIZE_MAX", v, 1);
		ck_assert_read(p, -EFBIG, msg);
		free(msg);
		free(v);
		free(p);
	}
	/* plain files are mapped, never copied: no limit */
	setenv("MODSET_MODULE_SIZE_MAX", "1K", 1);
	ck_assert_int_eq(read_one(ko, NULL, NULL), 0);
	unsetenv("MODSET_MODULE_SIZE_MAX");
	rm_rf(dir);
	free(dir);
	free(ko);
	free(md);
}
END_TEST

START_TEST(size_limit_env)
{
	static const struct {
		const char *v;
		size_t max;
	} cases[] = {
		{ NULL, MODULE_SIZE_MAX_DEFAULT }, { "", MODULE_SIZE_MAX_DEFAULT },
		{ "1000", 1000 },		     { "64K", 64u << 10 },
		{ "3M", 3u << 20 },		     { "1G", 1u << 30 },
		{ "0", MODULE_SIZE_MAX_DEFAULT },    { "-1", MODULE_SIZE_MAX_DEFAULT },
		{ "12X", MODULE_SIZE_MAX_DEFAULT },  { "M", MODULE_SIZE_MAX_DEFAULT },
		{ "5MiB", MODULE_SIZE_MAX_DEFAULT }, { " 5", MODULE_SIZE_MAX_DEFAULT },
		{ "99999999999999999999999", MODULE_SIZE_MAX_DEFAULT },
		{ "9999999999999G", SIZE_MAX / 2 },
	};

	ck_assert_uint_eq(MODULE_SIZE_MAX_DEFAULT, 256u << 20);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		if (cases[i].v)
			setenv("MODSET_MODULE_SIZE_MAX", cases[i].v, 1);
		else
			unsetenv("MODSET_MODULE_SIZE_MAX");
		ck_assert_msg(modinfo_size_max() == cases[i].max, "%s: %zu", cases[i].v,
			      modinfo_size_max());
	}
	unsetenv("MODSET_MODULE_SIZE_MAX");
}
END_TEST

/*
 * The missing_library check proper, run by main() in a fresh process (the libraries
 * are loaded once per process, and an earlier test may have loaded them): reading
 * $CHECK_FILE fails with -ELIBACC and a line naming it and $CHECK_REFUSE_DLOPEN;
 * $CHECK_PLAIN (a plain module) is still read. Exit status 0 when so.
 */
/* This program (argv[0]: /proc/self/exe would be valgrind's tool under valgrind) */
static const char *self;

static int missing_library_child(void)
{
	const char *file = getenv("CHECK_FILE"), *plain = getenv("CHECK_PLAIN");
	const char *lib = getenv("CHECK_REFUSE_DLOPEN");
	struct modinfo_job job = { .path = file, .relpath = "m" };
	struct modinfo_job job2 = { .path = plain, .relpath = "m" };
	struct modset_ctx *ctx = modset_new("/nonexistent", NULL);
	struct logcap lc;
	char *msg;
	bool ok;

	if (!ctx || !file || !plain ||
	    asprintf(&msg, "%s: cannot decompress: %s not available\n", file, lib) < 0)
		return 2;
	logcap_attach(&lc, ctx, LOG_ERR);
	ok = modinfo_read_batch(ctx, &job, 1) == -ELIBACC && job.err == -ELIBACC &&
	     streq(logcap_text(&lc), msg);
	/* an error for that file only */
	ok = ok && modinfo_read_batch(ctx, &job2, 1) == 0;
	if (!ok)
		fprintf(stderr, "missing %s: %d %d, log: %s", lib, job.err, job2.err,
			logcap_text(&lc));
	strv_done(&job2.firmware);
	strv_done(&job2.weakdep);
	logcap_done(&lc);
	modset_unref(ctx);
	free(msg);
	return ok ? 0 : 1;
}

START_TEST(missing_library)
{
	static const struct {
		const char *lib, *file, *cmd;
	} cases[] = {
		{ "liblzma.so.5", "m.ko.xz", "xz -c m.ko > m.ko.xz" },
		{ "libzstd.so.1", "m.ko.zst", "zstd -q -c m.ko > m.ko.zst" },
		{ "libz.so.1", "m.ko.gz", "gzip -c m.ko > m.ko.gz" },
	};
	char *dir = make_tempdir(), *md = fixture_moddir("hard");
	char *plain = xasprintf("%s/m.ko", dir);

	sh("cd %s && cp %s/kernel/drivers/fixture/lonely.ko m.ko", dir, md);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *p = xasprintf("%s/%s", dir, cases[i].file);
		int status;
		pid_t pid;

		sh("cd %s && %s", dir, cases[i].cmd);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			setenv("CHECK_REFUSE_DLOPEN", cases[i].lib, 1);
			setenv("CHECK_FILE", p, 1);
			setenv("CHECK_PLAIN", plain, 1);
			execvp(self, (char *[]){ (char *)self, NULL });
			_exit(127);
		}
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "%s: status %d", cases[i].lib, status);
		free(p);
	}
	rm_rf(dir);
	free(dir);
	free(plain);
	free(md);
}
END_TEST

static Suite *modinfo_suite(void)
{
	Suite *s = suite_create("modinfo");
	TCase *tc;

	tc = tcase_new(s, "read");
	tcase_add_test(tc, read_compressions);
	tcase_add_test(tc, read_weakdeps);
	tcase_add_test(tc, read_empty_batch);

	tc = tcase_new(s, "errors");
	tcase_add_test(tc, bad_files);
	tcase_add_test(tc, first_error_wins);

	tc = tcase_new(s, "elf");
	tcase_add_test(tc, elf_same_as_libkmod);
	tcase_add_test(tc, elf_first_modinfo_in_bounds);
	tcase_add_test(tc, elf_refused);

	tc = tcase_new(s, "compressed");
	tcase_add_test(tc, compressed_formats);
	tcase_add_test(tc, compressed_broken);
	tcase_add_test(tc, size_limit);
	tcase_add_test(tc, size_limit_env);
	tcase_add_test(tc, missing_library);

	tc = tcase_new(s, "threads");
	tcase_add_test(tc, threads_same_results);
	tcase_add_test(tc, threads_same_resolve);

	tc = tcase_new(s, "resolve");
	tcase_add_test(tc, resolve_reads_modinfo_when_needed);
	tcase_add_test(tc, resolve_corrupt_module_errno);
	tcase_add_test(tc, resolve_module_file_gone);
	return s;
}

int main(int argc, char **argv)
{
	self = argc > 0 ? argv[0] : "check-modinfo";
	if (getenv("CHECK_REFUSE_DLOPEN"))
		return missing_library_child();
	return run_suite(modinfo_suite());
}
