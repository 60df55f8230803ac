/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * modprobe.d files, modules.softdep and modules.weakdep: config_load() (config.c:
 * conf_add_path, parse_file, parse_line, softdep_parse_body) on the input bytes,
 * then the rules used the way closure.c and lookup.c use them (fnmatch of every
 * pattern against module names).
 *
 * Built twice (see Makefile, target fuzz):
 *   fuzz-modprobe-d  (default)      the bytes are DIR/etc/modprobe.d/fuzz.conf,
 *                                   read through the default sysroot directories;
 *   fuzz-softdep     (-DFUZZ_TREE_FILES)  the first byte picks the file of the
 *                    module directory (even: modules.softdep, odd: modules.weakdep),
 *                    the rest is its content; no modprobe.d at all.
 */
#include <fnmatch.h>

#include "fuzz-common.h"
#include "libmodset-private.h"

static const char *const names[] = { "snd_hda_intel", "crc32c", "a", "", "x[y]z", "e-1" };

static void use_rules(const struct modset_config *cfg)
{
	volatile int sink = 0;

	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
		for (size_t i = 0; i < cfg->n_softdeps; i++) {
			const struct softdep_rule *r = &cfg->softdeps[i];

			sink += fnmatch(r->pattern, names[n], 0) == 0;
			sink += (int)(r->pre.n + r->post.n + r->untagged.n);
			FUZZ_ASSERT(r->line > 0 && r->file);
		}
		for (size_t i = 0; i < cfg->n_weakdeps; i++) {
			sink += fnmatch(cfg->weakdeps[i].pattern, names[n], 0) == 0;
			FUZZ_ASSERT(cfg->weakdeps[i].deps.n > 0);
		}
		for (size_t i = 0; i < cfg->n_aliases; i++)
			sink += fnmatch(cfg->aliases[i].pattern, names[n], 0) == 0 &&
				cfg->aliases[i].modname[0];
		sink += strv_contains(&cfg->blacklist, names[n]);
	}
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	static const char *moddir, *conf_file, *tree_file[2];
	struct modset_ctx *ctx;
	int r;

	if (!init) {
		/* DIR/etc/modprobe.d and DIR/lib/modules/1.0: DIR is the sysroot. */
		fuzz_mkdir(fuzz_path(0, "etc"));
		fuzz_mkdir(fuzz_path(0, "etc/modprobe.d"));
		fuzz_mkdir(fuzz_path(0, "lib"));
		fuzz_mkdir(fuzz_path(0, "lib/modules"));
		fuzz_mkdir(fuzz_path(0, "lib/modules/1.0"));
		moddir = strdup(fuzz_path(0, "lib/modules/1.0"));
		conf_file = strdup(fuzz_path(0, "etc/modprobe.d/fuzz.conf"));
		tree_file[0] = strdup(fuzz_path(0, "lib/modules/1.0/modules.softdep"));
		tree_file[1] = strdup(fuzz_path(0, "lib/modules/1.0/modules.weakdep"));
		FUZZ_ASSERT(moddir && conf_file && tree_file[0] && tree_file[1]);
		init = true;
	}
#ifdef FUZZ_TREE_FILES
	static const char *const no_config[] = { NULL };
	const char *file;

	if (size < 1)
		return -1;
	file = tree_file[data[0] & 1];
	unlink(tree_file[!(data[0] & 1)]);
	fuzz_write(file, data + 1, size - 1);
	ctx = modset_new(moddir, no_config);
#else
	fuzz_write(conf_file, data, size);
	ctx = modset_new(moddir, NULL);
#endif
	FUZZ_ASSERT(ctx);
	modset_set_log_fn(ctx, NULL, NULL);
	r = config_load(ctx);
	FUZZ_ASSERT(r == 0 || r == -ENOMEM);
	FUZZ_ASSERT(ctx->config_files.n == 1);
	if (r == 0)
		use_rules(&ctx->cfg);
	modset_unref(ctx);
	return 0;
}
