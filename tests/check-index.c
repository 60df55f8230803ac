/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/index.c: index_validate() on depmod's real indexes and on crafted files; the
 * wildcard search index_search_wild() on crafted indexes (wildcards, brackets,
 * priorities, several values of one key) and against libkmod itself (loaded with
 * dlopen(), as the library once used it: every answer, in order). Every crafted
 * corruption must be -EBADMSG with a reason, never a crash (libkmod would trust
 * those offsets); ASan/valgrind runs check the bounds.
 *
 * Both of depmod's layouts: children first (depmod <= 33, the fixtures of
 * $FIXTURES) and pre-order (depmod 34: the same files rewritten by
 * index_relayout(), and depmod 34's own in $FIXTURES34, which must be those bytes
 * exactly); damaged files of each, where a child on the wrong side of its parent
 * for the file's layout is refused.
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

#define ck_assert_valid(b)                                             \
	do {                                                           \
		const char *why_;                                      \
		int r_ = validate_sbuf(b, &why_);                      \
		ck_assert_msg(r_ == 0, "index_validate = %d (%s)", r_, \
			      why_ ? why_ : "");                       \
		ck_assert_ptr_null(why_);                              \
	} while (0)

/* ---- the real thing ---- */

static const enum modset_index_layout layouts[] = { MODSET_INDEX_POSTORDER,
						    MODSET_INDEX_PREORDER };

/* The .bin files of every tree of the fixture set @base: @fn(path, data) on each;
 * returns how many. */
static unsigned int for_each_fixture_bin(const char *base,
					 void (*fn)(const char *path, void *data),
					 void *data)
{
	DIR *d = opendir(base);
	struct dirent *e;
	unsigned int n = 0;

	ck_assert_msg(d, "%s: %s", base, strerror(errno));
	while ((e = readdir(d))) {
		char *root = xasprintf("%s/%s", base, e->d_name), *md, *mods;
		struct dirent **names;
		int k;

		mods = xasprintf("%s/lib/modules", root);
		if (e->d_name[0] == '.' || !file_exists(mods)) {
			free(mods);
			free(root);
			continue;
		}
		md = root_moddir(root);
		k = scandir(md, &names, NULL, alphasort);
		ck_assert_int_ge(k, 0);
		for (int i = 0; i < k; i++) {
			size_t len = strlen(names[i]->d_name);

			if (len >= 4 && streq(names[i]->d_name + len - 4, ".bin")) {
				char *p = xasprintf("%s/%s", md, names[i]->d_name);

				fn(p, data);
				n++;
				free(p);
			}
			free(names[i]);
		}
		free(names);
		free(md);
		free(mods);
		free(root);
	}
	closedir(d);
	return n;
}

/* index_validate() accepts @path, and index_open() reads it as a file of @layout
 * (or of either: a root without children is at 12 in both). */
static void assert_valid_file(const char *path, enum modset_index_layout layout)
{
	const char *why = "not touched";
	struct index_file f;
	int r = index_validate(path, &why);

	CHECK_MSG(r == 0 && !why, "%s (%s): %d %s", path, layout_name(layout), r,
		  why ? why : "");
	CHECK(index_open(path, &f, &why) == 0);
	CHECK_MSG(f.preorder == (layout == MODSET_INDEX_PREORDER) || !(f.root & F_CHILDS),
		  "%s: read as %s, written %s", path,
		  f.preorder ? "pre-order" : "children-first", layout_name(layout));
	index_close(&f);
}

/* The file at @path (trusted), in layout *@data, to a scratch file: valid. */
static void relayout_valid(const char *path, void *data)
{
	enum modset_index_layout layout = *(enum modset_index_layout *)data;
	size_t len;
	char *bytes = slurp(path, &len), name[32], *copy;
	struct sbuf b = index_relayout_bytes(bytes, len, layout);

	snprintf(name, sizeof(name), "index-%u.bin", nfile++);
	copy = write_bytes(tmp, name, b.s, b.len);
	assert_valid_file(copy, layout);
	free(copy);
	free(b.s);
	free(bytes);
}

/* Every index depmod 30 wrote for the fixture trees, as it is (children first) and
 * rewritten in pre-order: valid, and read in that layout. */
START_TEST(fixture_indexes_valid)
{
	enum modset_index_layout layout = layouts[_i];
	unsigned int checked;

	checked = for_each_fixture_bin(fixtures_dir(), relayout_valid, &layout);

	/* 5 indexes per tree, at least the 5 documented trees */
	ck_assert_uint_ge(checked, 25);
}
END_TEST

static void depmod34_valid(const char *path, void *data)
{
	assert_valid_file(path, MODSET_INDEX_PREORDER);
}

/* The file @path of FIXTURES34 is what depmod 30's file of the same tree gives
 * rewritten in pre-order, byte for byte, and rewritten children first it is depmod
 * 30's. */
static void depmod34_equals_relayout(const char *path, void *data)
{
	const char *fx34 = data, *fx = fixtures_dir();
	char *old, *old_data, *new_data;
	size_t old_len, new_len;
	struct sbuf pre, post;

	CHECK(strncmp(path, fx34, strlen(fx34)) == 0);
	old = xasprintf("%s%s", fx, path + strlen(fx34));
	old_data = slurp(old, &old_len);
	new_data = slurp(path, &new_len);
	pre = index_relayout_bytes(old_data, old_len, MODSET_INDEX_PREORDER);
	post = index_relayout_bytes(new_data, new_len, MODSET_INDEX_POSTORDER);
	CHECK_MSG(pre.len == new_len && memcmp(pre.s, new_data, new_len) == 0,
		  "%s in pre-order (%zu bytes) is not depmod 34's %s (%zu bytes)", old,
		  pre.len, path, new_len);
	CHECK_MSG(post.len == old_len && memcmp(post.s, old_data, old_len) == 0,
		  "%s children first (%zu bytes) is not depmod 30's %s (%zu bytes)", path,
		  post.len, old, old_len);
	free(pre.s);
	free(post.s);
	free(old_data);
	free(new_data);
	free(old);
}

/* depmod 34's indexes of the same fixture trees: valid, pre-order; the test writer's
 * pre-order (index_relayout) is exactly depmod 34's. */
START_TEST(fixture34_indexes_valid)
{
	const char *fx34 = fixtures34_dir("depmod 34's indexes");
	unsigned int n;

	if (!fx34)
		return;
	ck_assert_uint_ge(for_each_fixture_bin(fx34, depmod34_valid, NULL), 25);
	n = for_each_fixture_bin(fx34, depmod34_equals_relayout, (void *)fx34);
	ck_assert_uint_ge(n, 25);
}
END_TEST

START_TEST(written_index_valid)
{
	static const struct index_pentry entries[] = {
		{ "a", "1", 0 },	{ "ab", "2", 0 },      { "abc", "3", 0 },
		{ "abd", "4", 0 },	{ "b", "5", 0 },       { "snd_pcm", "6", 0 },
		{ "snd_hda", "7", 0 }, { "snd", "8", 0 },     { "zzzz", "9", 0 },
		{ "~", "10", 0 },	{ "snd", "8b", 1 },
	};
	enum modset_index_layout layout = layouts[_i], other = layouts[!_i];
	char *p = index_write_layout(tmp, "w.bin", entries, ARRAY_SIZE(entries), layout);
	char *q = index_write_layout(tmp, "o.bin", entries, ARRAY_SIZE(entries), other);
	char *pd, *qd;
	size_t plen, qlen;

	assert_valid_file(p, layout);
	/* the same trie in the other layout: the other writer's bytes */
	index_relayout(q, layout);
	pd = slurp(p, &plen);
	qd = slurp(q, &qlen);
	ck_assert_uint_eq(plen, qlen);
	ck_assert_mem_eq(pd, qd, plen);
	free(pd);
	free(qd);
	free(q);
	free(p);
	p = index_write_layout(tmp, "empty.bin", NULL, 0, layout);
	assert_valid_file(p, layout);
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
	 * depmod <= 33 writes them) */
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

	/* the same two, parent first (depmod 34's pre-order) */
	header(&b, MAGIC, VERSION, F_CHILDS | 12);
	put_bytes(&b, "ab", 2); /* 12: the root */
	be32_put(&b, F_VALUES | 22);
	be32_put(&b, F_CHILDS | 32);
	be32_put(&b, 1); /* 22: the values node of 'a' */
	be32_put(&b, 0);
	put_bytes(&b, "v", 2);
	ck_assert_uint_eq(b.len, 32);
	put_bytes(&b, "xx", 2); /* 32: the node of 'b', whose child is bad */
	be32_put(&b, F_PREFIX | 0x0FFFFFF0);
	ck_assert_corrupt(&b, "out of range");

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
}
END_TEST

#define WHY_BEFORE "child node not stored before its parent (loop?)"
#define WHY_AFTER "child node not stored after its parent (loop?)"
#define WHY_SHARED "nodes shared by several parents (not a tree)"

/* A child on the wrong side of its parent for the file's layout (told by the root's
 * offset: 12 is pre-order): refused, naming the layout's rule. */
START_TEST(child_wrong_side)
{
	struct sbuf b = { 0 };

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
	ck_assert_corrupt(&b, WHY_BEFORE);

	/* children first, one level down: the node of 'b' (before the root, right)
	 * has a child after itself (the values node, also before the root) */
	header(&b, MAGIC, VERSION, F_CHILDS | 28);
	put_bytes(&b, "xx", 2); /* 12: the node of 'b' */
	be32_put(&b, F_VALUES | 18);
	be32_put(&b, 1); /* 18: a values node */
	be32_put(&b, 0);
	put_bytes(&b, "v", 2);
	ck_assert_uint_eq(b.len, 28);
	put_bytes(&b, "bb", 2); /* 28: the root */
	be32_put(&b, F_CHILDS | 12);
	ck_assert_corrupt(&b, WHY_BEFORE);

	/* a child that starts before its parent but runs into it: its prefix "xy" ends
	 * with the root's (empty) prefix */
	header(&b, MAGIC, VERSION, F_PREFIX | F_CHILDS | 14);
	put_bytes(&b, "xy", 2);
	put_bytes(&b, "", 1); /* 14: the root */
	put_bytes(&b, "aa", 2);
	be32_put(&b, F_PREFIX | 12);
	ck_assert_corrupt(&b, WHY_BEFORE);

	/* pre-order (the root at 12), a child pointing back before its parent: the node
	 * of 'b' (at 32) has the node of 'a' (at 22) as its child */
	header(&b, MAGIC, VERSION, F_CHILDS | 12);
	put_bytes(&b, "ab", 2); /* 12: the root */
	be32_put(&b, F_VALUES | 22);
	be32_put(&b, F_CHILDS | 32);
	be32_put(&b, 1); /* 22: the values node of 'a' */
	be32_put(&b, 0);
	put_bytes(&b, "v", 2);
	ck_assert_uint_eq(b.len, 32);
	put_bytes(&b, "xx", 2); /* 32: the node of 'b' */
	be32_put(&b, F_VALUES | 22);
	ck_assert_corrupt(&b, WHY_AFTER);

	/* pre-order, a child starting inside its parent's bytes (at the root's prefix
	 * "xyz", whose "yz" parses as a node) */
	header(&b, MAGIC, VERSION, F_PREFIX | F_CHILDS | 12);
	put_bytes(&b, "xyz", 4);
	put_bytes(&b, "aa", 2);
	be32_put(&b, F_PREFIX | 13);
	ck_assert_corrupt(&b, WHY_AFTER);

	/* pre-order, a child inside its parent's values (a whole-node check reads them)
	 */
	header(&b, MAGIC, VERSION, F_CHILDS | F_VALUES | 12);
	put_bytes(&b, "aa", 2);
	be32_put(&b, F_PREFIX | 30);
	be32_put(&b, 1);
	be32_put(&b, 0);
	put_bytes(&b, "valu", 5);
	ck_assert_uint_eq(b.len, 31);
	ck_assert_corrupt(&b, WHY_AFTER);

	/* ... and right after them: fine */
	header(&b, MAGIC, VERSION, F_CHILDS | F_VALUES | 12);
	put_bytes(&b, "aa", 2);
	be32_put(&b, F_PREFIX | 31);
	be32_put(&b, 1);
	be32_put(&b, 0);
	put_bytes(&b, "valu", 5);
	put_bytes(&b, "q", 2);
	ck_assert_valid(&b);
}
END_TEST

START_TEST(loop_self)
{
	struct sbuf b = { 0 };

	/* a node whose only child is itself: in a pre-order file (the root at 12) ... */
	header(&b, MAGIC, VERSION, F_CHILDS | 12);
	put_bytes(&b, "aa", 2);
	be32_put(&b, F_CHILDS | 12);
	ck_assert_corrupt(&b, WHY_AFTER);

	/* ... and in a children-first one (the root after a byte of nothing) */
	header(&b, MAGIC, VERSION, F_CHILDS | 13);
	put_bytes(&b, "x", 1);
	put_bytes(&b, "aa", 2);
	be32_put(&b, F_CHILDS | 13);
	ck_assert_corrupt(&b, WHY_BEFORE);

	/* the same with a prefix */
	header(&b, MAGIC, VERSION, F_PREFIX | F_CHILDS | 12);
	put_bytes(&b, "p", 2);
	put_bytes(&b, "aa", 2);
	be32_put(&b, F_PREFIX | F_CHILDS | 12);
	ck_assert_corrupt(&b, WHY_AFTER);
	header(&b, MAGIC, VERSION, F_PREFIX | F_CHILDS | 13);
	put_bytes(&b, "x", 1);
	put_bytes(&b, "p", 2);
	put_bytes(&b, "aa", 2);
	be32_put(&b, F_PREFIX | F_CHILDS | 13);
	ck_assert_corrupt(&b, WHY_BEFORE);

	/* a deeper node whose child is itself, below a good root, in each layout */
	header(&b, MAGIC, VERSION, F_CHILDS | 12);
	put_bytes(&b, "aa", 2); /* 12: the root */
	be32_put(&b, F_CHILDS | 18);
	put_bytes(&b, "bb", 2); /* 18 */
	be32_put(&b, F_CHILDS | 18);
	ck_assert_corrupt(&b, WHY_AFTER);
	header(&b, MAGIC, VERSION, F_CHILDS | 18);
	put_bytes(&b, "bb", 2); /* 12 */
	be32_put(&b, F_CHILDS | 12);
	put_bytes(&b, "aa", 2); /* 18: the root */
	be32_put(&b, F_CHILDS | 12);
	ck_assert_corrupt(&b, WHY_BEFORE);
}
END_TEST

START_TEST(loop_two_nodes)
{
	struct sbuf b = { 0 };

	/* pre-order: 12 -> 18 -> 12 */
	header(&b, MAGIC, VERSION, F_CHILDS | 12);
	put_bytes(&b, "aa", 2);
	be32_put(&b, F_CHILDS | 18);
	ck_assert_uint_eq(b.len, 18);
	put_bytes(&b, "bb", 2);
	be32_put(&b, F_CHILDS | 12);
	ck_assert_corrupt(&b, WHY_AFTER);

	/* children first: 19 -> 13 -> 19 */
	header(&b, MAGIC, VERSION, F_CHILDS | 19);
	put_bytes(&b, "x", 1);
	put_bytes(&b, "bb", 2); /* 13 */
	be32_put(&b, F_CHILDS | 19);
	ck_assert_uint_eq(b.len, 19);
	put_bytes(&b, "aa", 2); /* 19: the root */
	be32_put(&b, F_CHILDS | 13);
	ck_assert_corrupt(&b, WHY_BEFORE);

	/* three nodes, the last pointing back at the first, in each layout */
	header(&b, MAGIC, VERSION, F_CHILDS | 12);
	put_bytes(&b, "aa", 2); /* 12 */
	be32_put(&b, F_CHILDS | 18);
	put_bytes(&b, "bb", 2); /* 18 */
	be32_put(&b, F_CHILDS | 24);
	put_bytes(&b, "cc", 2); /* 24 */
	be32_put(&b, F_CHILDS | 12);
	ck_assert_corrupt(&b, WHY_AFTER);
	header(&b, MAGIC, VERSION, F_CHILDS | 25);
	put_bytes(&b, "x", 1);
	put_bytes(&b, "cc", 2); /* 13 */
	be32_put(&b, F_CHILDS | 25);
	put_bytes(&b, "bb", 2); /* 19 */
	be32_put(&b, F_CHILDS | 13);
	put_bytes(&b, "aa", 2); /* 25: the root */
	be32_put(&b, F_CHILDS | 19);
	ck_assert_corrupt(&b, WHY_BEFORE);
}
END_TEST

/* 100 children all pointing to one node with 100 children pointing to one leaf: not
 * a tree, but no loop either; each layout's check ends quickly, refusing it. */
START_TEST(shared_child_dag_terminates)
{
	struct sbuf b = { 0 };
	uint32_t mid, root;

	/* pre-order: the root at 12, the shared node, the shared leaf */
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
	ck_assert_corrupt(&b, WHY_SHARED);

	/* children first: the leaf, the shared node, the root */
	header(&b, MAGIC, VERSION, 0);
	be32_put(&b, 1); /* 12: the leaf */
	be32_put(&b, 0);
	put_bytes(&b, "leaf", 5);
	mid = (uint32_t)b.len;
	put_bytes(&b, "\x01\x64", 2);
	for (int i = 0; i < 100; i++)
		be32_put(&b, F_VALUES | 12);
	root = (uint32_t)b.len;
	put_bytes(&b, "\x01\x64", 2);
	for (int i = 0; i < 100; i++)
		be32_put(&b, F_CHILDS | mid);
	be32_set(&b, 8, F_CHILDS | root);
	ck_assert_corrupt(&b, WHY_SHARED);
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
	/* real indexes (depmod 30's, and the same in pre-order: depmod 34's bytes) with
	 * bytes cut or overwritten */
	static const char *const files[] = { "modules.dep.bin", "modules.alias.bin",
					     "modules.symbols.bin" };
	enum modset_index_layout layout = layouts[_i];
	char *md = fixture_moddir("hard");
	unsigned int bad = 0;

	for (size_t k = 0; k < ARRAY_SIZE(files); k++) {
		char *src = xasprintf("%s/%s", md, files[k]), *data;
		size_t len;
		const char *why;
		struct sbuf b;
		struct index_file f;

		data = slurp(src, &len);
		b = index_relayout_bytes(data, len, layout);
		free(data);
		data = b.s;
		len = b.len;
		ck_assert_uint_gt(len, 40);
		ck_assert_int_eq(validate_bytes(data, len, &why), 0);
		{
			char *p = write_bytes(tmp, "layout.bin", data, len);

			ck_assert_int_eq(index_open(p, &f, &why), 0);
			ck_assert_int_eq(f.preorder, layout == MODSET_INDEX_PREORDER);
			index_close(&f);
			free(p);
		}
		/* cut at every length: never a crash, and never valid once the trie is
		 * cut (every byte belongs to a node) */
		for (size_t n = 12; n < len; n += 3) {
			int r = validate_bytes(data, n, &why);

			ck_assert_msg(r == -EBADMSG, "%s (%s) cut at %zu: %d", files[k],
				      layout_name(layout), n, r);
			bad++;
		}
		/* flip each byte of the header's root offset, then bytes of the body */
		for (size_t i = 8; i < len; i += i < 12 ? 1 : 5) {
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
	}
	ck_assert_uint_gt(bad, 100);
	free(md);
}
END_TEST

/* depmod 34's own files, cut: never valid */
START_TEST(corrupt_fixture34_copies)
{
	const char *fx34 = fixtures34_dir("depmod 34's indexes cut");
	char *md, *src, *data;
	const char *why;
	size_t len;

	if (!fx34)
		return;
	md = fixture_moddir_in(fx34, "hard");
	src = xasprintf("%s/modules.dep.bin", md);
	data = slurp(src, &len);
	ck_assert_int_eq(validate_bytes(data, len, &why), 0);
	for (size_t n = 12; n < len; n += 5)
		ck_assert_msg(validate_bytes(data, n, &why) == -EBADMSG, "cut at %zu", n);
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

	/* a pre-order file's rightmost path is checked at open */
	r = index_open(path, &f, &why);
	if (r < 0) {
		CHECK(r == -EBADMSG && why);
		sbuf_addf(&b, "ERR: %s", why);
		return b.s;
	}
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

/* The same answers from either layout: a search follows the trie, not the bytes. */
START_TEST(wild_search)
{
	char *p = index_write_layout(tmp, "alias.bin", wild_entries,
				     ARRAY_SIZE(wild_entries), layouts[_i]);

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

#define ERR_LAYOUT "ERR: corrupt index: " WHY_BEFORE
#define ERR_LAYOUT_PRE "ERR: corrupt index: " WHY_AFTER
#define ERR_SHARED "ERR: corrupt index: " WHY_SHARED

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

	/* the same, children first (the root at 19) */
	header(&b, MAGIC, VERSION, F_CHILDS | 19);
	put_bytes(&b, "x", 1);
	put_bytes(&b, "aa", 2); /* 13 */
	be32_put(&b, F_CHILDS | 19);
	put_bytes(&b, "**", 2); /* 19: the root */
	be32_put(&b, F_CHILDS | 13);
	ck_assert_str_eq_free(search_sbuf(&b, "pci:x"), ERR_LAYOUT);
	free(b.s);
	b = (struct sbuf){ 0 };

	/* a node its own '*' child, in each layout */
	header(&b, MAGIC, VERSION, F_CHILDS | 12);
	put_bytes(&b, "**", 2);
	be32_put(&b, F_CHILDS | 12);
	ck_assert_str_eq_free(search_sbuf(&b, "x"), ERR_LAYOUT_PRE);
	free(b.s);
	b = (struct sbuf){ 0 };
	header(&b, MAGIC, VERSION, F_CHILDS | 13);
	put_bytes(&b, "x", 1);
	put_bytes(&b, "**", 2);
	be32_put(&b, F_CHILDS | 13);
	ck_assert_str_eq_free(search_sbuf(&b, "x"), ERR_LAYOUT);
	free(b.s);
	b = (struct sbuf){ 0 };

	/* below '*', a pre-order node pointing back at its grandparent (12 -> 18 -> 24
	 * -> 30 -> 18) */
	header(&b, MAGIC, VERSION, F_CHILDS | 12);
	put_bytes(&b, "**", 2); /* 12: the root */
	be32_put(&b, F_CHILDS | 18);
	put_bytes(&b, "aa", 2); /* 18: the '*' node */
	be32_put(&b, F_CHILDS | 24);
	put_bytes(&b, "bb", 2); /* 24 */
	be32_put(&b, F_CHILDS | 30);
	put_bytes(&b, "cc", 2); /* 30 */
	be32_put(&b, F_CHILDS | 18);
	ck_assert_str_eq_free(search_sbuf(&b, "xabc"), ERR_LAYOUT_PRE);
	free(b.s);
	b = (struct sbuf){ 0 };

	/* below a wildcard, a child past the end (the key's path alone is fine), in
	 * each layout */
	header(&b, MAGIC, VERSION, F_CHILDS | 18);
	put_bytes(&b, "aa", 2); /* 12: the '*' node, its 'a' child far away */
	be32_put(&b, F_VALUES | 0x0FFFFFF0);
	put_bytes(&b, "**", 2); /* 18: the root */
	be32_put(&b, F_CHILDS | 12);
	ck_assert_str_eq_free(search_sbuf(&b, "x"),
			      "ERR: corrupt index: node offset out of range");
	free(b.s);
	b = (struct sbuf){ 0 };
	header(&b, MAGIC, VERSION, F_CHILDS | 12);
	put_bytes(&b, "**", 2); /* 12: the root */
	be32_put(&b, F_CHILDS | 18);
	put_bytes(&b, "aa", 2); /* 18: the '*' node, its 'a' child far away */
	be32_put(&b, F_VALUES | 0x0FFFFFF0);
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
	b = (struct sbuf){ 0 };

	/* the same in pre-order: the root, A, B, the leaf */
	header(&b, MAGIC, VERSION, F_CHILDS | 12);
	put_bytes(&b, "**", 2);
	be32_put(&b, F_CHILDS | 18);
	put_bytes(&b, "\x01\x64", 2); /* 18: A */
	for (int i = 0; i < 100; i++)
		be32_put(&b, F_CHILDS | 420);
	ck_assert_uint_eq(b.len, 420);
	put_bytes(&b, "\x01\x64", 2); /* 420: B */
	for (int i = 0; i < 100; i++)
		be32_put(&b, F_VALUES | 822);
	ck_assert_uint_eq(b.len, 822);
	be32_put(&b, 1);
	be32_put(&b, 0);
	put_bytes(&b, "leaf", 5);
	ck_assert_str_eq_free(search_sbuf(&b, "x"), ERR_SHARED);
	free(b.s);
}
END_TEST

START_TEST(wild_search_deep)
{
	/* a trie as deep as its file allows, below a wildcard, in each layout: the
	 * search keeps its own stack (no recursion), and no limit but the file's */
	enum { N = 100000 };
	struct index_values vals = { 0 };
	struct sbuf b = { 0 };
	uint32_t child, root;
	const char *why = NULL;
	struct index_file f;
	char *key, *path;

	header(&b, MAGIC, VERSION, 0);
	if (layouts[_i] == MODSET_INDEX_POSTORDER) {
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
	} else {
		root = b.len; /* the root, N nodes below it, each after its parent */
		put_bytes(&b, "??", 2);
		be32_put(&b, F_CHILDS | (uint32_t)(b.len + 4));
		for (int i = 0; i < N; i++) {
			put_bytes(&b, "aa", 2);
			be32_put(&b, (i == N - 1 ? F_VALUES : F_CHILDS) |
					 (uint32_t)(b.len + 4));
		}
		be32_put(&b, 1);
		be32_put(&b, 7);
		put_bytes(&b, "deepest", 8);
	}
	be32_set(&b, 8, F_CHILDS | root);
	path = write_bytes(tmp, "deep.bin", b.s, b.len);
	free(b.s);

	/* the pattern "?" + N 'a's */
	key = malloc(N + 2);
	ck_assert_ptr_nonnull(key);
	memset(key, 'a', N + 1);
	key[N + 1] = '\0';
	ck_assert_int_eq(index_open(path, &f, &why), 0);
	ck_assert_int_eq(f.preorder, layouts[_i] == MODSET_INDEX_PREORDER);
	ck_assert_int_eq(index_search_wild(&f, key, INDEX_ORDER_MMAP, &vals, &why), 0);
	ck_assert_uint_eq(vals.n, 1);
	ck_assert_str_eq(vals.v[0].value, "deepest");
	ck_assert_uint_eq(vals.v[0].priority, 7);
	key[N] = '\0';
	ck_assert_int_eq(index_search_wild(&f, key, INDEX_ORDER_MMAP, &vals, &why), 0);
	ck_assert_uint_eq(vals.n, 0);
	ck_assert_int_eq(index_check_all(&f, &why), 0);
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
	 * with random priorities, searched for random keys; each layout (libkmod, even
	 * the host's libkmod 30, reads both) */
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
		p = index_write_layout(tmp, "random.bin", e, n, layouts[_i]);
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
	 * modaliases their own patterns describe, and for variations: depmod 30's
	 * (children first), the same rewritten in pre-order, depmod 34's (pre-order) */
	const char *base = _i == 2 ? fixtures34_dir("libkmod vs depmod 34's indexes")
				   : fixtures_dir();
	static const char *const trees[] = { "hard",	"soft", "weak",
					     "builtin", "host", "fw" };
	static const char *const files[][2] = {
		{ "modules.alias", "modules.alias.bin" },
		{ "modules.symbols", "modules.symbols.bin" },
	};
	struct kmod_api k;
	unsigned int compared = 0;

	if (!base)
		return;
	if (!kmod_api_load(&k)) {
		fprintf(stderr, "SKIP: %s: %s\n", LIBKMOD_SONAME, dlerror());
		return;
	}
	for (size_t t = 0; t < ARRAY_SIZE(trees); t++) {
		char *tmd = fixture_moddir_in(base, trees[t]);

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
			if (_i == 1) {
				struct sbuf pre;

				pre = index_relayout_bytes(data, len, layouts[1]);
				free(data);
				data = pre.s;
				len = pre.len;
			}
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
	tcase_add_loop_test(tc, fixture_indexes_valid, 0, 2);
	tcase_add_test(tc, fixture34_indexes_valid);
	tcase_add_loop_test(tc, written_index_valid, 0, 2);
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
	tcase_add_test(tc, child_wrong_side);
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
	tcase_add_loop_test(tc, corrupt_fixture_copies, 0, 2);
	tcase_add_test(tc, corrupt_fixture34_copies);

	tc = tcase_new(s, "wildcards");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, wild_search, 0, 2);
	tcase_add_test(tc, wild_search_empty);
	tcase_add_test(tc, wild_search_corrupt);
	tcase_add_loop_test(tc, wild_search_deep, 0, 2);
	tcase_add_loop_test(tc, wild_search_vs_libkmod_random, 0, 2);
	tcase_add_loop_test(tc, wild_search_vs_libkmod_fixtures, 0, 3);
	return s;
}

int main(void)
{
	return run_suite(index_suite());
}
