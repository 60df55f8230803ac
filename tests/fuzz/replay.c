/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Run a fuzz target once per file, without libFuzzer: `replay FILE|DIR...`.
 * Built with the ordinary compiler by `make check` (and by `make fuzz-replay`), so
 * the committed corpora -- every crash the fuzzers ever found among them -- are
 * regression tests of every build, with or without sanitizers.
 * Exit status: 0, or 1 when a file cannot be read (a crash is a crash).
 */
#include <dirent.h>

#include "fuzz-common.h"

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t len = 0, alloc = 0;

	if (!f) {
		perror(path);
		return 1;
	}
	for (;;) {
		size_t n;

		if (len == alloc) {
			alloc = alloc ? alloc * 2 : 65536;
			buf = realloc(buf, alloc);
			FUZZ_ASSERT(buf);
		}
		n = fread(buf + len, 1, alloc - len, f);
		if (n == 0)
			break;
		len += n;
	}
	if (ferror(f)) {
		perror(path);
		fclose(f);
		free(buf);
		return 1;
	}
	fclose(f);
	/* An exact-size copy: reads past the input's end are visible to sanitizers. */
	{
		unsigned char *exact = malloc(len ? len : 1);

		FUZZ_ASSERT(exact);
		if (len)
			memcpy(exact, buf, len);
		free(buf);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	int ret = 0;
	size_t total = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *e;
		char **names = NULL;
		size_t n = 0;

		if (stat(argv[i], &st) < 0) {
			perror(argv[i]);
			ret = 1;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			ret |= run_file(argv[i]);
			total++;
			continue;
		}
		d = opendir(argv[i]);
		if (!d) {
			perror(argv[i]);
			ret = 1;
			continue;
		}
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			names = realloc(names, (n + 1) * sizeof(*names));
			FUZZ_ASSERT(names);
			FUZZ_ASSERT(asprintf(&names[n], "%s/%s", argv[i], e->d_name) > 0);
			n++;
		}
		closedir(d);
		if (n > 1)
			qsort(names, n, sizeof(*names), cmp_names);
		for (size_t k = 0; k < n; k++) {
			ret |= run_file(names[k]);
			total++;
			free(names[k]);
		}
		free(names);
	}
	printf("%s: %zu inputs replayed\n", argv[0], total);
	return ret;
}
