/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef INITRD_MODSET_ROOTS_H
#define INITRD_MODSET_ROOTS_H

#include <stddef.h>

/* A NULL-terminated, growable list of strings. */
struct roots {
	char **v;
	size_t n, alloc;
};

int roots_add(struct roots *r, const char *s);
/* Add the roots listed in @path ("-" = stdin). On a bad line, *errline names it. */
int roots_add_file(struct roots *r, const char *path, unsigned int *errline);
void roots_done(struct roots *r);

#endif
