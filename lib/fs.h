/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Opening files beneath a root directory: the one way the library and the tool
 * resolve a path that must not leave its tree, sysroot or output directory.
 * Internal (not installed): lib/ and src/ both use it.
 */
#ifndef MODSET_FS_H
#define MODSET_FS_H

#include <stddef.h>
#include <stdint.h>

enum fs_resolve {
	/* every component must stay beneath the directory; an absolute symlink or a
	 * ".." above it is refused (-EXDEV) */
	FS_BENEATH,
	/* the directory is the root: an absolute symlink means a path from it, ".."
	 * stops at it, as after chroot (a sysroot's /etc/alternatives links) */
	FS_IN_ROOT,
	/* a path the user gave (-C FILE, --check FILE): resolved as the system does,
	 * relative to the working directory when @dirfd is AT_FDCWD */
	FS_AS_GIVEN,
	/* the same, but a symlink as the last component is refused (-ELOOP): a file
	 * of a directory the user named (the cache) */
	FS_AS_GIVEN_NOFOLLOW,
};

/*
 * openat(@dirfd, @path, @flags) with every component resolved beneath @dirfd as
 * @how says, magic links (/proc/PID/fd/N) refused: openat2() with RESOLVE_BENEATH
 * or RESOLVE_IN_ROOT, and RESOLVE_NO_MAGICLINKS. Where openat2() cannot be used
 * (Linux before 5.6, valgrind, or MODSET_NO_OPENAT2=1 in the environment, for
 * tests), the same resolution is done one component at a time: each directory
 * opened O_NOFOLLOW from the one before, each symlink read and followed by hand
 * (40 at most, -ELOOP), an absolute one or a ".." above @dirfd refused (BENEATH,
 * -EXDEV) or kept inside it (IN_ROOT). A leading '/' in @path is dropped; "" is the
 * directory itself. O_CLOEXEC is always added; no O_CREAT. Returns the new fd or
 * -errno.
 */
int fs_openat(int dirfd, const char *path, int flags, enum fs_resolve how);

struct stat;
struct modset_ctx;

/*
 * Open the regular file @path of @dirfd (resolved as @how says) for reading:
 * O_RDONLY | O_NONBLOCK | O_NOCTTY, so a FIFO or a device never blocks the open,
 * then fstat() into *@st. The fd, or -errno: -EINVAL with *why "not a regular
 * file", -EFBIG with *why naming @max (bytes) when the file is larger. *why is NULL
 * for other errors (strerror() says it).
 */
int fs_open_regular(int dirfd, const char *path, enum fs_resolve how, uint64_t max,
		    struct stat *st, const char **why);
/* The whole regular file @path (fs_open_regular()), NUL-terminated, in *ret (malloc'ed;
 * *ret_len bytes without the NUL, may be NULL): 0 or -errno with *why as above. */
int fs_read_file(int dirfd, const char *path, enum fs_resolve how, size_t max, char **ret,
		 size_t *ret_len, const char **why);

/* Size bounds of the files read whole or mapped. */
#define FS_INDEX_MAX ((uint64_t)1 << 31)  /* a kmod index (modules.*) */
#define FS_TEXT_MAX ((size_t)64 << 20)	   /* a modprobe.d file, the cache */

/*
 * How to open @path, a path the library reported for @ctx (a module file, an index, a
 * modprobe.d file): beneath the module directory's fd when it is under it, else in
 * the sysroot's fd (FS_IN_ROOT) when it is under the sysroot, else as given. *rel is
 * the rest of @path, relative to *dirfd. Loaded contexts only.
 */
void tree_resolve(const struct modset_ctx *ctx, const char *path, int *dirfd,
		  const char **rel, enum fs_resolve *how);
/* The module directory's fd of a loaded @ctx (-1 before modset_load()). */
int tree_dirfd(const struct modset_ctx *ctx);
/* fs_open_regular() of tree_resolve(@path). */
int tree_open_regular(const struct modset_ctx *ctx, const char *path, uint64_t max,
		      struct stat *st, const char **why);

#endif
