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

struct image_opts;

struct output_opts {
	const char *const *roots; /* as given */
	bool null_sep;
	const struct image_opts *image;		/* cpio, dir */
	const struct modset_firmware *firmware; /* resolved firmware, or NULL */
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
	/* Formats that take the whole set at once (cpio, dir): called instead of the
	 * walk. Returns -ECANCELED for an error it has reported itself. */
	int (*write)(struct output *out);
	bool writes_dir; /* -o names a directory: no output file is opened */
};

extern const struct output_format output_list;
extern const struct output_format output_order;
extern const struct output_format output_json;
extern const struct output_format output_cpio;
extern const struct output_format output_dir;

const struct output_format *output_find(const char *name);

struct json_object;
/* The one way a string goes into JSON: a JSON string of @s (NULL: JSON null), each
 * byte that is not part of a well-formed UTF-8 character written as \xNN, so the
 * document is valid UTF-8 whatever names the input has (json-c escapes control
 * characters itself). */
struct json_object *json_str(const char *s);
/* The one way a JSON document is written: @root pretty-printed (two-space indent,
 * "key": value, an empty array or object on two lines) and a newline. The layout is
 * ours, from json-c's plain output, so the bytes do not depend on the json-c
 * version (0.16 and 0.18 pretty-print empty arrays differently). 0 or -errno. */
int json_write(FILE *f, struct json_object *root);
/* Feed the set to a format, in its walk order. 0 or -errno. */
int output_write(const struct output_format *fmt, struct output *out);

/* Output file written atomically: a temporary file beside it, renamed on commit. */
struct outfile {
	FILE *fp;
	char *path;
	char *tmp;
};
/* Open -o @path (NULL or "-": the standard output). A regular file is written to a
 * hidden temporary file beside it, renamed over it by outfile_commit(); a device,
 * a pipe, and any name of the standard output's own file (/dev/stdout when it is
 * redirected to a file, in append mode or not) are written in place; a symbolic
 * link to anything else is refused (-ELOOP: not written through, not replaced),
 * as is a directory (-EISDIR). outfile_strerror() words the errors. */
int outfile_open(struct outfile *f, const char *path);
/* The message for an error of outfile_open() or outfile_commit(). */
const char *outfile_strerror(int r);
int outfile_commit(struct outfile *f);
void outfile_abort(struct outfile *f);

/* Temporary files a terminating signal (SIGINT, SIGTERM, SIGHUP) must not leave
 * behind: the handler unlinks the guarded names (unlinkat(@dirfd, @name)), then the
 * signal ends the process as it would have. Slot OUTFILE for outfile_open()'s, slot
 * INSTALL for the file -f dir is installing. Set the name once the file exists, NULL
 * before it is renamed or removed (and before the string goes away). */
enum { TMP_GUARD_OUTFILE, TMP_GUARD_INSTALL, TMP_GUARD_MAX };
void tmp_guard(unsigned int slot, int dirfd, const char *name);

#endif
