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

static bool no_openat2(void)
{
	static int cached = -1;

	if (cached < 0) {
		const char *e = getenv("MODSET_NO_OPENAT2");

		cached = e && *e && strcmp(e, "0") != 0;
	}
	return cached;
}

/* One component at a time, refusing symlinks and "..": the fallback. */
static int walk(int dirfd, const char *path, int flags)
{
	int cur = dirfd;

	for (;;) {
		const char *slash;
		size_t len;
		char name[256];
		struct stat st;
		int fd;

		while (*path == '/')
			path++;
		slash = strchr(path, '/');
		len = slash ? (size_t)(slash - path) : strlen(path);
		while (slash && slash[1] == '/')
			slash++;
		if (len >= sizeof(name)) {
			fd = -ENAMETOOLONG;
		} else if (len == 2 && path[0] == '.' && path[1] == '.') {
			fd = -EXDEV;
		} else {
			memcpy(name, path, len);
			name[len] = '\0';
			if (len == 0)
				strcpy(name, ".");
			if (!slash || !slash[1])
				fd = openat(cur, name, flags | O_NOFOLLOW | O_CLOEXEC);
			else
				fd = openat(cur, name,
					    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0)
				fd = -errno;
			/* O_NOFOLLOW with O_DIRECTORY or O_PATH says ENOTDIR for a link */
			if (fd == -ENOTDIR && fstatat(cur, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISLNK(st.st_mode))
				fd = -ELOOP;
		}
		if (cur != dirfd)
			close(cur);
		if (fd < 0 || !slash || !slash[1])
			return fd;
		cur = fd;
		path = slash + 1;
	}
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
	return walk(dirfd, path, flags);
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
	else if (fd == -ELOOP && how < FS_AS_GIVEN && no_openat2())
		*why = "a symlink on the way (refused without openat2())";
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
