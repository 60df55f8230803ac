/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/modinfo.c: reading weakdep= and firmware= from module files (.ko, .ko.xz,
 * .ko.zst) in parallel; errors; independence from the number of threads.
 */
#include "check-common.h"

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

	tc = tcase_new(s, "threads");
	tcase_add_test(tc, threads_same_results);
	tcase_add_test(tc, threads_same_resolve);

	tc = tcase_new(s, "resolve");
	tcase_add_test(tc, resolve_reads_modinfo_when_needed);
	tcase_add_test(tc, resolve_corrupt_module_errno);
	tcase_add_test(tc, resolve_module_file_gone);
	return s;
}

int main(void)
{
	return run_suite(modinfo_suite());
}
