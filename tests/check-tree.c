/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/tree.c: the context, sysroot inference, loading a tree, logging. */
#include <sys/utsname.h>

#include "check-common.h"

/* ---- life cycle ---- */

START_TEST(new_ref_unref)
{
	char *md = fixture_moddir("hard");
	struct modset_ctx *ctx = modset_new(md, NULL);

	ck_assert_ptr_nonnull(ctx);
	ck_assert_ptr_eq(modset_ref(ctx), ctx);
	ck_assert_ptr_null(modset_unref(ctx)); /* still alive: one reference left */
	ck_assert_str_eq(modset_get_moddir(ctx), md);
	ck_assert_ptr_null(modset_unref(ctx)); /* freed (valgrind checks) */

	ck_assert_ptr_null(modset_ref(NULL));
	ck_assert_ptr_null(modset_unref(NULL));
	free(md);
}
END_TEST

START_TEST(new_loaded_unref)
{
	/* unref after a load frees the indexes and the configuration too */
	struct modset_ctx *ctx = fixture_ctx("soft");

	ck_assert_int_eq(modset_load(ctx), 0);
	ck_assert_ptr_eq(modset_ref(ctx), ctx);
	modset_unref(ctx);
	ck_assert_int_eq(modset_load(ctx), 0);
	modset_unref(ctx);
}
END_TEST

START_TEST(new_invalid)
{
	errno = 0;
	ck_assert_ptr_null(modset_new("", NULL));
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(new_null_moddir)
{
	struct modset_ctx *ctx = modset_new(NULL, NULL);
	struct utsname u;
	char *want;

	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(uname(&u), 0);
	want = xasprintf("/lib/modules/%s", u.release);
	ck_assert_str_eq(modset_get_moddir(ctx), want);
	ck_assert_str_eq(modset_get_kver(ctx), u.release);
	ck_assert_str_eq(modset_get_sysroot(ctx), "/");
	free(want);
	modset_unref(ctx);
}
END_TEST

START_TEST(new_relative_moddir)
{
	char *tmp = make_tempdir(), cwd[PATH_MAX], *want;
	struct modset_ctx *ctx;

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir(tmp), 0);
	ctx = modset_new("sys/lib/modules/6.0-rel", NULL);
	ck_assert_int_eq(chdir(cwd), 0);
	ck_assert_ptr_nonnull(ctx);
	/* made absolute against the working directory at modset_new() time */
	want = xasprintf("%s/sys/lib/modules/6.0-rel", tmp);
	ck_assert_str_eq(modset_get_moddir(ctx), want);
	ck_assert_str_eq(modset_get_kver(ctx), "6.0-rel");
	free(want);
	want = xasprintf("%s/sys", tmp);
	ck_assert_str_eq(modset_get_sysroot(ctx), want);
	free(want);
	modset_unref(ctx);
	rm_rf(tmp);
	free(tmp);
}
END_TEST

START_TEST(new_trailing_slashes)
{
	struct modset_ctx *ctx = modset_new("/x/root/lib/modules/6.1.0-k///", NULL);

	ck_assert_ptr_nonnull(ctx);
	ck_assert_str_eq(modset_get_moddir(ctx), "/x/root/lib/modules/6.1.0-k");
	ck_assert_str_eq(modset_get_kver(ctx), "6.1.0-k");
	ck_assert_str_eq(modset_get_sysroot(ctx), "/x/root");
	modset_unref(ctx);
}
END_TEST

START_TEST(getters)
{
	char *root = fixture_root("soft"), *md = fixture_moddir("soft");
	struct modset_ctx *ctx = modset_new(md, NULL);

	ck_assert_str_eq(modset_get_moddir(ctx), md);
	ck_assert_str_eq(modset_get_kver(ctx), "6.1.0-soft");
	ck_assert_str_eq(modset_get_sysroot(ctx), root);
	/* before modset_load(): no configuration files, but a valid empty list */
	ck_assert_ptr_nonnull(modset_get_config_files(ctx));
	ck_assert_ptr_null(modset_get_config_files(ctx)[0]);
	ck_assert_uint_eq(modset_get_config_warnings(ctx), 0);
	ck_assert_int_eq(modset_get_log_priority(ctx), LOG_ERR);
	modset_unref(ctx);
	free(md);
	free(root);
}
END_TEST

START_TEST(null_safety)
{
	struct modset_set *set = (struct modset_set *)1;
	const char *roots[] = { "x", NULL };
	struct modset_ctx *ctx = fixture_ctx("hard");

	ck_assert_ptr_null(modset_get_moddir(NULL));
	ck_assert_ptr_null(modset_get_kver(NULL));
	ck_assert_ptr_null(modset_get_sysroot(NULL));
	ck_assert_ptr_nonnull(modset_get_config_files(NULL));
	ck_assert_ptr_null(modset_get_config_files(NULL)[0]);
	ck_assert_uint_eq(modset_get_config_warnings(NULL), 0);
	ck_assert_int_eq(modset_get_log_priority(NULL), 0);
	modset_set_log_priority(NULL, LOG_DEBUG);
	modset_set_log_fn(NULL, logcap_fn, NULL);
	ck_assert_int_eq(modset_load(NULL), -EINVAL);
	ck_assert_int_eq(modset_set_sysroot(NULL, "/"), -EINVAL);
	ck_assert_int_eq(modset_set_sysroot(ctx, NULL), -EINVAL);
	ck_assert_int_eq(modset_resolve(NULL, roots, 0, &set), -EINVAL);
	ck_assert_int_eq(modset_resolve(ctx, roots, 0, NULL), -EINVAL);
	/* NULL roots: an empty set */
	ck_assert_int_eq(modset_resolve(ctx, NULL, 0, &set), 0);
	ck_assert_uint_eq(modset_set_count(set), 0);
	ck_assert_uint_eq(modset_set_missing_count(set), 0);
	modset_set_unref(set);
	modset_unref(ctx);
}
END_TEST

/* ---- sysroot ---- */

static void check_sysroot(const char *moddir, const char *want)
{
	struct modset_ctx *ctx = modset_new(moddir, NULL);

	ck_assert_ptr_nonnull(ctx);
	ck_assert_msg(streq(modset_get_sysroot(ctx), want), "sysroot of %s: \"%s\", want \"%s\"",
		      moddir, modset_get_sysroot(ctx), want);
	modset_unref(ctx);
}

START_TEST(sysroot_inference)
{
	check_sysroot("/srv/root/lib/modules/6.1.0", "/srv/root");
	check_sysroot("/srv/root/lib/modules/6.1.0/", "/srv/root");
	check_sysroot("/lib/modules/6.1.0", "/");
	check_sysroot("/usr/lib/modules/6.1.0", "/");
	check_sysroot("/srv/x/usr/lib/modules/6.1.0", "/srv/x");
	check_sysroot("/x/usr/lib/modules/6.12.0-1-amd64", "/x");
	/* "usr" must be a whole component */
	check_sysroot("/srv/notusr/lib/modules/6.1.0", "/srv/notusr");
	/* the last "/lib/modules/" counts */
	check_sysroot("/a/lib/modules/b/lib/modules/6.1.0", "/a/lib/modules/b");
	/* not under [/usr]/lib/modules: no sysroot, so no default config (never the host's) */
	check_sysroot("/srv/tree/6.1.0", "");
	check_sysroot("/srv/lib/modules/6.1.0/kernel", "");
}
END_TEST

START_TEST(sysroot_set_before_after_load)
{
	struct modset_ctx *ctx = fixture_ctx("hard");

	ck_assert_int_eq(modset_set_sysroot(ctx, "/some/where"), 0);
	ck_assert_str_eq(modset_get_sysroot(ctx), "/some/where");
	ck_assert_int_eq(modset_set_sysroot(ctx, "/else"), 0);
	ck_assert_str_eq(modset_get_sysroot(ctx), "/else");
	ck_assert_int_eq(modset_load(ctx), 0);
	ck_assert_int_eq(modset_set_sysroot(ctx, "/too/late"), -EBUSY);
	ck_assert_str_eq(modset_get_sysroot(ctx), "/else");
	modset_unref(ctx);
}
END_TEST

START_TEST(sysroot_selects_config)
{
	/* the tree in one place, its configuration under another sysroot */
	char *tmp = make_tempdir(), *tree = xasprintf("%s/tree", tmp), *md, *sys, *conf;
	char *src = fixture_moddir("hard");
	struct modset_ctx *ctx;
	const char *const *files;

	md = xasprintf("%s/lib/modules/6.1.0-hard", tree);
	copy_tree(src, md);
	sys = xasprintf("%s/sys", tmp);
	conf = write_text(sys, "etc/modprobe.d/a.conf", "softdep chain1 pre: plain\n");
	free(write_text(tree, "etc/modprobe.d/not-read.conf", "softdep chain1 pre: lonely\n"));

	ctx = modset_new(md, NULL);
	ctx_quiet(ctx);
	ck_assert_int_eq(modset_set_sysroot(ctx, sys), 0);
	ck_assert_int_eq(modset_load(ctx), 0);
	files = modset_get_config_files(ctx);
	ck_assert_str_eq(files[0], conf);
	for (size_t i = 0; files[i]; i++)
		ck_assert_msg(!strstr(files[i], "not-read"), "read %s", files[i]);
	ck_assert_str_eq_free(RESOLVE_VIEW(set_names, ctx, "chain1", 0), "chain1 plain");
	modset_unref(ctx);

	rm_rf(tmp);
	free(conf);
	free(sys);
	free(src);
	free(md);
	free(tree);
	free(tmp);
}
END_TEST

/* ---- loading ---- */

START_TEST(load_idempotent)
{
	struct modset_ctx *ctx = fixture_ctx("soft");
	const char *const *files;

	ck_assert_int_eq(modset_load(ctx), 0);
	files = modset_get_config_files(ctx);
	ck_assert_ptr_nonnull(files[0]);
	ck_assert_uint_eq(modset_get_config_warnings(ctx), 4);
	ck_assert_int_eq(modset_load(ctx), 0);
	/* nothing read twice */
	ck_assert_ptr_eq(modset_get_config_files(ctx), files);
	ck_assert_uint_eq(modset_get_config_warnings(ctx), 4);
	modset_unref(ctx);
}
END_TEST

START_TEST(load_missing_tree)
{
	char *tmp = make_tempdir(), *md = xasprintf("%s/lib/modules/6.9.9", tmp);
	struct modset_ctx *ctx = modset_new(md, NULL);
	struct logcap lc;
	const char *roots[] = { "x", NULL };
	struct modset_set *set = NULL;

	logcap_attach(&lc, ctx, LOG_ERR);
	ck_assert_int_eq(modset_load(ctx), -ENOENT);
	ck_assert_log_has(&lc, md);
	ck_assert_uint_ge(lc.count_err, 1);
	/* still not loaded: resolving gives the same error */
	ck_assert_int_eq(modset_resolve(ctx, roots, 0, &set), -ENOENT);
	ck_assert_ptr_null(set);
	/* and the sysroot can still be changed */
	ck_assert_int_eq(modset_set_sysroot(ctx, "/"), 0);
	modset_unref(ctx);
	logcap_done(&lc);
	free(md);
	rm_rf(tmp);
	free(tmp);
}
END_TEST

START_TEST(load_not_a_directory)
{
	char *tmp = make_tempdir(), *md = write_text(tmp, "lib/modules/6.9.9", "a file\n");
	struct modset_ctx *ctx = modset_new(md, NULL);
	struct logcap lc;

	logcap_attach(&lc, ctx, LOG_ERR);
	ck_assert_int_eq(modset_load(ctx), -ENOTDIR);
	ck_assert_log_has(&lc, md);
	modset_unref(ctx);
	logcap_done(&lc);
	free(md);
	rm_rf(tmp);
	free(tmp);
}
END_TEST

START_TEST(load_missing_dep_bin)
{
	char *md, *tmp = copy_fixture("hard", &md), *dep = xasprintf("%s/modules.dep.bin", md);
	struct modset_ctx *ctx = modset_new(md, NULL);
	struct logcap lc;

	ck_assert_int_eq(unlink(dep), 0);
	logcap_attach(&lc, ctx, LOG_ERR);
	ck_assert_int_eq(modset_load(ctx), -ENOENT);
	ck_assert_log_has(&lc, dep);
	modset_unref(ctx);
	logcap_done(&lc);
	free(dep);
	rm_rf(tmp);
	free(tmp);
	free(md);
}
END_TEST

START_TEST(load_optional_indexes_missing)
{
	char *md, *tmp = copy_fixture("hard", &md);
	struct modset_ctx *ctx;
	static const char *const optional[] = { "modules.alias.bin", "modules.symbols.bin",
						"modules.builtin.bin",
						"modules.builtin.alias.bin" };

	for (size_t i = 0; i < ARRAY_SIZE(optional); i++) {
		char *p = xasprintf("%s/%s", md, optional[i]);

		ck_assert_int_eq(unlink(p), 0);
		free(p);
	}
	ctx = modset_new(md, NULL);
	ctx_quiet(ctx);
	ck_assert_int_eq(modset_load(ctx), 0);
	ck_assert_str_eq_free(RESOLVE_VIEW(set_order, ctx, "chain3", 0), "chain1 chain2 chain3");
	modset_unref(ctx);
	rm_rf(tmp);
	free(tmp);
	free(md);
}
END_TEST

/* Copy the hard tree, let @corrupt damage DIR/FILE, expect -EBADMSG naming it: from
 * modset_load() when @at_load (the header is checked when the tree is opened), else
 * from modset_load() or from resolving @roots (the trie may be checked on the paths
 * that lookups walk). */
static void check_corrupt_index(const char *file, void (*corrupt)(const char *path),
				bool at_load, const char *roots)
{
	char *md, *tmp = copy_fixture("hard", &md), *p = xasprintf("%s/%s", md, file);
	struct modset_ctx *ctx = modset_new(md, NULL);
	struct logcap lc;
	int r;

	corrupt(p);
	logcap_attach(&lc, ctx, LOG_ERR);
	r = modset_load(ctx);
	if (r == 0 && !at_load)
		r = resolve_err(ctx, roots, 0);
	ck_assert_msg(r == -EBADMSG, "%s: %d, want -EBADMSG", p, r);
	ck_assert_log_has(&lc, p);
	ck_assert_log_has(&lc, "corrupt");
	/* and again: the error is not forgotten */
	ck_assert_int_eq(resolve_err(ctx, roots, 0), -EBADMSG);
	modset_unref(ctx);
	logcap_done(&lc);
	rm_rf(tmp);
	free(tmp);
	free(p);
	free(md);
}

static void patch_bytes(const char *path, long off, const void *bytes, size_t n)
{
	int fd = open(path, O_WRONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, bytes, n, off), (ssize_t)n);
	close(fd);
}

static void corrupt_magic(const char *path)
{
	patch_bytes(path, 0, "XXXX", 4);
}

static void corrupt_version(const char *path)
{
	patch_bytes(path, 4, "\x00\x03", 2);
}

static void corrupt_root(const char *path)
{
	patch_bytes(path, 8, "\x80\x7f\xff\xff", 4);
}

static void corrupt_truncate(const char *path)
{
	struct stat st;

	/* half of it, the header kept */
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_gt(st.st_size, 24);
	ck_assert_int_eq(truncate(path, 12 + (st.st_size - 12) / 2), 0);
}

static void corrupt_body(const char *path)
{
	/* every byte after the header set to 0xff: offsets and flags go wild */
	struct stat st;
	char *ff;

	ck_assert_int_eq(stat(path, &st), 0);
	ff = malloc(st.st_size);
	memset(ff, 0xff, st.st_size);
	patch_bytes(path, 12, ff, st.st_size - 12);
	free(ff);
}

START_TEST(load_corrupt_dep_bin)
{
	check_corrupt_index("modules.dep.bin", corrupt_magic, true, "chain1");
	check_corrupt_index("modules.dep.bin", corrupt_version, true, "chain1");
	check_corrupt_index("modules.dep.bin", corrupt_root, false, "chain1");
	check_corrupt_index("modules.dep.bin", corrupt_truncate, false, "chain1");
}
END_TEST

START_TEST(load_corrupt_dep_bin_body)
{
	char *md, *tmp = copy_fixture("hard", &md), *p = xasprintf("%s/modules.dep.bin", md);
	struct modset_ctx *ctx = modset_new(md, NULL);
	int r;

	corrupt_body(p);
	ctx_quiet(ctx);
	/* found at load time or, if only the looked-up path is checked, at resolve time:
	 * either way an error, never a crash */
	r = modset_load(ctx);
	if (r == 0)
		r = resolve_err(ctx, "chain7", 0);
	ck_assert_int_eq(r, -EBADMSG);
	modset_unref(ctx);
	rm_rf(tmp);
	free(tmp);
	free(p);
	free(md);
}
END_TEST

START_TEST(load_corrupt_optional_index)
{
	/* An alias root searches the indexes in kmod's order until one answers, each
	 * checked as far as it is read: every damaged index here is met by a root that
	 * reaches it (a "symbol:" one for modules.symbols.bin; one that no other index
	 * knows for modules.builtin.alias.bin). Headers are checked at load time. */
	static const char alias[] = "pci:v00001234d00005678sv00000001sd00000002bc03sc04i05";

	check_corrupt_index("modules.alias.bin", corrupt_magic, true, alias);
	check_corrupt_index("modules.alias.bin", corrupt_truncate, false, alias);
	check_corrupt_index("modules.symbols.bin", corrupt_truncate, false,
			    "symbol:chain6_fn");
	check_corrupt_index("modules.symbols.bin", corrupt_version, true, alias);
	check_corrupt_index("modules.builtin.bin", corrupt_root, false, "chain1 nothere");
	check_corrupt_index("modules.builtin.alias.bin", corrupt_root, false,
			    "crypto-nothere");
}
END_TEST

START_TEST(corrupt_index_not_reached)
{
	/* damage that a search does not reach does not matter, as for libkmod: a
	 * "pci:" alias never reads modules.symbols.bin, and one that modules.alias.bin
	 * answers never reads modules.builtin.alias.bin */
	const char *alias = "pci:v00001234d00005678sv00000001sd00000002bc03sc00i00";
	static const char *const files[] = { "modules.symbols.bin",
					     "modules.builtin.alias.bin" };

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char *md, *tmp = copy_fixture("hard", &md);
		char *p = xasprintf("%s/%s", md, files[i]);
		struct modset_ctx *ctx = modset_new(md, NULL);
		struct modset_set *set;

		corrupt_root(p);
		ctx_quiet(ctx);
		set = resolve_ok(ctx, alias, MODSET_RESOLVE_NO_SOFT);
		ck_assert_str_eq_free(set_names(set), "chain1 chain2 fwdev");
		modset_set_unref(set);
		modset_unref(ctx);
		rm_rf(tmp);
		free(tmp);
		free(p);
		free(md);
	}
}
END_TEST

/* ---- logging ---- */

START_TEST(log_fn_receives_messages)
{
	struct modset_ctx *ctx = fixture_ctx("soft");
	struct logcap lc;

	logcap_attach(&lc, ctx, LOG_WARNING);
	ck_assert_int_eq(modset_get_log_priority(ctx), LOG_WARNING);
	ck_assert_int_eq(modset_load(ctx), 0);
	/* the malformed lines of soft's 90-bad.conf, as "file:line: ..." */
	ck_assert_uint_eq(lc.count_warning, 4);
	ck_assert_uint_eq(lc.count, 4);
	ck_assert(!lc.bad_format);
	ck_assert_log_has(&lc, "/etc/modprobe.d/90-bad.conf:2: ");
	modset_unref(ctx);
	logcap_done(&lc);
}
END_TEST

START_TEST(log_priority_filters)
{
	struct modset_ctx *ctx = fixture_ctx("soft");
	struct logcap lc;

	logcap_attach(&lc, ctx, LOG_ERR);
	ck_assert_int_eq(modset_load(ctx), 0);
	ck_assert_uint_eq(lc.count, 0);
	/* counted all the same */
	ck_assert_uint_eq(modset_get_config_warnings(ctx), 4);
	modset_unref(ctx);
	logcap_done(&lc);
}
END_TEST

START_TEST(log_debug_no_crash)
{
	/* every message up to LOG_DEBUG, through a whole resolve */
	struct modset_ctx *ctx = fixture_ctx("soft");
	struct modset_set *set;
	struct logcap lc;

	logcap_attach(&lc, ctx, LOG_DEBUG);
	set = resolve_ok(ctx, "btrfs cifs ksmbd snd-hda-intel lostsoft nothing", 0);
	ck_assert(!lc.bad_format);
	ck_assert_uint_ge(lc.count, 4);
	modset_set_unref(set);
	modset_unref(ctx);
	logcap_done(&lc);
}
END_TEST

START_TEST(log_fn_null_is_silent)
{
	char *tmp = make_tempdir(), *md = xasprintf("%s/lib/modules/6.9.9", tmp);
	struct modset_ctx *ctx = modset_new(md, NULL);

	modset_set_log_fn(ctx, NULL, NULL);
	modset_set_log_priority(ctx, LOG_DEBUG);
	ck_assert_int_eq(modset_load(ctx), -ENOENT);
	modset_unref(ctx);
	free(md);
	rm_rf(tmp);
	free(tmp);
}
END_TEST

START_TEST(log_default_stderr)
{
	char *tmp = make_tempdir(), *md = xasprintf("%s/lib/modules/6.9.9", tmp);
	char *errpath = xasprintf("%s/stderr", tmp), *text;
	struct modset_ctx *ctx;
	int saved, fd;

	unsetenv("MODSET_LOG");
	ctx = modset_new(md, NULL);
	fflush(stderr);
	saved = dup(2);
	fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	dup2(fd, 2);
	close(fd);
	ck_assert_int_eq(modset_load(ctx), -ENOENT);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	text = slurp(errpath, NULL);
	ck_assert_msg(strstr(text, "libmodset: ") && strstr(text, md), "stderr: %s", text);
	free(text);
	modset_unref(ctx);
	free(errpath);
	free(md);
	rm_rf(tmp);
	free(tmp);
}
END_TEST

static int prio_from_env(const char *value)
{
	struct modset_ctx *ctx;
	int prio;

	if (value)
		setenv("MODSET_LOG", value, 1);
	else
		unsetenv("MODSET_LOG");
	ctx = modset_new("/nonexistent/lib/modules/1", NULL);
	ck_assert_ptr_nonnull(ctx);
	prio = modset_get_log_priority(ctx);
	modset_unref(ctx);
	unsetenv("MODSET_LOG");
	return prio;
}

START_TEST(log_env_priority)
{
	ck_assert_int_eq(prio_from_env(NULL), LOG_ERR);
	ck_assert_int_eq(prio_from_env("debug"), LOG_DEBUG);
	ck_assert_int_eq(prio_from_env("DEBUG"), LOG_DEBUG);
	ck_assert_int_eq(prio_from_env("info"), LOG_INFO);
	ck_assert_int_eq(prio_from_env("notice"), LOG_NOTICE);
	ck_assert_int_eq(prio_from_env("warning"), LOG_WARNING);
	ck_assert_int_eq(prio_from_env("warn"), LOG_WARNING);
	ck_assert_int_eq(prio_from_env("err"), LOG_ERR);
	ck_assert_int_eq(prio_from_env("error"), LOG_ERR);
	ck_assert_int_eq(prio_from_env("7"), 7);
	ck_assert_int_eq(prio_from_env("4"), 4);
	ck_assert_int_eq(prio_from_env("6\n"), 6);
	ck_assert_int_eq(prio_from_env("bogus"), LOG_ERR);
	ck_assert_int_eq(prio_from_env(""), LOG_ERR);
}
END_TEST

START_TEST(log_env_applies_to_messages)
{
	struct modset_ctx *ctx;
	struct logcap lc = { 0 };
	char *md = fixture_moddir("soft");

	setenv("MODSET_LOG", "warning", 1);
	ctx = modset_new(md, NULL);
	unsetenv("MODSET_LOG");
	modset_set_log_fn(ctx, logcap_fn, &lc); /* the priority is the env's */
	ck_assert_int_eq(modset_load(ctx), 0);
	ck_assert_uint_eq(lc.count_warning, 4);
	modset_unref(ctx);
	logcap_done(&lc);
	free(md);
}
END_TEST

static Suite *tree_suite(void)
{
	Suite *s = suite_create("tree");
	TCase *tc;

	tc = tcase_new(s, "context");
	tcase_add_test(tc, new_ref_unref);
	tcase_add_test(tc, new_loaded_unref);
	tcase_add_test(tc, new_invalid);
	tcase_add_test(tc, new_null_moddir);
	tcase_add_test(tc, new_relative_moddir);
	tcase_add_test(tc, new_trailing_slashes);
	tcase_add_test(tc, getters);
	tcase_add_test(tc, null_safety);

	tc = tcase_new(s, "sysroot");
	tcase_add_test(tc, sysroot_inference);
	tcase_add_test(tc, sysroot_set_before_after_load);
	tcase_add_test(tc, sysroot_selects_config);

	tc = tcase_new(s, "load");
	tcase_add_test(tc, load_idempotent);
	tcase_add_test(tc, load_missing_tree);
	tcase_add_test(tc, load_not_a_directory);
	tcase_add_test(tc, load_missing_dep_bin);
	tcase_add_test(tc, load_optional_indexes_missing);
	tcase_add_test(tc, load_corrupt_dep_bin);
	tcase_add_test(tc, load_corrupt_dep_bin_body);
	tcase_add_test(tc, load_corrupt_optional_index);
	tcase_add_test(tc, corrupt_index_not_reached);

	tc = tcase_new(s, "log");
	tcase_add_test(tc, log_fn_receives_messages);
	tcase_add_test(tc, log_priority_filters);
	tcase_add_test(tc, log_debug_no_crash);
	tcase_add_test(tc, log_fn_null_is_silent);
	tcase_add_test(tc, log_default_stderr);
	tcase_add_test(tc, log_env_priority);
	tcase_add_test(tc, log_env_applies_to_messages);
	return s;
}

int main(void)
{
	return run_suite(tree_suite());
}
