/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/lookup.c, through modset_resolve(): roots given as module names, aliases,
 * module paths and "=DIR"; builtins; index entries that point outside the tree.
 * Root sets are checked with MODSET_RESOLVE_NO_SOFT | NO_WEAK where only the lookup
 * matters, so that the expected sets stay small.
 */
#include "check-common.h"

#define ONLY_HARD (MODSET_RESOLVE_NO_SOFT | MODSET_RESOLVE_NO_WEAK)
#define COMPAT MODSET_RESOLVE_KMOD_COMPAT

static char *view(const char *fixture, const char *roots, unsigned int flags)
{
	return FIXTURE_VIEW(set_names, fixture, roots, flags);
}

/* The roots' reasons only: modules that are roots, sorted. */
static char *roots_of(const struct modset_set *set)
{
	struct sbuf b = { 0 };

	for (size_t i = 0; i < modset_set_count(set); i++) {
		const struct modset_module *m = modset_set_get(set, i);
		enum modset_edge e;

		for (size_t k = 0; k < modset_module_get_reason_count(m); k++)
			if (modset_module_get_reason(m, k, &e, NULL, NULL) == 0 &&
			    e == MODSET_EDGE_ROOT)
				sbuf_word(&b, modset_module_get_name(m));
	}
	return sbuf_take(&b);
}

static char *roots_view(const char *fixture, const char *roots, unsigned int flags)
{
	return FIXTURE_VIEW(roots_of, fixture, roots, flags);
}

static char *missing_view(const char *fixture, const char *roots, unsigned int flags)
{
	return FIXTURE_VIEW(set_missing, fixture, roots, flags);
}

/* ---- names ---- */

START_TEST(root_names)
{
	ck_assert_str_eq_free(view("hard", "chain3", 0), "chain1 chain2 chain3");
	/* '-' and '_' are the same character in module names */
	ck_assert_str_eq_free(view("hard", "chain-4", 0), "chain1 chain2 chain3 chain_4");
	ck_assert_str_eq_free(view("hard", "chain_4", 0), "chain1 chain2 chain3 chain_4");
	ck_assert_str_eq_free(view("hard", "chain-5", 0),
			      "chain1 chain2 chain3 chain_4 chain_5");
	ck_assert_str_eq_free(view("hard", "use_two", 0), "multi_exp use_two");
	ck_assert_str_eq_free(view("hard", "dia_top", 0),
			      "chain1 chain2 chain3 dia_base dia_left dia_right dia_top");
	/* several roots, shared deps once */
	ck_assert_str_eq_free(view("hard", "use_one use-two use_all", 0),
			      "multi_exp use_all use_one use_two use_two_x");
	/* names are case-sensitive */
	ck_assert_str_eq_free(view("hard", "CHAIN1", 0), "");
	ck_assert_str_eq_free(missing_view("hard", "CHAIN1", 0), "CHAIN1/root/-");
}
END_TEST

START_TEST(root_names_missing)
{
	ck_assert_str_eq_free(view("hard", "nothing chain1 also_nothing", 0), "chain1");
	ck_assert_str_eq_free(missing_view("hard", "nothing chain1 also_nothing", 0),
			      "also_nothing/root/- nothing/root/-");
	/* the missing name is recorded as written */
	ck_assert_str_eq_free(missing_view("hard", "no-such-mod", 0), "no-such-mod/root/-");
}
END_TEST

START_TEST(root_twice)
{
	struct modset_ctx *ctx = fixture_ctx("hard");
	struct modset_set *set = resolve_ok(ctx, "chain2 chain-2 chain2 kernel/lib/chain2.ko.zst",
					    0);

	ck_assert_str_eq_free(set_names(set), "chain1 chain2");
	ck_assert_str_eq_free(set_reasons(set, "chain2"), "root:-");
	ck_assert_str_eq_free(set_order(set), "chain1 chain2");
	modset_set_unref(set);
	modset_unref(ctx);
}
END_TEST

/* ---- aliases ---- */

START_TEST(root_alias_several_providers)
{
	ck_assert_str_eq_free(roots_view("soft", "crc32c", ONLY_HARD),
			      "crc32c_generic crc32c_intel");
	ck_assert_str_eq_free(view("soft", "crypto-crc32c", ONLY_HARD),
			      "crc32c_generic crc32c_intel crypto_hash");
	ck_assert_str_eq_free(roots_view("soft", "crypto-crc32c-intel", ONLY_HARD),
			      "crc32c_intel");
	/* a name that is also an alias: the module of that name */
	ck_assert_str_eq_free(roots_view("soft", "crc32c-intel", ONLY_HARD), "crc32c_intel");
	ck_assert_str_eq_free(roots_view("weak", "crypto-wk", ONLY_HARD), "wk_prov1 wk_prov2");
	ck_assert_str_eq_free(roots_view("soft", "fs-btrfs", ONLY_HARD), "btrfs");
	ck_assert_str_eq_free(roots_view("soft", "char-major-10-234", ONLY_HARD), "btrfs");
	ck_assert_str_eq_free(roots_view("soft", "devname:btrfs-control", ONLY_HARD), "btrfs");
}
END_TEST

START_TEST(root_modalias_wildcards)
{
	/* modules.alias holds the pattern, the root is a device's modalias */
	ck_assert_str_eq_free(
		roots_view("hard", "pci:v00001234d00005678sv00001028sd00000C52bc03sc00i00",
			   ONLY_HARD),
		"fwdev");
	ck_assert_str_eq_free(
		roots_view("hard", "pci:v00001234d00009999sv00001028sd00000C52bc03sc00i00",
			   ONLY_HARD),
		"");
	ck_assert_str_eq_free(roots_view("builtin", "hid:b0018g0004v00001234p00005678",
					 ONLY_HARD),
			      "hid_multitouch");
}
END_TEST

START_TEST(root_builtins)
{
	struct modset_ctx *ctx = fixture_ctx("builtin");
	struct modset_set *set = resolve_ok(ctx, "ext4 hid-generic", ONLY_HARD);
	const struct modset_module *m = modset_set_find(set, "ext4");

	ck_assert_str_eq_free(set_names(set), "ext4 hid_generic");
	ck_assert_ptr_nonnull(m);
	ck_assert(modset_module_is_builtin(m));
	ck_assert(modset_module_is_loaded(m));
	ck_assert_ptr_null(modset_module_get_path(m));
	ck_assert_ptr_null(modset_module_get_relpath(m));
	ck_assert(modset_module_is_builtin(modset_set_find(set, "hid_generic")));
	/* builtins are never in the load order */
	ck_assert_uint_eq(modset_set_load_order_count(set), 0);
	ck_assert_uint_eq(modset_set_missing_count(set), 0);
	modset_set_unref(set);
	modset_unref(ctx);
}
END_TEST

START_TEST(root_builtin_aliases)
{
	/* aliases that only builtins provide (modules.builtin.modinfo) */
	ck_assert_str_eq_free(roots_view("builtin", "fs-ext4", ONLY_HARD), "ext4");
	ck_assert_str_eq_free(roots_view("builtin", "ext3", ONLY_HARD), "ext4");
	ck_assert_str_eq_free(roots_view("builtin", "sha256", ONLY_HARD), "sha256_generic");
	ck_assert_str_eq_free(roots_view("builtin", "crypto-sha256", ONLY_HARD),
			      "sha256_generic");
	ck_assert_str_eq_free(roots_view("builtin", "crypto-lz4-builtin", ONLY_HARD),
			      "lz4_compress");
	/* a pattern in a builtin's modinfo alias */
	ck_assert_str_eq_free(roots_view("builtin", "hid:b0003g0001v0000046Dp0000C077",
					 ONLY_HARD),
			      "hid_generic");
	/* a builtin alias that is also a loadable module's name: the module */
	ck_assert_str_eq_free(roots_view("builtin", "lz4", ONLY_HARD), "lz4");
}
END_TEST

START_TEST(root_alias_builtin_and_loadable)
{
	/* crc32c: two loadable providers and one builtin. Merged mode takes every
	 * provider; --kmod-compat what modprobe takes (modules.alias wins) */
	ck_assert_str_eq_free(roots_view("builtin", "crc32c", ONLY_HARD),
			      "crc32c_generic crc32c_intel crc32c_vpmsum");
	ck_assert_str_eq_free(roots_view("builtin", "crc32c", MODSET_RESOLVE_KMOD_COMPAT),
			      "crc32c_intel crc32c_vpmsum");
	ck_assert_str_eq_free(roots_view("builtin", "crypto-crc32c", MODSET_RESOLVE_KMOD_COMPAT),
			      "crc32c_intel crc32c_vpmsum");
	/* an alias only the builtin has */
	ck_assert_str_eq_free(roots_view("builtin", "crc32c-generic", ONLY_HARD),
			      "crc32c_generic");
}
END_TEST

START_TEST(root_config_alias)
{
	char *tmp = make_tempdir(), *md = fixture_moddir("hard");
	char *conf = write_text(tmp, "a.conf",
				"alias my-disk chain-4\n"
				"alias two plain\n"
				"alias two lonely\n"
				"alias pci:v00001234d00005678* plain\n");
	const char *paths[] = { conf, NULL };
	struct modset_ctx *ctx = modset_new(md, paths);
	struct modset_set *set;

	ctx_quiet(ctx);
	set = resolve_ok(ctx, "my-disk", ONLY_HARD);
	ck_assert_str_eq_free(roots_of(set), "chain_4");
	modset_set_unref(set);
	/* several lines for one alias: every module */
	set = resolve_ok(ctx, "two", ONLY_HARD);
	ck_assert_str_eq_free(roots_of(set), "lonely plain");
	modset_set_unref(set);
	/* a config alias hides the index (as in kmod) */
	set = resolve_ok(ctx, "pci:v00001234d00005678sv00001028sd00000C52bc03sc00i00",
			 ONLY_HARD);
	ck_assert_str_eq_free(roots_of(set), "plain");
	modset_set_unref(set);
	modset_unref(ctx);
	rm_rf(tmp);
	free(tmp);
	free(conf);
	free(md);
}
END_TEST

/* ---- paths ---- */

START_TEST(root_paths)
{
	char *md = fixture_moddir("hard");
	char *abs = xasprintf("%s/kernel/lib/deep/chain-4.ko.xz", md);
	char *dotdot = xasprintf("%s/kernel/net/../lib/chain3.ko", md);
	char *roots;

	ck_assert_str_eq_free(roots_view("hard", abs, ONLY_HARD), "chain_4");
	/* relative to the module directory */
	ck_assert_str_eq_free(roots_view("hard", "kernel/lib/chain2.ko.zst", ONLY_HARD),
			      "chain2");
	ck_assert_str_eq_free(roots_view("hard", "kernel/net/../lib/chain1.ko.xz", ONLY_HARD),
			      "chain1");
	ck_assert_str_eq_free(roots_view("hard", dotdot, ONLY_HARD), "chain3");
	/* several at once, mixed with names */
	roots = xasprintf("%s lonely kernel/drivers/misc/plain.ko.zst", abs);
	ck_assert_str_eq_free(roots_view("hard", roots, ONLY_HARD), "chain_4 lonely plain");
	free(roots);
	/* paths that name nothing are missing roots, as written */
	ck_assert_str_eq_free(missing_view("hard", "kernel/lib/nothing.ko", 0),
			      "kernel/lib/nothing.ko/root/-");
	ck_assert_str_eq_free(missing_view("hard", "chain1.ko", 0), "chain1.ko/root/-");
	free(dotdot);
	free(abs);
	free(md);
}
END_TEST

START_TEST(root_path_relative_to_cwd)
{
	char *md = fixture_moddir("hard"), *dir = xasprintf("%s/kernel/lib", md);
	char cwd[PATH_MAX];
	struct modset_ctx *ctx = fixture_ctx("hard");
	struct modset_set *set;

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir(dir), 0);
	set = resolve_ok(ctx, "./chain1.ko.xz", ONLY_HARD);
	ck_assert_int_eq(chdir(cwd), 0);
	ck_assert_str_eq_free(roots_of(set), "chain1");
	modset_set_unref(set);
	modset_unref(ctx);
	free(dir);
	free(md);
}
END_TEST

START_TEST(root_path_outside)
{
	char *other = fixture_moddir("soft"), *p = xasprintf("%s/kernel/crypto/ccm.ko", other);
	struct modset_ctx *ctx = fixture_ctx("hard");
	struct logcap lc;

	logcap_attach(&lc, ctx, LOG_ERR);
	/* a file of another tree */
	ck_assert_int_eq(resolve_err(ctx, p, 0), -EXDEV);
	ck_assert_log_has(&lc, p);
	/* any file outside */
	ck_assert_int_eq(resolve_err(ctx, "/etc/passwd", 0), -EXDEV);
	ck_assert_int_eq(resolve_err(ctx, "../../../../../../../etc/passwd", 0), -EXDEV);
	/* the module directory itself */
	ck_assert_int_eq(resolve_err(ctx, modset_get_moddir(ctx), 0), -EXDEV);
	modset_unref(ctx);
	logcap_done(&lc);
	free(p);
	free(other);
}
END_TEST

START_TEST(root_path_symlink_outside)
{
	char *md, *tmp = copy_fixture("hard", &md), *outside = xasprintf("%s/outside.ko", tmp);
	char *link = xasprintf("%s/kernel/evil.ko", md);
	char *inlink = xasprintf("%s/kernel/alias-of-chain1.ko", md);
	struct modset_ctx *ctx = modset_new(md, NULL);
	struct modset_set *set;

	free(write_text(outside, NULL, "not a module\n"));
	ck_assert_int_eq(symlink(outside, link), 0);
	ck_assert_int_eq(symlink("lib/chain1.ko.xz", inlink), 0);
	ctx_quiet(ctx);
	ck_assert_int_eq(resolve_err(ctx, "kernel/evil.ko", 0), -EXDEV);
	/* a link that stays inside the tree is followed */
	set = resolve_ok(ctx, "kernel/alias-of-chain1.ko", ONLY_HARD);
	ck_assert_str_eq_free(roots_of(set), "chain1");
	modset_set_unref(set);
	modset_unref(ctx);
	rm_rf(tmp);
	free(tmp);
	free(md);
	free(outside);
	free(link);
	free(inlink);
}
END_TEST

/* ---- =DIR ---- */

START_TEST(root_dirs)
{
	/* (sets are in strcmp order: "chain6" < "chain_4") */
	ck_assert_str_eq_free(roots_view("hard", "=kernel/lib/deep", ONLY_HARD),
			      "chain6 chain_4 chain_5");
	/* under kernel/, as dracut writes them */
	ck_assert_str_eq_free(roots_view("hard", "=lib/deep", ONLY_HARD),
			      "chain6 chain_4 chain_5");
	ck_assert_str_eq_free(roots_view("hard", "=/lib/deep/", ONLY_HARD),
			      "chain6 chain_4 chain_5");
	ck_assert_str_eq_free(roots_view("hard", "=drivers/dia", ONLY_HARD),
			      "dia_base dia_left dia_right dia_top");
	ck_assert_str_eq_free(view("hard", "=drivers/dia", ONLY_HARD),
			      "chain1 chain2 chain3 dia_base dia_left dia_right dia_top");
	/* subdirectories included */
	ck_assert_str_eq_free(roots_view("hard", "=net", ONLY_HARD),
			      "multi_exp use_all use_one use_two use_two_x");
	ck_assert_str_eq_free(roots_view("soft", "=fs/smb", ONLY_HARD), "cifs ksmbd");
	/* nothing there */
	ck_assert_str_eq_free(missing_view("hard", "=nothing/here", 0), "=nothing/here/root/-");
	/* a directory of builtins only has no module files */
	ck_assert_str_eq_free(missing_view("builtin", "=fs/ext4", 0), "=fs/ext4/root/-");
}
END_TEST

START_TEST(root_dir_whole_tree)
{
	struct modset_ctx *ctx = fixture_ctx("hard");
	struct modset_set *set = resolve_ok(ctx, "=", ONLY_HARD);
	char *md = fixture_moddir("hard");
	struct strv names = tree_module_names(md, false);

	/* every module of modules.dep, each once */
	ck_assert_uint_eq(modset_set_count(set), names.n);
	for (size_t i = 0; i < names.n; i++) {
		const struct modset_module *m = modset_set_find(set, names.v[i]);

		enum modset_edge e;
		const char *from = "x";

		ck_assert_msg(m, "%s missing", names.v[i]);
		/* a root (reasons sort the root first) */
		ck_assert_int_eq(modset_module_get_reason(m, 0, &e, &from, NULL), 0);
		ck_assert_int_eq(e, MODSET_EDGE_ROOT);
		ck_assert_ptr_null(from);
	}
	ck_assert_uint_eq(modset_set_load_order_count(set), names.n);
	strv_done(&names);
	modset_set_unref(set);
	modset_unref(ctx);
	free(md);
}
END_TEST

START_TEST(root_dir_outside)
{
	struct modset_ctx *ctx = fixture_ctx("hard");
	struct logcap lc;

	logcap_attach(&lc, ctx, LOG_ERR);
	ck_assert_int_eq(resolve_err(ctx, "=..", 0), -EXDEV);
	ck_assert_int_eq(resolve_err(ctx, "=../../..", 0), -EXDEV);
	ck_assert_int_eq(resolve_err(ctx, "=kernel/../../x", 0), -EXDEV);
	ck_assert_log_has(&lc, "outside");
	modset_unref(ctx);
	logcap_done(&lc);
}
END_TEST

START_TEST(root_dir_stray_builtin_file)
{
	/*
	 * LIB BUG (reported): a file under =DIR named like a builtin (here an empty
	 * kernel/fs/ext4/ext4.ko in the builtin tree, where ext4 is built in and not in
	 * modules.dep) is skipped as a root, but lookup_dir() has already added the
	 * builtin to the set: the root is reported missing while the set holds ext4
	 * with no reason at all, plus its softdep/weakdep targets (crc32c_*), which
	 * then go into the image. Every module of a set must have a reason.
	 */
	char *md, *tmp = copy_fixture("builtin", &md);
	struct modset_ctx *ctx = modset_new(md, NULL);
	struct modset_set *set;

	free(write_text(md, "kernel/fs/ext4/ext4.ko", ""));
	ctx_quiet(ctx);
	set = resolve_ok(ctx, "=fs/ext4", 0);
	ck_assert_str_eq_free(set_missing(set), "=fs/ext4/root/-");
	for (size_t i = 0; i < modset_set_count(set); i++)
		ck_assert_msg(modset_module_get_reason_count(modset_set_get(set, i)) > 0,
			      "LIB BUG: %s is in the set without a reason (set: %s)",
			      modset_module_get_name(modset_set_get(set, i)), set_names(set));
	ck_assert_str_eq_free(set_names(set), "");
	modset_set_unref(set);
	modset_unref(ctx);
	rm_rf(tmp);
	free(tmp);
	free(md);
}
END_TEST

/* ---- hand-made indexes ---- */

/* A tree whose modules.dep.bin is written by the test; module files are created
 * empty (libkmod only stats them). */
static char *handmade_tree(const struct index_entry *e, size_t n, const char *const *files,
			   char **moddir)
{
	char *tmp = make_tempdir();

	*moddir = xasprintf("%s/lib/modules/6.1.0-hand", tmp);
	free(index_write(*moddir, "modules.dep.bin", e, n));
	/* (with no configuration file at all, see config's no_config_files_at_all) */
	free(write_text(*moddir, "modules.softdep", "# none\n"));
	for (size_t i = 0; files[i]; i++)
		free(write_text(*moddir, files[i], ""));
	return tmp;
}

START_TEST(handmade_index_works)
{
	static const struct index_entry dep[] = {
		{ "a", "kernel/a.ko: kernel/b.ko" },
		{ "b", "kernel/b.ko:" },
		{ "ab", "kernel/sub/ab.ko: kernel/a.ko kernel/b.ko" },
	};
	static const char *const files[] = { "kernel/a.ko", "kernel/b.ko", "kernel/sub/ab.ko",
					     NULL };
	char *md, *tmp = handmade_tree(dep, ARRAY_SIZE(dep), files, &md);
	struct modset_ctx *ctx = modset_new(md, (const char *const[]){ NULL });
	struct modset_set *set;

	ctx_quiet(ctx);
	set = resolve_ok(ctx, "ab", ONLY_HARD);
	ck_assert_str_eq_free(set_names(set), "a ab b");
	ck_assert_str_eq_free(set_order(set), "b a ab");
	ck_assert_str_eq(modset_module_get_relpath(modset_set_find(set, "ab")),
			 "kernel/sub/ab.ko");
	modset_set_unref(set);
	modset_unref(ctx);
	rm_rf(tmp);
	free(tmp);
	free(md);
}
END_TEST

START_TEST(index_entry_outside_tree)
{
	static const struct index_entry dep[] = {
		{ "evil", "../../../outside/evil.ko:" },
		{ "abs", "/tmp/abs.ko:" },
		{ "good", "kernel/good.ko:" },
		{ "usesevil", "kernel/usesevil.ko: ../../../outside/evil.ko" },
	};
	static const char *const files[] = { "kernel/good.ko", "kernel/usesevil.ko", NULL };
	char *md, *tmp = handmade_tree(dep, ARRAY_SIZE(dep), files, &md);
	struct modset_ctx *ctx = modset_new(md, (const char *const[]){ NULL });
	struct modset_set *set;
	struct logcap lc;

	free(write_text(tmp, "outside/evil.ko", ""));
	logcap_attach(&lc, ctx, LOG_ERR);
	ck_assert_int_eq(resolve_err(ctx, "evil", ONLY_HARD), -EXDEV);
	ck_assert_log_has(&lc, "evil");
	ck_assert_int_eq(resolve_err(ctx, "abs", ONLY_HARD), -EXDEV);
	ck_assert_int_eq(resolve_err(ctx, "usesevil", ONLY_HARD), -EXDEV);
	set = resolve_ok(ctx, "good", ONLY_HARD);
	ck_assert_str_eq_free(set_names(set), "good");
	modset_set_unref(set);
	modset_unref(ctx);
	logcap_done(&lc);
	rm_rf(tmp);
	free(tmp);
	free(md);
}
END_TEST

START_TEST(hard_dep_not_indexed)
{
	/* modules.dep lists kernel/b.ko for a, the file is there, but b has no entry
	 * of its own: a missing hard item */
	static const struct index_entry dep[] = {
		{ "a", "kernel/a.ko: kernel/b.ko kernel/c.ko" },
		{ "c", "kernel/c.ko:" },
	};
	static const char *const files[] = { "kernel/a.ko", "kernel/b.ko", "kernel/c.ko", NULL };
	char *md, *tmp = handmade_tree(dep, ARRAY_SIZE(dep), files, &md);
	struct modset_ctx *ctx = modset_new(md, (const char *const[]){ NULL });
	struct modset_set *set;

	ctx_quiet(ctx);
	set = resolve_ok(ctx, "a", ONLY_HARD);
	ck_assert_str_eq_free(set_names(set), "a c");
	ck_assert_str_eq_free(set_missing(set), "b/hard/a");
	ck_assert_str_eq_free(set_order(set), "c a");
	modset_set_unref(set);
	modset_unref(ctx);
	rm_rf(tmp);
	free(tmp);
	free(md);
}
END_TEST

START_TEST(hard_dep_file_missing)
{
	/*
	 * LIB BUG (reported): a hard dependency listed in modules.dep whose file is
	 * absent (a partly installed or pruned tree). libkmod's
	 * kmod_module_get_dependencies() then fails to parse the whole dep line and
	 * returns no dependency at all, so resolving chain3 gives {chain3}: chain2 is
	 * neither in the set nor reported missing, and chain1 (present on disk) is
	 * silently dropped too, with modset_resolve() returning 0. Expected: either
	 * chain2 reported as a MODSET_MISSING_HARD item (with chain1 kept), or an
	 * error naming the file.
	 */
	char *md, *tmp = copy_fixture("hard", &md), *gone = xasprintf("%s/kernel/lib/chain2.ko.zst", md);
	struct modset_ctx *ctx = modset_new(md, NULL);
	struct modset_set *set = NULL;
	struct logcap lc;
	const char *roots[] = { "chain3", NULL };
	int r;

	ck_assert_int_eq(unlink(gone), 0);
	logcap_attach(&lc, ctx, LOG_ERR);
	r = modset_resolve(ctx, roots, ONLY_HARD, &set);
	if (r == 0) {
		char *names = set_names(set), *missing = set_missing(set);

		ck_assert_msg(streq(names, "chain1 chain3") && strstr(missing, "chain2/hard/chain3"),
			      "LIB BUG: a hard dep whose file is missing is dropped silently: "
			      "set \"%s\", missing \"%s\" (want \"chain1 chain3\" with "
			      "chain2/hard/chain3 missing, or an error)",
			      names, missing);
		free(names);
		free(missing);
		modset_set_unref(set);
	} else {
		ck_assert_log_has(&lc, "chain2");
	}
	modset_unref(ctx);
	logcap_done(&lc);
	rm_rf(tmp);
	free(tmp);
	free(gone);
	free(md);
}
END_TEST

/* ---- alias lookups on hand-made indexes: kmod's sources, in kmod's order ---- */

static const struct index_entry alias_dep[] = {
	{ "a", "kernel/a.ko:" },   { "b", "kernel/b.ko:" },   { "c", "kernel/c.ko:" },
	{ "p0", "kernel/p0.ko:" }, { "p1", "kernel/p1.ko:" }, { "p2", "kernel/p2.ko:" },
	{ "px", "kernel/px.ko:" }, { "s1", "kernel/s1.ko:" },
};

static const struct index_pentry alias_alias[] = {
	/* several providers: by priority */
	{ "fs_x", "p2", 2 },
	{ "fs_x", "p0", 0 },
	{ "fs_*", "p1", 1 },
	/* two values of one key, equal priorities: their order is the reader's */
	{ "same", "a", 0 },
	{ "same", "b", 0 },
	/* never asked for "symbol:" when modules.symbols.bin answers */
	{ "symbol:s1_fn", "px", 0 },
	{ "only_alias", "c", 0 },
	/* answers, with a module the tree does not have: the lookup stops there */
	{ "gone_alias", "nothere", 0 },
	{ "pci:v0000ABCDd*", "p1", 0 },
	{ "pci:v*d0000EF01*", "p2", 5 },
	{ "pci:v0000ABCDd0000EF0[01]*", "p0", 3 },
	/* an alias that is also a builtin's name (like "crc32" in Linux 6.1) */
	{ "bj", "c", 0 },
};

static const struct index_pentry alias_symbols[] = {
	{ "symbol:s1_fn", "s1", 0 },
};

static const struct index_entry alias_builtin[] = {
	{ "bi", "" },
	{ "bj", "" },
};

static const struct index_pentry alias_builtin_alias[] = {
	{ "crypto_b*", "bi", 0 },
	{ "gone_alias", "bj", 0 },
	{ "only_alias", "bj", 0 },
};

/* A tree with every index kmod's lookup reads, written by the test; module files
 * are created empty. */
static char *alias_tree(char **moddir)
{
	static const char *const files[] = {
		"kernel/a.ko",	"kernel/b.ko",	"kernel/c.ko",	"kernel/p0.ko",
		"kernel/p1.ko", "kernel/p2.ko", "kernel/px.ko", "kernel/s1.ko", NULL,
	};
	char *tmp = handmade_tree(alias_dep, ARRAY_SIZE(alias_dep), files, moddir);

	free(index_write_prio(*moddir, "modules.alias.bin", alias_alias,
			      ARRAY_SIZE(alias_alias)));
	free(index_write_prio(*moddir, "modules.symbols.bin", alias_symbols,
			      ARRAY_SIZE(alias_symbols)));
	free(index_write(*moddir, "modules.builtin.bin", alias_builtin,
			 ARRAY_SIZE(alias_builtin)));
	free(index_write_prio(*moddir, "modules.builtin.alias.bin", alias_builtin_alias,
			      ARRAY_SIZE(alias_builtin_alias)));
	return tmp;
}

/* The load order of @roots on the tree in @md (modules without deps: the order in
 * which the lookup found them), in --kmod-compat mode. */
static char *alias_order(const char *md, const char *roots)
{
	struct modset_ctx *ctx = modset_new(md, (const char *const[]){ NULL });
	struct modset_set *set;
	char *s;

	ctx_quiet(ctx);
	set = resolve_ok(ctx, roots, COMPAT);
	s = set_order(set);
	modset_set_unref(set);
	modset_unref(ctx);
	return s;
}

static char *alias_names(const char *md, const char *roots, unsigned int flags)
{
	struct modset_ctx *ctx = modset_new(md, (const char *const[]){ NULL });
	struct modset_set *set;
	char *s;

	ctx_quiet(ctx);
	set = resolve_ok(ctx, roots, flags);
	s = set_names(set);
	modset_set_unref(set);
	modset_unref(ctx);
	return s;
}

START_TEST(alias_sources_and_order)
{
	char *md, *tmp = alias_tree(&md);

	/* providers in priority order, '-' and '_' alike */
	ck_assert_str_eq_free(alias_order(md, "fs-x"), "p0 p1 p2");
	ck_assert_str_eq_free(alias_order(md, "fs_x"), "p0 p1 p2");
	ck_assert_str_eq_free(alias_order(md, "fs-y"), "p1");
	/* modaliases against patterns with '*', '?' and brackets */
	ck_assert_str_eq_free(alias_order(md, "pci:v0000ABCDd0000EF01sv0b"), "p1 p0 p2");
	ck_assert_str_eq_free(alias_order(md, "pci:v0000ABCDd0000EF02sv0b"), "p1");
	ck_assert_str_eq_free(alias_order(md, "pci:v00001111d0000EF01sv0b"), "p2");
	/* two values of one node, equal priorities: libkmod's mmap reader (every index
	 * there) gives them last first */
	ck_assert_str_eq_free(alias_order(md, "same"), "b a");
	/* "symbol:": modules.symbols.bin answers first */
	ck_assert_str_eq_free(alias_order(md, "symbol:s1_fn"), "s1");
	/* modules.alias.bin answers before modules.builtin.alias.bin */
	ck_assert_str_eq_free(alias_names(md, "only_alias", COMPAT), "c");
	/* ... even with a module the tree lacks: nothing then */
	ck_assert_str_eq_free(alias_names(md, "gone_alias", COMPAT), "");
	/* modules.builtin.alias.bin: a builtin */
	ck_assert_str_eq_free(alias_names(md, "crypto-bx", COMPAT), "bi");
	ck_assert_str_eq_free(alias_names(md, "crypto-bx", ONLY_HARD), "bi");
	/* a builtin's name that modules.alias.bin knows: the aliased modules, since
	 * kmod asks modules.builtin.bin after it (a loadable module's name comes
	 * first, see root_builtin_aliases) */
	ck_assert_str_eq_free(alias_names(md, "bj", COMPAT), "c");
	ck_assert_str_eq_free(alias_names(md, "bj", ONLY_HARD), "c");
	ck_assert_str_eq_free(alias_names(md, "bi", ONLY_HARD), "bi");
	/* nothing anywhere */
	ck_assert_str_eq_free(alias_names(md, "crypto-x", ONLY_HARD), "");
	rm_rf(tmp);
	free(tmp);
	free(md);
}
END_TEST

START_TEST(alias_file_reader_order)
{
	char *md, *tmp = alias_tree(&md), *p = xasprintf("%s/modules.builtin.bin", md);

	/* without modules.builtin.bin libkmod cannot map every index and reads the
	 * files: a node's values of equal priority then come in file order */
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_str_eq_free(alias_order(md, "same"), "a b");
	ck_assert_str_eq_free(alias_order(md, "fs-x"), "p0 p1 p2");
	rm_rf(tmp);
	free(tmp);
	free(p);
	free(md);
}
END_TEST

START_TEST(alias_missing_indexes)
{
	static const char *const optional[] = {
		"modules.alias.bin",
		"modules.symbols.bin",
		"modules.builtin.bin",
		"modules.builtin.alias.bin",
	};
	char *md, *tmp = alias_tree(&md);
	const char *roots;

	/* a missing index answers nothing; the others still do */
	for (size_t i = 0; i < ARRAY_SIZE(optional); i++) {
		char *p = xasprintf("%s/%s", md, optional[i]);

		ck_assert_int_eq(unlink(p), 0);
		free(p);
	}
	roots = "fs-x symbol:s1_fn crypto-bx a s1";
	ck_assert_str_eq_free(alias_names(md, roots, ONLY_HARD), "a s1");
	rm_rf(tmp);
	free(tmp);
	free(md);
}
END_TEST

START_TEST(alias_config_stops_lookup)
{
	char *md, *tmp = alias_tree(&md);
	char *conf = write_text(tmp, "a.conf", "alias fs-x nothere\nalias fs-z p2\n");
	const char *paths[] = { conf, NULL };
	struct modset_ctx *ctx = modset_new(md, paths);
	struct modset_set *set;

	ctx_quiet(ctx);
	/* a modprobe.d alias that matches answers, even with a module that does not
	 * exist: the indexes are not asked (kmod_lookup_alias_from_config) */
	set = resolve_ok(ctx, "fs-x", COMPAT);
	ck_assert_str_eq_free(set_names(set), "");
	modset_set_unref(set);
	set = resolve_ok(ctx, "fs-z", COMPAT);
	ck_assert_str_eq_free(set_names(set), "p2");
	modset_set_unref(set);
	modset_unref(ctx);
	rm_rf(tmp);
	free(tmp);
	free(conf);
	free(md);
}
END_TEST

START_TEST(alias_invalid)
{
	char *md, *tmp = alias_tree(&md);
	struct modset_ctx *ctx = modset_new(md, (const char *const[]){ NULL });
	struct modset_set *set;
	struct logcap lc;

	/* kmod rejects a ']' outside brackets and a '[' never closed: nothing found,
	 * no error (a missing root) */
	logcap_attach(&lc, ctx, LOG_ERR);
	set = resolve_ok(ctx, "fs-x] [fs-x a]", ONLY_HARD);
	ck_assert_str_eq_free(set_names(set), "");
	ck_assert_str_eq_free(set_missing(set), "[fs-x/root/- a]/root/- fs-x]/root/-");
	ck_assert_uint_eq(lc.count, 0);
	modset_set_unref(set);
	modset_unref(ctx);
	logcap_done(&lc);
	rm_rf(tmp);
	free(tmp);
	free(md);
}
END_TEST

START_TEST(alias_name_too_long)
{
	/* libkmod makes "NAME\ALIAS" in a PATH_MAX buffer: when it does not fit, the
	 * lookup fails as a whole (logged), and so does ours */
	char *md, *tmp = alias_tree(&md);
	char *longname = malloc(4001), *longalias = malloc(201);
	struct index_pentry e[2];
	struct modset_ctx *ctx;
	struct modset_set *set;
	struct logcap lc;

	memset(longname, 'n', 4000);
	longname[4000] = '\0';
	memset(longalias, 'l', 200);
	longalias[200] = '\0';
	e[0] = (struct index_pentry){ "l*", longname, 0 };
	e[1] = (struct index_pentry){ "l*", "a", 1 };
	free(index_write_prio(md, "modules.alias.bin", e, 2));
	ctx = modset_new(md, (const char *const[]){ NULL });
	logcap_attach(&lc, ctx, LOG_ERR);
	set = resolve_ok(ctx, longalias, COMPAT);
	ck_assert_str_eq_free(set_names(set), "");
	ck_assert_log_has(&lc, "File name too long");
	modset_set_unref(set);
	/* a short alias fits: "a" (the long name is no module) */
	set = resolve_ok(ctx, "lx", COMPAT);
	ck_assert_str_eq_free(set_names(set), "a");
	modset_set_unref(set);
	modset_unref(ctx);
	logcap_done(&lc);
	rm_rf(tmp);
	free(tmp);
	free(longname);
	free(longalias);
	free(md);
}
END_TEST

START_TEST(alias_index_corrupt)
{
	/* a loop met through a '*' child: an error naming the file, never a hang. A
	 * children-first file (the root last, at 18), so that only a search meets the
	 * loop: a pre-order file's last path is checked when it is opened. */
	static const unsigned char loop[] = {
		0xB0, 0x07, 0xF4, 0x57, 0, 2, 0, 1, 0x20, 0, 0, 18, /* root at 18 */
		'a', 'a', 0x20, 0, 0, 18,			   /* 12: 'a' -> 18 */
		'*', '*', 0x20, 0, 0, 12,			   /* 18: '*' -> 12 */
	};
	char *md, *tmp = alias_tree(&md), *p = xasprintf("%s/modules.alias.bin", md);
	struct modset_ctx *ctx = modset_new(md, (const char *const[]){ NULL });
	struct logcap lc;

	free(write_bytes(md, "modules.alias.bin", loop, sizeof(loop)));
	logcap_attach(&lc, ctx, LOG_ERR);
	ck_assert_int_eq(resolve_err(ctx, "fs-x", ONLY_HARD), -EBADMSG);
	ck_assert_log_has(&lc, p);
	ck_assert_log_has(&lc, "loop");
	/* a module name never searches it */
	ck_assert_str_eq_free(alias_names(md, "a", ONLY_HARD), "a");
	modset_unref(ctx);
	logcap_done(&lc);
	rm_rf(tmp);
	free(tmp);
	free(p);
	free(md);
}
END_TEST

START_TEST(alias_normalize_like_kmod)
{
	char *big = malloc(5003), *s = NULL;

#define NORM(in, out)                                                                    \
	do {                                                                             \
		ck_assert_int_eq(normalize_alias(in, &s), 0);                            \
		ck_assert_str_eq(s, out);                                                \
		free(s);                                                                 \
	} while (0)
	NORM("fs-vfat", "fs_vfat");
	NORM("pci:v*d[0-9]-x", "pci:v*d[0-9]_x");
	NORM("a[b-c]d-e[-]", "a[b-c]d_e[-]");
	NORM("", "");
	ck_assert_int_eq(normalize_alias("a]", &s), -EINVAL);
	ck_assert_int_eq(normalize_alias("[a", &s), -EINVAL);
	ck_assert_int_eq(normalize_alias("x[a-", &s), -EINVAL);
	/* at most PATH_MAX - 1 characters... */
	memset(big, 'a', 5000);
	big[5000] = '\0';
	ck_assert_int_eq(normalize_alias(big, &s), 0);
	ck_assert_uint_eq(strlen(s), PATH_MAX - 1);
	free(s);
	/* ... but a [...] crossing the limit is kept whole */
	big[0] = '[';
	big[5000] = ']';
	big[5001] = 'b';
	big[5002] = '\0';
	ck_assert_int_eq(normalize_alias(big, &s), 0);
	ck_assert_uint_eq(strlen(s), 5001);
	free(s);
#undef NORM
	free(big);
}
END_TEST

static Suite *lookup_suite(void)
{
	Suite *s = suite_create("lookup");
	TCase *tc;

	tc = tcase_new(s, "names");
	tcase_add_test(tc, root_names);
	tcase_add_test(tc, root_names_missing);
	tcase_add_test(tc, root_twice);

	tc = tcase_new(s, "aliases");
	tcase_add_test(tc, root_alias_several_providers);
	tcase_add_test(tc, root_modalias_wildcards);
	tcase_add_test(tc, root_builtins);
	tcase_add_test(tc, root_builtin_aliases);
	tcase_add_test(tc, root_alias_builtin_and_loadable);
	tcase_add_test(tc, root_config_alias);

	tc = tcase_new(s, "paths");
	tcase_add_test(tc, root_paths);
	tcase_add_test(tc, root_path_relative_to_cwd);
	tcase_add_test(tc, root_path_outside);
	tcase_add_test(tc, root_path_symlink_outside);

	tc = tcase_new(s, "dirs");
	tcase_add_test(tc, root_dirs);
	tcase_add_test(tc, root_dir_whole_tree);
	tcase_add_test(tc, root_dir_outside);
	tcase_add_test(tc, root_dir_stray_builtin_file);

	tc = tcase_new(s, "indexes");
	tcase_add_test(tc, handmade_index_works);
	tcase_add_test(tc, index_entry_outside_tree);
	tcase_add_test(tc, hard_dep_not_indexed);
	tcase_add_test(tc, hard_dep_file_missing);

	tc = tcase_new(s, "alias-indexes");
	tcase_add_test(tc, alias_sources_and_order);
	tcase_add_test(tc, alias_file_reader_order);
	tcase_add_test(tc, alias_missing_indexes);
	tcase_add_test(tc, alias_config_stops_lookup);
	tcase_add_test(tc, alias_invalid);
	tcase_add_test(tc, alias_name_too_long);
	tcase_add_test(tc, alias_index_corrupt);
	tcase_add_test(tc, alias_normalize_like_kmod);
	return s;
}

int main(void)
{
	return run_suite(lookup_suite());
}
