/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --format list: absolute paths of module files, load order first. */
#include <errno.h>

#include "output.h"

static int list_entry(struct output *out, const struct modset_module *mod)
{
	const char *path = modset_module_get_path(mod);

	if (!path)
		return 0;
	if (fputs(path, out->fp) == EOF || fputc(out->opts->null_sep ? '\0' : '\n', out->fp) == EOF)
		return errno ? -errno : -EIO; /* the write's errno: ENOSPC, EFBIG, ... */
	return 0;
}

const struct output_format output_list = {
	.name = "list",
	.walk = WALK_LOAD_THEN_IMAGE,
	.entry = list_entry,
};
