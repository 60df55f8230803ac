/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * liblzma, loaded on first use (see lazy.h): only --format cpio with xz compression
 * calls it, to write the .xz stream itself (libarchive's xz writer always uses the
 * CRC64 check, which the kernel's XZ decoder refuses).
 */
#include <lzma.h>

#include "lazy.h"

#define LZMA_SONAME "liblzma.so.5"

static void *handle;

int lazy_lzma_load(void)
{
	return lazy_open(&handle, LZMA_SONAME);
}

#define STUB(ret, name, params, args) LAZY_STUB(handle, LZMA_SONAME, ret, name, params, args)

STUB(lzma_ret, lzma_easy_encoder, (lzma_stream * strm, uint32_t preset, lzma_check check),
     (strm, preset, check))
STUB(lzma_ret, lzma_code, (lzma_stream * strm, lzma_action action), (strm, action))
LAZY_STUBV(handle, LZMA_SONAME, lzma_end, (lzma_stream * strm), (strm))
