/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/index.c: index_validate() on depmod's real indexes and on crafted files.
 * Every crafted corruption must be -EBADMSG with a reason, never a crash (libkmod
 * would trust those offsets); ASan/valgrind runs check the bounds.
 */
#include "check-common.h"

#define MAGIC 0xB007F457u
#define VERSION 0x00020001u
#define F_PREFIX 0x80000000u
#define F_VALUES 0x40000000u
#define F_CHILDS 0x20000000u

static char *tmp;
static unsigned int nfile;

static void setup(void)
{
	tmp = make_tempdir();
}

static void teardown(void)
{
	rm_rf(tmp);
	free(tmp);
	tmp = NULL;
}

static void header(struct sbuf *b, uint32_t magic, uint32_t version, uint32_t root)
{
	be32_put(b, magic);
	be32_put(b, version);
	be32_put(b, root);
}

static void put_bytes(struct sbuf *b, const void *p, size_t n)
{
	sbuf_addn(b, p, n);
}

/* Write @len bytes to a new file and validate it. */
static int validate_bytes(const void *data, size_t len, const char **why)
{
	char name[32];
	char *path;
	int r;

	snprintf(name, sizeof(name), "index-%u.bin", nfile++);
	path = write_bytes(tmp, name, data, len);
	*why = "not touched";
	r = index_validate(path, why);
	free(path);
	return r;
}

static int validate_sbuf(struct sbuf *b, const char **why)
{
	int r = validate_bytes(b->s, b->len, why);

	free(b->s);
	*b = (struct sbuf){ 0 };
	return r;
}

/* -EBADMSG whose reason contains @what. */
#define ck_assert_corrupt(b, what)                                                       \
	do {                                                                             \
		const char *why_;                                                        \
		int r_ = validate_sbuf(b, &why_);                                        \
		ck_assert_msg(r_ == -EBADMSG, "index_validate = %d, want -EBADMSG", r_); \
		ck_assert_ptr_nonnull(why_);                                             \
		ck_assert_msg(strstr(why_, what), "reason \"%s\" lacks \"%s\"", why_,    \
			      what);                                                     \
	} while (0)

#define ck_assert_valid(b)                                                               \
	do {                                                                             \
		const char *why_;                                                        \
		int r_ = validate_sbuf(b, &why_);                                        \
		ck_assert_msg(r_ == 0, "index_validate = %d (%s)", r_, why_ ? why_ : "");  \
		ck_assert_ptr_null(why_);                                                \
	} while (0)

/* ---- the real thing ---- */

START_TEST(fixture_indexes_valid)
{
	const char *fx = fixtures_dir();
	DIR *d = opendir(fx);
	struct dirent *e;
	unsigned int checked = 0;

	ck_assert_msg(d, "%s: %s", fx, strerror(errno));
	while ((e = readdir(d))) {
		char *root = xasprintf("%s/%s", fx, e->d_name), *md, *mods;
		DIR *m;
		struct dirent *f;

		mods = xasprintf("%s/lib/modules", root);
		if (e->d_name[0] == '.' || !file_exists(mods)) {
			free(mods);
			free(root);
			continue;
		}
		md = root_moddir(root);
		m = opendir(md);
		ck_assert_ptr_nonnull(m);
		while ((f = readdir(m))) {
			size_t n = strlen(f->d_name);
			const char *why = "not touched";
			char *p;
			int r;

			if (n < 4 || !streq(f->d_name + n - 4, ".bin"))
				continue;
			p = xasprintf("%s/%s", md, f->d_name);
			r = index_validate(p, &why);
			ck_assert_msg(r == 0, "%s: %d %s", p, r, why ? why : "");
			ck_assert_ptr_null(why);
			checked++;
			free(p);
		}
		closedir(m);
		free(md);
		free(mods);
		free(root);
	}
	closedir(d);
	/* 5 indexes per tree, at least the 5 documented trees */
	ck_assert_uint_ge(checked, 25);
}
END_TEST

START_TEST(written_index_valid)
{
	static const struct index_entry entries[] = {
		{ "a", "1" },	  { "ab", "2" },      { "abc", "3" },	  { "abd", "4" },
		{ "b", "5" },	  { "snd_pcm", "6" }, { "snd_hda", "7" }, { "snd", "8" },
		{ "zzzz", "9" }, { "~", "10" },
	};
	const char *why = "not touched";
	char *p = index_write(tmp, "w.bin", entries, ARRAY_SIZE(entries));

	ck_assert_int_eq(index_validate(p, &why), 0);
	ck_assert_ptr_null(why);
	free(p);
	p = index_write(tmp, "empty.bin", NULL, 0);
	ck_assert_int_eq(index_validate(p, &why), 0);
	free(p);
}
END_TEST

/* ---- header ---- */

START_TEST(empty_index_valid)
{
	struct sbuf b = { 0 };

	/* what depmod writes for an empty index: a root node without flags at offset 12,
	 * which is also the file size */
	header(&b, MAGIC, VERSION, 12);
	ck_assert_uint_eq(b.len, 12);
	ck_assert_valid(&b);

	/* a root offset of 0: no root at all (libkmod finds nothing) */
	header(&b, MAGIC, VERSION, 0);
	ck_assert_valid(&b);

	/* readers check the major version only */
	header(&b, MAGIC, 0x0002FFFFu, 12);
	ck_assert_valid(&b);
	header(&b, MAGIC, 0x00020000u, 12);
	ck_assert_valid(&b);
}
END_TEST

START_TEST(bad_magic)
{
	struct sbuf b = { 0 };

	header(&b, 0x57F407B0u, VERSION, 12); /* byte-swapped */
	ck_assert_corrupt(&b, "magic");
	header(&b, 0, VERSION, 12);
	ck_assert_corrupt(&b, "magic");
	/* a text file */
	sbuf_add(&b, "kernel/lib/chain1.ko.xz:\n");
	ck_assert_corrupt(&b, "magic");
}
END_TEST

START_TEST(bad_version)
{
	struct sbuf b = { 0 };

	header(&b, MAGIC, 0x00030001u, 12);
	ck_assert_corrupt(&b, "version");
	header(&b, MAGIC, 0x00010001u, 12);
	ck_assert_corrupt(&b, "version");
	header(&b, MAGIC, 0x01020001u, 12);
	ck_assert_corrupt(&b, "version");
	header(&b, MAGIC, 0, 12);
	ck_assert_corrupt(&b, "version");
}
END_TEST

START_TEST(truncated_header)
{
	static const unsigned char full[12] = { 0xB0, 0x07, 0xF4, 0x57, 0, 2, 0, 1, 0, 0, 0, 12 };
	const char *why;

	for (size_t n = 0; n < sizeof(full); n++) {
		ck_assert_int_eq(validate_bytes(full, n, &why), -EBADMSG);
		ck_assert_ptr_nonnull(why);
		ck_assert_msg(strstr(why, "truncated"), "size %zu: %s", n, why);
	}
	ck_assert_int_eq(validate_bytes(full, sizeof(full), &why), 0);
}
END_TEST

START_TEST(not_a_file)
{
	const char *why = "not touched";
	char *p = xasprintf("%s/missing.bin", tmp);

	ck_assert_int_eq(index_validate(p, &why), -ENOENT);
	free(p);
	p = xasprintf("%s/dir.bin", tmp);
	mkdir_p(p);
	ck_assert_int_eq(index_validate(p, &why), -EBADMSG);
	ck_assert_ptr_nonnull(why);
	free(p);
}
END_TEST

/* ---- offsets ---- */

START_TEST(root_beyond_file)
{
	struct sbuf b = { 0 };

	header(&b, MAGIC, VERSION, F_PREFIX | 1000);
	ck_assert_corrupt(&b, "out of range");
	header(&b, MAGIC, VERSION, 13); /* one past the end, no flags */
	ck_assert_corrupt(&b, "out of range");
	header(&b, MAGIC, VERSION, F_VALUES | 0x0FFFFFFF);
	ck_assert_corrupt(&b, "out of range");
	/* inside the header */
	header(&b, MAGIC, VERSION, F_PREFIX | 4);
	ck_assert_corrupt(&b, "out of range");
	header(&b, MAGIC, VERSION, 11);
	ck_assert_corrupt(&b, "out of range");
}
END_TEST

START_TEST(child_out_of_range)
{
	struct sbuf b = { 0 };

	/* root at 12: children 'a'..'b', 'a' -> far away, 'b' -> none */
	header(&b, MAGIC, VERSION, F_CHILDS | 12);
	put_bytes(&b, "ab", 2);
	be32_put(&b, F_PREFIX | 9999);
	be32_put(&b, 0);
	ck_assert_corrupt(&b, "out of range");

	/* a child pointing into the header */
	header(&b, MAGIC, VERSION, F_CHILDS | 12);
	put_bytes(&b, "aa", 2);
	be32_put(&b, F_VALUES | 8);
	ck_assert_corrupt(&b, "out of range");

	/* a valid child next to a bad one, deeper in the trie (children first, as
	 * depmod writes them) */
	header(&b, MAGIC, VERSION, F_CHILDS | 28);
	be32_put(&b, 1); /* 12: the values node of 'a' */
	be32_put(&b, 0);
	put_bytes(&b, "v", 2);
	ck_assert_uint_eq(b.len, 22);
	put_bytes(&b, "xx", 2); /* 22: the node of 'b', whose child is bad */
	be32_put(&b, F_PREFIX | 0x0FFFFFF0);
	ck_assert_uint_eq(b.len, 28);
	put_bytes(&b, "ab", 2); /* 28: the root */
	be32_put(&b, F_VALUES | 12);
	be32_put(&b, F_CHILDS | 22);
	ck_assert_corrupt(&b, "out of range");

	/* the same, repaired, is valid: child offset 0 means "no child" */
	header(&b, MAGIC, VERSION, F_CHILDS | 28);
	be32_put(&b, 1);
	be32_put(&b, 0);
	put_bytes(&b, "v", 2);
	put_bytes(&b, "xx", 2);
	be32_put(&b, 0);
	put_bytes(&b, "ab", 2);
	be32_put(&b, F_VALUES | 12);
	be32_put(&b, F_CHILDS | 22);
	ck_assert_valid(&b);
}
END_TEST

START_TEST(child_not_before_parent)
{
	struct sbuf b = { 0 };

	/* the same valid trie, written parent first: libkmod would read it, but depmod
	 * never writes it, and this layout is what makes loops impossible */
	header(&b, MAGIC, VERSION, F_CHILDS | 12);
	put_bytes(&b, "ab", 2);
	be32_put(&b, F_VALUES | 22);
	be32_put(&b, F_CHILDS | 32);
	be32_put(&b, 1);
	be32_put(&b, 0);
	put_bytes(&b, "v", 2);
	put_bytes(&b, "xx", 2);
	be32_put(&b, 0);
	ck_assert_corrupt(&b, "not stored before its parent");

	/* a child that starts before its parent but runs into it: its prefix "xy" ends
	 * with the root's (empty) prefix */
	header(&b, MAGIC, VERSION, F_PREFIX | F_CHILDS | 14);
	put_bytes(&b, "xy", 2);
	put_bytes(&b, "", 1); /* 14: the root */
	put_bytes(&b, "aa", 2);
	be32_put(&b, F_PREFIX | 12);
	ck_assert_corrupt(&b, "not stored before its parent");
}
END_TEST

START_TEST(loop_self)
{
	struct sbuf b = { 0 };

	/* a node whose only child is itself */
	header(&b, MAGIC, VERSION, F_CHILDS | 12);
	put_bytes(&b, "aa", 2);
	be32_put(&b, F_CHILDS | 12);
	ck_assert_corrupt(&b, "loop");

	/* the same with a prefix */
	header(&b, MAGIC, VERSION, F_PREFIX | F_CHILDS | 12);
	put_bytes(&b, "p", 2);
	put_bytes(&b, "aa", 2);
	be32_put(&b, F_PREFIX | F_CHILDS | 12);
	ck_assert_corrupt(&b, "loop");
}
END_TEST

START_TEST(loop_two_nodes)
{
	struct sbuf b = { 0 };

	/* 12 -> 18 -> 12 */
	header(&b, MAGIC, VERSION, F_CHILDS | 12);
	put_bytes(&b, "aa", 2);
	be32_put(&b, F_CHILDS | 18);
	ck_assert_uint_eq(b.len, 18);
	put_bytes(&b, "bb", 2);
	be32_put(&b, F_CHILDS | 12);
	ck_assert_corrupt(&b, "loop");
}
END_TEST

START_TEST(shared_child_dag_terminates)
{
	struct sbuf b = { 0 };
	const char *why;
	int r;

	/* 100 children all pointing to one node with 100 children pointing to one
	 * leaf: not a tree, but no loop either; the check must end quickly either way */
	header(&b, MAGIC, VERSION, F_CHILDS | 12);
	put_bytes(&b, "\x01\x64", 2);
	for (int i = 0; i < 100; i++)
		be32_put(&b, F_CHILDS | 414);
	ck_assert_uint_eq(b.len, 414);
	put_bytes(&b, "\x01\x64", 2);
	for (int i = 0; i < 100; i++)
		be32_put(&b, F_VALUES | 816);
	ck_assert_uint_eq(b.len, 816);
	be32_put(&b, 1);
	be32_put(&b, 0);
	put_bytes(&b, "leaf", 5);
	r = validate_sbuf(&b, &why);
	ck_assert_msg(r == 0 || r == -EBADMSG, "r = %d", r);
}
END_TEST

/* ---- node contents ---- */

START_TEST(unterminated_prefix)
{
	struct sbuf b = { 0 };

	header(&b, MAGIC, VERSION, F_PREFIX | 12);
	put_bytes(&b, "abc", 3);
	ck_assert_corrupt(&b, "prefix");

	/* a prefix node exactly at the end of the file */
	header(&b, MAGIC, VERSION, F_PREFIX | 12);
	ck_assert_corrupt(&b, "prefix");

	/* terminated: valid */
	header(&b, MAGIC, VERSION, F_PREFIX | 12);
	put_bytes(&b, "abc", 4);
	ck_assert_valid(&b);
}
END_TEST

START_TEST(truncated_children)
{
	struct sbuf b = { 0 };

	/* child range byte missing */
	header(&b, MAGIC, VERSION, F_CHILDS | 12);
	put_bytes(&b, "a", 1);
	ck_assert_corrupt(&b, "truncated");

	/* 'a'..'d' needs 4 offsets, 2 are there */
	header(&b, MAGIC, VERSION, F_CHILDS | 12);
	put_bytes(&b, "ad", 2);
	be32_put(&b, 0);
	be32_put(&b, 0);
	ck_assert_corrupt(&b, "truncated");

	/* the last offset cut in the middle */
	header(&b, MAGIC, VERSION, F_CHILDS | 12);
	put_bytes(&b, "ab", 2);
	be32_put(&b, 0);
	put_bytes(&b, "\0\0", 2);
	ck_assert_corrupt(&b, "truncated");
}
END_TEST

START_TEST(bad_child_range)
{
	struct sbuf b = { 0 };
	const char *why;

	header(&b, MAGIC, VERSION, F_CHILDS | 12);
	put_bytes(&b, "za", 2);
	be32_put(&b, 0);
	ck_assert_corrupt(&b, "child range");

	/* a range over non-ASCII bytes: whatever the reading, not valid as written
	 * (255 offsets would be needed, one is there) */
	header(&b, MAGIC, VERSION, F_CHILDS | 12);
	put_bytes(&b, "\x01\xff", 2);
	be32_put(&b, 0);
	ck_assert_int_eq(validate_sbuf(&b, &why), -EBADMSG);
	ck_assert_ptr_nonnull(why);
}
END_TEST

START_TEST(values_count_too_large)
{
	struct sbuf b = { 0 };

	header(&b, MAGIC, VERSION, F_VALUES | 12);
	be32_put(&b, 0xFFFFFFFFu);
	be32_put(&b, 0);
	put_bytes(&b, "x", 2);
	ck_assert_corrupt(&b, "count");

	/* 1000 values announced, room for one */
	header(&b, MAGIC, VERSION, F_VALUES | 12);
	be32_put(&b, 1000);
	be32_put(&b, 0);
	put_bytes(&b, "x", 2);
	ck_assert_corrupt(&b, "count");

	/* two announced, one there (the count check may or may not see it: either
	 * reason is fine) */
	header(&b, MAGIC, VERSION, F_VALUES | 12);
	be32_put(&b, 2);
	be32_put(&b, 0);
	put_bytes(&b, "value", 6);
	{
		const char *why;

		ck_assert_int_eq(validate_sbuf(&b, &why), -EBADMSG);
		ck_assert_ptr_nonnull(why);
	}

	/* zero values is fine */
	header(&b, MAGIC, VERSION, F_VALUES | 12);
	be32_put(&b, 0);
	ck_assert_valid(&b);
}
END_TEST

START_TEST(truncated_values)
{
	struct sbuf b = { 0 };

	/* the count itself is cut */
	header(&b, MAGIC, VERSION, F_VALUES | 12);
	put_bytes(&b, "\0\0", 2);
	ck_assert_corrupt(&b, "truncated");

	/* a value string without its NUL */
	header(&b, MAGIC, VERSION, F_VALUES | 12);
	be32_put(&b, 1);
	be32_put(&b, 0);
	put_bytes(&b, "kernel/x.ko", 11);
	ck_assert_corrupt(&b, "truncated");

	/* prefix + values, all terminated: valid */
	header(&b, MAGIC, VERSION, F_PREFIX | F_VALUES | 12);
	put_bytes(&b, "key", 4);
	be32_put(&b, 2);
	be32_put(&b, 0);
	put_bytes(&b, "one", 4);
	be32_put(&b, 1);
	put_bytes(&b, "two", 4);
	ck_assert_valid(&b);
}
END_TEST

START_TEST(corrupt_fixture_copies)
{
	/* a real index with bytes overwritten in its body */
	char *md = fixture_moddir("hard"), *src = xasprintf("%s/modules.dep.bin", md);
	size_t len;
	char *data = slurp(src, &len);
	const char *why;
	unsigned int bad = 0;

	ck_assert_uint_gt(len, 100);
	ck_assert_int_eq(validate_bytes(data, len, &why), 0);
	/* cut at every length: never a crash, and never valid once the trie is cut */
	for (size_t n = 12; n < len; n += 7) {
		int r = validate_bytes(data, n, &why);

		ck_assert_msg(r == -EBADMSG, "cut at %zu: %d", n, r);
		bad++;
	}
	ck_assert_uint_gt(bad, 10);
	/* flip each byte of the header's root offset */
	for (size_t i = 8; i < 12; i++) {
		char *copy = malloc(len);
		int r;

		memcpy(copy, data, len);
		copy[i] ^= 0x5a;
		r = validate_bytes(copy, len, &why);
		ck_assert_msg(r == -EBADMSG || r == 0, "flip %zu: %d", i, r);
		free(copy);
	}
	free(data);
	free(src);
	free(md);
}
END_TEST

static Suite *index_suite(void)
{
	Suite *s = suite_create("index");
	TCase *tc;

	tc = tcase_new(s, "valid");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, fixture_indexes_valid);
	tcase_add_test(tc, written_index_valid);
	tcase_add_test(tc, empty_index_valid);

	tc = tcase_new(s, "header");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, bad_magic);
	tcase_add_test(tc, bad_version);
	tcase_add_test(tc, truncated_header);
	tcase_add_test(tc, not_a_file);

	tc = tcase_new(s, "offsets");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, root_beyond_file);
	tcase_add_test(tc, child_out_of_range);
	tcase_add_test(tc, child_not_before_parent);
	tcase_add_test(tc, loop_self);
	tcase_add_test(tc, loop_two_nodes);
	tcase_add_test(tc, shared_child_dag_terminates);

	tc = tcase_new(s, "nodes");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, unterminated_prefix);
	tcase_add_test(tc, truncated_children);
	tcase_add_test(tc, bad_child_range);
	tcase_add_test(tc, values_count_too_large);
	tcase_add_test(tc, truncated_values);
	tcase_add_test(tc, corrupt_fixture_copies);
	return s;
}

int main(void)
{
	return run_suite(index_suite());
}
