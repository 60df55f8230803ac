/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/index.c: index_validate() on depmod's real indexes and on crafted files; the
 * wildcard search index_search_wild() on crafted indexes (wildcards, brackets,
 * priorities, several values of one key) and against libkmod itself (loaded with
 * dlopen(), as the library once used it: every answer, in order). Every crafted
 * corruption must be -EBADMSG with a reason, never a crash (libkmod would trust
 * those offsets); ASan/valgrind runs check the bounds.
 */
#include <dlfcn.h>

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

	/* the same valid trie, written parent first (the root at 12): depmod 34's
	 * pre-order layout, valid */
	header(&b, MAGIC, VERSION, F_CHILDS | 12);
	put_bytes(&b, "ab", 2);
	be32_put(&b, F_VALUES | 22);
	be32_put(&b, F_CHILDS | 32);
	be32_put(&b, 1);
	be32_put(&b, 0);
	put_bytes(&b, "v", 2);
	put_bytes(&b, "xx", 2);
	be32_put(&b, 0);
	ck_assert_valid(&b);

	/* parent first, but the root not at 12 (a children-first file): refused */
	header(&b, MAGIC, VERSION, F_CHILDS | 13);
	put_bytes(&b, "", 1);
	put_bytes(&b, "ab", 2);
	be32_put(&b, F_VALUES | 23);
	be32_put(&b, F_CHILDS | 33);
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

/* ---- wildcard search ---- */

/* The values index_search_wild() finds for @key in the index file @path, blank
 * separated, or "ERR: why". */
static char *search_file(const char *path, const char *key, enum index_order order)
{
	struct index_values vals = { 0 };
	struct index_file f;
	const char *why = NULL;
	struct sbuf b = { 0 };
	int r;

	CHECK(index_open(path, &f, &why) == 0);
	r = index_search_wild(&f, key, order, &vals, &why);
	if (r < 0) {
		CHECK(r == -EBADMSG && why);
		CHECK(vals.n == 0);
		sbuf_addf(&b, "ERR: %s", why);
	}
	for (size_t i = 0; i < vals.n; i++) {
		/* every value is a string of the mapping */
		CHECK((const unsigned char *)vals.v[i].value > f.mm &&
		      (const unsigned char *)vals.v[i].value < f.mm + f.size);
		sbuf_word(&b, vals.v[i].value);
	}
	index_values_done(&vals);
	index_close(&f);
	return sbuf_take(&b);
}

static char *search_sbuf(struct sbuf *b, const char *key)
{
	char name[32], *path, *got;

	snprintf(name, sizeof(name), "index-%u.bin", nfile++);
	path = write_bytes(tmp, name, b->s, b->len);
	got = search_file(path, key, INDEX_ORDER_MMAP);
	free(path);
	return got;
}

static const struct index_pentry wild_entries[] = {
	{ "pci:v00001234d*", "a", 3 },
	{ "pci:v*d00005678*", "b", 1 },
	{ "pci:v0000123?d*", "c", 2 },
	{ "pci:v0000[0-9]234d*", "d", 0 },
	{ "pci:v00001234d00005678", "e", 5 },
	{ "pci:v00001234d00005678", "f", 5 }, /* a second value of that key */
	{ "usb:*", "g", 0 },
	{ "*", "h", 9 },
	{ "fs_vfat", "vfat", 0 },
	{ "ab[cd]ef", "brk", 0 },   /* a wildcard inside a prefix */
	{ "x*", "p1", 0 },	    /* equal priorities from several nodes */
	{ "x?", "p2", 0 },
	{ "xy", "p3", 0 },
	{ "xz", "p4", 1 },
	{ "xz", "p5", 0 },
	{ "xz", "p6", 1 },
};

START_TEST(wild_search)
{
	char *p = index_write_prio(tmp, "alias.bin", wild_entries,
				   ARRAY_SIZE(wild_entries));

#define WILD(key, order, want) ck_assert_str_eq_free(search_file(p, key, order), want)
	/* by priority; "*" matches everything; e and f, values of one node with equal
	 * priorities: reversed by libkmod's mmap reader, in file order by its file one */
	WILD("pci:v00001234d00005678", INDEX_ORDER_MMAP, "d b c a f e h");
	WILD("pci:v00001234d00005678", INDEX_ORDER_FILE, "d b c a e f h");
	WILD("pci:v00009234d00005678", INDEX_ORDER_MMAP, "d b h");
	WILD("pci:v00009999d00005678", INDEX_ORDER_MMAP, "b h");
	WILD("pci:v00001239d1", INDEX_ORDER_MMAP, "c h");
	WILD("usb:v1d2", INDEX_ORDER_MMAP, "g h");
	WILD("fs_vfat", INDEX_ORDER_MMAP, "vfat h");
	WILD("", INDEX_ORDER_MMAP, "h");
	/* '[' in a prefix: the rest of the key is matched against it */
	WILD("abdef", INDEX_ORDER_MMAP, "brk h");
	WILD("abcef", INDEX_ORDER_MMAP, "brk h");
	WILD("abxef", INDEX_ORDER_MMAP, "h");
	/* a key is matched, never used as a pattern */
	WILD("fs_v*", INDEX_ORDER_MMAP, "h");
	WILD("pci:*", INDEX_ORDER_MMAP, "h");
	/* equal priorities: the value found last first (x*, x? before the key's own
	 * node, each node after its children) */
	WILD("xy", INDEX_ORDER_MMAP, "p3 p2 p1 h");
	WILD("xz", INDEX_ORDER_MMAP, "p5 p2 p1 p6 p4 h");
	WILD("xz", INDEX_ORDER_FILE, "p5 p2 p1 p4 p6 h");
	WILD("xzz", INDEX_ORDER_MMAP, "p1 h");
#undef WILD
	free(p);
}
END_TEST

START_TEST(wild_search_empty)
{
	struct sbuf b = { 0 };
	char *p = index_write_prio(tmp, "empty.bin", NULL, 0);

	ck_assert_str_eq_free(search_file(p, "anything", INDEX_ORDER_MMAP), "");
	ck_assert_str_eq_free(search_file(p, "", INDEX_ORDER_MMAP), "");
	free(p);
	/* no root at all */
	header(&b, MAGIC, VERSION, 0);
	ck_assert_str_eq_free(search_sbuf(&b, "x"), "");
	free(b.s);
}
END_TEST

#define ERR_LAYOUT "ERR: corrupt index: child node not stored before its parent (loop?)"
#define ERR_LAYOUT_PRE "ERR: corrupt index: child node not stored after its parent (loop?)"
#define ERR_SHARED "ERR: corrupt index: nodes shared by several parents (not a tree)"

START_TEST(wild_search_corrupt)
{
	struct sbuf b = { 0 };
	uint32_t off;

	/* two nodes, each the other's child, met through '*' (a pre-order file: the
	 * root at 12) */
	header(&b, MAGIC, VERSION, F_CHILDS | 12);
	put_bytes(&b, "**", 2);
	be32_put(&b, F_CHILDS | 18);
	put_bytes(&b, "aa", 2);
	be32_put(&b, F_CHILDS | 12);
	ck_assert_str_eq_free(search_sbuf(&b, "pci:x"), ERR_LAYOUT_PRE);
	free(b.s);
	b = (struct sbuf){ 0 };

	/* a node its own '*' child */
	header(&b, MAGIC, VERSION, F_CHILDS | 12);
	put_bytes(&b, "**", 2);
	be32_put(&b, F_CHILDS | 12);
	ck_assert_str_eq_free(search_sbuf(&b, "x"), ERR_LAYOUT_PRE);
	free(b.s);
	b = (struct sbuf){ 0 };

	/* below a wildcard, a child past the end (the key's path alone is fine) */
	header(&b, MAGIC, VERSION, F_CHILDS | 18);
	put_bytes(&b, "aa", 2); /* 12: the '*' node, its 'a' child far away */
	be32_put(&b, F_VALUES | 0x0FFFFFF0);
	put_bytes(&b, "**", 2); /* 18: the root */
	be32_put(&b, F_CHILDS | 12);
	ck_assert_str_eq_free(search_sbuf(&b, "x"),
			      "ERR: corrupt index: node offset out of range");
	free(b.s);
	b = (struct sbuf){ 0 };

	/* a matching node whose second value runs past the end of the file (values are
	 * read only when a node matches) */
	header(&b, MAGIC, VERSION, F_PREFIX | F_VALUES | 12);
	put_bytes(&b, "*", 2);
	be32_put(&b, 2);
	be32_put(&b, 0);
	put_bytes(&b, "v", 2);
	be32_put(&b, 0);
	put_bytes(&b, "trunc", 5);
	ck_assert_str_eq_free(search_sbuf(&b, "x"),
			      "ERR: corrupt index: truncated value");
	free(b.s);
	b = (struct sbuf){ 0 };

	/* a bad child range below '*' */
	header(&b, MAGIC, VERSION, F_CHILDS | 18);
	put_bytes(&b, "za", 2);
	be32_put(&b, 0);
	put_bytes(&b, "**", 2);
	be32_put(&b, F_CHILDS | 12);
	ck_assert_str_eq_free(search_sbuf(&b, "x"),
			      "ERR: corrupt index: bad child range");
	free(b.s);
	b = (struct sbuf){ 0 };

	/* not a tree: 100 references to one node with 100 references to one leaf, under
	 * '*': 10,000 paths in a file of 800 bytes. The search stops at what a tree of
	 * that size could hold. */
	header(&b, MAGIC, VERSION, 0);
	be32_put(&b, 1); /* 12: the leaf */
	be32_put(&b, 0);
	put_bytes(&b, "leaf", 5);
	off = b.len; /* 25: B */
	put_bytes(&b, "\x01\x64", 2);
	for (int i = 0; i < 100; i++)
		be32_put(&b, F_VALUES | 12);
	put_bytes(&b, "\x01\x64", 2); /* A */
	for (int i = 0; i < 100; i++)
		be32_put(&b, F_CHILDS | off);
	off = b.len - 402;
	{
		uint32_t root = b.len;

		put_bytes(&b, "**", 2);
		be32_put(&b, F_CHILDS | off);
		for (int k = 0; k < 4; k++)
			b.s[8 + k] = (char)((F_CHILDS | root) >> (24 - 8 * k));
	}
	ck_assert_str_eq_free(search_sbuf(&b, "x"), ERR_SHARED);
	free(b.s);
}
END_TEST

START_TEST(wild_search_deep)
{
	/* a trie as deep as its file allows, below a wildcard: the search keeps its
	 * own stack (no recursion), and no limit but the file's */
	enum { N = 100000 };
	struct index_values vals = { 0 };
	struct sbuf b = { 0 };
	uint32_t child, root;
	const char *why = NULL;
	struct index_file f;
	char *key, *path;

	header(&b, MAGIC, VERSION, 0);
	child = F_VALUES | b.len; /* the deepest node, then N nodes above it */
	be32_put(&b, 1);
	be32_put(&b, 7);
	put_bytes(&b, "deepest", 8);
	for (int i = 0; i < N; i++) {
		uint32_t off = b.len;

		put_bytes(&b, "aa", 2);
		be32_put(&b, child);
		child = F_CHILDS | off;
	}
	root = b.len;
	put_bytes(&b, "??", 2);
	be32_put(&b, child);
	for (int k = 0; k < 4; k++)
		b.s[8 + k] = (char)((F_CHILDS | root) >> (24 - 8 * k));
	path = write_bytes(tmp, "deep.bin", b.s, b.len);
	free(b.s);

	/* the pattern "?" + N 'a's */
	key = malloc(N + 2);
	ck_assert_ptr_nonnull(key);
	memset(key, 'a', N + 1);
	key[N + 1] = '\0';
	ck_assert_int_eq(index_open(path, &f, &why), 0);
	ck_assert_int_eq(index_search_wild(&f, key, INDEX_ORDER_MMAP, &vals, &why), 0);
	ck_assert_uint_eq(vals.n, 1);
	ck_assert_str_eq(vals.v[0].value, "deepest");
	ck_assert_uint_eq(vals.v[0].priority, 7);
	key[N] = '\0';
	ck_assert_int_eq(index_search_wild(&f, key, INDEX_ORDER_MMAP, &vals, &why), 0);
	ck_assert_uint_eq(vals.n, 0);
	index_values_done(&vals);
	index_close(&f);
	free(key);
	free(path);
}
END_TEST

/* ---- the wildcard search against libkmod ---- */

/* libkmod, as the library used it for alias lookups before it had its own search. */
struct kmod_api {
	void *dl;
	typeof(kmod_new) *new_ctx;
	typeof(kmod_unref) *unref;
	typeof(kmod_set_log_priority) *set_log_priority;
	typeof(kmod_load_resources) *load_resources;
	typeof(kmod_module_new_from_lookup) *lookup;
	typeof(kmod_list_next) *list_next;
	typeof(kmod_module_get_module) *get_module;
	typeof(kmod_module_get_name) *get_name;
	typeof(kmod_module_unref) *mod_unref;
	typeof(kmod_module_unref_list) *unref_list;
};

static bool kmod_api_load(struct kmod_api *k)
{
	*k = (struct kmod_api){ .dl = dlopen(LIBKMOD_SONAME, RTLD_NOW | RTLD_LOCAL) };
	if (!k->dl)
		return false;
#define SYM(field, name) CHECK((k->field = (typeof(k->field))dlsym(k->dl, #name)))
	SYM(new_ctx, kmod_new);
	SYM(unref, kmod_unref);
	SYM(set_log_priority, kmod_set_log_priority);
	SYM(load_resources, kmod_load_resources);
	SYM(lookup, kmod_module_new_from_lookup);
	SYM(list_next, kmod_list_next);
	SYM(get_module, kmod_module_get_module);
	SYM(get_name, kmod_module_get_name);
	SYM(mod_unref, kmod_module_unref);
	SYM(unref_list, kmod_module_unref_list);
#undef SYM
	return true;
}

/* What kmod_module_new_from_lookup() gives for @key: the module names, blank
 * separated, or "EINVAL". */
static char *kmod_answer(const struct kmod_api *k, struct kmod_ctx *ctx, const char *key)
{
	struct kmod_list *list = NULL, *l;
	struct sbuf b = { 0 };
	int r = k->lookup(ctx, key, &list);

	if (r < 0) {
		sbuf_addf(&b, "%s", r == -EINVAL ? "EINVAL" : strerror(-r));
		return sbuf_take(&b);
	}
	for (l = list; l; l = k->list_next(list, l)) {
		struct kmod_module *m = k->get_module(l);

		sbuf_word(&b, k->get_name(m));
		k->mod_unref(m);
	}
	k->unref_list(list);
	return sbuf_take(&b);
}

/* A module directory whose modules.alias.bin is @alias_bin and whose other indexes
 * are empty: libkmod's lookup of a key is then the search of that index (its other
 * sources know nothing). Returns the directory. */
static char *oracle_dir(const char *alias_bin, size_t len)
{
	static const char *const empty[] = { "modules.dep.bin", "modules.symbols.bin",
					     "modules.builtin.bin" };
	char *md = xasprintf("%s/oracle-%u", tmp, nfile++);

	free(write_bytes(md, "modules.alias.bin", alias_bin, len));
	for (size_t i = 0; i < ARRAY_SIZE(empty); i++)
		free(index_write_prio(md, empty[i], NULL, 0));
	return md;
}

/* libkmod's answer for @key and ours (normalized as libkmod does, then searched in
 * @path) are the same. Returns whether the key was valid. */
static bool oracle_key(const struct kmod_api *k, struct kmod_ctx *ctx, const char *path,
		       const char *key, enum index_order order)
{
	char *norm = NULL, *want = kmod_answer(k, ctx, key), *got;
	int r = normalize_alias(key, &norm);

	if (r == -EINVAL) {
		CHECK_MSG(streq(want, "EINVAL"), "'%s': libkmod: '%s', ours: EINVAL", key,
			  want);
		free(want);
		return false;
	}
	CHECK(r == 0);
	got = search_file(path, norm, order);
	CHECK_MSG(streq(want, got), "%s: key '%s' (%s reader): libkmod '%s', ours '%s'",
		  path, key, order == INDEX_ORDER_MMAP ? "mmap" : "file", want, got);
	free(norm);
	free(want);
	free(got);
	return true;
}

/* Compare index_search_wild() with libkmod's lookup for every key, with both of
 * libkmod's readers. Returns the number of keys compared. */
static unsigned int oracle_compare(const struct kmod_api *k, const char *md,
				   const char *const *keys, size_t nkeys)
{
	static const char *const no_config[] = { NULL };
	char *path = xasprintf("%s/modules.alias.bin", md);
	unsigned int compared = 0;

	for (int mode = 0; mode < 2; mode++) {
		struct kmod_ctx *ctx = k->new_ctx(md, no_config);
		enum index_order order = mode == 0 ? INDEX_ORDER_MMAP : INDEX_ORDER_FILE;

		CHECK(ctx);
		k->set_log_priority(ctx, 0);
		/* every index there: libkmod maps them; else it reads the files */
		if (order == INDEX_ORDER_MMAP)
			CHECK(k->load_resources(ctx) == 0);
		for (size_t i = 0; i < nkeys; i++)
			compared += oracle_key(k, ctx, path, keys[i], order);
		k->unref(ctx);
	}
	free(path);
	return compared;
}

static uint32_t rnd_state;

static uint32_t rnd(uint32_t n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 16) % n;
}

static char *rnd_string(const char *alphabet, size_t maxlen)
{
	size_t len = rnd((uint32_t)maxlen + 1), n = strlen(alphabet);
	char *s = malloc(len + 1);

	CHECK(s);
	for (size_t i = 0; i < len; i++)
		s[i] = alphabet[rnd((uint32_t)n)];
	s[len] = '\0';
	return s;
}

START_TEST(wild_search_vs_libkmod_random)
{
	/* random tries over a small alphabet full of wildcards, several values per key
	 * with random priorities, searched for random keys */
	static const char alphabet[] = "ab*?[]-!";
	struct kmod_api k;
	unsigned int compared = 0;

	if (!kmod_api_load(&k)) {
		fprintf(stderr, "SKIP: %s: %s\n", LIBKMOD_SONAME, dlerror());
		return;
	}
	rnd_state = 2026;
	for (int t = 0; t < 150; t++) {
		static const char *const names[] = { "m0", "m1", "m2", "m3", "m4" };
		size_t n = 1 + rnd(24), nkeys = 40;
		struct index_pentry e[24];
		char *keys[40 + 24], *md, *p, *data;
		size_t len;

		for (size_t i = 0; i < n; i++) {
			char *key = rnd_string(alphabet, 5);

			/* a key again, for several values of one node */
			if (i && rnd(4) == 0) {
				free(key);
				key = strdup(e[rnd((uint32_t)i)].key);
			}
			e[i] = (struct index_pentry){ key, names[rnd(5)], rnd(3) };
		}
		p = index_write_prio(tmp, "random.bin", e, n);
		data = slurp(p, &len);
		md = oracle_dir(data, len);
		for (size_t i = 0; i < nkeys; i++)
			keys[i] = rnd_string("ab*?[]-", 6);
		for (size_t i = 0; i < n; i++)
			keys[nkeys + i] = strdup(e[i].key);
		compared += oracle_compare(&k, md, (const char *const *)keys, nkeys + n);
		for (size_t i = 0; i < nkeys + n; i++)
			free(keys[i]);
		for (size_t i = 0; i < n; i++)
			free((char *)e[i].key);
		free(data);
		free(md);
		free(p);
	}
	ck_assert_uint_gt(compared, 5000);
	dlclose(k.dl);
}
END_TEST

/* A key that modules.alias pattern @a describes, its wildcards filled: '*' with
 * @star, '?' with '0', "[...]" with its first character. */
static char *fill_pattern(const char *a, const char *star)
{
	struct sbuf b = { 0 };

	for (const char *c = a; *c; c++) {
		if (*c == '*')
			sbuf_add(&b, star);
		else if (*c == '?')
			sbuf_add(&b, "0");
		else if (*c == '[' && strchr(c, ']')) {
			const char *e = strchr(c, ']');

			if (e > c + 1 && c[1] != '!' && c[1] != '^')
				sbuf_addn(&b, c + 1, 1);
			c = e;
		} else
			sbuf_addn(&b, c, 1);
	}
	return sbuf_take(&b);
}

/* For an "alias PATTERN MODULE" line: the pattern, keys it describes, half of it. */
static void push_alias_keys(struct strv *keys, const char *line)
{
	static const char *const stars[] = { "", "00", "x*y" };
	char a[512];

	if (sscanf(line, "alias %511s", a) != 1)
		return;
	CHECK(strv_push(keys, a) == 0);
	for (size_t s = 0; s < ARRAY_SIZE(stars); s++)
		CHECK(strv_push_take(keys, fill_pattern(a, stars[s])) == 0);
	a[strlen(a) / 2] = '\0';
	CHECK(strv_push(keys, a) == 0);
}

START_TEST(wild_search_vs_libkmod_fixtures)
{
	/* the alias indexes depmod wrote for the fixture trees, searched for the
	 * modaliases their own patterns describe, and for variations */
	static const char *const trees[] = { "hard",	"soft", "weak",
					     "builtin", "host", "fw" };
	static const char *const files[][2] = {
		{ "modules.alias", "modules.alias.bin" },
		{ "modules.symbols", "modules.symbols.bin" },
	};
	struct kmod_api k;
	unsigned int compared = 0;

	if (!kmod_api_load(&k)) {
		fprintf(stderr, "SKIP: %s: %s\n", LIBKMOD_SONAME, dlerror());
		return;
	}
	for (size_t t = 0; t < ARRAY_SIZE(trees); t++) {
		char *tmd = fixture_moddir(trees[t]);

		for (size_t f = 0; f < ARRAY_SIZE(files); f++) {
			char *txt = xasprintf("%s/%s", tmd, files[f][0]);
			char *bin = xasprintf("%s/%s", tmd, files[f][1]);
			struct strv keys = { 0 };
			char *text, *data, *md, *save = NULL;
			size_t len;

			if (!file_exists(bin)) {
				free(txt);
				free(bin);
				continue;
			}
			text = slurp(txt, &len);
			for (char *l = strtok_r(text, "\n", &save); l;
			     l = strtok_r(NULL, "\n", &save))
				push_alias_keys(&keys, l);
			CHECK(strv_push(&keys, "") == 0);
			CHECK(strv_push(&keys, "symbol:") == 0);
			data = slurp(bin, &len);
			md = oracle_dir(data, len);
			compared += oracle_compare(&k, md, (const char *const *)keys.v,
						   keys.n);
			strv_done(&keys);
			free(text);
			free(data);
			free(md);
			free(txt);
			free(bin);
		}
		free(tmd);
	}
	ck_assert_uint_gt(compared, 100);
	dlclose(k.dl);
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

	tc = tcase_new(s, "wildcards");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, wild_search);
	tcase_add_test(tc, wild_search_empty);
	tcase_add_test(tc, wild_search_corrupt);
	tcase_add_test(tc, wild_search_deep);
	tcase_add_test(tc, wild_search_vs_libkmod_random);
	tcase_add_test(tc, wild_search_vs_libkmod_fixtures);
	return s;
}

int main(void)
{
	return run_suite(index_suite());
}
