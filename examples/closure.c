/* SPDX-License-Identifier: CC0-1.0 */
/*
 * Minimal libmodset user: print the load order and the image-only modules of the
 * roots given on the command line.
 *
 *   cc closure.c $(pkg-config --cflags --libs libmodset) -o closure
 *   ./closure /lib/modules/$(uname -r) xe ext4
 */
#include <stdio.h>
#include <string.h>

#include <libmodset.h>

int main(int argc, char **argv)
{
	struct modset_ctx *ctx;
	struct modset_set *set = NULL;
	int r;

	if (argc < 3) {
		fprintf(stderr, "usage: %s MODDIR ROOT...\n", argv[0]);
		return 1;
	}
	ctx = modset_new(argv[1], NULL);
	if (!ctx)
		return 1;
	r = modset_resolve(ctx, (const char *const *)argv + 2, 0, &set);
	if (r < 0) {
		fprintf(stderr, "resolve: %s\n", strerror(-r));
		modset_unref(ctx);
		return 2;
	}
	for (size_t i = 0; i < modset_set_load_order_count(set); i++)
		printf("load %s\n", modset_module_get_name(modset_set_load_order(set, i)));
	for (size_t i = 0; i < modset_set_count(set); i++) {
		const struct modset_module *m = modset_set_get(set, i);

		if (modset_module_is_builtin(m))
			printf("builtin %s\n", modset_module_get_name(m));
		else if (!modset_module_is_loaded(m))
			printf("image %s\n", modset_module_get_name(m));
	}
	modset_set_unref(set);
	modset_unref(ctx);
	return 0;
}
