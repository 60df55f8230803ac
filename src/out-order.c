/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --format order: module names in load order, like a modules-load.d file. */
#include <errno.h>

#include "output.h"

static int order_entry(struct output *out, const struct modset_module *mod)
{
	if (fputs(modset_module_get_name(mod), out->fp) == EOF ||
	    fputc(out->opts->null_sep ? '\0' : '\n', out->fp) == EOF)
		return errno ? -errno : -EIO; /* the write's errno: ENOSPC, EFBIG, ... */
	return 0;
}

const struct output_format output_order = {
	.name = "order",
	.walk = WALK_LOAD,
	.entry = order_entry,
};
