/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Opening files beneath a root directory: the one way the library and the tool
 * resolve a path that must not leave its tree, sysroot or output directory.
 * Internal (not installed): lib/ and src/ both use it.
 */
#ifndef MODSET_FS_H
#define MODSET_FS_H

enum fs_resolve {
	/* every component must stay beneath the directory; an absolute symlink or a
	 * ".." above it is refused (-EXDEV) */
	FS_BENEATH,
	/* the directory is the root: an absolute symlink means a path from it, ".."
	 * stops at it, as after chroot (a sysroot's /etc/alternatives links) */
	FS_IN_ROOT,
};

/*
 * openat(@dirfd, @path, @flags) with every component resolved beneath @dirfd as
 * @how says, magic links (/proc/PID/fd/N) refused: openat2() with RESOLVE_BENEATH
 * or RESOLVE_IN_ROOT, and RESOLVE_NO_MAGICLINKS. Where openat2() is missing (Linux
 * before 5.6, or MODSET_NO_OPENAT2=1 in the environment, for tests), a walk opens
 * one component at a time with O_NOFOLLOW and refuses every symlink (-ELOOP) and
 * every "..": stricter, never looser. A leading '/' in @path is dropped; "" is the
 * directory itself. O_CLOEXEC is always added; no O_CREAT. Returns the new fd or
 * -errno.
 */
int fs_openat(int dirfd, const char *path, int flags, enum fs_resolve how);

#endif
