/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by the libFuzzer targets (tests/fuzz/fuzz-*.c) and by the replay driver
 * (tests/fuzz/replay.c), which runs a target once per corpus file without libFuzzer
 * (any C compiler: `make check` replays the committed corpora that way).
 *
 * Targets link the library objects statically and call internals through
 * lib/libmodset-private.h; they never change the library's behaviour. Files a
 * target needs live in one private temporary directory, made on first use and
 * removed at exit: a target never writes anywhere else.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_UNUSED __attribute__((unused))

/* A failed set-up step is a bug of the harness, never of the input: abort loudly. */
#define FUZZ_ASSERT(cond)                                                                \
	do {                                                                             \
		if (!(cond)) {                                                           \
			fprintf(stderr, "%s:%d: %s: assertion failed: %s\n", __FILE__,   \
				__LINE__, __func__, #cond);                              \
			abort();                                                         \
		}                                                                        \
	} while (0)

static char fuzz_dir[4096];

static int fuzz_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void fuzz_cleanup(void)
{
	if (fuzz_dir[0])
		nftw(fuzz_dir, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The private temporary directory ($TMPDIR or /tmp). */
static FUZZ_UNUSED const char *fuzz_tmpdir(void)
{
	if (!fuzz_dir[0]) {
		const char *t = getenv("TMPDIR");

		snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/modset-fuzz.XXXXXX",
			 t && t[0] == '/' ? t : "/tmp");
		FUZZ_ASSERT(mkdtemp(fuzz_dir));
		atexit(fuzz_cleanup);
		/* Never the user's log level: the library stays silent. */
		unsetenv("MODSET_LOG");
	}
	return fuzz_dir;
}

/* A path under the temporary directory, in a static buffer per slot (0..3). */
static FUZZ_UNUSED const char *fuzz_path(int slot, const char *name)
{
	static char buf[4][4096 + 256];

	snprintf(buf[slot], sizeof(buf[slot]), "%s/%s", fuzz_tmpdir(), name);
	return buf[slot];
}

static FUZZ_UNUSED void fuzz_mkdir(const char *path)
{
	FUZZ_ASSERT(mkdir(path, 0700) == 0 || errno == EEXIST);
}

/* Replace @path with exactly @size bytes of @data. */
static FUZZ_UNUSED void fuzz_write(const char *path, const void *data, size_t size)
{
	const unsigned char *p = data;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	FUZZ_ASSERT(fd >= 0);
	while (size) {
		ssize_t n = write(fd, p, size);

		if (n < 0 && errno == EINTR)
			continue;
		FUZZ_ASSERT(n > 0);
		p += n;
		size -= (size_t)n;
	}
	FUZZ_ASSERT(close(fd) == 0);
}

/* FUZZ_KNOWN=1: do not skip the inputs that trigger known, reported bugs (the
 * reproducers of tests/fuzz/known/). */
static FUZZ_UNUSED bool fuzz_known_issues(void)
{
	const char *e = getenv("FUZZ_KNOWN");

	return e && e[0] == '1';
}

/* A heap copy of @data with a NUL after it (not counted in @size). */
static FUZZ_UNUSED char *fuzz_strndup(const void *data, size_t size)
{
	char *s = malloc(size + 1);

	FUZZ_ASSERT(s);
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
