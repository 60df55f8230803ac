/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Output formats of initrd-modset: one file each, chosen from a table. */
#ifndef INITRD_MODSET_OUTPUT_H
#define INITRD_MODSET_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "libmodset.h"

/* Which modules a format is fed, in which order. */
enum output_walk {
	WALK_LOAD_THEN_IMAGE, /* load order, then image-only modules by name */
	WALK_LOAD,	      /* load order only */
	WALK_NAME,	      /* every module, by name (builtins included) */
};

struct output_opts {
	const char *const *roots; /* as given */
	bool null_sep;
};

struct output {
	FILE *fp;
	const struct modset_set *set;
	const struct output_opts *opts;
	void *state;
};

struct output_format {
	const char *name;
	enum output_walk walk;
	unsigned int resolve_flags; /* extra MODSET_RESOLVE_* the format needs */
	int (*open)(struct output *out);
	int (*entry)(struct output *out, const struct modset_module *mod);
	int (*close)(struct output *out);
};

extern const struct output_format output_list;
extern const struct output_format output_order;
extern const struct output_format output_json;

const struct output_format *output_find(const char *name);
/* Feed the set to a format, in its walk order. 0 or -errno. */
int output_write(const struct output_format *fmt, struct output *out);

/* Output file written atomically: a temporary file beside it, renamed on commit. */
struct outfile {
	FILE *fp;
	char *path;
	char *tmp;
};
int outfile_open(struct outfile *f, const char *path);
int outfile_commit(struct outfile *f);
void outfile_abort(struct outfile *f);

#endif
