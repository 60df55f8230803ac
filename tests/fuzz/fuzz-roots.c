/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Root lists (src/roots.c): roots_add_file() on a file holding the input, as
 * --from FILE and --exclude-from FILE read it. Properties: 0 or -EINVAL (a NUL
 * byte, with its line number) or -ENOMEM; every root is a non-empty word with no
 * blank, '#' or newline in it.
 */
#include "fuzz-common.h"
#include "roots.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_path(0, "roots");
	struct roots r = { 0 };
	unsigned int errline;
	int ret;

	fuzz_write(path, data, size);
	ret = roots_add_file(&r, path, &errline);
	FUZZ_ASSERT(ret == 0 || ret == -EINVAL || ret == -ENOMEM);
	FUZZ_ASSERT((ret == -EINVAL) == (errline > 0));
	if (ret == 0)
		FUZZ_ASSERT(memchr(data, 0, size) == NULL);
	for (size_t i = 0; i < r.n; i++) {
		FUZZ_ASSERT(r.v[i][0]);
		FUZZ_ASSERT(!strpbrk(r.v[i], " \t\n#"));
	}
	FUZZ_ASSERT(r.n == 0 || r.v[r.n] == NULL);
	roots_done(&r);
	return 0;
}
