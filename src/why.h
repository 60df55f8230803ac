/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef INITRD_MODSET_WHY_H
#define INITRD_MODSET_WHY_H

#include <stdbool.h>
#include <stdio.h>

#include "libmodset.h"

/* --why MODULE: print every shortest chain from a root to @name, as text
 * ("xe -hard-> drm_ttm_helper -hard-> ttm") or JSON. Returns 0, -ENOENT when the
 * module is not in the set, or another -errno. */
int why_print(FILE *fp, const struct modset_set *set, const char *name, bool json);

#endif
