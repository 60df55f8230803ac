/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * src/kmod-index.c: the native writer of kmod indexes and the trimmed index files.
 * - what it writes reads back through lib/index.c and through libkmod itself
 *   (kmod_new on a temporary tree, lookups, dependencies, wildcard aliases);
 * - kept whole, every fixture tree's .bin files come out byte for byte as depmod
 *   wrote them, and so do the text files;
 * - trimmed, the files equal what the real depmod writes for a copy of the tree
 *   that holds only the kept modules.
 */
#include <libkmod.h>

#include "check-common.h"
#include "../src/kmod-index.h" /* not -Isrc: src/check.h would hide <check.h> */

static char *tmp;

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

static char *write_index(struct kindex *idx, const char *dir, const char *name)
{
	unsigned char *data;
	size_t len;
	char *path;

	ck_assert_int_eq(kindex_write(idx, MODSET_INDEX_POSTORDER, &data, &len), 0);
	path = write_bytes(dir, name, data, len);
	free(data);
	return path;
}

#define ERRLEN 512

/* kmod_trim_indexes() with an error buffer of ERRLEN bytes. */
static int trim(const char *md, kmod_keep_fn keep, void *data, bool decompress,
		enum modset_index_layout layout, struct kmod_files *files, char *err)
{
	return kmod_trim_indexes(md, keep, data, decompress, layout, files, err, ERRLEN);
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
	/* tests/cli/lib.sh's index1: one root node with prefix and value */
	struct kindex *idx = kindex_new();
	static const unsigned char want[] = { 0xb0, 0x07, 0xf4, 0x57, 0, 2, 0, 1,
					      0x20, 0, 0, 0x19, /* root: children only */
					      'b', 'c', 0,	/* child 'a' first: prefix "bc" */
					      0, 0, 0, 1, 0, 0, 0, 7, 'v', 0, /* one value */
					      'a', 'a', 0xc0, 0, 0, 0x0c /* the root at 0x19 */ };
	unsigned char *data;
	size_t len;

	ck_assert_int_eq(kindex_add(idx, "abc", "v", 7), 0);
	ck_assert_int_eq(kindex_write(idx, MODSET_INDEX_POSTORDER, &data, &len), 0);
	ck_assert_uint_eq(len, sizeof(want));
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
	path = write_index(idx, tmp, "t.bin");
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
	ck_assert_int_eq(kindex_write(a, MODSET_INDEX_POSTORDER, &d1, &l1), 0);
	ck_assert_int_eq(kindex_write(b, MODSET_INDEX_POSTORDER, &d2, &l2), 0);
	ck_assert_uint_eq(l1, l2);
	ck_assert_mem_eq(d1, d2, l1);
	free(d1);
	free(d2);
	kindex_free(a);
	kindex_free(b);
}
END_TEST

/* libkmod reads our modules.dep.bin / modules.alias.bin / modules.symbols.bin /
 * modules.builtin.bin: lookups, dependencies in order, wildcard aliases with
 * several providers, builtins. */
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
	free(write_index(dep, md, "modules.dep.bin"));
	free(write_index(alias, md, "modules.alias.bin"));
	free(write_index(sym, md, "modules.symbols.bin"));
	free(write_index(bi, md, "modules.builtin.bin"));

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

/* Kept whole, every file is byte-identical to what depmod (and the fixture's
 * modules_install stand-in) wrote. */
START_TEST(fixture_bytes_identical)
{
	const char *name = fixtures[_i];
	char *md = fixture_moddir(name), err[ERRLEN];
	struct kmod_files files;
	bool have_bin[5] = { 0 };
	static const char *const bins[] = { "modules.dep.bin", "modules.alias.bin",
					    "modules.symbols.bin", "modules.builtin.bin",
					    "modules.builtin.alias.bin" };

	ck_assert_msg(trim(md, NULL, NULL, false, MODSET_INDEX_POSTORDER, &files, err) == 0,
		      "%s", err);
	for (size_t i = 0; i < files.n; i++) {
		assert_same_file(md, &files.v[i]);
		for (size_t k = 0; k < ARRAY_SIZE(bins); k++)
			if (streq(files.v[i].name, bins[k]))
				have_bin[k] = true;
	}
	for (size_t k = 0; k < ARRAY_SIZE(bins); k++)
		ck_assert_msg(have_bin[k], "%s: %s not written", name, bins[k]);
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

/* Trimmed: the same bytes as the real depmod on a tree holding only the kept
 * modules (its builtin files whole). modules.symbols is compared as a sorted set:
 * depmod writes it in hash order. */
START_TEST(trimmed_equals_depmod)
{
	static const char *const keep[] = { "chain1", "chain2", "chain3",	 "chain_4",
					    "dia_base", "dia_left", "dia_right", "dia_top",
					    "fwdev", "multi_exp", "use_two", NULL };
	char *md = fixture_moddir("hard"), *copy, *copymd, *cmd, err[ERRLEN];
	struct kmod_files files;
	FILE *p;
	char *line = NULL;
	size_t alloc = 0;

	copy = copy_fixture("hard", &copymd);
	ck_assert_msg(trim(md, keep_names, (void *)keep, false, MODSET_INDEX_POSTORDER, &files,
				   err) == 0,
		      "%s", err);
	/* remove every module that is not kept, then run depmod on the copy */
	cmd = xasprintf("cd '%s' && find kernel -name '*.ko*'", copymd);
	p = popen(cmd, "re");
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
	cmd = xasprintf("%s/.depmod.d", copy);
	mkdir_p(cmd);
	free(cmd);
	cmd = xasprintf("depmod -b '%s' -C '%s/.depmod.d' %s", copy, copy,
			strrchr(copymd, '/') + 1);
	ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
	free(cmd);
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
	tcase_add_test(tc, single_entry_layout);
	tcase_add_test(tc, bad_input);
	tcase_add_test(tc, readback_lib);
	tcase_add_test(tc, order_independent);
	tcase_add_test(tc, readback_libkmod);
	tc = tcase_new(s, "trees");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, fixture_bytes_identical, 0, ARRAY_SIZE(fixtures));
	tcase_add_test(tc, trimmed_equals_depmod);
	tcase_add_test(tc, trim_errors_and_decompress);
	tcase_add_test(tc, trim_nul_byte);
	return run_suite(s);
}
