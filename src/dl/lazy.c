/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dlopen()/dlsym() for the libraries loaded on first use (lazy.h). */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "lazy.h"

int lazy_open(void **handle, const char *soname)
{
	if (*handle)
		return 0;
	*handle = dlopen(soname, RTLD_LAZY | RTLD_LOCAL);
	if (*handle)
		return 0;
	fprintf(stderr, "initrd-modset: error: cannot load %s: %s\n", soname, dlerror());
	return -1;
}

void *lazy_sym(void **handle, const char *soname, const char *name)
{
	void *p;

	if (lazy_open(handle, soname) < 0)
		exit(2);
	p = dlsym(*handle, name);
	if (!p) {
		fprintf(stderr, "initrd-modset: error: %s: %s\n", soname, dlerror());
		exit(2);
	}
	return p;
}
