/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * src/kmod-index.c: the native writer of kmod indexes and the trimmed index files.
 * - what it writes reads back through lib/index.c and through libkmod itself
 *   (kmod_new on a temporary tree, lookups, dependencies, wildcard aliases);
 * - kept whole, every fixture tree's .bin files come out byte for byte as depmod
 *   wrote them, and so do the text files;
 * - trimmed, the files equal what the real depmod writes for a copy of the tree
 *   that holds only the kept modules;
 * - in both of depmod's layouts: children first (depmod 30, the host's, on
 *   $FIXTURES) and pre-order (depmod 34, in the $TRIXIE root, on $FIXTURES34:
 *   SKIPped with a line on stderr when they are not there);
 * - what holds of the image's indexes whatever the subset: the trimmed files give
 *   the tree's answers (each kept module's modules.dep.bin value, the alias and
 *   symbol answers for the kept modules), in the tree's layout; depmod rerun on the
 *   subset gives each module the same set of dependencies (their order may
 *   differ: it depends on the whole set) and writes its own version's layout.
 */
#include <libkmod.h>

#include "check-common.h"
#include "../src/kmod-index.h" /* not -Isrc: src/check.h would hide <check.h> */

static char *tmp;

static const enum modset_index_layout layouts[] = { MODSET_INDEX_POSTORDER,
						    MODSET_INDEX_PREORDER };

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

static char *write_index(struct kindex *idx, enum modset_index_layout layout,
			 const char *dir, const char *name)
{
	unsigned char *data;
	size_t len;
	char *path;

	ck_assert_int_eq(kindex_write(idx, layout, &data, &len), 0);
	path = write_bytes(dir, name, data, len);
	free(data);
	return path;
}

#define ERRLEN 512

/* kmod_trim_indexes() with an error buffer of ERRLEN bytes. */
static int trim(const char *md, kmod_keep_fn keep, void *data, bool decompress,
		enum modset_index_layout layout, struct kmod_files *files, char *err)
{
	return kmod_trim_indexes(md, -1, keep, data, decompress, layout, files, err, ERRLEN);
}

/* index_open() reads @path as a file of @layout (or either: a root without
 * children is at 12 in both). */
static void assert_layout(const char *path, enum modset_index_layout layout)
{
	struct index_file f;
	const char *why = NULL;

	ck_assert_msg(index_open(path, &f, &why) == 0, "%s: %s", path, why);
	ck_assert_msg(f.preorder == (layout == MODSET_INDEX_PREORDER) ||
			  !(f.root & 0x20000000u),
		      "%s: read as %s, want %s", path,
		      f.preorder ? "pre-order" : "children-first", layout_name(layout));
	index_close(&f);
}

/* The first value of @key through lib/index.c (which checks every node on the way). */
static char *lookup(const char *path, const char *key)
{
	struct index_file f = { 0 };
	const char *why = NULL, *value = NULL;
	char *ret;

	ck_assert_int_eq(index_open(path, &f, &why), 0);
	ck_assert_msg(index_check_all(&f, &why) == 0, "%s: %s", path, why);
	ck_assert_int_eq(index_lookup(&f, key, &value, &why), 0);
	ret = value ? strdup(value) : NULL;
	index_close(&f);
	return ret;
}

START_TEST(empty_index)
{
	struct kindex *idx = kindex_new();
	static const unsigned char want[] = { 0xb0, 0x07, 0xf4, 0x57, 0, 2, 0, 1, 0, 0, 0, 12 };
	unsigned char *data;
	size_t len;

	ck_assert_ptr_nonnull(idx);
	ck_assert_int_eq(kindex_write(idx, MODSET_INDEX_POSTORDER, &data, &len), 0);
	ck_assert_uint_eq(len, sizeof(want));
	ck_assert_mem_eq(data, want, len);
	free(data);
	kindex_free(idx);
}
END_TEST

START_TEST(single_entry_layout)
{
	/* one key: a root with one child, holding the rest of the key and the value */
	struct kindex *idx = kindex_new();
	static const unsigned char post[] = {
		0xb0, 0x07, 0xf4, 0x57, 0, 2, 0, 1,
		0x20, 0, 0, 0x19,		/* root: children only */
		'b', 'c', 0,			/* child 'a' first: prefix "bc" */
		0, 0, 0, 1, 0, 0, 0, 7, 'v', 0, /* one value */
		'a', 'a', 0xc0, 0, 0, 0x0c	/* the root at 0x19 */
	};
	static const unsigned char pre[] = {
		0xb0, 0x07, 0xf4, 0x57, 0, 2, 0, 1,
		0x20, 0, 0, 0x0c,		/* root at 12: children only */
		'a', 'a', 0xc0, 0, 0, 0x12,	/* its child 'a' at 18 */
		'b', 'c', 0,			/* prefix "bc" */
		0, 0, 0, 1, 0, 0, 0, 7, 'v', 0, /* one value */
	};
	const unsigned char *want = layouts[_i] == MODSET_INDEX_PREORDER ? pre : post;
	unsigned char *data;
	size_t len;

	ck_assert_int_eq(kindex_add(idx, "abc", "v", 7), 0);
	ck_assert_int_eq(kindex_write(idx, layouts[_i], &data, &len), 0);
	ck_assert_uint_eq(len, sizeof(post));
	ck_assert_mem_eq(data, want, len);
	free(data);
	kindex_free(idx);
}
END_TEST

START_TEST(bad_input)
{
	struct kindex *idx = kindex_new();

	ck_assert_int_eq(kindex_add(idx, "", "v", 0), -EINVAL);
	ck_assert_int_eq(kindex_add(idx, "caf\xc3\xa9", "v", 0), -EINVAL);
	ck_assert_int_eq(kindex_add(idx, "k", "\x80", 0), -EINVAL);
	ck_assert_int_eq(kindex_add(idx, "k", "v", 0), 0);
	ck_assert_int_eq(kindex_add(idx, "k", "v", 0), 1); /* duplicate, added */
	ck_assert_uint_eq(kindex_count(idx), 1);
	kindex_free(idx);
}
END_TEST

/* Keys that split prefixes every way: prefix of another key, sharing a prefix,
 * children with gaps; every key reads back, absent keys do not. */
START_TEST(readback_lib)
{
	static const char *const keys[] = { "on",   "once",  "one",	  "ask",   "ate",
					    "a",    "zebra", "zeb",	  "z",	   "snd_hda_intel",
					    "snd_hda_codec", "snd", "symbol:foo", "symbol:fo" };
	struct kindex *idx = kindex_new();
	char *path;

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		char *v = xasprintf("value-of-%s", keys[i]);

		ck_assert_int_eq(kindex_add(idx, keys[i], v, (unsigned int)i), 0);
		free(v);
	}
	ck_assert_uint_eq(kindex_count(idx), ARRAY_SIZE(keys));
	path = write_index(idx, layouts[_i], tmp, "t.bin");
	assert_layout(path, layouts[_i]);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		char *got = lookup(path, keys[i]), *want = xasprintf("value-of-%s", keys[i]);

		ck_assert_msg(got, "%s not found", keys[i]);
		ck_assert_str_eq(got, want);
		free(got);
		free(want);
	}
	ck_assert_ptr_null(lookup(path, "o"));
	ck_assert_ptr_null(lookup(path, "onc"));
	ck_assert_ptr_null(lookup(path, "zebras"));
	ck_assert_ptr_null(lookup(path, "b"));
	free(path);
	kindex_free(idx);
}
END_TEST

/* The same key/value set in another insertion order gives the same bytes. */
START_TEST(order_independent)
{
	static const char *const keys[] = { "b", "ba", "bab", "abc", "abd", "x", "xy" };
	unsigned char *d1, *d2;
	size_t l1, l2;
	struct kindex *a = kindex_new(), *b = kindex_new();

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		ck_assert_int_eq(kindex_add(a, keys[i], keys[i], (unsigned int)i), 0);
		ck_assert_int_eq(kindex_add(b, keys[ARRAY_SIZE(keys) - 1 - i],
						keys[ARRAY_SIZE(keys) - 1 - i],
						(unsigned int)(ARRAY_SIZE(keys) - 1 - i)),
				 0);
	}
	ck_assert_int_eq(kindex_write(a, layouts[_i], &d1, &l1), 0);
	ck_assert_int_eq(kindex_write(b, layouts[_i], &d2, &l2), 0);
	ck_assert_uint_eq(l1, l2);
	ck_assert_mem_eq(d1, d2, l1);
	free(d1);
	free(d2);
	kindex_free(a);
	kindex_free(b);
}
END_TEST

/*
 * The writer does not recurse on the trie (issue 12, hole 9): keys "a", "aa", "aaa"...
 * nest one node per key. On a thread with a 1 MiB stack, DEEP_KEYS of them are added,
 * written in both layouts and freed; the deepest key reads back.
 */
#define DEEP_KEYS 20000

struct deep_trie {
	unsigned char *data[2];
	size_t len[2];
	int r;
};

static void *deep_trie_build(void *arg)
{
	struct deep_trie *t = arg;
	struct kindex *idx = kindex_new();
	char *key = malloc(DEEP_KEYS + 1);

	t->r = idx && key ? 0 : -ENOMEM;
	for (size_t i = 1; i <= DEEP_KEYS && t->r == 0; i++) {
		char v[32];

		memset(key, 'a', i);
		key[i] = '\0';
		snprintf(v, sizeof(v), "v%zu", i);
		t->r = kindex_add(idx, key, v, 0);
	}
	for (size_t l = 0; l < 2 && t->r == 0; l++)
		t->r = kindex_write(idx, layouts[l], &t->data[l], &t->len[l]);
	kindex_free(idx);
	free(key);
	return NULL;
}

START_TEST(deep_trie)
{
	struct deep_trie t = { 0 };
	char *deepest = malloc(DEEP_KEYS + 1), *want = xasprintf("v%d", DEEP_KEYS);

	run_on_stack(1024 * 1024, deep_trie_build, &t);
	ck_assert_int_eq(t.r, 0);
	memset(deepest, 'a', DEEP_KEYS);
	deepest[DEEP_KEYS] = '\0';
	for (size_t l = 0; l < 2; l++) {
		const char *name = l ? "pre.bin" : "post.bin";
		char *path = write_bytes(tmp, name, t.data[l], t.len[l]);
		char *got, *first;

		assert_layout(path, layouts[l]);
		got = lookup(path, deepest);
		first = lookup(path, "a");
		ck_assert_str_eq(got, want);
		ck_assert_str_eq(first, "v1");
		free(got);
		free(first);
		free(path);
		free(t.data[l]);
	}
	free(deepest);
	free(want);
}
END_TEST

/* libkmod (the host's: 30) reads our modules.dep.bin / modules.alias.bin /
 * modules.symbols.bin / modules.builtin.bin in each layout: lookups, dependencies in
 * order, wildcard aliases with several providers, builtins. */
START_TEST(readback_libkmod)
{
	static const char *const no_config[] = { NULL };
	char *md = xasprintf("%s/lib/modules/1.0", tmp), *s;
	struct kindex *dep = kindex_new(), *alias = kindex_new();
	struct kindex *sym = kindex_new(), *bi = kindex_new();
	struct kmod_ctx *kctx;
	struct kmod_list *list = NULL, *l;
	struct sbuf b = { 0 };

	mkdir_p(md);
	/* libkmod stats the dependencies' files */
	free(write_text(md, "kernel/top.ko", ""));
	free(write_text(md, "kernel/mid-dle.ko.xz", ""));
	free(write_text(md, "kernel/base.ko", ""));
	kindex_add(dep, "top", "kernel/top.ko: kernel/mid-dle.ko.xz kernel/base.ko", 0);
	kindex_add(dep, "mid_dle", "kernel/mid-dle.ko.xz: kernel/base.ko", 1);
	kindex_add(dep, "base", "kernel/base.ko:", 2);
	kindex_add(dep, "other", "kernel/other.ko:", 3);
	kindex_add(alias, "pci:v00001234d*sv*sd*bc*sc*i*", "top", 0);
	kindex_add(alias, "crypto_x", "base", 2);
	kindex_add(alias, "crypto_x", "other", 3);
	kindex_add(sym, "symbol:base_fn", "base", 2);
	kindex_add(bi, "ext4", "", 0);
	free(write_index(dep, layouts[_i], md, "modules.dep.bin"));
	free(write_index(alias, layouts[_i], md, "modules.alias.bin"));
	free(write_index(sym, layouts[_i], md, "modules.symbols.bin"));
	free(write_index(bi, layouts[_i], md, "modules.builtin.bin"));
	s = xasprintf("%s/modules.dep.bin", md);
	assert_layout(s, layouts[_i]);
	free(s);

	kctx = kmod_new(md, no_config);
	ck_assert_ptr_nonnull(kctx);
	kmod_set_log_priority(kctx, 0);

	/* dependencies of top, from the index's line */
	ck_assert_int_eq(kmod_module_new_from_lookup(kctx, "top", &list), 0);
	ck_assert_ptr_nonnull(list);
	{
		struct kmod_module *m = kmod_module_get_module(list);
		struct kmod_list *deps = kmod_module_get_dependencies(m);

		kmod_list_foreach(l, deps)
		{
			struct kmod_module *d = kmod_module_get_module(l);

			sbuf_word(&b, kmod_module_get_name(d));
			kmod_module_unref(d);
		}
		kmod_module_unref_list(deps);
		s = strrchr(kmod_module_get_path(m), '/');
		ck_assert_str_eq(s, "/top.ko");
		kmod_module_unref(m);
	}
	kmod_module_unref_list(list);
	list = NULL;
	s = sbuf_take(&b);
	ck_assert_str_eq(s, "base mid_dle"); /* libkmod prepends each dependency */
	free(s);

	/* a modalias matched against a wildcard key */
	ck_assert_int_eq(kmod_module_new_from_lookup(
				 kctx, "pci:v00001234d00005678sv00000000sd00000000bc02sc00i00", &list),
			 0);
	kmod_list_foreach(l, list)
	{
		struct kmod_module *m = kmod_module_get_module(l);

		sbuf_word(&b, kmod_module_get_name(m));
		kmod_module_unref(m);
	}
	kmod_module_unref_list(list);
	list = NULL;
	s = sbuf_take(&b);
	ck_assert_str_eq(s, "top");
	free(s);

	/* two providers of one alias, by priority; a dash in the query */
	ck_assert_int_eq(kmod_module_new_from_lookup(kctx, "crypto-x", &list), 0);
	kmod_list_foreach(l, list)
	{
		struct kmod_module *m = kmod_module_get_module(l);

		sbuf_word(&b, kmod_module_get_name(m));
		kmod_module_unref(m);
	}
	kmod_module_unref_list(list);
	list = NULL;
	s = sbuf_take(&b);
	ck_assert_str_eq(s, "base other");
	free(s);

	/* a symbol */
	ck_assert_int_eq(kmod_module_new_from_lookup(kctx, "symbol:base_fn", &list), 0);
	ck_assert_ptr_nonnull(list);
	{
		struct kmod_module *m = kmod_module_get_module(list);

		ck_assert_str_eq(kmod_module_get_name(m), "base");
		kmod_module_unref(m);
	}
	kmod_module_unref_list(list);
	list = NULL;

	/* a builtin */
	ck_assert_int_eq(kmod_module_new_from_lookup(kctx, "ext4", &list), 0);
	ck_assert_ptr_nonnull(list);
	{
		struct kmod_module *m = kmod_module_get_module(list);
		struct kmod_list *f = NULL;

		ck_assert_int_eq(kmod_module_apply_filter(kctx, KMOD_FILTER_BUILTIN, list, &f), 0);
		ck_assert_ptr_null(f); /* filtered out: it is builtin */
		kmod_module_unref(m);
	}
	kmod_module_unref_list(list);

	kmod_unref(kctx);
	kindex_free(dep);
	kindex_free(alias);
	kindex_free(sym);
	kindex_free(bi);
	free(md);
}
END_TEST

static const char *const fixtures[] = { "hard", "soft", "builtin", "weak", "confdirs" };

static const char *const bins[] = { "modules.dep.bin", "modules.alias.bin",
				    "modules.symbols.bin", "modules.builtin.bin",
				    "modules.builtin.alias.bin" };

static bool is_bin(const char *name)
{
	for (size_t k = 0; k < ARRAY_SIZE(bins); k++)
		if (streq(name, bins[k]))
			return true;
	return false;
}

static void assert_same_file(const char *dir, const struct kmod_file *f)
{
	char *path = xasprintf("%s/%s", dir, f->name), *want;
	size_t len;

	want = slurp(path, &len);
	ck_assert_msg(len == f->len && memcmp(want, f->data, len) == 0,
		      "%s: %zu bytes written, depmod's has %zu, or they differ", path, f->len,
		      len);
	free(want);
	free(path);
}

/* The layout of the tree's indexes, as the image writer takes it (src/image.c). */
static enum modset_index_layout tree_layout(const char *md)
{
	struct modset_ctx *ctx = modset_new(md, NULL);
	enum modset_index_layout layout;

	ck_assert_ptr_nonnull(ctx);
	ctx_quiet(ctx);
	ck_assert_int_eq(modset_load(ctx), 0);
	layout = modset_get_index_layout(ctx);
	modset_unref(ctx);
	return layout;
}

/* The fixture set of loop index @set: $FIXTURES (depmod 30) or $FIXTURES34 (depmod
 * 34; NULL after a SKIP line when not there). */
static const char *fixture_set(int set, const char *what)
{
	return set ? fixtures34_dir(what) : fixtures_dir();
}

/* Kept whole, every file is byte-identical to what depmod (and the fixture's
 * modules_install stand-in) wrote, in the tree's layout: depmod 30's children
 * first, depmod 34's pre-order. Written in the other layout, depmod 30's indexes are
 * those of the same trie rewritten (index_relayout(): depmod 34's bytes, as
 * check-index shows). */
START_TEST(fixture_bytes_identical)
{
	const char *name = fixtures[_i % ARRAY_SIZE(fixtures)];
	int set = _i / (int)ARRAY_SIZE(fixtures);
	const char *base = fixture_set(set, "kept whole, depmod 34's bytes");
	char *md, err[ERRLEN];
	struct kmod_files files;
	bool have_bin[ARRAY_SIZE(bins)] = { 0 };
	enum modset_index_layout layout;

	if (!base)
		return;
	md = fixture_moddir_in(base, name);
	layout = tree_layout(md);
	ck_assert_int_eq(layout, set ? MODSET_INDEX_PREORDER : MODSET_INDEX_POSTORDER);
	ck_assert_msg(trim(md, NULL, NULL, false, layout, &files, err) == 0, "%s", err);
	for (size_t i = 0; i < files.n; i++) {
		assert_same_file(md, &files.v[i]);
		for (size_t k = 0; k < ARRAY_SIZE(bins); k++)
			if (streq(files.v[i].name, bins[k]))
				have_bin[k] = true;
	}
	for (size_t k = 0; k < ARRAY_SIZE(bins); k++)
		ck_assert_msg(have_bin[k], "%s: %s not written", name, bins[k]);
	kmod_files_done(&files);

	/* the other layout */
	ck_assert_msg(trim(md, NULL, NULL, false, layouts[!set], &files, err) == 0, "%s",
		      err);
	for (size_t i = 0; i < files.n; i++) {
		char *path = xasprintf("%s/%s", md, files.v[i].name), *data;
		struct sbuf want;
		size_t len;

		if (!is_bin(files.v[i].name)) {
			assert_same_file(md, &files.v[i]);
			free(path);
			continue;
		}
		data = slurp(path, &len);
		want = index_relayout_bytes(data, len, layouts[!set]);
		ck_assert_msg(want.len == files.v[i].len &&
				      memcmp(want.s, files.v[i].data, want.len) == 0,
			      "%s in %s: not the same trie rewritten", path,
			      layout_name(layouts[!set]));
		free(want.s);
		free(data);
		free(path);
	}
	kmod_files_done(&files);
	free(md);
}
END_TEST

static const char *keep_names(void *data, const char *name)
{
	for (const char *const *p = data; *p; p++)
		if (streq(*p, name))
			return "";
	return NULL;
}

/* Remove from the copy @copymd every module file that @keep does not keep. */
static void prune_copy(const char *copymd, const char *const *keep)
{
	char *cmd = xasprintf("cd '%s' && find kernel -name '*.ko*'", copymd),
	     *line = NULL;
	size_t alloc = 0;
	FILE *p = popen(cmd, "re");

	ck_assert_ptr_nonnull(p);
	while (getline(&line, &alloc, p) > 0) {
		char name[256], *base, *path;

		line[strcspn(line, "\n")] = '\0';
		base = strrchr(line, '/') + 1;
		modset_normalize_name(base, name, sizeof(name));
		if (keep_names((void *)keep, name))
			continue;
		path = xasprintf("%s/%s", copymd, line);
		ck_assert_int_eq(unlink(path), 0);
		free(path);
	}
	pclose(p);
	free(cmd);
	free(line);
}

/* Run depmod on the tree below @copy (the host's, or with @trixie kmod 34's). */
static void run_depmod(const char *trixie, const char *copy, const char *copymd)
{
	char *cmd = depmod_cmd(trixie, copy, strrchr(copymd, '/') + 1);

	ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
	free(cmd);
}

/* Trimmed: the same bytes as the real depmod on a tree holding only the kept
 * modules (its builtin files whole), for this subset of the hard tree: depmod 30 on
 * depmod 30's tree, depmod 34 (in the trixie root) on depmod 34's. modules.symbols
 * is compared as a sorted set: depmod writes it in hash order. */
START_TEST(trimmed_equals_depmod)
{
	static const char *const keep[] = { "chain1", "chain2", "chain3",	 "chain_4",
					    "dia_base", "dia_left", "dia_right", "dia_top",
					    "fwdev", "multi_exp", "use_two", NULL };
	const char *base = fixture_set(_i, "trimmed vs depmod 34");
	char *md, *copy, *copymd, err[ERRLEN];
	struct kmod_files files;
	enum modset_index_layout layout;

	if (!base)
		return;
	md = fixture_moddir_in(base, "hard");
	layout = tree_layout(md);
	copy = copy_fixture_in(base, "hard", &copymd);
	ck_assert_msg(trim(md, keep_names, (void *)keep, false, layout, &files, err) == 0,
		      "%s", err);
	/* remove every module that is not kept, then run depmod on the copy */
	prune_copy(copymd, keep);
	run_depmod(_i ? trixie_root() : NULL, copy, copymd);
	/* modules.order stays as the kernel wrote it: depmod does not trim it */
	for (size_t i = 0; i < files.n; i++) {
		if (streq(files.v[i].name, "modules.order"))
			continue;
		if (streq(files.v[i].name, "modules.symbols")) {
			char *c = xasprintf("sort '%s/modules.symbols'", copymd), *got = NULL;
			struct sbuf want = { 0 };
			FILE *sp = popen(c, "re");
			char buf[4096];
			size_t n;

			while ((n = fread(buf, 1, sizeof(buf), sp)) > 0)
				sbuf_addn(&want, buf, n);
			pclose(sp);
			free(c);
			c = xasprintf("%s/ours.symbols", tmp);
			free(write_bytes(c, NULL, files.v[i].data, files.v[i].len));
			got = xasprintf("sort '%s'", c);
			sp = popen(got, "re");
			free(got);
			{
				struct sbuf g = { 0 };

				while ((n = fread(buf, 1, sizeof(buf), sp)) > 0)
					sbuf_addn(&g, buf, n);
				pclose(sp);
				ck_assert_str_eq(g.s, want.s);
				free(g.s);
			}
			free(want.s);
			free(c);
			continue;
		}
		assert_same_file(copymd, &files.v[i]);
	}
	kmod_files_done(&files);
	rm_rf(copy);
	free(copy);
	free(copymd);
	free(md);
}
END_TEST

/* ---- what holds of the image's indexes, for any subset ---- */

/* The module name of a modules.dep path (normalized). */
static void dep_name(const char *path, size_t len, char *name, size_t size)
{
	char buf[PATH_MAX];
	const char *slash;

	ck_assert_uint_lt(len, sizeof(buf));
	memcpy(buf, path, len);
	buf[len] = '\0';
	slash = strrchr(buf, '/');
	ck_assert_ptr_nonnull(modset_normalize_name(slash ? slash + 1 : buf, name, size));
}

/* The modules of the tree's modules.dep (normalized), in its order; with @deps, each
 * one's dependencies (a vector per module, in the line's order). */
static struct strv dep_modules(const char *md, struct strv **deps)
{
	char *path = xasprintf("%s/modules.dep", md), *text, *save = NULL;
	struct strv names = { 0 };
	size_t len;

	text = slurp(path, &len);
	if (deps)
		*deps = NULL;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(l, ':'), name[256], *s2 = NULL;

		ck_assert_ptr_nonnull(colon);
		dep_name(l, (size_t)(colon - l), name, sizeof(name));
		CHECK(strv_push(&names, name) == 0);
		if (!deps)
			continue;
		*deps = realloc(*deps, names.n * sizeof(**deps));
		CHECK(*deps != NULL);
		(*deps)[names.n - 1] = (struct strv){ 0 };
		for (char *w = strtok_r(colon + 1, " ", &s2); w;
		     w = strtok_r(NULL, " ", &s2)) {
			dep_name(w, strlen(w), name, sizeof(name));
			CHECK(strv_push(&(*deps)[names.n - 1], name) == 0);
		}
	}
	free(text);
	free(path);
	return names;
}

/* A subset of the tree's modules closed under hard dependencies: the modules.dep
 * lines @k, @k + 3, @k + 6... and what they need (k = 3: all modules). */
static struct strv keep_closure(const char *md, size_t k)
{
	struct strv *deps, names = dep_modules(md, &deps), keep = { 0 };

	for (size_t i = 0; i < names.n; i++) {
		if (k < 3 && i % 3 != k)
			continue;
		if (!strv_contains(&keep, names.v[i]))
			CHECK(strv_push(&keep, names.v[i]) == 0);
		for (size_t d = 0; d < deps[i].n; d++)
			if (!strv_contains(&keep, deps[i].v[d]))
				CHECK(strv_push(&keep, deps[i].v[d]) == 0);
	}
	for (size_t i = 0; i < names.n; i++)
		strv_done(&deps[i]);
	free(deps);
	strv_done(&names);
	if (!keep.v)
		CHECK(strv_push(&keep, "no-such-module") == 0);
	return keep;
}

/* What index_search_wild() (lib/index.c) gives for @key in @path, the values in
 * order, blank-separated; with @keep, only the kept ones. */
static char *search(const char *path, const char *key, const char *const *keep)
{
	struct index_values vals = { 0 };
	struct index_file f;
	const char *why = NULL;
	struct sbuf b = { 0 };

	ck_assert_int_eq(index_open(path, &f, &why), 0);
	ck_assert_msg(index_search_wild(&f, key, INDEX_ORDER_MMAP, &vals, &why) == 0,
		      "%s: %s", path, why);
	for (size_t i = 0; i < vals.n; i++)
		if (!keep || keep_names((void *)keep, vals.v[i].value))
			sbuf_word(&b, vals.v[i].value);
	index_values_done(&vals);
	index_close(&f);
	return sbuf_take(&b);
}

/* index_dump() of @path without the priorities (renumbered among the kept modules),
 * the entries whose key (@by_key) or value is kept (@keep NULL: all). */
static char *dump_kept(const char *path, const char *const *keep, bool by_key)
{
	char *d = index_dump(path), *save = NULL;
	struct sbuf b = { 0 };

	for (char *l = strtok_r(d, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *t1 = strchr(l, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;

		ck_assert_ptr_nonnull(t2);
		*t1 = '\0';
		if (!keep || keep_names((void *)keep, by_key ? l : t2 + 1))
			sbuf_addf(&b, "%s\t%s\n", l, t2 + 1);
	}
	free(d);
	return sbuf_take(&b);
}

/* The dependencies of a modules.dep.bin value "PATH: DEP...", sorted, after PATH. */
static char *dep_set(const char *value)
{
	char *copy = strdup(value), *colon, *save = NULL;
	struct strv v = { 0 };
	struct sbuf b = { 0 };

	ck_assert_ptr_nonnull(copy);
	colon = strchr(copy, ':');
	ck_assert_ptr_nonnull(colon);
	*colon = '\0';
	sbuf_add(&b, copy);
	sbuf_add(&b, ":");
	for (char *w = strtok_r(colon + 1, " ", &save); w; w = strtok_r(NULL, " ", &save))
		CHECK(strv_push(&v, w) == 0);
	strv_sort_uniq(&v);
	for (size_t i = 0; i < v.n; i++)
		sbuf_addf(&b, " %s", v.v[i]);
	strv_done(&v);
	free(copy);
	return sbuf_take(&b);
}

/* The trimmed indexes in @out against the tree's in @md, for the modules @keep:
 * the same entries, the same answers through lib/index.c. Returns the number of keys
 * compared. */
static unsigned int compare_trimmed(const char *md, const char *out,
				    const char *const *keep)
{
	struct strv all = dep_modules(md, NULL);
	unsigned int compared = 0;

	for (size_t b = 0; b < ARRAY_SIZE(bins); b++) {
		char *tp = xasprintf("%s/%s", md, bins[b]);
		char *op = xasprintf("%s/%s", out, bins[b]);
		bool dep = b == 0, builtin = b >= 3;
		char *want = dump_kept(tp, builtin ? NULL : keep, dep);
		char *got = dump_kept(op, NULL, false), *d, *save = NULL;

		ck_assert_msg(streq(want, got), "%s:\n%s\ntree's:\n%s", op, got, want);
		free(want);
		free(got);
		/* modules.dep.bin: each kept module's value, none for the others */
		for (size_t i = 0; dep && i < all.n; i++) {
			char *tv = lookup(tp, all.v[i]), *ov = lookup(op, all.v[i]);

			if (keep_names((void *)keep, all.v[i]))
				ck_assert_msg(tv && ov && streq(tv, ov),
					      "%s: %s: %s != %s", op, all.v[i], ov, tv);
			else
				ck_assert_msg(!ov, "%s: %s not kept, found", op,
					      all.v[i]);
			compared++;
			free(tv);
			free(ov);
		}
		/* the others: every key of the tree's, searched as libkmod searches */
		d = dep ? NULL : index_dump(tp);
		for (char *l = d ? strtok_r(d, "\n", &save) : NULL; l;
		     l = strtok_r(NULL, "\n", &save)) {
			char *wv, *gv;

			*strchr(l, '\t') = '\0';
			wv = search(tp, l, builtin ? NULL : keep);
			gv = search(op, l, NULL);
			ck_assert_msg(streq(wv, gv), "%s: '%s': '%s', tree's '%s'", op, l,
				      gv, wv);
			compared++;
			free(wv);
			free(gv);
		}
		free(d);
		free(tp);
		free(op);
	}
	strv_done(&all);
	return compared;
}

/* depmod (the host's, or with @trixie kmod 34's) run on a copy of the tree of @md
 * (fixture @name of @base) holding only the modules @keep: each kept module has the
 * dependencies of its line in @out's modules.dep.bin, maybe in another order, in the
 * layout of that depmod. Returns the number of lines in another order. */
static unsigned int compare_depmod_rerun(const char *base, const char *name,
					 const char *md, const char *out,
					 const char *const *keep, const char *trixie)
{
	struct strv all = dep_modules(md, NULL);
	char *copymd, *copy = copy_fixture_in(base, name, &copymd), *dp, *op;
	unsigned int reordered = 0;

	prune_copy(copymd, keep);
	run_depmod(trixie, copy, copymd);
	dp = xasprintf("%s/modules.dep.bin", copymd);
	op = xasprintf("%s/modules.dep.bin", out);
	assert_layout(dp, layouts[trixie != NULL]);
	for (size_t i = 0; i < all.n; i++) {
		char *dv = lookup(dp, all.v[i]), *ov = lookup(op, all.v[i]), *ds, *os;

		if (!keep_names((void *)keep, all.v[i])) {
			ck_assert_ptr_null(dv);
			continue;
		}
		ck_assert_msg(dv && ov, "%s: %s missing", dp, all.v[i]);
		ds = dep_set(dv);
		os = dep_set(ov);
		ck_assert_msg(streq(ds, os), "%s: depmod '%s', trimmed '%s'", all.v[i],
			      dv, ov);
		reordered += !streq(dv, ov);
		free(ds);
		free(os);
		free(dv);
		free(ov);
	}
	free(dp);
	free(op);
	rm_rf(copy);
	free(copy);
	free(copymd);
	strv_done(&all);
	return reordered;
}

/*
 * For subsets of each fixture tree (closed under hard dependencies), the trimmed
 * indexes in the tree's layout (modset_get_index_layout(), as src/image.c takes it):
 * - every kept module has the tree's modules.dep.bin value (its dependencies in the
 *   tree's order), the others none; every alias and symbol key gives the tree's
 *   answer restricted to the kept modules, in the same order; the builtin indexes
 *   are the tree's;
 * - depmod rerun on a copy holding only the kept modules gives each kept module the
 *   same set of dependencies (the order may differ), in its own version's layout.
 * Loop: tree (depmod 30's $FIXTURES, depmod 34's $FIXTURES34) x depmod rerun (the
 * host's 30, kmod 34 in $TRIXIE) x fixture.
 */
START_TEST(trimmed_same_answers)
{
	const char *name = fixtures[_i % ARRAY_SIZE(fixtures)];
	int combo = _i / (int)ARRAY_SIZE(fixtures), set = combo & 1, rerun34 = combo >> 1;
	const char *base = fixtures_dir(), *trixie = NULL;
	char *md, err[ERRLEN];
	enum modset_index_layout layout;
	unsigned int compared = 0, reordered = 0;

	if (set || rerun34) {
		const char *fx34 = fixtures34_dir("trimmed answers, depmod 34");

		if (!fx34)
			return;
		base = set ? fx34 : base;
		trixie = rerun34 ? trixie_root() : NULL;
	}
	md = fixture_moddir_in(base, name);
	layout = tree_layout(md);
	ck_assert_int_eq(layout, layouts[set]);
	for (size_t k = 0; k < 4; k++) {
		struct strv keep = keep_closure(md, k);
		const char *const *kv = (const char *const *)keep.v;
		char *out = xasprintf("%s/trim-%zu", tmp, k);
		struct kmod_files files;
		int r = trim(md, keep_names, keep.v, false, layout, &files, err);

		ck_assert_msg(r == 0, "%s", err);
		for (size_t i = 0; i < files.n; i++) {
			const struct kmod_file *f = &files.v[i];
			char *p = write_bytes(out, f->name, f->data, f->len);

			if (is_bin(f->name))
				assert_layout(p, layout);
			free(p);
		}
		kmod_files_done(&files);
		compared += compare_trimmed(md, out, kv);
		reordered += compare_depmod_rerun(base, name, md, out, kv, trixie);
		rm_rf(out);
		free(out);
		strv_done(&keep);
	}
	ck_assert_uint_gt(compared, 0);
	if (reordered)
		fprintf(stderr, "%s (%s tree, depmod %d rerun): %u dependency lines in "
				"another order\n",
			name, layout_name(layout), trixie ? 34 : 30, reordered);
	free(md);
}
END_TEST

/* Paths leave the tree: refused. Decompressed paths: suffix dropped. */
START_TEST(trim_errors_and_decompress)
{
	char *md = xasprintf("%s/lib/modules/1.0", tmp), err[ERRLEN];
	struct kmod_files files;
	const struct kmod_file *dep = NULL;

	mkdir_p(md);
	free(write_text(md, "modules.dep", "kernel/a.ko.zst: kernel/b.ko.xz\nkernel/b.ko.xz:\n"));
	ck_assert_int_eq(trim(md, NULL, NULL, true, MODSET_INDEX_POSTORDER, &files, err), 0);
	for (size_t i = 0; i < files.n; i++)
		if (streq(files.v[i].name, "modules.dep"))
			dep = &files.v[i];
	ck_assert_ptr_nonnull(dep);
	ck_assert_uint_eq(dep->len, strlen("kernel/a.ko: kernel/b.ko\nkernel/b.ko:\n"));
	ck_assert_mem_eq(dep->data, "kernel/a.ko: kernel/b.ko\nkernel/b.ko:\n", dep->len);
	kmod_files_done(&files);

	free(write_text(md, "modules.dep", "kernel/a.ko: ../../x/b.ko\n../../x/b.ko:\n"));
	ck_assert_int_eq(trim(md, NULL, NULL, false, MODSET_INDEX_POSTORDER, &files, err),
			 -EXDEV);
	ck_assert_msg(strstr(err, "outside the tree: ../../x/b.ko"), "%s", err);
	ck_assert_uint_eq(files.n, 0);

	free(write_text(md, "modules.dep", "/abs/a.ko:\n"));
	ck_assert_int_eq(trim(md, NULL, NULL, false, MODSET_INDEX_POSTORDER, &files, err),
			 -EXDEV);

	{
		char *p = xasprintf("%s/modules.dep", md);

		ck_assert_int_eq(unlink(p), 0);
		free(p);
	}
	ck_assert_int_eq(trim(md, NULL, NULL, false, MODSET_INDEX_POSTORDER, &files, err),
			 -ENOENT);
	free(md);
}
END_TEST

static const struct kmod_file *find_file(const struct kmod_files *files, const char *name)
{
	for (size_t i = 0; i < files->n; i++)
		if (streq(files->v[i].name, name))
			return &files->v[i];
	return NULL;
}

/*
 * A NUL byte: refused, naming the file and line, in the files whose lines become
 * .bin keys or values (modules.dep, .alias, .symbols, .order, .builtin); in
 * modules.softdep (read by libkmod as C strings) the line is read up to it and kept
 * whole, and never swallows the lines after it.
 */
START_TEST(trim_nul_byte)
{
	static const char *const refused[] = { "modules.dep", "modules.alias",
					       "modules.symbols", "modules.order",
					       "modules.builtin" };
	static const char dep[] = "kernel/a.ko:\nkernel/b.ko: kernel/a.ko\n";
	static const char nul[] = "kernel/a.ko:\n"
				  "kernel/b.ko:\0 kernel/a.ko\n"
				  "kernel/c.ko:\n";
	static const char soft[] = "softdep a\0junk pre: b\n"
				   "softdep c pre: a\n"
				   "softdep b post: a\n";
	char *md = xasprintf("%s/lib/modules/1.0", tmp), err[ERRLEN], *want;
	struct kmod_files files;
	const struct kmod_file *f;

	mkdir_p(md);
	free(write_bytes(md, "modules.dep", nul, sizeof(nul) - 1));
	ck_assert_int_eq(trim(md, NULL, NULL, false, MODSET_INDEX_POSTORDER, &files, err),
			 -EBADMSG);
	want = xasprintf("%s/modules.dep:2: NUL byte", md);
	ck_assert_str_eq(err, want);
	free(want);
	ck_assert_uint_eq(files.n, 0);
	ck_assert_ptr_null(files.v);

	free(write_text(md, "modules.dep", dep));
	for (size_t i = 1; i < ARRAY_SIZE(refused); i++) {
		char *p = xasprintf("%s/%s", md, refused[i]);

		free(write_bytes(md, refused[i], "x\n\n\0y\n", 6));
		ck_assert_int_eq(trim(md, NULL, NULL, false, MODSET_INDEX_POSTORDER, &files, err),
				 -EBADMSG);
		want = xasprintf("%s:3: NUL byte", p);
		ck_assert_str_eq(err, want);
		free(want);
		ck_assert_int_eq(unlink(p), 0);
		free(p);
	}

	free(write_bytes(md, "modules.softdep", soft, sizeof(soft) - 1));
	ck_assert_int_eq(trim(md, NULL, NULL, false, MODSET_INDEX_POSTORDER, &files, err),
			 0);
	f = find_file(&files, "modules.softdep");
	ck_assert_ptr_nonnull(f);
	/* module a's line whole, c's dropped (no such module), b's kept */
	ck_assert_uint_eq(f->len, strlen("softdep a") + 1 + strlen("junk pre: b\n") +
					  strlen("softdep b post: a\n"));
	ck_assert_mem_eq(f->data, "softdep a\0junk pre: b\nsoftdep b post: a\n", f->len);
	kmod_files_done(&files);
	free(md);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kmod-index");
	TCase *tc = tcase_new(s, "writer");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, empty_index);
	tcase_add_loop_test(tc, single_entry_layout, 0, 2);
	tcase_add_test(tc, bad_input);
	tcase_add_loop_test(tc, readback_lib, 0, 2);
	tcase_add_loop_test(tc, order_independent, 0, 2);
	tcase_add_test(tc, deep_trie);
	tcase_add_loop_test(tc, readback_libkmod, 0, 2);
	tc = tcase_new(s, "trees");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, fixture_bytes_identical, 0, 2 * ARRAY_SIZE(fixtures));
	tcase_add_loop_test(tc, trimmed_equals_depmod, 0, 2);
	tcase_add_loop_test(tc, trimmed_same_answers, 0, 4 * ARRAY_SIZE(fixtures));
	tcase_add_test(tc, trim_errors_and_decompress);
	tcase_add_test(tc, trim_nul_byte);
	return run_suite(s);
}
