/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Opening files beneath a root directory (fs.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs.h"
#include "libmodset-private.h"

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

/* openat2() is not tried with MODSET_NO_OPENAT2=1 (tests of the walk) or under
 * valgrind, which does not know the call (3.19: "unhandled syscall 437" on stderr). */
static bool no_openat2(void)
{
	static int cached = -1;

	if (cached < 0) {
		const char *e = getenv("MODSET_NO_OPENAT2");

		cached = (e && *e && strcmp(e, "0") != 0) || RUNNING_ON_VALGRIND;
	}
	return cached;
}

#define WALK_LINKS 40 /* symlinks followed in one resolution, as the kernel's */

/*
 * openat2()'s RESOLVE_BENEATH / RESOLVE_IN_ROOT done one component at a time: each
 * directory opened O_PATH|O_NOFOLLOW from the one before (held as an fd, so ".." is
 * the fd below it, never a path above @dirfd), each symlink read and its target put
 * in front of the rest of the path: an absolute one is refused (BENEATH) or starts
 * again at @dirfd (IN_ROOT); ".." at @dirfd is refused (BENEATH) or stays there
 * (IN_ROOT). A component swapped for a symlink between the look and the open fails
 * the open (O_NOFOLLOW): never looser than the kernel's.
 */
static int walk(int dirfd, const char *path, int flags, enum fs_resolve how)
{
	_cleanup_free_ char *rest = strdup(path);
	_cleanup_free_ int *fds = NULL;
	size_t depth = 0, alloc = 0;
	unsigned int links = 0;
	char *p;
	int r = -ENOENT;

	if (!rest)
		return -ENOMEM;
	p = rest;
	for (;;) {
		char *slash, *name, target[4096];
		int cur = depth ? fds[depth - 1] : dirfd, fd;
		bool last;
		struct stat st;
		ssize_t n;

		while (*p == '/')
			p++;
		if (!*p) {
			/* the path named a directory (or @dirfd itself) */
			r = openat(cur, ".", flags | O_CLOEXEC);
			r = r < 0 ? -errno : r;
			break;
		}
		name = p;
		slash = strchr(p, '/');
		if (slash)
			*slash = '\0';
		p = slash ? slash + 1 : p + strlen(p);
		while (*p == '/')
			p++;
		last = !*p;
		if (strcmp(name, ".") == 0) {
			if (last) {
				r = openat(cur, ".", flags | O_CLOEXEC);
				r = r < 0 ? -errno : r;
				break;
			}
			continue;
		}
		if (strcmp(name, "..") == 0) {
			if (!depth && how == FS_BENEATH) {
				r = -EXDEV;
				break;
			}
			if (depth)
				close(fds[--depth]);
			if (last) {
				r = openat(depth ? fds[depth - 1] : dirfd, ".", flags | O_CLOEXEC);
				r = r < 0 ? -errno : r;
				break;
			}
			continue;
		}
		if (fstatat(cur, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode) &&
		    !(last && (flags & O_NOFOLLOW))) {
			char *joined;

			if (++links > WALK_LINKS) {
				r = -ELOOP;
				break;
			}
			n = readlinkat(cur, name, target, sizeof(target) - 1);
			if (n < 0) {
				r = -errno;
				break;
			}
			target[n] = '\0';
			if (target[0] == '/') {
				if (how == FS_BENEATH) {
					r = -EXDEV;
					break;
				}
				while (depth)
					close(fds[--depth]);
			}
			if (asprintf(&joined, "%s/%s", target, p) < 0) {
				r = -ENOMEM;
				break;
			}
			free(rest);
			rest = p = joined;
			continue;
		}
		if (last) {
			fd = openat(cur, name, flags | O_NOFOLLOW | O_CLOEXEC);
			r = fd < 0 ? -errno : fd;
			break;
		}
		fd = openat(cur, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			r = -errno;
			break;
		}
		if (depth == alloc) {
			size_t a = alloc ? alloc * 2 : 16;
			int *v = realloc(fds, a * sizeof(*v));

			if (!v) {
				close(fd);
				r = -ENOMEM;
				break;
			}
			fds = v;
			alloc = a;
		}
		fds[depth++] = fd;
	}
	while (depth)
		close(fds[--depth]);
	return r;
}

int fs_openat(int dirfd, const char *path, int flags, enum fs_resolve how)
{
	struct open_how oh = {
		.flags = (unsigned)(flags | O_CLOEXEC),
		.resolve = RESOLVE_NO_MAGICLINKS |
			   (how == FS_IN_ROOT ? RESOLVE_IN_ROOT : RESOLVE_BENEATH),
	};
	long fd;

	if (how == FS_AS_GIVEN || how == FS_AS_GIVEN_NOFOLLOW) {
		if (how == FS_AS_GIVEN_NOFOLLOW)
			flags |= O_NOFOLLOW;
		fd = openat(dirfd, path, flags | O_CLOEXEC);
		return fd < 0 ? -errno : (int)fd;
	}
	while (*path == '/')
		path++;
	if (!*path)
		path = ".";
	if (!no_openat2()) {
		fd = syscall(SYS_openat2, dirfd, path, &oh, sizeof(oh));
		if (fd >= 0)
			return (int)fd;
		if (errno != ENOSYS)
			return -errno;
	}
	return walk(dirfd, path, flags, how);
}

int fs_open_regular(int dirfd, const char *path, enum fs_resolve how, uint64_t max,
		    struct stat *st, const char **why)
{
	static __thread char toobig[64];
	int fd, r = 0;

	*why = NULL;
	fd = fs_openat(dirfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, how);
	if (fd == -EXDEV)
		*why = "leads outside its directory (an absolute symlink or \"..\")";
	if (fd < 0)
		return fd;
	if (fstat(fd, st) < 0) {
		r = -errno;
	} else if (!S_ISREG(st->st_mode)) {
		*why = "not a regular file";
		r = -EINVAL;
	} else if ((uint64_t)st->st_size > max) {
		snprintf(toobig, sizeof(toobig), "larger than %" PRIu64 " bytes", max);
		*why = toobig;
		r = -EFBIG;
	}
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int fs_read_file(int dirfd, const char *path, enum fs_resolve how, size_t max, char **ret,
		 size_t *ret_len, const char **why)
{
	char *buf = NULL;
	size_t len = 0, alloc;
	struct stat st;
	int fd, r = 0;

	fd = fs_open_regular(dirfd, path, how, max, &st, why);
	if (fd < 0)
		return fd;
	/* room to see EOF in one read, and for the NUL; a file that grows past @max
	 * while read is cut there */
	alloc = (size_t)st.st_size + 2;
	for (;;) {
		ssize_t n;

		if (!buf || len + 1 >= alloc) {
			char *p;

			if (buf && len >= max) {
				r = -EFBIG;
				break;
			}
			if (buf)
				alloc = alloc > max / 2 ? max + 2 : alloc * 2;
			p = realloc(buf, alloc);
			if (!p) {
				r = -ENOMEM;
				break;
			}
			buf = p;
		}
		n = read(fd, buf + len, alloc - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[len] = '\0';
	*ret = buf;
	if (ret_len)
		*ret_len = len;
	return 0;
}
