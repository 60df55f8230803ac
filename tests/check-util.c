/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/util.c: strv, ptrv, hmap, read_file, path helpers, name normalization. */
#include "check-common.h"

/* ---- strv ---- */

START_TEST(strv_push_contains_done)
{
	struct strv s = { 0 };
	char word[32];

	ck_assert_int_eq(strv_push(&s, "one"), 0);
	ck_assert_int_eq(strv_push(&s, "two"), 0);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_str_eq(s.v[0], "one");
	ck_assert_str_eq(s.v[1], "two");
	ck_assert_ptr_null(s.v[2]); /* always NULL-terminated */
	ck_assert(strv_contains(&s, "one"));
	ck_assert(strv_contains(&s, "two"));
	ck_assert(!strv_contains(&s, "three"));
	ck_assert(!strv_contains(&s, "on"));

	/* many pushes: growth keeps the contents and the terminator */
	for (int i = 0; i < 1000; i++) {
		snprintf(word, sizeof(word), "w%04d", i);
		CHECK(strv_push(&s, word) == 0);
		CHECK(s.v[s.n] == NULL);
	}
	ck_assert_uint_eq(s.n, 1002);
	ck_assert_uint_ge(s.alloc, s.n + 1);
	ck_assert_str_eq(s.v[2], "w0000");
	ck_assert_str_eq(s.v[1001], "w0999");
	ck_assert(strv_contains(&s, "w0500"));

	strv_done(&s);
	ck_assert_ptr_null(s.v);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_uint_eq(s.alloc, 0);
	strv_done(&s); /* twice is fine */
	ck_assert(!strv_contains(&s, "one"));
}
END_TEST

START_TEST(strv_push_copies)
{
	struct strv s = { 0 };
	char buf[] = "mutable";

	ck_assert_int_eq(strv_push(&s, buf), 0);
	buf[0] = 'X';
	ck_assert_str_eq(s.v[0], "mutable");
	ck_assert_ptr_ne(s.v[0], buf);
	strv_done(&s);
}
END_TEST

START_TEST(strv_push_take_owns)
{
	struct strv s = { 0 };
	char *p = strdup("taken");

	ck_assert_int_eq(strv_push_take(&s, p), 0);
	ck_assert_ptr_eq(s.v[0], p);
	/* NULL (a failed strdup) is -ENOMEM and adds nothing */
	ck_assert_int_eq(strv_push_take(&s, NULL), -ENOMEM);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_ptr_null(s.v[1]);
	strv_done(&s);
}
END_TEST

START_TEST(strv_sort_uniq_works)
{
	struct strv s = { 0 };
	static const char *const in[] = { "pear", "apple", "pear", "fig",
					  "apple", "zed",   "fig",  "apple" };

	strv_sort_uniq(&s); /* empty */
	ck_assert_uint_eq(s.n, 0);
	ck_assert_int_eq(strv_push(&s, "solo"), 0);
	strv_sort_uniq(&s);
	ck_assert_uint_eq(s.n, 1);
	strv_done(&s);

	for (size_t i = 0; i < ARRAY_SIZE(in); i++)
		ck_assert_int_eq(strv_push(&s, in[i]), 0);
	strv_sort_uniq(&s); /* duplicates are freed: valgrind checks that */
	ck_assert_uint_eq(s.n, 4);
	ck_assert_str_eq(s.v[0], "apple");
	ck_assert_str_eq(s.v[1], "fig");
	ck_assert_str_eq(s.v[2], "pear");
	ck_assert_str_eq(s.v[3], "zed");
	ck_assert_ptr_null(s.v[4]);
	/* still usable */
	ck_assert_int_eq(strv_push(&s, "aaa"), 0);
	ck_assert_str_eq(s.v[4], "aaa");
	ck_assert_ptr_null(s.v[5]);
	strv_done(&s);

	/* all the same */
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(strv_push(&s, "same"), 0);
	strv_sort_uniq(&s);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_str_eq(s.v[0], "same");
	ck_assert_ptr_null(s.v[1]);
	strv_done(&s);
}
END_TEST

/* ---- ptrv ---- */

START_TEST(ptrv_many)
{
	struct ptrv p = { 0 };
	static int cells[5000];

	for (size_t i = 0; i < ARRAY_SIZE(cells); i++)
		CHECK(ptrv_push(&p, &cells[i]) == 0);
	ck_assert_uint_eq(p.n, ARRAY_SIZE(cells));
	ck_assert_uint_ge(p.alloc, p.n);
	for (size_t i = 0; i < ARRAY_SIZE(cells); i++)
		CHECK(p.v[i] == &cells[i]);
	ck_assert_int_eq(ptrv_push(&p, NULL), 0); /* NULL is a value like any other */
	ck_assert_ptr_null(p.v[p.n - 1]);
	ptrv_done(&p);
	ck_assert_ptr_null(p.v);
	ck_assert_uint_eq(p.n, 0);
	ck_assert_uint_eq(p.alloc, 0);
}
END_TEST

/* ---- hmap ---- */

START_TEST(hmap_empty)
{
	struct hmap m = { 0 };

	ck_assert_ptr_null(hmap_get(&m, "anything"));
	ck_assert_ptr_null(hmap_get(&m, ""));
	hmap_done(&m);
	hmap_done(&m);
}
END_TEST

START_TEST(hmap_many_inserts)
{
	enum { N = 20000 };
	struct hmap m = { 0 };
	char **keys = calloc(N, sizeof(char *));
	size_t last_cap = 0, grew = 0;

	ck_assert_ptr_nonnull(keys);
	for (size_t i = 0; i < N; i++) {
		keys[i] = xasprintf("key-%zu", i * 7919);
		CHECK(hmap_put(&m, keys[i], &keys[i]) == 0);
		CHECK(m.n == i + 1);
		/* open addressing: the table never gets more than half full */
		CHECK(m.n * 2 <= m.cap);
		CHECK((m.cap & (m.cap - 1)) == 0); /* a power of two */
		if (m.cap != last_cap) {
			grew++;
			last_cap = m.cap;
		}
		/* lookups stay right through every growth */
		if (i % 997 == 0)
			for (size_t k = 0; k <= i; k += 101)
				CHECK(hmap_get(&m, keys[k]) == &keys[k]);
	}
	ck_assert_uint_ge(grew, 5);
	for (size_t i = 0; i < N; i++) {
		char other[64];

		CHECK(hmap_get(&m, keys[i]) == &keys[i]);
		/* an equal string at another address finds the same entry */
		snprintf(other, sizeof(other), "%s", keys[i]);
		CHECK(hmap_get(&m, other) == &keys[i]);
	}
	ck_assert_ptr_null(hmap_get(&m, "key-1"));
	ck_assert_ptr_null(hmap_get(&m, "key-"));
	ck_assert_ptr_null(hmap_get(&m, ""));
	hmap_done(&m);
	ck_assert_uint_eq(m.n, 0);
	ck_assert_ptr_null(hmap_get(&m, keys[0]));
	for (size_t i = 0; i < N; i++)
		free(keys[i]);
	free(keys);
}
END_TEST

START_TEST(hmap_replace)
{
	struct hmap m = { 0 };
	int a, b;
	char k1[] = "same", k2[] = "same";

	ck_assert_int_eq(hmap_put(&m, k1, &a), 0);
	ck_assert_int_eq(hmap_put(&m, k2, &b), 0);
	ck_assert_uint_eq(m.n, 1);
	ck_assert_ptr_eq(hmap_get(&m, "same"), &b);
	ck_assert_int_eq(hmap_put(&m, "", &a), 0); /* the empty key is a key */
	ck_assert_ptr_eq(hmap_get(&m, ""), &a);
	ck_assert_uint_eq(m.n, 2);
	hmap_done(&m);
}
END_TEST

/* ---- read_file ---- */

START_TEST(read_file_cases)
{
	char *dir = make_tempdir(), *buf = NULL, *p;
	size_t len = 99;
	char big[10000];

	p = write_text(dir, "text", "hello\nworld\n");
	ck_assert_int_eq(read_file(p, &buf, &len), 0);
	ck_assert_uint_eq(len, 12);
	ck_assert_str_eq(buf, "hello\nworld\n");
	free(buf);
	free(p);

	/* ret_len may be NULL */
	p = write_text(dir, "empty", "");
	buf = NULL;
	ck_assert_int_eq(read_file(p, &buf, NULL), 0);
	ck_assert_str_eq(buf, "");
	free(buf);
	free(p);

	/* embedded NULs are kept, and the buffer is NUL-terminated after them */
	p = write_bytes(dir, "nul", "a\0b", 3);
	ck_assert_int_eq(read_file(p, &buf, &len), 0);
	ck_assert_uint_eq(len, 3);
	ck_assert_mem_eq(buf, "a\0b", 4);
	free(buf);
	free(p);

	memset(big, 'x', sizeof(big));
	p = write_bytes(dir, "big", big, sizeof(big));
	ck_assert_int_eq(read_file(p, &buf, &len), 0);
	ck_assert_uint_eq(len, sizeof(big));
	ck_assert_uint_eq(strlen(buf), sizeof(big));
	free(buf);
	free(p);

	buf = (char *)1;
	p = xasprintf("%s/missing", dir);
	ck_assert_int_eq(read_file(p, &buf, &len), -ENOENT);
	ck_assert_ptr_eq(buf, (char *)1); /* untouched on error */
	free(p);
	/* only regular files (fs_read_file()): a directory, a FIFO are -EINVAL */
	ck_assert_int_eq(read_file(dir, &buf, &len), -EINVAL);
	p = xasprintf("%s/fifo", dir);
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	ck_assert_int_eq(read_file(p, &buf, &len), -EINVAL);
	free(p);

	rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(read_file_unknown_size)
{
	/* /proc files have st_size 0: the buffer must grow while reading */
	char *buf = NULL;
	size_t len = 0;

	if (read_file("/proc/self/maps", &buf, &len) == -ENOENT)
		return; /* no /proc */
	ck_assert_uint_gt(len, 0);
	ck_assert_uint_eq(strlen(buf), len);
	ck_assert_ptr_nonnull(strchr(buf, '\n'));
	free(buf);
}
END_TEST

/* ---- path_join ---- */

static void check_join(const char *a, const char *b, const char *want)
{
	char *p = path_join(a, b);

	ck_assert_ptr_nonnull(p);
	ck_assert_msg(streq(p, want), "path_join(\"%s\", \"%s\") = \"%s\", want \"%s\"", a, b,
		      p, want);
	free(p);
}

START_TEST(path_join_cases)
{
	check_join("/a", "b", "/a/b");
	check_join("/a/", "b", "/a/b");
	check_join("/a///", "b", "/a/b");
	check_join("/a", "/b", "/a/b");
	check_join("/a/", "//b/c", "/a/b/c");
	check_join("/", "b", "/b");
	check_join("//", "b", "/b");
	check_join("/", "/b", "/b");
	check_join("a", "b", "a/b");
	check_join("a/b", "c/d", "a/b/c/d");
	check_join("/a", "", "/a/");
	check_join("/a", "b/", "/a/b/");
	check_join(".", "b", "./b");
}
END_TEST

/* ---- normalize_inplace ---- */

static void check_norm(const char *in, bool stop_at_dot, const char *want)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "%s", in);
	normalize_inplace(buf, stop_at_dot);
	ck_assert_msg(streq(buf, want), "normalize(\"%s\", %d) = \"%s\", want \"%s\"", in,
		      stop_at_dot, buf, want);
}

START_TEST(normalize_inplace_cases)
{
	check_norm("", false, "");
	check_norm("snd-hda-intel", false, "snd_hda_intel");
	check_norm("snd-hda-intel", true, "snd_hda_intel");
	check_norm("already_ok", true, "already_ok");
	check_norm("a-b.ko.xz", true, "a_b");
	check_norm("a-b.ko.xz", false, "a_b.ko.xz");
	check_norm("--", false, "__");
	check_norm(".hidden", true, "");
	/* brackets are kept as they are: a fnmatch class */
	check_norm("pci:v[0-9-]d-x", false, "pci:v[0-9-]d_x");
	check_norm("[a-z]-[-]-", false, "[a-z]_[-]_");
	check_norm("x[.-]y.z", true, "x[.-]y");
	/* an unclosed bracket is an ordinary character */
	check_norm("a[-b", false, "a[_b");
	check_norm("a[-b.c", true, "a[_b");
	/* other characters are untouched */
	check_norm("usb:v1D6Bp0001d*dc*", false, "usb:v1D6Bp0001d*dc*");
}
END_TEST

/* ---- path_is_safe_relative ---- */

START_TEST(path_is_safe_relative_cases)
{
	static const struct {
		const char *path;
		bool safe;
	} cases[] = {
		{ "a", true },		{ "a/b/c.ko", true },  { "kernel/x.ko.xz", true },
		{ "a//b", true },	{ "./a", true },       { "a/./b", true },
		{ "...", true },	{ "a/..b", true },     { "..a/b", true },
		{ "a/b..", true },	{ "a/", true },	       { "", false },
		{ "/", false },		{ "/a", false },       { "..", false },
		{ "../a", false },	{ "a/..", false },     { "a/../b", false },
		{ "a/../../b", false }, { "a//..//b", false }, { "a/b/../", false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		ck_assert_msg(path_is_safe_relative(cases[i].path) == cases[i].safe,
			      "path_is_safe_relative(\"%s\") != %d", cases[i].path,
			      cases[i].safe);
}
END_TEST

/* ---- modset_normalize_name ---- */

START_TEST(normalize_name_cases)
{
	char buf[64], small[4];

	ck_assert_ptr_eq(modset_normalize_name("snd-hda-intel", buf, sizeof(buf)), buf);
	ck_assert_str_eq(buf, "snd_hda_intel");
	ck_assert_str_eq(modset_normalize_name("crc32c-intel.ko.zst", buf, sizeof(buf)),
			 "crc32c_intel");
	ck_assert_str_eq(modset_normalize_name("plain", buf, sizeof(buf)), "plain");
	ck_assert_str_eq(modset_normalize_name("", buf, sizeof(buf)), "");
	ck_assert_str_eq(modset_normalize_name(".ko", buf, sizeof(buf)), "");
	/* unlike aliases, module names have no bracket rule */
	ck_assert_str_eq(modset_normalize_name("a[-]b", buf, sizeof(buf)), "a[_]b");

	/* exactly fits: 3 characters + NUL in 4 bytes */
	ck_assert_ptr_eq(modset_normalize_name("a-c", small, sizeof(small)), small);
	ck_assert_str_eq(small, "a_c");
	/* the part after '.' does not need room */
	ck_assert_str_eq(modset_normalize_name("abc.ko.xz", small, sizeof(small)), "abc");
	/* too small */
	ck_assert_ptr_null(modset_normalize_name("abcd", small, sizeof(small)));
	ck_assert_ptr_null(modset_normalize_name("abcdefgh", small, sizeof(small)));
	ck_assert_ptr_null(modset_normalize_name("a", small, 1));
	ck_assert_ptr_null(modset_normalize_name("", small, 0));
	ck_assert_str_eq(modset_normalize_name("", small, 1), "");
	/* NULL arguments */
	ck_assert_ptr_null(modset_normalize_name(NULL, buf, sizeof(buf)));
	ck_assert_ptr_null(modset_normalize_name("x", NULL, 10));
}
END_TEST

static Suite *util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc;

	tc = tcase_new(s, "strv");
	tcase_add_test(tc, strv_push_contains_done);
	tcase_add_test(tc, strv_push_copies);
	tcase_add_test(tc, strv_push_take_owns);
	tcase_add_test(tc, strv_sort_uniq_works);

	tc = tcase_new(s, "ptrv");
	tcase_add_test(tc, ptrv_many);

	tc = tcase_new(s, "hmap");
	tcase_add_test(tc, hmap_empty);
	tcase_add_test(tc, hmap_many_inserts);
	tcase_add_test(tc, hmap_replace);

	tc = tcase_new(s, "read_file");
	tcase_add_test(tc, read_file_cases);
	tcase_add_test(tc, read_file_unknown_size);

	tc = tcase_new(s, "paths");
	tcase_add_test(tc, path_join_cases);
	tcase_add_test(tc, path_is_safe_relative_cases);

	tc = tcase_new(s, "normalize");
	tcase_add_test(tc, normalize_inplace_cases);
	tcase_add_test(tc, normalize_name_cases);
	return s;
}

int main(void)
{
	return run_suite(util_suite());
}
