/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libarchive, loaded when first used. Linking it pulls in a dozen libraries
 * (libxml2, ICU, libstdc++, nettle, ...) whose relocation cost more than all of a
 * single-root resolve; only --format cpio|dir and --check need it. Each function the
 * front-end calls is defined here with libarchive's own prototype (so the compiler
 * checks it) and forwards to the real one, found with dlsym on first call.
 *
 * A front-end source that calls an archive_* function not listed here fails to
 * link initrd-modset ("undefined reference"): add a STUB line for it.
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>

#include "lazy.h"

#define LIBARCHIVE_SONAME "libarchive.so.13"

static void *handle;

int lazy_archive_load(void)
{
	return lazy_open(&handle, LIBARCHIVE_SONAME);
}

#define STUB(ret, name, params, args) \
	LAZY_STUB(handle, LIBARCHIVE_SONAME, ret, name, params, args)
#define STUBV(name, params, args) LAZY_STUBV(handle, LIBARCHIVE_SONAME, name, params, args)

typedef struct archive_entry *entry_p;
typedef struct archive *archive_p;

STUBV(archive_entry_free, (struct archive_entry *e), (e))
STUB(entry_p, archive_entry_new, (void), ())
STUBV(archive_entry_set_filetype, (struct archive_entry *e, unsigned int v), (e, v))

STUB(int, archive_errno, (struct archive *a), (a))
STUB(const char *, archive_error_string, (struct archive *a), (a))
STUB(la_int64_t, archive_filter_bytes, (struct archive *a, int n), (a, n))
STUB(int, archive_filter_code, (struct archive *a, int n), (a, n))

STUB(la_ssize_t, archive_read_data, (struct archive *a, void *b, size_t n), (a, b, n))
STUB(int, archive_read_data_block,
     (struct archive *a, const void **b, size_t *n, la_int64_t *o), (a, b, n, o))
STUB(int, archive_read_free, (struct archive *a), (a))
STUB(archive_p, archive_read_new, (void), ())
STUB(int, archive_read_next_header, (struct archive *a, struct archive_entry **e), (a, e))
STUB(int, archive_read_open_fd, (struct archive *a, int fd, size_t n), (a, fd, n))
STUB(int, archive_read_open_memory, (struct archive *a, const void *b, size_t n), (a, b, n))
STUB(int, archive_read_support_filter_all, (struct archive *a), (a))
STUB(int, archive_read_support_filter_gzip, (struct archive *a), (a))
STUB(int, archive_read_support_filter_xz, (struct archive *a), (a))
STUB(int, archive_read_support_format_raw, (struct archive *a), (a))

STUB(int, archive_write_add_filter_gzip, (struct archive *a), (a))
STUB(int, archive_write_add_filter_zstd, (struct archive *a), (a))
STUB(int, archive_write_close, (struct archive *a), (a))
STUB(la_ssize_t, archive_write_data, (struct archive *a, const void *b, size_t n), (a, b, n))
STUB(int, archive_write_free, (struct archive *a), (a))
STUB(int, archive_write_header, (struct archive *a, struct archive_entry *e), (a, e))
STUB(archive_p, archive_write_new, (void), ())
STUB(int, archive_write_open_FILE, (struct archive *a, FILE *f), (a, f))
STUB(int, archive_write_set_bytes_in_last_block, (struct archive *a, int n), (a, n))
STUB(int, archive_write_set_bytes_per_block, (struct archive *a, int n), (a, n))
STUB(int, archive_write_set_filter_option,
     (struct archive *a, const char *m, const char *o, const char *v), (a, m, o, v))
STUB(int, archive_write_set_format_raw, (struct archive *a), (a))
