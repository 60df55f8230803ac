/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef INITRD_MODSET_LAZY_H
#define INITRD_MODSET_LAZY_H

/* Load libarchive now (see src/dl/archive.c): 0, or -1 with a message printed.
 * Call it before creating any output, so a missing library is a clean error. */
int lazy_archive_load(void);

#endif
