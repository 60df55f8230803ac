/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/firmware.c: modset_firmware_resolve() on a copy of the fw fixture with
 * firmware directories made here: search order (updates/KVER first, lib before
 * usr/lib), suffixes (.zst before .xz), globs, symlinks (kept, target added,
 * rewritten relative when absolute), missing names, dangling links, symlink loops
 * (missing, with the loop's path) and the kernel's 40-link limit; chains leaving
 * the firmware directory, followed inside the sysroot (the copy): back into a
 * firmware directory (a link straight to the end), or ending outside (missing,
 * with the link's path and where it ends).
 */
#include "check-common.h"

static char *tmp, *md;

static void setup(void)
{
	tmp = copy_fixture("fw", &md);
}

static void teardown(void)
{
	rm_rf(tmp);
	free(tmp);
	free(md);
	tmp = md = NULL;
}

static void put(const char *rel, const char *text)
{
	free(write_text(tmp, rel, text));
}

static void link_at(const char *rel, const char *target)
{
	char *p = xasprintf("%s/%s", tmp, rel);

	ck_assert_int_eq(symlink(target, p), 0);
	free(p);
}

static void unlink_at(const char *rel)
{
	char *p = xasprintf("%s/%s", tmp, rel);

	ck_assert_int_eq(unlink(p), 0);
	free(p);
}

static void mkdir_p_at(const char *rel)
{
	char *p = xasprintf("%s/%s", tmp, rel);

	mkdir_p(p);
	free(p);
}

/* "relpath[->link]:from,from" words for the files, "missing:name/from" for missing
 * ones, "missing:name/from@PATH" for those met as a symlink loop at tmp/PATH,
 * "missing:name/from@PATH=>TO" for those whose tmp/PATH leads outside to tmp/TO */
static char *fw_dump(const char *roots, const char *const *dirs, int *err)
{
	struct modset_ctx *ctx = modset_new(md, NULL);
	struct modset_set *set;
	struct modset_firmware *fw = NULL;
	struct sbuf b = { 0 };

	ctx_quiet(ctx);
	set = resolve_ok(ctx, roots, MODSET_RESOLVE_MODINFO);
	*err = modset_firmware_resolve(set, dirs, &fw);
	for (size_t i = 0; i < modset_firmware_count(fw); i++) {
		const char *rel, *link, *path;
		const char *const *from;
		struct sbuf w = { 0 };

		ck_assert_int_eq(modset_firmware_get(fw, i, NULL, &rel, &path, &link, &from), 0);
		ck_assert_ptr_nonnull(path);
		ck_assert(path[0] == '/');
		sbuf_add(&w, rel);
		if (link)
			sbuf_addf(&w, "->%s", link);
		for (size_t k = 0; from[k]; k++)
			sbuf_addf(&w, "%c%s", k ? ',' : ':', from[k]);
		sbuf_word(&b, w.s);
		free(w.s);
	}
	ck_assert_int_eq(modset_firmware_get(fw, modset_firmware_count(fw), NULL, NULL, NULL,
					     NULL, NULL),
			 -ERANGE);
	for (size_t i = 0; i < modset_firmware_missing_count(fw); i++) {
		const char *name, *from, *loop = "x", *out = "x", *to = "x";
		char *w;

		ck_assert_int_eq(modset_firmware_missing(fw, i, &name, &from), 0);
		ck_assert_int_eq(modset_firmware_missing_loop(fw, i, &loop), 0);
		ck_assert_int_eq(modset_firmware_missing_outside(fw, i, &out, &to), 0);
		ck_assert(!out == !to);
		ck_assert(!loop || !out);
		if (loop) {
			ck_assert(strncmp(loop, tmp, strlen(tmp)) == 0);
			w = xasprintf("missing:%s/%s@%s", name, from, loop + strlen(tmp) + 1);
		} else if (out) {
			ck_assert(strncmp(out, tmp, strlen(tmp)) == 0);
			ck_assert(strncmp(to, tmp, strlen(tmp)) == 0);
			w = xasprintf("missing:%s/%s@%s=>%s", name, from, out + strlen(tmp) + 1,
				      to + strlen(tmp) + 1);
		} else {
			w = xasprintf("missing:%s/%s", name, from);
		}
		sbuf_word(&b, w);
		free(w);
	}
	ck_assert_int_eq(modset_firmware_missing_loop(fw, modset_firmware_missing_count(fw),
						      NULL),
			 -ERANGE);
	ck_assert_int_eq(modset_firmware_missing_outside(fw, modset_firmware_missing_count(fw),
							 NULL, NULL),
			 -ERANGE);
	modset_firmware_unref(fw);
	modset_set_unref(set);
	modset_unref(ctx);
	return sbuf_take(&b);
}

START_TEST(search_order_and_suffixes)
{
	int err;

	put("usr/lib/firmware/plain.bin", "usr");
	put("lib/firmware/plain.bin", "lib");
	put("lib/firmware/vendor/a.bin.xz", "xz");
	put("lib/firmware/vendor/a.bin.zst", "zst");
	ck_assert_str_eq_free(fw_dump("fwplain", NULL, &err),
			      "plain.bin:fwplain vendor/a.bin.zst:fwplain missing:missing.bin/fwplain");
	ck_assert_int_eq(err, 0);
	put("usr/lib/firmware/updates/plain.bin", "upd");
	put("lib/firmware/6.1.0-fw/plain.bin", "kver");
	ck_assert_str_eq_free(fw_dump("fwplain", NULL, &err),
			      "updates/plain.bin:fwplain vendor/a.bin.zst:fwplain "
			      "missing:missing.bin/fwplain");
	put("lib/firmware/updates/6.1.0-fw/plain.bin", "updk");
	ck_assert_str_eq_free(fw_dump("fwplain", NULL, &err),
			      "updates/6.1.0-fw/plain.bin:fwplain vendor/a.bin.zst:fwplain "
			      "missing:missing.bin/fwplain");
}
END_TEST

START_TEST(globs_builtins_links)
{
	int err;

	put("lib/firmware/gpu/fam_1.bin", "1");
	put("lib/firmware/gpu/fam_2.bin.zst", "2");
	put("lib/firmware/gpu/other.bin", "x");
	put("lib/firmware/common/t.bin", "t");
	link_at("lib/firmware/link.bin", "common/t.bin");
	/* a directory symlink on the way: its files are found under its name */
	link_at("lib/firmware/vendor", "common");
	link_at("lib/firmware/common/rel-link.bin", "t.bin");
	put("usr/lib/firmware/bi/blob.bin", "b");
	ck_assert_str_eq_free(fw_dump("fwglob fwlink fwbuiltin", NULL, &err),
			      "bi/blob.bin:fwbuiltin common/t.bin:fwlink gpu/fam_1.bin:fwglob "
			      "gpu/fam_2.bin.zst:fwglob link.bin->common/t.bin:fwlink "
			      "vendor/rel-link.bin->t.bin:fwlink vendor/t.bin:fwlink");
	ck_assert_int_eq(err, 0);
}
END_TEST

START_TEST(absolute_link_rewritten)
{
	int err;

	put("lib/firmware/common/t.bin", "t");
	link_at("lib/firmware/link.bin", "/lib/firmware/common/t.bin");
	ck_assert_str_eq_free(fw_dump("fwlink", NULL, &err),
			      "common/t.bin:fwlink link.bin->common/t.bin:fwlink "
			      "missing:vendor/rel-link.bin/fwlink");
	ck_assert_int_eq(err, 0);
}
END_TEST

/* The path below tmp of the item @relpath among the firmware of @roots, or NULL. */
static char *fw_item_path(const char *roots, const char *const *dirs, const char *relpath)
{
	struct modset_ctx *ctx = modset_new(md, NULL);
	struct modset_set *set;
	struct modset_firmware *fw = NULL;
	char *ret = NULL;

	ctx_quiet(ctx);
	set = resolve_ok(ctx, roots, MODSET_RESOLVE_MODINFO);
	ck_assert_int_eq(modset_firmware_resolve(set, dirs, &fw), 0);
	for (size_t i = 0; i < modset_firmware_count(fw); i++) {
		const char *rel, *path;

		ck_assert_int_eq(modset_firmware_get(fw, i, NULL, &rel, &path, NULL, NULL), 0);
		if (streq(rel, relpath)) {
			ck_assert(strncmp(path, tmp, strlen(tmp)) == 0);
			ret = strdup(path + strlen(tmp) + 1);
		}
	}
	modset_firmware_unref(fw);
	modset_set_unref(set);
	modset_unref(ctx);
	return ret;
}

static void relink(const char *rel, const char *target)
{
	unlink_at(rel);
	link_at(rel, target);
}

/*
 * A chain ending outside every firmware directory is followed inside the sysroot
 * (tmp: ".." stops there, an absolute target starts there), its end never opened (a
 * FIFO there does not block): the name is missing, with the link and where it ends.
 * A link dangling inside a firmware directory is an error.
 */
START_TEST(escapes_and_dangling)
{
	char *fifo;
	int err;

	put("secret.bin", "s");
	put("etc/shadow", "s");
	put("lib/firmware/other.bin", "o");
	link_at("lib/firmware/escape.bin", "../../secret.bin");
	ck_assert_str_eq_free(fw_dump("fwbad", NULL, &err),
			      "missing:escape.bin/fwbad@lib/firmware/escape.bin=>secret.bin");
	ck_assert_int_eq(err, 0);
	/* ".." stops at the sysroot */
	relink("lib/firmware/escape.bin", "../../../../../../../../../../../../etc/shadow");
	ck_assert_str_eq_free(fw_dump("fwbad", NULL, &err),
			      "missing:escape.bin/fwbad@lib/firmware/escape.bin=>etc/shadow");
	ck_assert_int_eq(err, 0);
	/* absolute: below the sysroot */
	relink("lib/firmware/escape.bin", "/etc/shadow");
	ck_assert_str_eq_free(fw_dump("fwbad", NULL, &err),
			      "missing:escape.bin/fwbad@lib/firmware/escape.bin=>etc/shadow");
	/* the second link leaves, through a directory link */
	link_at("lib/firmware/sub", "../../etc");
	link_at("lib/firmware/a", "sub/shadow");
	relink("lib/firmware/escape.bin", "a");
	ck_assert_str_eq_free(fw_dump("fwbad", NULL, &err),
			      "missing:escape.bin/fwbad@lib/firmware/escape.bin=>etc/shadow");
	/* a FIFO at the end is not opened */
	fifo = xasprintf("%s/etc/fifo", tmp);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	free(fifo);
	relink("lib/firmware/escape.bin", "/etc/fifo");
	ck_assert_str_eq_free(fw_dump("fwbad", NULL, &err),
			      "missing:escape.bin/fwbad@lib/firmware/escape.bin=>etc/fifo");
	/* dangling outside */
	relink("lib/firmware/escape.bin", "/etc/alternatives/none/x");
	ck_assert_str_eq_free(fw_dump("fwbad", NULL, &err),
			      "missing:escape.bin/fwbad@lib/firmware/escape.bin=>"
			      "etc/alternatives/none/x");
	ck_assert_int_eq(err, 0);
	/* dangling inside: an error, also after leaving */
	link_at("lib/firmware/dangle.bin", "nothere.bin");
	free(fw_dump("fwdangle", NULL, &err));
	ck_assert_int_eq(err, -ENOENT);
	mkdir_p_at("etc/alternatives");
	link_at("etc/alternatives/d", "/lib/firmware/gone.bin");
	relink("lib/firmware/dangle.bin", "/etc/alternatives/d");
	free(fw_dump("fwdangle", NULL, &err));
	ck_assert_int_eq(err, -ENOENT);
	/* a FIFO inside, reached from outside: not a regular file */
	fifo = xasprintf("%s/lib/firmware/fifo.bin", tmp);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	free(fifo);
	relink("etc/alternatives/d", "../../lib/firmware/fifo.bin");
	free(fw_dump("fwdangle", NULL, &err));
	ck_assert_int_eq(err, -EINVAL);
}
END_TEST

/*
 * Chains leaving the firmware directory and coming back into one (the same or the
 * other), followed inside the sysroot: the name is a link straight to the end (or
 * that file, at the same path), the end is an item, the links on the way are not.
 * A loop through outside is a loop; a name leading outside is passed over for one
 * further down the search list.
 */
START_TEST(chains_leaving_and_back)
{
	const char *dirs[3] = { NULL };
	int err;

	/* Debian's wireless-regdb: absolute links through etc/alternatives */
	put("lib/firmware/plain.bin-debian", "regdb");
	mkdir_p_at("etc/alternatives");
	link_at("etc/alternatives/plain.bin", "/lib/firmware/plain.bin-debian");
	link_at("lib/firmware/plain.bin", "/etc/alternatives/plain.bin");
	/* into usr/lib/firmware, at the same path */
	put("usr/lib/firmware/vendor/a.bin", "a");
	mkdir_p_at("lib/firmware/vendor");
	link_at("lib/firmware/vendor/a.bin", "/usr/lib/firmware/vendor/a.bin");
	/* relative, out and back in, to another path of usr/lib/firmware */
	put("usr/lib/firmware/real/m.bin", "m");
	mkdir_p_at("etc/fw");
	link_at("etc/fw/m", "../../usr/lib/firmware/real/m.bin");
	link_at("lib/firmware/missing.bin", "../../etc/fw/m");
	ck_assert_str_eq_free(fw_dump("fwplain", NULL, &err),
			      "missing.bin->real/m.bin:fwplain plain.bin->plain.bin-debian:fwplain "
			      "plain.bin-debian:fwplain real/m.bin:fwplain vendor/a.bin:fwplain");
	ck_assert_int_eq(err, 0);
	ck_assert_str_eq_free(fw_item_path("fwplain", NULL, "vendor/a.bin"),
			      "usr/lib/firmware/vendor/a.bin");
	ck_assert_str_eq_free(fw_item_path("fwplain", NULL, "real/m.bin"),
			      "usr/lib/firmware/real/m.bin");
	ck_assert_str_eq_free(fw_item_path("fwplain", NULL, "plain.bin-debian"),
			      "lib/firmware/plain.bin-debian");

	/* from updates/ into the other directory's base */
	put("usr/lib/firmware/p.bin", "p");
	mkdir_p_at("lib/firmware/updates");
	link_at("lib/firmware/updates/plain.bin", "/usr/lib/firmware/p.bin");
	ck_assert_str_eq_free(fw_dump("fwplain", NULL, &err),
			      "missing.bin->real/m.bin:fwplain p.bin:fwplain real/m.bin:fwplain "
			      "updates/plain.bin->../p.bin:fwplain vendor/a.bin:fwplain");
	ck_assert_int_eq(err, 0);

	/* leading outside: passed over for the file below it */
	relink("lib/firmware/updates/plain.bin", "/etc/passwd");
	put("etc/passwd", "root");
	ck_assert_str_eq_free(fw_dump("fwplain", NULL, &err),
			      "missing.bin->real/m.bin:fwplain plain.bin->plain.bin-debian:fwplain "
			      "plain.bin-debian:fwplain real/m.bin:fwplain vendor/a.bin:fwplain");
	ck_assert_int_eq(err, 0);

	/* a loop through outside */
	relink("etc/alternatives/plain.bin", "/lib/firmware/plain.bin");
	ck_assert_str_eq_free(fw_dump("fwplain", NULL, &err),
			      "missing.bin->real/m.bin:fwplain real/m.bin:fwplain "
			      "vendor/a.bin:fwplain "
			      "missing:plain.bin/fwplain@lib/firmware/updates/plain.bin=>etc/passwd");
	ck_assert_int_eq(err, 0);
	unlink_at("lib/firmware/updates/plain.bin");
	ck_assert_str_eq_free(fw_dump("fwplain", NULL, &err),
			      "missing.bin->real/m.bin:fwplain real/m.bin:fwplain "
			      "vendor/a.bin:fwplain missing:plain.bin/fwplain@lib/firmware/plain.bin");
	ck_assert_int_eq(err, 0);

	/* given directories: from one into the other */
	dirs[0] = xasprintf("%s/fw1", tmp);
	dirs[1] = xasprintf("%s/fw2", tmp);
	put("fw2/p.bin", "2");
	put("fw2/vendor/a.bin", "a");
	mkdir_p_at("fw1");
	link_at("fw1/plain.bin", "../fw2/p.bin");
	link_at("fw1/missing.bin", "/fw2/vendor/a.bin");
	ck_assert_str_eq_free(fw_dump("fwplain", dirs, &err),
			      "missing.bin->vendor/a.bin:fwplain p.bin:fwplain "
			      "plain.bin->p.bin:fwplain vendor/a.bin:fwplain");
	ck_assert_int_eq(err, 0);
	free((char *)dirs[0]);
	free((char *)dirs[1]);
}
END_TEST

/*
 * Symlink loops (to itself, a -> b -> a, a directory loop, more than 40 links) are
 * missing firmware that says where the loop is, not errors; a loop is passed over
 * for a file of the name further down the search list, as the kernel does.
 */
START_TEST(symlink_loops)
{
	int err;

	mkdir_p_at("lib/firmware/d");
	link_at("lib/firmware/plain.bin", "plain.bin");
	link_at("lib/firmware/vendor", "d");
	link_at("lib/firmware/d/a.bin", "b.bin");
	link_at("lib/firmware/d/b.bin", "../vendor/a.bin");
	link_at("lib/firmware/missing.bin", "loopdir/x");
	link_at("lib/firmware/loopdir", "loopdir");
	ck_assert_str_eq_free(fw_dump("fwplain", NULL, &err),
			      "missing:missing.bin/fwplain@lib/firmware/missing.bin "
			      "missing:plain.bin/fwplain@lib/firmware/plain.bin "
			      "missing:vendor/a.bin/fwplain@lib/firmware/vendor/a.bin");
	ck_assert_int_eq(err, 0);
	/* found below: the loop is passed over */
	put("usr/lib/firmware/plain.bin", "usr");
	ck_assert_str_eq_free(fw_dump("fwplain", NULL, &err),
			      "plain.bin:fwplain "
			      "missing:missing.bin/fwplain@lib/firmware/missing.bin "
			      "missing:vendor/a.bin/fwplain@lib/firmware/vendor/a.bin");
	ck_assert_int_eq(err, 0);
}
END_TEST

/* 40 links are followed, as by the kernel; the 41st is a loop. */
START_TEST(symlink_chain_limit)
{
	char name[32], target[32];
	int err;

	put("lib/firmware/vendor/a.bin.zst", "a");
	put("lib/firmware/missing.bin", "m");
	put("lib/firmware/l40", "real");
	for (int i = 40; i > 1; i--) {
		snprintf(name, sizeof(name), "lib/firmware/l%d", i - 1);
		snprintf(target, sizeof(target), "l%d", i);
		link_at(name, target);
	}
	/* plain.bin -> l1 -> ... -> l39 -> l40 (a file): 40 links */
	link_at("lib/firmware/plain.bin", "l1");
	ck_assert_str_eq_free(fw_dump("fwplain", NULL, &err),
			      "l1->l2:fwplain l10->l11:fwplain l11->l12:fwplain l12->l13:fwplain "
			      "l13->l14:fwplain l14->l15:fwplain l15->l16:fwplain l16->l17:fwplain "
			      "l17->l18:fwplain l18->l19:fwplain l19->l20:fwplain l2->l3:fwplain "
			      "l20->l21:fwplain l21->l22:fwplain l22->l23:fwplain l23->l24:fwplain "
			      "l24->l25:fwplain l25->l26:fwplain l26->l27:fwplain l27->l28:fwplain "
			      "l28->l29:fwplain l29->l30:fwplain l3->l4:fwplain l30->l31:fwplain "
			      "l31->l32:fwplain l32->l33:fwplain l33->l34:fwplain l34->l35:fwplain "
			      "l35->l36:fwplain l36->l37:fwplain l37->l38:fwplain l38->l39:fwplain "
			      "l39->l40:fwplain l4->l5:fwplain l40:fwplain l5->l6:fwplain "
			      "l6->l7:fwplain l7->l8:fwplain l8->l9:fwplain l9->l10:fwplain "
			      "missing.bin:fwplain plain.bin->l1:fwplain vendor/a.bin.zst:fwplain");
	ck_assert_int_eq(err, 0);
	/* plain.bin -> l0 -> l1 -> ... -> l40: 41 */
	link_at("lib/firmware/l0", "l1");
	unlink_at("lib/firmware/plain.bin");
	link_at("lib/firmware/plain.bin", "l0");
	ck_assert_str_eq_free(fw_dump("fwplain", NULL, &err),
			      "missing.bin:fwplain vendor/a.bin.zst:fwplain "
			      "missing:plain.bin/fwplain@lib/firmware/plain.bin");
	ck_assert_int_eq(err, 0);
}
END_TEST

START_TEST(given_dirs_and_no_dirs)
{
	char *d1 = xasprintf("%s/fw1", tmp), *d2 = xasprintf("%s/fw2", tmp);
	const char *dirs[] = { d1, "/nonexistent/dir", d2, NULL };
	struct modset_ctx *ctx = modset_new(md, NULL);
	struct modset_set *set;
	struct modset_firmware *fw;
	int err;

	put("fw1/plain.bin", "1");
	put("fw2/plain.bin", "2");
	put("fw2/vendor/a.bin", "a");
	ck_assert_str_eq_free(fw_dump("fwplain", dirs, &err),
			      "plain.bin:fwplain vendor/a.bin:fwplain missing:missing.bin/fwplain");
	/* nothing under the sysroot: no directory searched */
	ctx_quiet(ctx);
	set = resolve_ok(ctx, "fwplain", MODSET_RESOLVE_MODINFO);
	ck_assert_int_eq(modset_firmware_resolve(set, NULL, &fw), 0);
	ck_assert_uint_eq(modset_firmware_dir_count(fw), 0);
	ck_assert_uint_eq(modset_firmware_missing_count(fw), 3);
	modset_firmware_unref(fw);
	modset_set_unref(set);
	modset_unref(ctx);
	free(d1);
	free(d2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("firmware");
	TCase *tc = tcase_new(s, "resolve");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, search_order_and_suffixes);
	tcase_add_test(tc, globs_builtins_links);
	tcase_add_test(tc, absolute_link_rewritten);
	tcase_add_test(tc, escapes_and_dangling);
	tcase_add_test(tc, chains_leaving_and_back);
	tcase_add_test(tc, symlink_loops);
	tcase_add_test(tc, symlink_chain_limit);
	tcase_add_test(tc, given_dirs_and_no_dirs);
	return run_suite(s);
}
