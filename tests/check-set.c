/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/set.c: the result object, its accessors and the orders it guarantees. */
#include "check-common.h"

START_TEST(set_ref_unref)
{
	struct modset_ctx *ctx = fixture_ctx("hard");
	struct modset_set *set = resolve_ok(ctx, "chain3", 0);

	ck_assert_ptr_eq(modset_set_ref(set), set);
	ck_assert_ptr_null(modset_set_unref(set)); /* one reference left */
	ck_assert_uint_eq(modset_set_count(set), 3);
	ck_assert_ptr_null(modset_set_unref(set)); /* freed */
	ck_assert_ptr_null(modset_set_ref(NULL));
	ck_assert_ptr_null(modset_set_unref(NULL));
	modset_unref(ctx);
}
END_TEST

START_TEST(set_keeps_ctx_alive)
{
	struct modset_ctx *ctx = fixture_ctx("soft");
	char *md = strdup(modset_get_moddir(ctx));
	struct modset_set *a = resolve_ok(ctx, "btrfs", 0), *b = resolve_ok(ctx, "cifs", 0);
	const struct modset_module *m;

	ck_assert_ptr_eq(modset_set_get_ctx(a), ctx);
	ck_assert_ptr_eq(modset_set_get_ctx(b), ctx);
	/* the caller's reference goes; the sets hold theirs */
	ck_assert_ptr_null(modset_unref(ctx));
	ck_assert_str_eq(modset_get_moddir(modset_set_get_ctx(a)), md);
	m = modset_set_find(a, "libcrc32c");
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(modset_module_get_relpath(m), "kernel/lib/libcrc32c.ko");
	modset_set_unref(a);
	/* still alive through b, and usable for another resolve */
	ck_assert_str_eq(modset_get_kver(modset_set_get_ctx(b)), "6.1.0-soft");
	{
		struct modset_set *c = resolve_ok(modset_set_get_ctx(b), "ping", 0);

		ck_assert_str_eq_free(set_names(c), "ping pong");
		modset_set_unref(c);
	}
	ck_assert_str_eq_free(set_names(b), "ccm cifs gcm nls_utf8");
	modset_set_unref(b); /* the last reference: the context goes too (valgrind) */
	free(md);
}
END_TEST

START_TEST(set_sorted_by_name)
{
	struct modset_ctx *ctx = fixture_ctx("soft");
	struct modset_set *set = resolve_ok(ctx, "=", 0);
	size_t n = modset_set_count(set);

	ck_assert_uint_gt(n, 30);
	for (size_t i = 1; i < n; i++)
		ck_assert_str_lt(modset_module_get_name(modset_set_get(set, i - 1)),
				 modset_module_get_name(modset_set_get(set, i)));
	ck_assert_ptr_null(modset_set_get(set, n));
	ck_assert_ptr_null(modset_set_get(set, (size_t)-1));
	modset_set_unref(set);
	modset_unref(ctx);
}
END_TEST

START_TEST(set_find)
{
	struct modset_ctx *ctx = fixture_ctx("soft");
	struct modset_set *set = resolve_ok(ctx, "snd-hda-intel helper-b", 0);
	const struct modset_module *m = modset_set_find(set, "snd_hda_intel");
	char longname[300];

	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(modset_module_get_name(m), "snd_hda_intel");
	/* '-' = '_', and anything from the first '.' on is ignored */
	ck_assert_ptr_eq(modset_set_find(set, "snd-hda-intel"), m);
	ck_assert_ptr_eq(modset_set_find(set, "snd_hda-intel"), m);
	ck_assert_ptr_eq(modset_set_find(set, "snd-hda-intel.ko.zst"), m);
	ck_assert_ptr_nonnull(modset_set_find(set, "helper-b"));
	ck_assert_ptr_nonnull(modset_set_find(set, "helper_b"));
	ck_assert_str_eq(modset_module_get_relpath(modset_set_find(set, "helper_b")),
			 "kernel/drivers/fixture/helper-b.ko");
	/* not there */
	ck_assert_ptr_null(modset_set_find(set, "btrfs"));
	ck_assert_ptr_null(modset_set_find(set, "snd_hda"));
	ck_assert_ptr_null(modset_set_find(set, ""));
	ck_assert_ptr_null(modset_set_find(set, NULL));
	ck_assert_ptr_null(modset_set_find(NULL, "snd"));
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert_ptr_null(modset_set_find(set, longname));
	modset_set_unref(set);
	modset_unref(ctx);
}
END_TEST

START_TEST(set_accessors_ranges)
{
	struct modset_ctx *ctx = fixture_ctx("soft");
	struct modset_set *set = resolve_ok(ctx, "lostsoft ping nothing", 0);
	const struct modset_module *m = modset_set_find(set, "ping");
	const char *name = "x", *from = "x";
	enum modset_missing_kind kind = 99;
	enum modset_edge edge = 99;
	bool untagged = true;

	/* load order */
	ck_assert_str_eq_free(set_order(set), "helper_base helper_a lostsoft ping pong");
	ck_assert_uint_eq(modset_set_load_order_count(set), 5);
	ck_assert_ptr_nonnull(modset_set_load_order(set, 4));
	ck_assert_ptr_null(modset_set_load_order(set, 5));
	/* missing items */
	ck_assert_uint_eq(modset_set_missing_count(set), 3);
	ck_assert_int_eq(modset_set_missing(set, 0, &name, &kind, &from), 0);
	ck_assert_str_eq(name, "crypto-nothing");
	ck_assert_int_eq(kind, MODSET_MISSING_SOFT);
	ck_assert_str_eq(from, "lostsoft");
	ck_assert_int_eq(modset_set_missing(set, 2, &name, &kind, &from), 0);
	ck_assert_str_eq(name, "nothing");
	ck_assert_int_eq(kind, MODSET_MISSING_ROOT);
	ck_assert_ptr_null(from);
	ck_assert_int_eq(modset_set_missing(set, 1, NULL, NULL, NULL), 0);
	ck_assert_int_eq(modset_set_missing(set, 3, &name, &kind, &from), -ERANGE);
	ck_assert_int_eq(modset_set_missing(NULL, 0, &name, &kind, &from), -ERANGE);
	/* reasons */
	ck_assert_uint_eq(modset_module_get_reason_count(m), 2);
	ck_assert_int_eq(modset_module_get_reason(m, 0, &edge, &from, &untagged), 0);
	ck_assert_int_eq(edge, MODSET_EDGE_ROOT);
	ck_assert_ptr_null(from);
	ck_assert(!untagged);
	ck_assert_int_eq(modset_module_get_reason(m, 1, &edge, &from, NULL), 0);
	ck_assert_int_eq(edge, MODSET_EDGE_SOFT_PRE);
	ck_assert_str_eq(from, "pong");
	ck_assert_int_eq(modset_module_get_reason(m, 1, NULL, NULL, NULL), 0);
	ck_assert_int_eq(modset_module_get_reason(m, 2, &edge, &from, NULL), -ERANGE);
	ck_assert_int_eq(modset_module_get_reason(NULL, 0, &edge, &from, NULL), -ERANGE);
	/* cycles */
	ck_assert_uint_eq(modset_set_cycle_count(set), 1);
	ck_assert_str_eq(modset_set_cycle(set, 0)[0], "ping");
	ck_assert_str_eq(modset_set_cycle(set, 0)[1], "pong");
	ck_assert_ptr_null(modset_set_cycle(set, 0)[2]);
	ck_assert_ptr_null(modset_set_cycle(set, 1));
	/* firmware (not asked for) */
	ck_assert_uint_eq(modset_module_get_firmware_count(m), 0);
	ck_assert_ptr_null(modset_module_get_firmware(m, 0));
	modset_set_unref(set);
	modset_unref(ctx);
}
END_TEST

START_TEST(set_null_safety)
{
	ck_assert_ptr_null(modset_set_get_ctx(NULL));
	ck_assert_uint_eq(modset_set_count(NULL), 0);
	ck_assert_ptr_null(modset_set_get(NULL, 0));
	ck_assert_uint_eq(modset_set_load_order_count(NULL), 0);
	ck_assert_ptr_null(modset_set_load_order(NULL, 0));
	ck_assert_uint_eq(modset_set_missing_count(NULL), 0);
	ck_assert_uint_eq(modset_set_cycle_count(NULL), 0);
	ck_assert_ptr_null(modset_set_cycle(NULL, 0));
	ck_assert_ptr_null(modset_module_get_name(NULL));
	ck_assert_ptr_null(modset_module_get_path(NULL));
	ck_assert_ptr_null(modset_module_get_relpath(NULL));
	ck_assert(!modset_module_is_builtin(NULL));
	ck_assert(!modset_module_is_loaded(NULL));
	ck_assert_uint_eq(modset_module_get_reason_count(NULL), 0);
	ck_assert_uint_eq(modset_module_get_firmware_count(NULL), 0);
	ck_assert_ptr_null(modset_module_get_firmware(NULL, 0));
}
END_TEST

START_TEST(edge_and_kind_names)
{
	ck_assert_str_eq(modset_edge_name(MODSET_EDGE_ROOT), "root");
	ck_assert_str_eq(modset_edge_name(MODSET_EDGE_HARD), "hard");
	ck_assert_str_eq(modset_edge_name(MODSET_EDGE_SOFT_PRE), "soft-pre");
	ck_assert_str_eq(modset_edge_name(MODSET_EDGE_SOFT_POST), "soft-post");
	ck_assert_str_eq(modset_edge_name(MODSET_EDGE_WEAK), "weak");
	ck_assert_ptr_null(modset_edge_name((enum modset_edge)5));
	ck_assert_ptr_null(modset_edge_name((enum modset_edge)-1));
	ck_assert_str_eq(modset_missing_kind_name(MODSET_MISSING_ROOT), "root");
	ck_assert_str_eq(modset_missing_kind_name(MODSET_MISSING_HARD), "hard");
	ck_assert_str_eq(modset_missing_kind_name(MODSET_MISSING_SOFT), "soft");
	ck_assert_str_eq(modset_missing_kind_name(MODSET_MISSING_WEAK), "weak");
	ck_assert_str_eq(modset_missing_kind_name(MODSET_MISSING_CUT), "cut");
	ck_assert_ptr_null(modset_missing_kind_name((enum modset_missing_kind)5));
	ck_assert_ptr_null(modset_missing_kind_name((enum modset_missing_kind)-1));
}
END_TEST

START_TEST(empty_set)
{
	static const char *const none[] = { NULL };
	struct modset_ctx *ctx = fixture_ctx("hard");
	struct modset_set *set = NULL;

	ck_assert_int_eq(modset_resolve(ctx, none, 0, &set), 0);
	ck_assert_ptr_nonnull(set);
	ck_assert_uint_eq(modset_set_count(set), 0);
	ck_assert_ptr_null(modset_set_get(set, 0));
	ck_assert_uint_eq(modset_set_load_order_count(set), 0);
	ck_assert_uint_eq(modset_set_missing_count(set), 0);
	ck_assert_uint_eq(modset_set_cycle_count(set), 0);
	ck_assert_ptr_null(modset_set_find(set, "chain1"));
	modset_set_unref(set);
	modset_unref(ctx);
}
END_TEST

START_TEST(paths_of_modules)
{
	struct modset_ctx *ctx = fixture_ctx("hard");
	struct modset_set *set = resolve_ok(ctx, "fan_top use_all", 0);
	const char *md = modset_get_moddir(ctx);

	for (size_t i = 0; i < modset_set_count(set); i++) {
		const struct modset_module *m = modset_set_get(set, i);
		const char *path = modset_module_get_path(m), *rel = modset_module_get_relpath(m);

		ck_assert_ptr_nonnull(path);
		ck_assert_ptr_nonnull(rel);
		ck_assert(!modset_module_is_builtin(m));
		ck_assert_int_eq(strncmp(path, md, strlen(md)), 0);
		ck_assert_int_eq(path[strlen(md)], '/');
		ck_assert_str_eq(path + strlen(md) + 1, rel);
		/* the file as depmod named it: dashes kept, compression suffix kept */
		ck_assert_ptr_nonnull(strstr(rel, ".ko"));
	}
	ck_assert_str_eq(modset_module_get_relpath(modset_set_find(set, "fan_b")),
			 "kernel/drivers/fixture/fan-b.ko.xz");
	ck_assert_str_eq(modset_module_get_relpath(modset_set_find(set, "chain_5")),
			 "kernel/lib/deep/chain_5.ko.zst");
	modset_set_unref(set);
	modset_unref(ctx);
}
END_TEST

/* ---- modset_set_foreach_chain() ---- */

static const char *const edge_arrow[] = { "-root->", "-hard->", "-pre->", "-post->", "-weak->" };

static int chain_to_sbuf(void *data, const struct modset_module *const *mods,
			 const enum modset_edge *edges, size_t n)
{
	struct sbuf *b = data;

	if (b->len)
		sbuf_add(b, " | ");
	for (size_t i = 0; i < n; i++) {
		sbuf_add(b, modset_module_get_name(mods[i]));
		if (i + 1 < n)
			sbuf_addf(b, " %s ", edge_arrow[edges[i]]);
	}
	return 0;
}

static char *chains_of(const char *fixture, const char *roots, const char *name,
		       unsigned int flags, int *ret)
{
	struct modset_ctx *ctx = fixture_ctx(fixture);
	struct modset_set *set = resolve_ok(ctx, roots, flags);
	struct sbuf b = { 0 };

	*ret = modset_set_foreach_chain(set, name, chain_to_sbuf, &b);
	modset_set_unref(set);
	modset_unref(ctx);
	return sbuf_take(&b);
}

#define ck_assert_chains(fixture, roots, name, flags, want)                              \
	do {                                                                             \
		int r_;                                                                  \
		char *got_ = chains_of(fixture, roots, name, flags, &r_);                \
		ck_assert_int_eq(r_, 0);                                                 \
		ck_assert_str_eq(got_, want);                                            \
		free(got_);                                                              \
	} while (0)

START_TEST(chains)
{
	/* direct hard edges only: chain7's own import of chain1 is implied by chain6 */
	ck_assert_chains("hard", "chain7", "chain1", 0,
			 "chain7 -hard-> chain6 -hard-> chain_5 -hard-> chain_4 -hard-> chain3 "
			 "-hard-> chain2 -hard-> chain1");
	/* every shortest chain, sorted by names */
	ck_assert_chains("hard", "fan_top", "dia_base", 0,
			 "fan_top -hard-> fan_a -hard-> dia_top -hard-> dia_left -hard-> dia_base | "
			 "fan_top -hard-> fan_a -hard-> dia_top -hard-> dia_right -hard-> dia_base | "
			 "fan_top -hard-> fan_b -hard-> dia_top -hard-> dia_left -hard-> dia_base | "
			 "fan_top -hard-> fan_b -hard-> dia_top -hard-> dia_right -hard-> dia_base");
	/* from whichever root is nearest */
	ck_assert_chains("hard", "fan_top use_all", "multi_exp", 0,
			 "use_all -hard-> use_two_x -hard-> multi_exp");
	ck_assert_chains("soft", "btrfs", "crc32c-intel", 0, "btrfs -pre-> crc32c_intel");
	/* btrfs's own hard edge to crypto_hash is implied by libcrc32c's; chains
	 * compare name, edge, name, edge... */
	ck_assert_chains("soft", "btrfs", "crypto_hash", 0,
			 "btrfs -hard-> libcrc32c -hard-> crypto_hash | "
			 "btrfs -pre-> crc32c_generic -hard-> crypto_hash | "
			 "btrfs -pre-> crc32c_intel -hard-> crypto_hash | "
			 "btrfs -pre-> sha256_generic -hard-> crypto_hash | "
			 "btrfs -pre-> xxhash64 -hard-> crypto_hash");
	ck_assert_chains("soft", "btrfs cifs", "ccm", 0, "cifs -weak-> ccm");
	ck_assert_chains("weak", "wk_top", "wk_base", 0,
			 "wk_top -hard-> wk_main -weak-> wk_helper3 -hard-> wk_base");
	/* a root is its own chain */
	ck_assert_chains("soft", "ping", "ping", 0, "ping");
}
END_TEST

static int stop_after_one(void *data, const struct modset_module *const *mods,
			  const enum modset_edge *edges, size_t n)
{
	(*(int *)data)++;
	return 42;
}

START_TEST(chains_errors)
{
	struct modset_ctx *ctx = fixture_ctx("hard");
	struct modset_set *set = resolve_ok(ctx, "fan_top", 0);
	int calls = 0;

	ck_assert_int_eq(modset_set_foreach_chain(set, "lonely", stop_after_one, &calls), -ENOENT);
	ck_assert_int_eq(modset_set_foreach_chain(set, "nothing", stop_after_one, &calls), -ENOENT);
	ck_assert_int_eq(calls, 0);
	/* what the callback returns stops the walk and is returned */
	ck_assert_int_eq(modset_set_foreach_chain(set, "dia-base", stop_after_one, &calls), 42);
	ck_assert_int_eq(calls, 1);
	ck_assert_int_eq(modset_set_foreach_chain(set, "dia_base", NULL, NULL), -EINVAL);
	modset_set_unref(set);
	modset_unref(ctx);
}
END_TEST

/* ---- internals: building a set by hand ---- */

START_TEST(internal_reasons_and_missing)
{
	struct modset_ctx *ctx = fixture_ctx("hard");
	struct modset_set *set = set_new(ctx);
	char *path = xasprintf("%s/kernel/x/zeta.ko", modset_get_moddir(ctx));
	struct modset_module *z, *a, *b;

	ck_assert_ptr_nonnull(set);
	z = set_add(set, "zeta", path, false);
	a = set_add(set, "alpha", NULL, true);
	b = set_add(set, "beta", "/elsewhere/beta.ko", false);
	ck_assert_ptr_nonnull(z);
	ck_assert_str_eq(z->relpath, "kernel/x/zeta.ko");
	ck_assert_ptr_null(a->path);
	ck_assert_ptr_null(a->relpath);
	ck_assert_str_eq(b->relpath, "/elsewhere/beta.ko");
	ck_assert_ptr_eq(hmap_get(&set->by_name, "alpha"), a);

	/* reasons: duplicates merged, untagged only if every occurrence is */
	ck_assert_int_eq(module_add_reason(a, MODSET_EDGE_WEAK, "zeta", true), 0);
	ck_assert_int_eq(module_add_reason(a, MODSET_EDGE_WEAK, "zeta", true), 0);
	ck_assert_int_eq(module_add_reason(a, MODSET_EDGE_HARD, "zeta", false), 0);
	ck_assert_int_eq(module_add_reason(a, MODSET_EDGE_WEAK, "beta", true), 0);
	ck_assert_int_eq(module_add_reason(a, MODSET_EDGE_WEAK, "beta", false), 0);
	ck_assert_int_eq(module_add_reason(a, MODSET_EDGE_ROOT, NULL, false), 0);
	ck_assert_int_eq(module_add_reason(a, MODSET_EDGE_SOFT_PRE, "beta", false), 0);
	ck_assert_int_eq(module_add_reason(a, MODSET_EDGE_ROOT, NULL, false), 0);
	for (int i = 0; i < 50; i++) { /* growth */
		char from[16];

		snprintf(from, sizeof(from), "m%02d", 49 - i);
		ck_assert_int_eq(module_add_reason(z, MODSET_EDGE_SOFT_POST, strdup(from), false), 0);
	}
	ck_assert_uint_eq(a->n_reasons, 8); /* appended as found; set_finish() merges */

	/* missing: duplicates merged */
	ck_assert_int_eq(set_add_missing(set, "ghost", MODSET_MISSING_WEAK, "zeta"), 0);
	ck_assert_int_eq(set_add_missing(set, "ghost", MODSET_MISSING_SOFT, "zeta"), 0);
	ck_assert_int_eq(set_add_missing(set, "ghost", MODSET_MISSING_SOFT, "beta"), 0);
	ck_assert_int_eq(set_add_missing(set, "ghost", MODSET_MISSING_SOFT, "beta"), 0);
	ck_assert_int_eq(set_add_missing(set, "ghost", MODSET_MISSING_ROOT, NULL), 0);
	ck_assert_int_eq(set_add_missing(set, "aaa", MODSET_MISSING_HARD, "zeta"), 0);
	ck_assert_int_eq(set_add_missing(set, "ghost", MODSET_MISSING_ROOT, NULL), 0);
	ck_assert_uint_eq(set->n_missing, 5);

	set_finish(set);
	ck_assert_str_eq_free(set_names(set), "alpha beta zeta");
	ck_assert_str_eq_free(mod_reasons(a),
			      "root:- hard:zeta soft-pre:beta weak:beta weak*:zeta");
	ck_assert_uint_eq(a->n_reasons, 5);
	ck_assert_str_eq_free(set_missing(set), "aaa/hard/zeta ghost/root/- ghost/soft/beta "
						"ghost/soft/zeta ghost/weak/zeta");
	{
		const char *prev = "";

		for (size_t i = 0; i < z->n_reasons; i++) {
			ck_assert_str_gt(z->reasons[i].from, prev);
			prev = z->reasons[i].from;
		}
		for (size_t i = 0; i < z->n_reasons; i++)
			free((char *)z->reasons[i].from);
	}
	modset_set_unref(set);
	modset_unref(ctx);
	free(path);
}
END_TEST

static Suite *set_suite(void)
{
	Suite *s = suite_create("set");
	TCase *tc;

	tc = tcase_new(s, "lifetime");
	tcase_add_test(tc, set_ref_unref);
	tcase_add_test(tc, set_keeps_ctx_alive);

	tc = tcase_new(s, "accessors");
	tcase_add_test(tc, set_sorted_by_name);
	tcase_add_test(tc, set_find);
	tcase_add_test(tc, set_accessors_ranges);
	tcase_add_test(tc, set_null_safety);
	tcase_add_test(tc, edge_and_kind_names);
	tcase_add_test(tc, empty_set);
	tcase_add_test(tc, paths_of_modules);

	tc = tcase_new(s, "chains");
	tcase_add_test(tc, chains);
	tcase_add_test(tc, chains_errors);

	tc = tcase_new(s, "internals");
	tcase_add_test(tc, internal_reasons_and_missing);
	return s;
}

int main(void)
{
	return run_suite(set_suite());
}
