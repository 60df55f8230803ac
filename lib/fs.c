/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Opening files beneath a root directory (fs.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
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
