/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/cache.c: the persistent modinfo cache (modset_set_cache_dir()). Uses copies of
 * the "bad" tree, which has no modules.weakdep, so that resolving reads .modinfo
 * (top.ko.xz has weakdep=extra), and of "hard" for firmware.
 */
#include <glob.h>
#include <sys/time.h>

#include "check-common.h"

static char *tmp, *md, *cachedir;

static void setup(void)
{
	tmp = copy_fixture("bad", &md);
	cachedir = xasprintf("%s/cache", tmp);
}

static void teardown(void)
{
	rm_rf(tmp);
	free(tmp);
	free(md);
	free(cachedir);
	tmp = md = cachedir = NULL;
}

static struct modset_ctx *cached_ctx(const char *dir)
{
	struct modset_ctx *ctx = modset_new(md, NULL);

	ck_assert_ptr_nonnull(ctx);
	ctx_quiet(ctx);
	ck_assert_int_eq(modset_set_cache_dir(ctx, dir), 0);
	return ctx;
}

/* The cache file of the tree (there must be exactly one), or NULL. */
static char *cache_file(void)
{
	char *pat = xasprintf("%s/modinfo-*.cache", cachedir), *ret = NULL;
	glob_t g;

	if (glob(pat, 0, NULL, &g) == 0) {
		ck_assert_uint_eq(g.gl_pathc, 1);
		ret = strdup(g.gl_pathv[0]);
		globfree(&g);
	}
	free(pat);
	return ret;
}

/* Overwrite a file's bytes in place with garbage, keeping its size, inode and mtime:
 * only the cache can still answer for it. */
static void spoil_keep_stat(const char *path)
{
	struct stat st;
	struct timespec ts[2];
	char *junk;
	int fd;

	ck_assert_int_eq(stat(path, &st), 0);
	junk = malloc(st.st_size);
	memset(junk, 'X', st.st_size);
	fd = open(path, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, junk, st.st_size, 0), st.st_size);
	close(fd);
	free(junk);
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void touch_later(const char *path)
{
	struct stat st;
	struct timespec ts[2];

	ck_assert_int_eq(stat(path, &st), 0);
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	ts[1].tv_sec += 10;
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

START_TEST(cache_written)
{
	struct modset_ctx *ctx = cached_ctx(cachedir);
	struct modset_set *set = resolve_ok(ctx, "top", 0);
	char *f, *text;

	ck_assert_str_eq_free(set_image_only(set), "extra");
	modset_set_unref(set);
	/* written at the end of modset_resolve(), directory created */
	f = cache_file();
	ck_assert_ptr_nonnull(f);
	text = slurp(f, NULL);
	ck_assert_msg(strncmp(text, "initrd-modset modinfo cache", 27) == 0, "%s", text);
	ck_assert_msg(strstr(text, "\nkernel/drivers/bad/top.ko.xz\t"), "%s", text);
	ck_assert_msg(strstr(text, "\tWextra\n"), "%s", text);
	free(text);
	free(f);
	modset_unref(ctx);
}
END_TEST

START_TEST(cache_used)
{
	char *top = xasprintf("%s/kernel/drivers/bad/top.ko.xz", md);
	struct modset_ctx *ctx = cached_ctx(cachedir);
	char *first;

	first = RESOLVE_VIEW(set_dump, ctx, "top", 0);
	modset_unref(ctx);
	spoil_keep_stat(top);

	/* without the cache, the spoiled file is an error */
	ctx = modset_new(md, NULL);
	ctx_quiet(ctx);
	ck_assert_int_lt(resolve_err(ctx, "top", 0), 0);
	modset_unref(ctx);

	/* with it too: rewritten in place, size and mtime restored, but the ctime moved,
	 * so the entry no longer matches and the file is read again */
	ctx = cached_ctx(cachedir);
	ctx_quiet(ctx);
	ck_assert_int_lt(resolve_err(ctx, "top", 0), 0);
	modset_unref(ctx);

	/* a changed mtime: read again */
	touch_later(top);
	ctx = cached_ctx(cachedir);
	ck_assert_int_lt(resolve_err(ctx, "top", 0), 0);
	modset_unref(ctx);
	free(first);
	free(top);
}
END_TEST

START_TEST(cache_replaced_file)
{
	/* same relpath, another file (new inode): the entry is not used */
	char *top = xasprintf("%s/kernel/drivers/bad/top.ko.xz", md);
	char *copy = xasprintf("%s.new", top);
	struct modset_ctx *ctx = cached_ctx(cachedir);
	size_t len;
	char *data;

	modset_set_unref(resolve_ok(ctx, "top", 0));
	modset_unref(ctx);
	data = slurp(top, &len);
	free(write_bytes(copy, NULL, data, len));
	free(data);
	spoil_keep_stat(copy);
	ck_assert_int_eq(rename(copy, top), 0);
	ctx = cached_ctx(cachedir);
	ck_assert_int_lt(resolve_err(ctx, "top", 0), 0);
	modset_unref(ctx);
	free(copy);
	free(top);
}
END_TEST

START_TEST(cache_bad_file_ignored)
{
	struct modset_ctx *ctx = cached_ctx(cachedir);
	char *f, *text, *want;

	want = RESOLVE_VIEW(set_dump, ctx, "top", 0);
	modset_unref(ctx);
	f = cache_file();
	/* not a cache: ignored, then rewritten */
	free(write_text(f, NULL, "garbage\nkernel/drivers/bad/top.ko.xz\t1\t2\t3\t4\tWevil\n"));
	ctx = cached_ctx(cachedir);
	ck_assert_str_eq_free(RESOLVE_VIEW(set_dump, ctx, "top", 0), want);
	modset_unref(ctx);
	text = slurp(f, NULL);
	ck_assert_msg(strncmp(text, "initrd-modset modinfo cache", 27) == 0, "%s", text);
	ck_assert_msg(!strstr(text, "evil"), "%s", text);
	free(text);

	/* an empty file, a file without its last newline */
	free(write_text(f, NULL, ""));
	ctx = cached_ctx(cachedir);
	ck_assert_str_eq_free(RESOLVE_VIEW(set_dump, ctx, "top", 0), want);
	modset_unref(ctx);
	text = slurp(f, NULL);
	text[strlen(text) - 1] = '\0';
	free(write_text(f, NULL, text));
	free(text);
	ctx = cached_ctx(cachedir);
	ck_assert_str_eq_free(RESOLVE_VIEW(set_dump, ctx, "top", 0), want);
	modset_unref(ctx);
	free(f);
	free(want);
}
END_TEST

START_TEST(cache_bad_lines_miss)
{
	/* lines that do not parse, or unsorted lines: misses, read again */
	static const char *const bodies[] = {
		"kernel/drivers/bad/top.ko.xz\tx\t2\t3\t4\tWevil\n",
		"kernel/drivers/bad/top.ko.xz\t1\t2\n",
		"kernel/drivers/bad/top.ko.xz\t1\t2\t3\t4\tQevil\n",
		"kernel/drivers/bad/top.ko.xz\t1\t2\t3\t4\tW\n",
		"../../../etc/x.ko\t1\t2\t3\t4\tWevil\n",
		"zzz\t1\t2\t3\t4\n"
		"kernel/drivers/bad/top.ko.xz\t99999999999999999999999\t2\t3\t4\n"
		"aaa\t1\t2\t3\t4\n",
		"\n\n\t\t\n",
	};
	struct modset_ctx *ctx = cached_ctx(cachedir);
	char *want = RESOLVE_VIEW(set_dump, ctx, "top", 0), *f = cache_file();

	modset_unref(ctx);
	for (size_t i = 0; i < ARRAY_SIZE(bodies); i++) {
		char *text = xasprintf("initrd-modset modinfo cache 2\n%s", bodies[i]);

		free(write_text(f, NULL, text));
		free(text);
		ctx = cached_ctx(cachedir);
		ck_assert_str_eq_free(RESOLVE_VIEW(set_dump, ctx, "top", 0), want);
		modset_unref(ctx);
	}
	free(f);
	free(want);
}
END_TEST

START_TEST(cache_sorted_and_merged)
{
	/* entries of several runs end up in one file, sorted by path, each once */
	struct modset_ctx *ctx = cached_ctx(cachedir);
	char *f, *text, *body, *prev = NULL;
	unsigned int lines = 0;

	modset_set_unref(resolve_ok(ctx, "top", 0));
	modset_unref(ctx);
	ctx = cached_ctx(cachedir);
	modset_set_unref(resolve_ok(ctx, "zmod extra top", 0));
	modset_unref(ctx);
	f = cache_file();
	text = slurp(f, NULL);
	body = strchr(text, '\n');
	ck_assert_ptr_nonnull(body);
	for (char *save = NULL, *l = strtok_r(body + 1, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		*strchr(l, '\t') = '\0';
		if (prev)
			ck_assert_str_lt(prev, l);
		prev = l;
		lines++;
	}
	/* top, its weak target extra, base (hard dep), zmod */
	ck_assert_uint_eq(lines, 4);
	free(text);
	free(f);
}
END_TEST

START_TEST(cache_firmware)
{
	char *hmd, *htmp = copy_fixture("hard", &hmd);
	struct modset_ctx *ctx = modset_new(hmd, NULL);
	char *lonely = xasprintf("%s/kernel/drivers/fixture/lonely.ko", hmd), *want;

	ctx_quiet(ctx);
	ck_assert_int_eq(modset_set_cache_dir(ctx, cachedir), 0);
	want = RESOLVE_VIEW(set_dump, ctx, "lonely fwdev", MODSET_RESOLVE_MODINFO);
	ck_assert_ptr_nonnull(strstr(want, "fw=lonely/fw1.bin,lonely/fw2.bin,"));
	modset_unref(ctx);
	/* the firmware names are in the cache, and a second run answers the same */
	{
		char *f = cache_file(), *text = NULL;
		size_t len;

		ck_assert_int_eq(read_file(f, &text, &len), 0);
		ck_assert_ptr_nonnull(strstr(text, "\tFlonely/fw1.bin\tFlonely/fw2.bin"));
		free(text);
		free(f);
	}
	ctx = modset_new(hmd, NULL);
	ctx_quiet(ctx);
	ck_assert_int_eq(modset_set_cache_dir(ctx, cachedir), 0);
	ck_assert_str_eq_free(RESOLVE_VIEW(set_dump, ctx, "lonely fwdev", MODSET_RESOLVE_MODINFO),
			      want);
	modset_unref(ctx);
	free(want);
	free(lonely);
	rm_rf(htmp);
	free(htmp);
	free(hmd);
}
END_TEST

START_TEST(cache_unwritable)
{
	/* a cache that cannot be written is not an error */
	char *file = write_text(tmp, "not-a-dir", "x\n"), *under = xasprintf("%s/sub", file);
	struct modset_ctx *ctx = cached_ctx(under);
	struct modset_set *set = resolve_ok(ctx, "top", 0);

	ck_assert_str_eq_free(set_image_only(set), "extra");
	modset_set_unref(set);
	modset_unref(ctx);
	free(under);
	free(file);
}
END_TEST

START_TEST(cache_dir_api)
{
	struct modset_ctx *ctx = cached_ctx(cachedir);

	ck_assert_int_eq(modset_set_cache_dir(NULL, cachedir), -EINVAL);
	/* NULL disables it: nothing written */
	ck_assert_int_eq(modset_set_cache_dir(ctx, NULL), 0);
	modset_set_unref(resolve_ok(ctx, "top", 0));
	ck_assert(!file_exists(cachedir));
	modset_unref(ctx);
}
END_TEST

static Suite *cache_suite(void)
{
	Suite *s = suite_create("cache");
	TCase *tc = tcase_new(s, "cache");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, cache_written);
	tcase_add_test(tc, cache_used);
	tcase_add_test(tc, cache_replaced_file);
	tcase_add_test(tc, cache_bad_file_ignored);
	tcase_add_test(tc, cache_bad_lines_miss);
	tcase_add_test(tc, cache_sorted_and_merged);
	tcase_add_test(tc, cache_firmware);
	tcase_add_test(tc, cache_unwritable);
	tcase_add_test(tc, cache_dir_api);
	return s;
}

int main(void)
{
	return run_suite(cache_suite());
}
