/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A writer of kmod's index files (modules.dep.bin, modules.alias.bin, ...): the
 * big-endian Patricia trie libkmod reads (libkmod-index.c), laid out exactly as
 * depmod writes it: in either of depmod's two layouts (enum modset_index_layout),
 * children of a node in character order, a key's values sorted by priority (a value
 * inserted later goes before the earlier ones of the same priority).
 */
#ifndef INITRD_MODSET_KMOD_INDEX_H
#define INITRD_MODSET_KMOD_INDEX_H

#include <stdbool.h>
#include <stddef.h>

#include "libmodset.h"

#define KMOD_INDEX_MAGIC 0xB007F457u
#define KMOD_INDEX_VERSION 0x00020001u

struct kindex;

struct kindex *kindex_new(void);

void kindex_free(struct kindex *idx);

/*
 * Add @value under @key with @priority. Keys and values are 7-bit ASCII (as depmod
 * requires); a key must not be empty. A duplicate (key, value) is added again, as
 * depmod does. Returns 0, 1 when the pair was already there, -EINVAL, -ENOMEM.
 */
int kindex_add(struct kindex *idx, const char *key, const char *value,
		   unsigned int priority);

/* Number of keys. */
size_t kindex_count(const struct kindex *idx);

/*
 * Serialize in @layout (the library's enum: depmod <= 33 children first, depmod >= 34
 * pre-order): *ret gets a malloc'ed buffer of *ret_len bytes, byte for byte what that
 * depmod writes for the same keys and values.
 * Returns 0, -ENOMEM, -EFBIG (a node offset above 2^28).
 */
int kindex_write(const struct kindex *idx, enum modset_index_layout layout,
		 unsigned char **ret, size_t *ret_len);

/* ---- trimmed index files of a module tree ---- */

/* One generated file: @name relative to the module directory. */
struct kmod_file {
	const char *name;
	unsigned char *data;
	size_t len;
};

struct kmod_files {
	struct kmod_file *v;
	size_t n;
};

void kmod_files_done(struct kmod_files *f);

/* Whether module @modname (normalized) is kept: NULL when not; else the line its
 * modules.dep must have (the tree's modules.dep.bin value), or "" when unknown. */
typedef const char *(*kmod_keep_fn)(void *data, const char *modname);

/*
 * Read the text files depmod and the kernel's modules_install leave in @moddir
 * (opened beneath @dirfd, its fd, fs.h: a link out of it is refused; -1: it is opened
 * here)
 * (modules.dep, modules.alias, modules.symbols, modules.softdep, modules.weakdep,
 * modules.devname, modules.order, modules.builtin, modules.builtin.modinfo) and
 * write them, and the .bin indexes libkmod reads (modules.dep.bin, modules.alias.bin,
 * modules.symbols.bin, modules.builtin.bin, modules.builtin.alias.bin), restricted to
 * the modules @keep accepts (NULL: all). Builtin files are kept whole. Lines keep
 * their order; a module's value priority is its rank among the kept modules.dep
 * lines, as depmod gives it (its modules.order position). With @decompress, module
 * paths ending in .ko.xz, .ko.zst or .ko.gz end in .ko. The .bin files are written
 * in @layout (the tree's, so that they are what its depmod writes).
 * A kept module whose modules.dep line differs from what @keep says the tree's
 * modules.dep.bin has is -EBADMSG: the image would name files it does not hold.
 * Files absent from @moddir are left out, except modules.dep (-ENOENT).
 * Returns 0, or -errno with @err (if given) describing the problem: -EXDEV for a
 * module path that is absolute or has a ".." component, -EINVAL for a byte above
 * 127 in a key or value, -ENOENT, -ENOMEM, -EFBIG.
 */
int kmod_trim_indexes(const char *moddir, int dirfd, kmod_keep_fn keep, void *data,
		      bool decompress, enum modset_index_layout layout, struct kmod_files *out,
		      char *err, size_t errlen);

#endif
