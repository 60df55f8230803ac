/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/config.c: modprobe.d files (which, in which order), softdep/weakdep/alias lines,
 * malformed lines, modules.softdep/weakdep, and modules.builtin.modinfo records.
 *
 * Most tests use the "hard" tree (its modules.softdep holds only a comment) with a
 * temporary sysroot for the configuration: modset_set_sysroot() points the default
 * directories there.
 */
#include "check-common.h"

static char *tmp;  /* temporary sysroot */
static char *hard; /* the hard tree's module directory */

static void setup(void)
{
	tmp = make_tempdir();
	hard = fixture_moddir("hard");
}

static void teardown(void)
{
	rm_rf(tmp);
	free(tmp);
	free(hard);
	tmp = hard = NULL;
}

/* Write TMP/REL; the path is not kept. */
static void put(const char *rel, const char *text)
{
	free(write_text(tmp, rel, text));
}

/* A loaded context on the hard tree: defaults under TMP when @paths is NULL. */
static struct modset_ctx *load_ctx(const char *const *paths, struct logcap *lc)
{
	struct modset_ctx *ctx = modset_new(hard, paths);

	ck_assert_ptr_nonnull(ctx);
	if (lc)
		logcap_attach(lc, ctx, LOG_WARNING);
	else
		ctx_quiet(ctx);
	ck_assert_int_eq(modset_set_sysroot(ctx, tmp), 0);
	ck_assert_int_eq(modset_load(ctx), 0);
	return ctx;
}

/* modset_get_config_files() with TMP and the module directory abbreviated:
 * "@/etc/modprobe.d/a.conf", "MD/modules.softdep". */
static char *config_files_str(struct modset_ctx *ctx)
{
	const char *const *f = modset_get_config_files(ctx);
	const char *md = modset_get_moddir(ctx);
	struct sbuf b = { 0 };

	for (size_t i = 0; f[i]; i++) {
		char *w;

		if (tmp && strncmp(f[i], tmp, strlen(tmp)) == 0)
			w = xasprintf("@%s", f[i] + strlen(tmp));
		else if (strncmp(f[i], md, strlen(md)) == 0)
			w = xasprintf("MD%s", f[i] + strlen(md));
		else
			w = strdup(f[i]);
		sbuf_word(&b, w);
		free(w);
	}
	return sbuf_take(&b);
}

static void add_list(struct sbuf *b, const char *tag, const struct strv *v)
{
	if (!v->n)
		return;
	sbuf_addf(b, ":%s=", tag);
	for (size_t i = 0; i < v->n; i++)
		sbuf_addf(b, "%s%s", i ? "," : "", v->v[i]);
}

/* The softdep rules, in order: "PATTERN:pre=a,b:post=c:un=x@FILE:LINE". */
static char *softdeps_str(struct modset_ctx *ctx)
{
	const struct modset_config *cfg = &ctx->cfg;
	struct sbuf b = { 0 };

	for (size_t i = 0; i < cfg->n_softdeps; i++) {
		const struct softdep_rule *r = &cfg->softdeps[i];
		const char *base = strrchr(r->file, '/');

		if (b.len)
			sbuf_add(&b, " ");
		sbuf_add(&b, r->pattern);
		add_list(&b, "pre", &r->pre);
		add_list(&b, "post", &r->post);
		add_list(&b, "un", &r->untagged);
		sbuf_addf(&b, "@%s:%u", base ? base + 1 : r->file, r->line);
	}
	return sbuf_take(&b);
}

/* "PATTERN:DEP,DEP@FILE:LINE" */
static char *weakdeps_str(struct modset_ctx *ctx)
{
	const struct modset_config *cfg = &ctx->cfg;
	struct sbuf b = { 0 };

	for (size_t i = 0; i < cfg->n_weakdeps; i++) {
		const struct weakdep_rule *r = &cfg->weakdeps[i];
		const char *base = strrchr(r->file, '/');

		if (b.len)
			sbuf_add(&b, " ");
		sbuf_add(&b, r->pattern);
		add_list(&b, "deps", &r->deps);
		sbuf_addf(&b, "@%s:%u", base ? base + 1 : r->file, r->line);
	}
	return sbuf_take(&b);
}

/* "ALIAS=MODNAME" */
static char *aliases_str(struct modset_ctx *ctx)
{
	const struct modset_config *cfg = &ctx->cfg;
	struct sbuf b = { 0 };

	for (size_t i = 0; i < cfg->n_aliases; i++) {
		char *w = xasprintf("%s=%s", cfg->aliases[i].pattern, cfg->aliases[i].modname);

		sbuf_word(&b, w);
		free(w);
	}
	return sbuf_take(&b);
}

/* ---- which files, in which order ---- */

START_TEST(default_dirs_order)
{
	struct modset_ctx *ctx;
	char *want;

	put("etc/modprobe.d/b.conf", "softdep m pre: etc_b\n");
	put("etc/modprobe.d/10-a.conf", "softdep m pre: etc_10a\n");
	put("run/modprobe.d/a.conf", "softdep m pre: run_a\n");
	put("run/modprobe.d/b.conf", "softdep m pre: run_b\n"); /* hidden by etc's b.conf */
	put("usr/local/lib/modprobe.d/m.conf", "softdep m pre: local_m\n");
	put("usr/local/lib/modprobe.d/a.conf", "softdep m pre: local_a\n"); /* hidden */
	put("usr/lib/modprobe.d/c.conf", "softdep m pre: usrlib_c\n");
	put("usr/lib/modprobe.d/10-a.conf", "softdep m pre: usrlib_10a\n"); /* hidden */
	put("lib/modprobe.d/00.conf", "softdep m pre: lib_00\n");
	put("lib/modprobe.d/zz.conf", "softdep m pre: lib_zz\n");
	put("lib/modprobe.d/c.conf", "softdep m pre: lib_c\n"); /* hidden by usr/lib's */
	/* never read */
	put("etc/modprobe.d/.hidden.conf", "softdep m pre: hidden\n");
	put("etc/modprobe.d/x.conf.disabled", "softdep m pre: disabled\n");
	put("etc/modprobe.d/notes.txt", "softdep m pre: txt\n");
	put("etc/modprobe.d/dir.conf/inner.conf", "softdep m pre: inner\n");
	put("etc/modprobe.conf", "softdep m pre: modprobe_conf\n");
	put("usr/etc/modprobe.d/u.conf", "softdep m pre: usr_etc\n");

	ctx = load_ctx(NULL, NULL);
	/* basename order across the directories; modules.softdep of the tree joins it */
	ck_assert_str_eq_free(config_files_str(ctx),
			      "@/lib/modprobe.d/00.conf @/etc/modprobe.d/10-a.conf "
			      "@/run/modprobe.d/a.conf @/etc/modprobe.d/b.conf "
			      "@/usr/lib/modprobe.d/c.conf @/usr/local/lib/modprobe.d/m.conf "
			      "MD/modules.softdep @/lib/modprobe.d/zz.conf");
	want = xasprintf("m:pre=lib_00@00.conf:1 m:pre=etc_10a@10-a.conf:1 m:pre=run_a@a.conf:1 "
			 "m:pre=etc_b@b.conf:1 m:pre=usrlib_c@c.conf:1 "
			 "m:pre=local_m@m.conf:1 m:pre=lib_zz@zz.conf:1");
	ck_assert_str_eq_free(softdeps_str(ctx), want);
	free(want);
	ck_assert_uint_eq(modset_get_config_warnings(ctx), 0);
	modset_unref(ctx);
}
END_TEST

START_TEST(alias_suffix_files)
{
	/* *.alias files are read by kmod < 33 only; which kmod the target has is told by
	 * its tree (depmod >= 33 always writes modules.weakdep), never by the host */
	char *md, *root = copy_fixture("hard", &md);
	char *wd = xasprintf("%s/modules.weakdep", md);
	const char *const paths[] = { tmp, NULL };
	struct modset_ctx *ctx;
	char *want;

	put("old.alias", "alias foo chain1\n");
	put("new.conf", "alias bar chain2\n");
	for (int with = 0; with < 2; with++) {
		if (with)
			free(write_text(md, "modules.weakdep", "# weak\n"));
		else
			unlink(wd);
		ctx = modset_new(md, paths);
		ctx_quiet(ctx);
		ck_assert_int_eq(modset_load(ctx), 0);
		ck_assert(ctx->cfg.have_modules_weakdep == with);
		want = with ? strdup("MD/modules.softdep MD/modules.weakdep @/new.conf")
			    : strdup("MD/modules.softdep @/new.conf @/old.alias");
		ck_assert_str_eq_free(config_files_str(ctx), want);
		ck_assert_str_eq_free(aliases_str(ctx),
				      with ? "bar=chain2" : "bar=chain2 foo=chain1");
		free(want);
		modset_unref(ctx);
	}
	/* a file named on purpose is read, whatever its name */
	{
		char *f = xasprintf("%s/old.alias", tmp);
		const char *const one[] = { f, NULL };

		ctx = modset_new(md, one);
		ctx_quiet(ctx);
		ck_assert_int_eq(modset_load(ctx), 0);
		ck_assert_str_eq_free(aliases_str(ctx), "foo=chain1");
		modset_unref(ctx);
		free(f);
	}
	rm_rf(root);
	free(root);
	free(wd);
	free(md);
}
END_TEST

START_TEST(no_config_dirs)
{
	/* an empty sysroot: only the tree's own modules.softdep */
	struct modset_ctx *ctx = load_ctx(NULL, NULL);

	ck_assert_str_eq_free(config_files_str(ctx), "MD/modules.softdep");
	ck_assert_uint_eq(ctx->cfg.n_softdeps, 0);
	ck_assert_uint_eq(modset_get_config_warnings(ctx), 0);
	modset_unref(ctx);
}
END_TEST

START_TEST(fixture_soft_defaults)
{
	/* NULL config paths: the sysroot inferred from the tree's path */
	struct modset_ctx *ctx = fixture_ctx("soft");
	char *root = fixture_root("soft"), *want;

	ck_assert_int_eq(modset_load(ctx), 0);
	want = xasprintf("%1$s/etc/modprobe.d/00-first.conf %1$s/etc/modprobe.d/10-untagged.conf "
			 "%1$s/etc/modprobe.d/30-cycle.conf %1$s/etc/modprobe.d/40-cont.conf "
			 "%1$s/etc/modprobe.d/50-wild.conf %1$s/etc/modprobe.d/90-bad.conf "
			 "MD/modules.softdep "
			 "%1$s/etc/modprobe.d/zz-last.conf",
			 root);
	ck_assert_str_eq_free(config_files_str(ctx), want);
	ck_assert_uint_eq(modset_get_config_warnings(ctx), 4);
	free(want);
	free(root);
	modset_unref(ctx);
}
END_TEST

START_TEST(fixture_confdirs_order)
{
	struct modset_ctx *ctx = fixture_ctx("confdirs");
	char *root = fixture_root("confdirs"), *want, *got;

	ck_assert_int_eq(modset_load(ctx), 0);
	got = config_files_str(ctx);
	want = xasprintf("%1$s/lib/modprobe.d/05-b.conf %1$s/etc/modprobe.d/10-a.conf "
			 "%1$s/run/modprobe.d/20-b.conf %1$s/usr/local/lib/modprobe.d/30-c.conf "
			 "MD/modules.softdep "
			 "%1$s/usr/lib/modprobe.d/x-late.conf %1$s/usr/lib/modprobe.d/zz-c.conf",
			 root);
	if (!ctx->cfg.have_modules_weakdep) {
		/* a depmod < 33 tree: kmod < 33 also reads lib/modprobe.d/00-old.alias,
		 * first by name */
		char *w = xasprintf("%s/lib/modprobe.d/00-old.alias %s", root, want);

		free(want);
		want = w;
	}
	ck_assert_str_eq(got, want);
	free(got);
	free(want);

	want = strdup("target_b:pre=from_lib@05-b.conf:1 target_a:post=from_etc@10-a.conf:1 "
		      "target_b:pre=from_run@20-b.conf:1 target_c:pre=from_local@30-c.conf:1 "
		      "target_a:pre=modinfo_pre@modules.softdep:2 "
		      "target_a:pre=hidden_dep@x-late.conf:1 target_c:pre=hidden_dep@zz-c.conf:1");
	if (!ctx->cfg.have_modules_weakdep) {
		char *w = xasprintf("target_d:post=alias_file_dep@00-old.alias:1 %s", want);

		free(want);
		want = w;
	}
	ck_assert_str_eq_free(softdeps_str(ctx), want);
	free(want);
	free(root);
	modset_unref(ctx);
}
END_TEST

START_TEST(explicit_paths)
{
	char *d1 = xasprintf("%s/one", tmp), *d2 = xasprintf("%s/two", tmp);
	char *f = xasprintf("%s/single-file", tmp), *missing = xasprintf("%s/missing.d", tmp);
	const char *paths[] = { d1, f, missing, d2, NULL };
	struct modset_ctx *ctx;
	struct logcap lc;

	put("one/b.conf", "softdep m pre: one_b\n");
	put("one/d.conf", "softdep m pre: one_d\n");
	put("two/b.conf", "softdep m pre: two_b\n"); /* hidden by one/b.conf */
	put("two/a.conf", "softdep m pre: two_a\n");
	put("two/c.txt", "softdep m pre: two_c\n"); /* not *.conf */
	/* a file given by name is read whatever its name */
	put("single-file", "softdep m pre: single\n");
	/* and the defaults are not read */
	put("etc/modprobe.d/a.conf", "softdep m pre: etc_a\n");

	ctx = load_ctx(paths, &lc);
	ck_assert_str_eq_free(config_files_str(ctx), "@/two/a.conf @/one/b.conf @/one/d.conf "
						     "MD/modules.softdep @/single-file");
	ck_assert_str_eq_free(softdeps_str(ctx), "m:pre=two_a@a.conf:1 m:pre=one_b@b.conf:1 "
						 "m:pre=one_d@d.conf:1 m:pre=single@single-file:1");
	/* a path given explicitly that does not exist is worth a warning */
	ck_assert_log_has(&lc, missing);
	modset_unref(ctx);
	logcap_done(&lc);
	free(d1);
	free(d2);
	free(f);
	free(missing);
}
END_TEST

START_TEST(empty_config_list)
{
	/* an empty list reads no modprobe.d at all; the tree's modules.softdep is part
	 * of the tree (libkmod reads it whatever its configuration) */
	static const char *const none[] = { NULL };
	char *md = fixture_moddir("soft");
	struct modset_ctx *ctx = modset_new(md, none);
	struct modset_set *set;

	ctx_quiet(ctx);
	ck_assert_int_eq(modset_load(ctx), 0);
	ck_assert_str_eq_free(config_files_str(ctx), "MD/modules.softdep");
	ck_assert_uint_eq(modset_get_config_warnings(ctx), 0);
	ck_assert_uint_eq(ctx->cfg.n_aliases, 0);
	ck_assert_uint_eq(ctx->cfg.n_weakdeps, 0);
	/* every rule comes from modules.softdep */
	for (size_t i = 0; i < ctx->cfg.n_softdeps; i++)
		ck_assert_str_eq(strrchr(ctx->cfg.softdeps[i].file, '/'), "/modules.softdep");
	/* masked's config softdep is gone, its modinfo one remains */
	set = resolve_ok(ctx, "masked", MODSET_RESOLVE_KMOD_COMPAT);
	ck_assert_str_eq_free(set_names(set), "masked md5");
	modset_set_unref(set);
	modset_unref(ctx);
	free(md);
}
END_TEST

START_TEST(no_config_files_at_all)
{
	/*
	 * LIB BUG (reported, UBSan): an empty config list on a tree without
	 * modules.softdep/modules.weakdep leaves config_load() with files == NULL,
	 * n == 0 and calls qsort(NULL, 0, ...): "null pointer passed as argument 1"
	 * (lib/config.c, config_load), which aborts under SANITIZE=1
	 * (-fno-sanitize-recover). Passes in a normal build.
	 */
	static const struct index_entry dep[] = { { "a", "kernel/a.ko:" } };
	static const char *const none[] = { NULL };
	char *md = xasprintf("%s/lib/modules/6.1.0-bare", tmp);
	struct modset_ctx *ctx;
	struct modset_set *set;

	free(index_write(md, "modules.dep.bin", dep, ARRAY_SIZE(dep)));
	free(write_text(md, "kernel/a.ko", ""));
	ctx = modset_new(md, none);
	ctx_quiet(ctx);
	ck_assert_int_eq(modset_load(ctx), 0);
	ck_assert_ptr_null(modset_get_config_files(ctx)[0]);
	set = resolve_ok(ctx, "a", MODSET_RESOLVE_NO_WEAK);
	ck_assert_str_eq_free(set_names(set), "a");
	modset_set_unref(set);
	modset_unref(ctx);
	free(md);
}
END_TEST

START_TEST(weakdep_file_joins)
{
	struct modset_ctx *ctx = fixture_ctx("weak");
	char *root = fixture_root("weak"), *want;

	ck_assert_int_eq(modset_load(ctx), 0);
	ck_assert(ctx->cfg.have_modules_weakdep);
	want = xasprintf("MD/modules.softdep MD/modules.weakdep %s/etc/modprobe.d/weak.conf",
			 root);
	ck_assert_str_eq_free(config_files_str(ctx), want);
	free(want);
	ck_assert_str_eq_free(weakdeps_str(ctx),
			      "wk_main:deps=wk_helper@modules.weakdep:2 "
			      "wk_main:deps=crypto-wk@modules.weakdep:3 "
			      "wk_a:deps=wk_b@modules.weakdep:4 wk_b:deps=wk_a@modules.weakdep:5 "
			      "wk_self:deps=wk_self@modules.weakdep:6 "
			      "wk_dash:deps=wk-helper3@modules.weakdep:7 "
			      "wk_dash:deps=wk_builtin@modules.weakdep:8 "
			      "wk_file:deps=wk-helper3,wk_missing,wk_helper2@modules.weakdep:9 "
			      "wk_cfg:deps=wk_helper2,crypto-wk@weak.conf:1 "
			      "wk_main:deps=wk-helper3@weak.conf:2");
	free(root);
	modset_unref(ctx);

	/* the other trees have none */
	ctx = fixture_ctx("soft");
	ck_assert_int_eq(modset_load(ctx), 0);
	ck_assert(!ctx->cfg.have_modules_weakdep);
	modset_unref(ctx);
}
END_TEST

/* ---- lines ---- */

START_TEST(softdep_tokens)
{
	struct modset_ctx *ctx;

	put("etc/modprobe.d/a.conf",
	    "softdep m1 pre: a b post: c\n"
	    "softdep m2 post: c pre: a pre: b post: d\n" /* groups add up */
	    "softdep m3 x y pre: a z post: b\n"		 /* tokens before pre:/post: */
	    "softdep m4 pre:glued post:glued2\n"	 /* not markers */
	    "softdep m5 pre:\n"				 /* empty group: valid, empty */
	    "softdep m6 PRE: a\n"			 /* markers are lowercase */
	    "softdep\tm7\tpre:\ta\t\tpost:  b \n"	 /* tabs and blanks */
	    "   softdep m8 pre: a\n"			 /* leading blanks */
	    "softdep m9 pre: dash-target post: x.y\n");	 /* targets are kept as written */
	ctx = load_ctx(NULL, NULL);
	ck_assert_str_eq_free(softdeps_str(ctx),
			      "m1:pre=a,b:post=c@a.conf:1 m2:pre=a,b:post=c,d@a.conf:2 "
			      "m3:pre=a,z:post=b:un=x,y@a.conf:3 "
			      "m4:un=pre:glued,post:glued2@a.conf:4 m5@a.conf:5 "
			      "m6:un=PRE:,a@a.conf:6 m7:pre=a:post=b@a.conf:7 m8:pre=a@a.conf:8 "
			      "m9:pre=dash-target:post=x.y@a.conf:9");
	ck_assert_uint_eq(modset_get_config_warnings(ctx), 0);
	modset_unref(ctx);
}
END_TEST

START_TEST(softdep_pattern_normalized)
{
	struct modset_ctx *ctx;
	struct logcap lc;

	put("etc/modprobe.d/a.conf", "softdep snd-hda-* pre: a-b\n"
				     "softdep foo[-_]bar-baz pre: x\n"
				     "softdep a-[0-9]-b?-* post: y\n"
				     "softdep foo[-bar pre: broken\n" /* unclosed bracket */
				     "softdep plain_name pre: z\n");
	ctx = load_ctx(NULL, &lc);
	/* '-' becomes '_' outside brackets; targets are untouched */
	ck_assert_str_eq_free(softdeps_str(ctx), "snd_hda_*:pre=a-b@a.conf:1 "
						 "foo[-_]bar_baz:pre=x@a.conf:2 "
						 "a_[0-9]_b?_*:post=y@a.conf:3 "
						 "plain_name:pre=z@a.conf:5");
	ck_assert_uint_eq(modset_get_config_warnings(ctx), 1);
	ck_assert_log_has(&lc, "a.conf:4: ");
	modset_unref(ctx);
	logcap_done(&lc);
}
END_TEST

START_TEST(continuation_and_comments)
{
	struct modset_ctx *ctx;
	struct logcap lc;

	put("etc/modprobe.d/a.conf",
	    "# a comment: softdep c1 pre: x\n"		       /* 1 */
	    "\n"					       /* 2 */
	    "softdep m1 pre: a \\\n"			       /* 3 */
	    "   b \\\n"					       /* 4 */
	    "   post: c\n"				       /* 5 */
	    "bogus1\n"					       /* 6 */
	    "softdep m2 \\\n"				       /* 7 */
	    "pre: d\n"					       /* 8 */
	    "#softdep c2 pre: x\n"			       /* 9 */
	    "bogus2 \\\n"				       /* 10 */
	    "  continued\n"				       /* 11 */
	    "bogus3\n"					       /* 12 */
	    "softdep m3 pre: e\\\n"			       /* 13: no blank before '\' */
	    "f\n"					       /* 14 */
	    "softdep m4 pre: g \\");			       /* 15: '\' at end of file */
	ctx = load_ctx(NULL, &lc);
	ck_assert_str_eq_free(softdeps_str(ctx), "m1:pre=a,b:post=c@a.conf:3 "
						 "m2:pre=d@a.conf:7 m3:pre=ef@a.conf:13 "
						 "m4:pre=g@a.conf:15");
	ck_assert_uint_eq(modset_get_config_warnings(ctx), 3);
	/* line numbers stay right after continuation lines */
	ck_assert_log_has(&lc, "/etc/modprobe.d/a.conf:6: ");
	ck_assert_log_has(&lc, "'bogus1'");
	ck_assert_log_has(&lc, "'bogus2'");
	ck_assert_log_has(&lc, "/etc/modprobe.d/a.conf:12: ");
	ck_assert_log_has(&lc, "'bogus3'");
	/* comment lines are never reported (not "c1"/"c2": the scratch dir name is random) */
	ck_assert_log_lacks(&lc, "'#");
	ck_assert_log_lacks(&lc, ":1: ");
	ck_assert_log_lacks(&lc, ":9: ");
	modset_unref(ctx);
	logcap_done(&lc);
}
END_TEST

START_TEST(malformed_lines)
{
	struct modset_ctx *ctx;
	struct logcap lc;

	put("etc/modprobe.d/bad.conf",
	    "softdep\n"			     /* 1: no module */
	    "softdep lonely\n"		     /* 2: no body */
	    "weakdep\n"			     /* 3 */
	    "weakdep onlymod\n"		     /* 4: no dep */
	    "alias\n"			     /* 5 */
	    "alias onlyone\n"		     /* 6 */
	    "options\n"			     /* 7 */
	    "options mod\n"		     /* 8: no option */
	    "options mod opt=1\n"	     /* ok */
	    "install mod\n"		     /* 10 */
	    "install mod /bin/true\n"	     /* ok */
	    "remove mod\n"		     /* 12 */
	    "remove mod /bin/true\n"	     /* ok */
	    "blacklist\n"		     /* 14 */
	    "blacklist mod\n"		     /* ok */
	    "frobnicate all the things\n"    /* 16: unknown command */
	    "include /etc/other.conf\n"	     /* 17: not supported by kmod */
	    "config something\n"	     /* 18 */
	    "softdep good pre: fine\n");     /* 19: still read */
	ctx = load_ctx(NULL, &lc);
	ck_assert_uint_eq(modset_get_config_warnings(ctx), 14);
	ck_assert_uint_eq(lc.count_warning, 14);
	for (unsigned int l = 1; l <= 18; l++) {
		char *needle = xasprintf("/etc/modprobe.d/bad.conf:%u: ", l);
		bool ok = l == 9 || l == 11 || l == 13 || l == 15;

		ck_assert_msg(logcap_has(&lc, needle) != ok, "line %u: log:\n%s", l,
			      logcap_text(&lc));
		free(needle);
	}
	ck_assert_log_has(&lc, "'frobnicate'");
	ck_assert_log_has(&lc, "'include'");
	ck_assert_str_eq_free(softdeps_str(ctx), "good:pre=fine@bad.conf:19");
	ck_assert_uint_eq(ctx->cfg.n_weakdeps, 0);
	ck_assert_uint_eq(ctx->cfg.n_aliases, 0);
	modset_unref(ctx);
	logcap_done(&lc);
}
END_TEST

START_TEST(fixture_soft_malformed)
{
	/* soft's 90-bad.conf: lines 2 (softdep), 3 (frobnicate), 4 (alias onlyone),
	 * 6 (include) are bad; the weakdep on line 5 and the softdep on line 7 count */
	struct modset_ctx *ctx = fixture_ctx("soft");
	struct logcap lc;
	bool found = false;

	logcap_attach(&lc, ctx, LOG_WARNING);
	ck_assert_int_eq(modset_load(ctx), 0);
	ck_assert_uint_eq(modset_get_config_warnings(ctx), 4);
	ck_assert_log_has(&lc, "/etc/modprobe.d/90-bad.conf:2: ");
	ck_assert_log_has(&lc, "/etc/modprobe.d/90-bad.conf:3: ");
	ck_assert_log_has(&lc, "/etc/modprobe.d/90-bad.conf:4: ");
	ck_assert_log_has(&lc, "/etc/modprobe.d/90-bad.conf:6: ");
	ck_assert_log_lacks(&lc, "90-bad.conf:1:");
	ck_assert_log_lacks(&lc, "90-bad.conf:5:");
	ck_assert_log_lacks(&lc, "90-bad.conf:7:");
	ck_assert_log_lacks(&lc, "readme.txt");
	for (size_t i = 0; i < ctx->cfg.n_softdeps; i++)
		if (streq(ctx->cfg.softdeps[i].pattern, "afterbad")) {
			ck_assert_uint_eq(ctx->cfg.softdeps[i].line, 7);
			ck_assert_str_eq(ctx->cfg.softdeps[i].post.v[0], "helper_c");
			found = true;
		}
	ck_assert(found);
	ck_assert_str_eq_free(weakdeps_str(ctx), "afterbad:deps=helper_a@90-bad.conf:5");
	modset_unref(ctx);
	logcap_done(&lc);
}
END_TEST

START_TEST(weakdep_lines)
{
	struct modset_ctx *ctx;

	put("etc/modprobe.d/w.conf", "weakdep m1 a\n"
				     "weakdep m-2 a-b c\td\n"
				     "weakdep m3[-] x\n"
				     "weakdep m4 pre: x\n"); /* no markers in weakdep: all deps */
	ctx = load_ctx(NULL, NULL);
	ck_assert_str_eq_free(weakdeps_str(ctx), "m1:deps=a@w.conf:1 m_2:deps=a-b,c,d@w.conf:2 "
						 "m3[-]:deps=x@w.conf:3 "
						 "m4:deps=pre:,x@w.conf:4");
	ck_assert(!ctx->cfg.have_modules_weakdep);
	ck_assert_uint_eq(modset_get_config_warnings(ctx), 0);
	modset_unref(ctx);
}
END_TEST

START_TEST(alias_lines)
{
	struct modset_ctx *ctx;
	struct modset_set *set;

	put("etc/modprobe.d/a.conf", "alias my-alias chain-4\n"
				     "alias pci:v[0-9-]d-x* fan-b\n"
				     "alias glob* lonely extra-ignored\n");
	ctx = load_ctx(NULL, NULL);
	/* both sides normalized, brackets kept */
	ck_assert_str_eq_free(aliases_str(ctx),
			      "my_alias=chain_4 pci:v[0-9-]d_x*=fan_b glob*=lonely");
	/* and used for lookups, before the indexes */
	set = resolve_ok(ctx, "my-alias", 0);
	ck_assert_ptr_nonnull(modset_set_find(set, "chain_4"));
	modset_set_unref(set);
	set = resolve_ok(ctx, "globbing", 0);
	ck_assert_str_eq_free(set_names(set), "lonely");
	modset_set_unref(set);
	set = resolve_ok(ctx, "pci:v5d-xyz", 0);
	ck_assert_ptr_nonnull(modset_set_find(set, "fan_b"));
	modset_set_unref(set);
	modset_unref(ctx);
}
END_TEST

START_TEST(nul_bytes_file)
{
	struct modset_ctx *ctx;
	struct logcap lc;

	free(write_bytes(tmp, "etc/modprobe.d/bin.conf", "softdep m pre: x\n\0junk\n", 23));
	put("etc/modprobe.d/ok.conf", "softdep n pre: y\n");
	ctx = load_ctx(NULL, &lc);
	/* as in libkmod, a NUL ends its line; the rest of the file counts */
	ck_assert_str_eq_free(softdeps_str(ctx), "m:pre=x@bin.conf:1 n:pre=y@ok.conf:1");
	ck_assert_uint_eq(modset_get_config_warnings(ctx), 1);
	ck_assert_log_has(&lc, "/etc/modprobe.d/bin.conf:2");
	modset_unref(ctx);
	logcap_done(&lc);
}
END_TEST

START_TEST(empty_and_blank_files)
{
	struct modset_ctx *ctx;

	put("etc/modprobe.d/empty.conf", "");
	put("etc/modprobe.d/blank.conf", "\n\n   \n\t\n");
	put("etc/modprobe.d/nonl.conf", "softdep m pre: x");
	ctx = load_ctx(NULL, NULL);
	ck_assert_str_eq_free(softdeps_str(ctx), "m:pre=x@nonl.conf:1");
	ck_assert_uint_eq(modset_get_config_warnings(ctx), 0);
	modset_unref(ctx);
}
END_TEST

/* ---- softdep_parse_body ---- */

START_TEST(parse_body)
{
	struct softdep_rule r = { 0 };
	char body[] = "u1 pre: p1 p2 post: q1 u2x pre: p3 \t post:";

	ck_assert_int_eq(softdep_parse_body(&r, body), 0);
	ck_assert_uint_eq(r.untagged.n, 1);
	ck_assert_str_eq(r.untagged.v[0], "u1");
	ck_assert_uint_eq(r.pre.n, 3);
	ck_assert_str_eq(r.pre.v[2], "p3");
	ck_assert_uint_eq(r.post.n, 2);
	ck_assert_str_eq(r.post.v[1], "u2x");
	softdep_rule_done(&r);

	{
		struct softdep_rule e = { 0 };
		char empty[] = "";

		ck_assert_int_eq(softdep_parse_body(&e, empty), 0);
		ck_assert_uint_eq(e.pre.n + e.post.n + e.untagged.n, 0);
		softdep_rule_done(&e);
	}
}
END_TEST

/* ---- modules.builtin.modinfo ---- */

static struct builtin_info *builtin(struct modset_config *cfg, const char *name)
{
	return hmap_get(&cfg->builtin_by_name, name);
}

static char *joined(const struct strv *v)
{
	struct sbuf b = { 0 };

	for (size_t i = 0; i < v->n; i++)
		sbuf_addf(&b, "%s%s", i ? "|" : "", v->v[i]);
	return sbuf_take(&b);
}

#define PARSE(cfg, lit) builtin_modinfo_parse(cfg, lit, sizeof(lit) - 1)

START_TEST(builtin_parse_records)
{
	struct modset_config cfg = { 0 };
	struct builtin_info *b;

	ck_assert_int_eq(PARSE(&cfg, "ext4.file=fs/ext4/ext4\0"
				     "ext4.license=GPL\0"
				     "ext4.alias=fs-ext4\0"
				     "ext4.alias=ext3\0"
				     "ext4.softdep=pre: crc32c\0"
				     "ext4.weakdep=crc32c-intel\0"
				     "ext4.firmware=ext4/none.bin\0"
				     "jbd2.softdep=pre: crc32c post: x\0"
				     "hid-generic.alias=hid:b*g0001v*p*\0"
				     "x.alias=a=b\0"),
			 0);
	ck_assert_uint_eq(cfg.builtins.n, 4);
	/* in file order */
	ck_assert_str_eq(((struct builtin_info *)cfg.builtins.v[0])->name, "ext4");
	ck_assert_str_eq(((struct builtin_info *)cfg.builtins.v[1])->name, "jbd2");
	ck_assert_str_eq(((struct builtin_info *)cfg.builtins.v[2])->name, "hid_generic");
	b = builtin(&cfg, "ext4");
	ck_assert_ptr_nonnull(b);
	/* aliases are normalized when read: they are fnmatch patterns for normalized
	 * aliases */
	ck_assert_str_eq_free(joined(&b->alias), "fs_ext4|ext3");
	ck_assert_str_eq_free(joined(&b->softdep), "pre: crc32c");
	ck_assert_str_eq_free(joined(&b->weakdep), "crc32c-intel");
	ck_assert_str_eq_free(joined(&b->firmware), "ext4/none.bin");
	ck_assert_str_eq_free(joined(&builtin(&cfg, "jbd2")->softdep), "pre: crc32c post: x");
	/* the name is normalized, the value is not */
	ck_assert_ptr_null(builtin(&cfg, "hid-generic"));
	ck_assert_str_eq_free(joined(&builtin(&cfg, "hid_generic")->alias), "hid:b*g0001v*p*");
	/* the value is everything after the first '=' */
	ck_assert_str_eq_free(joined(&builtin(&cfg, "x")->alias), "a=b");
	config_done(&cfg);
	ck_assert_uint_eq(cfg.builtins.n, 0);
}
END_TEST

START_TEST(builtin_parse_odd_records)
{
	struct modset_config cfg = { 0 };

	ck_assert_int_eq(PARSE(&cfg, "\0\0"			  /* empty records */
				     "nodot=1\0"		  /* no '.' */
				     "noeq.softdep\0"		  /* no '=' */
				     ".softdep=pre: x\0"	  /* empty name */
				     "m1.license=GPL\0"		  /* unknown keys only */
				     "m2.softdepx=pre: y\0"	  /* not softdep */
				     "m3.soft=pre: y\0"		  /* not softdep either */
				     "m4.alias=\0"		  /* empty value: kept */
				     "m5.firmware=fw.bin"),	  /* last record, no NUL */
			 0);
	ck_assert_ptr_null(builtin(&cfg, "nodot"));
	ck_assert_ptr_null(builtin(&cfg, "noeq"));
	ck_assert_ptr_null(builtin(&cfg, ""));
	ck_assert_ptr_null(builtin(&cfg, "m1"));
	ck_assert_ptr_null(builtin(&cfg, "m2"));
	ck_assert_ptr_null(builtin(&cfg, "m3"));
	ck_assert_ptr_nonnull(builtin(&cfg, "m4"));
	ck_assert_str_eq_free(joined(&builtin(&cfg, "m4")->alias), "");
	ck_assert_ptr_nonnull(builtin(&cfg, "m5"));
	ck_assert_str_eq_free(joined(&builtin(&cfg, "m5")->firmware), "fw.bin");
	ck_assert_uint_eq(cfg.builtins.n, 2);
	config_done(&cfg);

	/* nothing at all */
	ck_assert_int_eq(builtin_modinfo_parse(&cfg, "", 0), 0);
	ck_assert_uint_eq(cfg.builtins.n, 0);
	config_done(&cfg);
}
END_TEST

START_TEST(builtin_parse_long_names)
{
	struct modset_config cfg = { 0 };
	struct sbuf b = { 0 };
	char name255[256], name256[257];

	memset(name255, 'a', 255);
	name255[255] = '\0';
	memset(name256, 'b', 256);
	name256[256] = '\0';
	sbuf_addf(&b, "%s.alias=long", name255);
	sbuf_addn(&b, "", 1);
	sbuf_addf(&b, "%s.alias=toolong", name256);
	sbuf_addn(&b, "", 1);
	/* a name of 10000 characters */
	for (int i = 0; i < 10000; i++)
		sbuf_add(&b, "c");
	sbuf_add(&b, ".softdep=pre: x");
	sbuf_addn(&b, "", 1);
	sbuf_add(&b, "short.alias=ok");
	ck_assert_int_eq(builtin_modinfo_parse(&cfg, b.s, b.len), 0);
	/* names that do not fit are skipped, the rest is read */
	ck_assert_ptr_nonnull(builtin(&cfg, name255));
	ck_assert_ptr_null(builtin(&cfg, name256));
	ck_assert_ptr_nonnull(builtin(&cfg, "short"));
	ck_assert_uint_eq(cfg.builtins.n, 2);
	config_done(&cfg);
	free(b.s);
}
END_TEST

START_TEST(builtin_parse_many)
{
	/* thousands of builtins: the name map grows */
	struct modset_config cfg = { 0 };
	struct sbuf b = { 0 };

	for (int i = 0; i < 5000; i++) {
		sbuf_addf(&b, "mod%d.alias=alias%d", i, i);
		sbuf_addn(&b, "", 1);
		sbuf_addf(&b, "mod%d.firmware=fw%d", i, i);
		sbuf_addn(&b, "", 1);
	}
	ck_assert_int_eq(builtin_modinfo_parse(&cfg, b.s, b.len), 0);
	ck_assert_uint_eq(cfg.builtins.n, 5000);
	for (int i = 0; i < 5000; i += 499) {
		char name[32], fw[32];
		struct builtin_info *bi;

		snprintf(name, sizeof(name), "mod%d", i);
		snprintf(fw, sizeof(fw), "fw%d", i);
		bi = builtin(&cfg, name);
		ck_assert_ptr_nonnull(bi);
		ck_assert_uint_eq(bi->firmware.n, 1);
		ck_assert_str_eq(bi->firmware.v[0], fw);
	}
	config_done(&cfg);
	free(b.s);
}
END_TEST

START_TEST(builtin_modinfo_of_fixture)
{
	/* read through the context (on first use, or at load) */
	struct modset_ctx *ctx = fixture_ctx("builtin");
	struct modset_set *set;
	struct builtin_info *b;

	set = resolve_ok(ctx, "ext4", 0);
	modset_set_unref(set);
	b = builtin(&ctx->cfg, "ext4");
	ck_assert_ptr_nonnull(b);
	ck_assert_str_eq_free(joined(&b->alias), "fs_ext4|ext3|fs_ext3|ext2|fs_ext2");
	ck_assert_str_eq_free(joined(&b->softdep), "pre: crc32c");
	ck_assert_str_eq_free(joined(&b->weakdep), "crc32c-intel");
	ck_assert_str_eq_free(joined(&b->firmware), "ext4/none.bin");
	ck_assert_ptr_nonnull(builtin(&ctx->cfg, "hid_generic"));
	ck_assert_ptr_nonnull(builtin(&ctx->cfg, "lz4_compress"));
	modset_unref(ctx);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_new(s, "files");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, default_dirs_order);
	tcase_add_test(tc, alias_suffix_files);
	tcase_add_test(tc, no_config_dirs);
	tcase_add_test(tc, fixture_soft_defaults);
	tcase_add_test(tc, fixture_confdirs_order);
	tcase_add_test(tc, explicit_paths);
	tcase_add_test(tc, empty_config_list);
	tcase_add_test(tc, no_config_files_at_all);
	tcase_add_test(tc, weakdep_file_joins);

	tc = tcase_new(s, "lines");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, softdep_tokens);
	tcase_add_test(tc, softdep_pattern_normalized);
	tcase_add_test(tc, continuation_and_comments);
	tcase_add_test(tc, malformed_lines);
	tcase_add_test(tc, fixture_soft_malformed);
	tcase_add_test(tc, weakdep_lines);
	tcase_add_test(tc, alias_lines);
	tcase_add_test(tc, nul_bytes_file);
	tcase_add_test(tc, empty_and_blank_files);
	tcase_add_test(tc, parse_body);

	tc = tcase_new(s, "builtin-modinfo");
	tcase_add_test(tc, builtin_parse_records);
	tcase_add_test(tc, builtin_parse_odd_records);
	tcase_add_test(tc, builtin_parse_long_names);
	tcase_add_test(tc, builtin_parse_many);
	tcase_add_test(tc, builtin_modinfo_of_fixture);
	return s;
}

int main(void)
{
	return run_suite(config_suite());
}
