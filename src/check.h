/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --check IMAGE: read an initramfs (concatenated newc cpio segments, each plain or
 * compressed, NUL padding between them, as the kernel's init/initramfs.c reads it),
 * find its kernel modules and firmware, and check them against a module tree: every
 * hard, soft and weak dependency and every firmware file of every module in the image
 * (and of the roots given) must be in the image too.
 */
#ifndef INITRD_MODSET_CHECK_H
#define INITRD_MODSET_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "libmodset.h"
#include "roots.h"

struct check_image;

/*
 * Read the initramfs at @path ("-": standard input). Errors are printed on stderr
 * as one line naming the image and the byte offset ("IMAGE: offset N: ..."):
 * unreadable file, truncated or corrupt segment, unknown compression, a cpio entry
 * with an absolute path or a ".." component. Returns 0 (*ret set), -EBADMSG
 * (corrupt input), -EIO, -ENOMEM or another -errno from opening the file.
 */
int check_image_read(const char *path, struct check_image **ret);

void check_image_free(struct check_image *img);

/*
 * The kernel version whose modules are checked: @kver when given (the image must
 * have modules for it), else the one the image has modules for; when it has modules
 * for several, the basename of @moddir if it is one of them. Errors (no modules, no
 * modules for @kver, several versions) are printed; NULL then.
 */
const char *check_image_kver(const struct check_image *img, const char *kver,
			     const char *moddir);

struct check_opts {
	const struct roots *roots; /* command-line roots (must be in the image) */
	const struct roots *host;  /* --hostonly roots, or NULL */
	unsigned int flags;	   /* MODSET_RESOLVE_* */
	bool json;
	bool require_weak;	   /* missing weak deps are errors */
	bool require_firmware;	   /* missing firmware is an error */
	bool strict;		   /* both, and tree-level problems are errors */
	bool no_firmware;	   /* do not check firmware */
	const char *output;	   /* report file (atomic), NULL: stdout */
	const char *const *firmware_path; /* the tree's firmware directories, NULL: default */
};

/*
 * Check the modules of @img for @kver against the tree of @ctx and write the report
 * (text or JSON). Returns the exit status: 0 complete (warnings allowed), 2 an error
 * reading the tree or writing the report, 3 something required is missing.
 */
int check_image_run(struct modset_ctx *ctx, const struct check_image *img, const char *kver,
		    const struct check_opts *o);

#endif
