/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The initramfs reader of --check (src/check.c): check_image_read() on the input as
 * an image (concatenated newc cpio segments, plain or compressed), then
 * check_image_kver() on what it found.
 *
 * The image is handed over as a pipe (/proc/self/fd/N), which check_image_read()
 * reads into a heap buffer, so that AddressSanitizer sees reads past its end (a
 * regular file would be mapped). Inputs too large for a pipe's buffer are skipped.
 * check.c reports every problem on stderr; run with -close_fd_mask=2
 * (tests/fuzz/check-image.args) to keep the log short.
 *
 * Properties: 0 with an image or a negative errno without one, no crash, no leak.
 */
#include <fcntl.h>

#include "check.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct check_image *img = NULL;
	char path[64];
	int fds[2], r;

	if (size > (1 << 20))
		return -1;
	FUZZ_ASSERT(pipe2(fds, O_CLOEXEC) == 0);
	if (size > 65536 && fcntl(fds[1], F_SETPIPE_SZ, (int)size) < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	for (size_t off = 0; off < size;) {
		ssize_t n = write(fds[1], data + off, size - off);

		FUZZ_ASSERT(n > 0);
		off += (size_t)n;
	}
	close(fds[1]);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
	r = check_image_read(path, &img);
	close(fds[0]);
	FUZZ_ASSERT((r == 0) == (img != NULL));
	FUZZ_ASSERT(r <= 0);
	if (img) {
		(void)check_image_kver(img, NULL, "/lib/modules/6.1.0-hard");
		(void)check_image_kver(img, "6.1.0-hard", NULL);
		check_image_free(img);
	}
	return 0;
}
