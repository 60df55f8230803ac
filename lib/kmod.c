/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkmod, loaded on demand.
 *
 * libmodset reads the indexes (modules.dep.bin, modules.builtin.bin, and the alias
 * indexes with their wildcard searches: index.c), the configuration, module files'
 * .modinfo (modinfo.c, decompress.c) and the modinfo cache itself; libkmod is needed
 * only for libkmod >= 33's weak dependencies on a tree that has modules.weakdep, and
 * to tell whether the system's kmod reads *.alias files in modprobe.d (kmod < 33)
 * when there is one.
 * Linking it would make every run pay for mapping and relocating it and what it links
 * (libcrypto, liblzma, libzstd): more than a single-root resolve costs. So, as
 * systemd does, it is dlopen()ed on first use and its functions reached through the
 * sym_kmod_* pointers (libmodset-private.h); a run that needs none of the above never
 * maps it.
 *
 * The table below is every libkmod function the library uses, with the version node
 * that exports it since kmod 30 (Debian 12); tests/cli/abi.sh checks it against the
 * system's libkmod. Optional functions (newer libkmod) are NULL when missing. The
 * library is loaded once per process and never unloaded.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "libmodset-private.h"

typeof(kmod_new) *sym_kmod_new;
typeof(kmod_unref) *sym_kmod_unref;
typeof(kmod_set_log_fn) *sym_kmod_set_log_fn;
typeof(kmod_set_log_priority) *sym_kmod_set_log_priority;
typeof(kmod_load_resources) *sym_kmod_load_resources;
typeof(kmod_list_next) *sym_kmod_list_next;
typeof(kmod_module_new_from_name) *sym_kmod_module_new_from_name;
typeof(kmod_module_get_module) *sym_kmod_module_get_module;
typeof(kmod_module_get_name) *sym_kmod_module_get_name;
typeof(kmod_module_unref) *sym_kmod_module_unref;
typeof(kmod_module_unref_list) *sym_kmod_module_unref_list;
kmod_module_get_weakdeps_fn *sym_kmod_module_get_weakdeps;

struct kmod_sym {
	const char *name;
	const char *version; /* for tests/cli/abi.sh */
	void **fn;
	bool optional;
};

#define KMOD_SYM(name, version) { #name, #version, (void **)&sym_##name, false }
#define KMOD_SYM_OPTIONAL(name, version) { #name, #version, (void **)&sym_##name, true }

static const struct kmod_sym kmod_syms[] = {
	KMOD_SYM(kmod_new, LIBKMOD_5),
	KMOD_SYM(kmod_unref, LIBKMOD_5),
	KMOD_SYM(kmod_set_log_fn, LIBKMOD_5),
	KMOD_SYM(kmod_set_log_priority, LIBKMOD_5),
	KMOD_SYM(kmod_load_resources, LIBKMOD_5),
	KMOD_SYM(kmod_list_next, LIBKMOD_5),
	KMOD_SYM(kmod_module_new_from_name, LIBKMOD_5),
	KMOD_SYM(kmod_module_get_module, LIBKMOD_5),
	KMOD_SYM(kmod_module_get_name, LIBKMOD_5),
	KMOD_SYM(kmod_module_unref, LIBKMOD_5),
	KMOD_SYM(kmod_module_unref_list, LIBKMOD_5),
	KMOD_SYM_OPTIONAL(kmod_module_get_weakdeps, LIBKMOD_33),
};

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int load_result;
static char load_error[512];

static void load(void)
{
	void *dl;

	dl = dlopen(LIBKMOD_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		snprintf(load_error, sizeof(load_error), "%s", dlerror());
		load_result = -EOPNOTSUPP;
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(kmod_syms); i++) {
		const struct kmod_sym *s = &kmod_syms[i];

		*s->fn = dlsym(dl, s->name);
		if (*s->fn || s->optional)
			continue;
		snprintf(load_error, sizeof(load_error), "%s", dlerror());
		for (size_t k = 0; k < ARRAY_SIZE(kmod_syms); k++)
			*kmod_syms[k].fn = NULL;
		dlclose(dl);
		load_result = -ENOSYS;
		return;
	}
	/* Kept for the life of the process: libkmod contexts may be made at any time. */
}

int dlopen_libkmod(const struct modset_ctx *ctx, int priority)
{
	int r;

	r = pthread_once(&load_once, load);
	if (r != 0)
		return -r;
	if (load_result < 0)
		modset_log_cond(ctx, priority, LIBKMOD_SONAME ": cannot load: %s\n", load_error);
	return load_result;
}

bool libkmod_has_weakdeps(const struct modset_ctx *ctx)
{
	return dlopen_libkmod(ctx, LOG_DEBUG) == 0 && sym_kmod_module_get_weakdeps;
}
