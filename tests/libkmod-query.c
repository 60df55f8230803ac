/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkmod-query: what the libkmod it runs with answers, for the differential tests
 * (tests/cli/differential.sh DIFF_WEAK=1). Built on the host; run there (kmod 30) or
 * inside the Debian 13 root of tests/trixie-root.sh (kmod 34), where the dynamic
 * linker gives it that root's libkmod.so.2.
 *
 *   libkmod-query MODDIR [CONFDIR]... -- weakdeps NAME...
 *   libkmod-query MODDIR [CONFDIR]... -- lookup NAME...
 *
 * One line per NAME, "NAME:" then " MOD" for each module of the answer, in libkmod's
 * order. weakdeps: kmod_module_get_weakdeps() of the module NAME (libkmod >= 33; it
 * reads modules.weakdep and the CONFDIRs, and keeps the first matching line only);
 * reached through dlsym() since Debian 12's header lacks it: exit 77 when the libkmod
 * has none. lookup: kmod_module_new_from_lookup() (names, aliases, builtins), what
 * libkmod does with each target of such a line.
 * Exit status: 0; 1 usage; 2 libkmod failed; 77 no kmod_module_get_weakdeps.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libkmod.h>

typedef int get_weakdeps_fn(const struct kmod_module *mod, struct kmod_list **weak);

static void print_list(const char *name, struct kmod_list *list)
{
	struct kmod_list *l;

	printf("%s:", name);
	kmod_list_foreach(l, list)
	{
		struct kmod_module *m = kmod_module_get_module(l);

		printf(" %s", kmod_module_get_name(m));
		kmod_module_unref(m);
	}
	putchar('\n');
}

static int weakdeps(struct kmod_ctx *ctx, char **names)
{
	get_weakdeps_fn *get = (get_weakdeps_fn *)dlsym(RTLD_DEFAULT, "kmod_module_get_weakdeps");

	if (!get) {
		fprintf(stderr, "libkmod-query: this libkmod has no kmod_module_get_weakdeps\n");
		return 77;
	}
	for (; *names; names++) {
		struct kmod_module *mod = NULL;
		struct kmod_list *list = NULL;
		int r = kmod_module_new_from_name(ctx, *names, &mod);

		if (r < 0) {
			fprintf(stderr, "libkmod-query: %s: %s\n", *names, strerror(-r));
			return 2;
		}
		r = get(mod, &list);
		kmod_module_unref(mod);
		if (r < 0) {
			fprintf(stderr, "libkmod-query: weakdeps of %s: %s\n", *names, strerror(-r));
			return 2;
		}
		print_list(*names, list);
		kmod_module_unref_list(list);
	}
	return 0;
}

static int lookup(struct kmod_ctx *ctx, char **names)
{
	for (; *names; names++) {
		struct kmod_list *list = NULL;
		int r = kmod_module_new_from_lookup(ctx, *names, &list);

		if (r < 0) {
			fprintf(stderr, "libkmod-query: lookup %s: %s\n", *names, strerror(-r));
			return 2;
		}
		print_list(*names, list);
		kmod_module_unref_list(list);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *confs[argc + 1];
	struct kmod_ctx *ctx;
	int i, n = 0, r;

	if (argc < 3)
		goto usage;
	for (i = 2; i < argc && strcmp(argv[i], "--") != 0; i++)
		confs[n++] = argv[i];
	confs[n] = NULL;
	if (i + 1 >= argc)
		goto usage;
	/* no configuration directory: an empty list, never the host's /etc/modprobe.d */
	ctx = kmod_new(argv[1], confs);
	if (!ctx) {
		fprintf(stderr, "libkmod-query: kmod_new %s failed\n", argv[1]);
		return 2;
	}
	r = kmod_load_resources(ctx);
	if (r < 0) {
		fprintf(stderr, "libkmod-query: %s: %s\n", argv[1], strerror(-r));
		kmod_unref(ctx);
		return 2;
	}
	if (strcmp(argv[i + 1], "weakdeps") == 0)
		r = weakdeps(ctx, argv + i + 2);
	else if (strcmp(argv[i + 1], "lookup") == 0)
		r = lookup(ctx, argv + i + 2);
	else
		r = 1;
	kmod_unref(ctx);
	if (r != 1)
		return r;
usage:
	fprintf(stderr, "usage: libkmod-query MODDIR [CONFDIR]... -- weakdeps|lookup NAME...\n");
	return 1;
}
