/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dlopen()/dlsym() for the libraries loaded on first use (lazy.h). */
#include <dlfcn.h>
#include <stdlib.h>

#include "../log.h"
#include "lazy.h"

int lazy_open(void **handle, const char *soname)
{
	if (*handle)
		return 0;
	*handle = dlopen(soname, RTLD_LAZY | RTLD_LOCAL);
	if (*handle)
		return 0;
	log_error("cannot load %s: %s", soname, dlerror());
	return -1;
}

void *lazy_sym(void **handle, const char *soname, const char *name)
{
	void *p;

	if (lazy_open(handle, soname) < 0)
		exit(2);
	p = dlsym(*handle, name);
	if (!p) {
		log_error("%s: %s", soname, dlerror());
		exit(2);
	}
	return p;
}
