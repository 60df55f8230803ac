/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmodset - compute the closed set of kernel modules an initramfs needs.
 *
 * A context (struct modset_ctx) describes one module tree (lib/modules/KVER) and the
 * modprobe.d configuration that goes with it. modset_resolve() takes a root set and
 * returns a struct modset_set: every module the roots need, through hard (symbol),
 * soft (pre/post) and weak dependencies, with the load order kmod would use.
 *
 * Conventions (as in libkmod): functions that can fail return 0 or a negative errno;
 * "not found" is 0 with an empty result. Objects are reference counted; *_unref()
 * accepts NULL and returns NULL. The library never prints: it logs through the
 * function set with modset_set_log_fn() (default: stderr, priority LOG_ERR, or the
 * value of the MODSET_LOG environment variable: a number or err/info/debug...).
 */
#ifndef LIBMODSET_H
#define LIBMODSET_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct modset_ctx;
struct modset_set;
struct modset_module;

/** Kinds of edge between two modules, and why a module is in a set. */
enum modset_edge {
	MODSET_EDGE_ROOT = 0,	/* named on the command line / in the root list */
	MODSET_EDGE_HARD,	/* symbol dependency (modules.dep) */
	MODSET_EDGE_SOFT_PRE,	/* softdep pre: */
	MODSET_EDGE_SOFT_POST,	/* softdep post: */
	MODSET_EDGE_WEAK,	/* weakdep, or an untagged softdep token: image only */
};

/** Flags for modset_resolve(). */
enum modset_resolve_flags {
	MODSET_RESOLVE_NO_SOFT = 1 << 0,     /* ignore soft dependencies */
	MODSET_RESOLVE_NO_WEAK = 1 << 1,     /* ignore weak dependencies */
	/* reproduce `modprobe --show-depends`: first matching softdep line only, no
	 * untagged tokens, no builtin softdeps, no weak deps */
	MODSET_RESOLVE_KMOD_COMPAT = 1 << 2,
	/* read every module's modinfo (firmware names); otherwise modinfo is read only
	 * when weak deps must come from it */
	MODSET_RESOLVE_MODINFO = 1 << 3,
	/* treat modprobe.d "blacklist" lines as exclusions (see modset_set_exclude()) */
	MODSET_RESOLVE_HONOR_BLACKLIST = 1 << 4,
};

/** Kinds of missing item, see modset_set_missing(). */
enum modset_missing_kind {
	MODSET_MISSING_ROOT = 0,	/* a root that names nothing */
	MODSET_MISSING_HARD,		/* hard dep listed in modules.dep but absent */
	MODSET_MISSING_SOFT,		/* softdep target that resolves to nothing */
	MODSET_MISSING_WEAK,		/* weakdep target that resolves to nothing */
	MODSET_MISSING_CUT,		/* hard dep of a kept module, excluded */
};

/**
 * modset_log_fn - log callback.
 * @data: the pointer given to modset_set_log_fn()
 * @priority: syslog priority (LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG)
 * @file, @line, @fn: where in the library the message comes from
 * @format, @args: printf-style message, ending with a newline
 */
typedef void (*modset_log_fn)(void *data, int priority, const char *file, int line,
			      const char *fn, const char *format, va_list args);

/* ------------------------------------------------------------------------- */
/* Context                                                                     */

/**
 * modset_new - create a context for a module tree.
 * @moddir: the module directory (".../lib/modules/KVER"); NULL means
 *          /lib/modules/$(uname -r).
 * @config_paths: NULL-terminated list of modprobe.d files or directories to read;
 *          NULL means kmod's defaults under the sysroot (etc, run, usr/local/lib,
 *          usr/lib and lib, each + "/modprobe.d"); an empty list reads no config.
 *
 * Nothing is read yet: the tree is opened by modset_load() (or the first
 * modset_resolve()), so that a log function and sysroot can be set first.
 *
 * Returns: a context with one reference, or NULL with errno set (ENOMEM, EINVAL).
 */
struct modset_ctx *modset_new(const char *moddir, const char *const *config_paths);

/** modset_ref - take a reference. NULL-safe. Returns @ctx. */
struct modset_ctx *modset_ref(struct modset_ctx *ctx);

/** modset_unref - drop a reference; frees on the last. NULL-safe. Returns NULL. */
struct modset_ctx *modset_unref(struct modset_ctx *ctx);

/** modset_set_log_fn - route the library's log messages to @fn. */
void modset_set_log_fn(struct modset_ctx *ctx, modset_log_fn fn, void *data);

/** modset_get_log_priority - the highest syslog priority that is logged. */
int modset_get_log_priority(const struct modset_ctx *ctx);

/** modset_set_log_priority - log messages with priority <= @priority. */
void modset_set_log_priority(struct modset_ctx *ctx, int priority);

/**
 * modset_set_sysroot - set the root that the default modprobe.d directories are
 * relative to. By default it is inferred from the module directory: the prefix
 * before "[/usr]/lib/modules/KVER" ("/" on a host tree); a module directory not of
 * that form has no sysroot (""), and then no default configuration is read.
 * Must be called before modset_load(). Returns 0, -EINVAL, -EBUSY once loaded,
 * -ENOMEM.
 */
int modset_set_sysroot(struct modset_ctx *ctx, const char *sysroot);

/**
 * modset_set_cache_dir - keep what module files' .modinfo says (weakdep=, firmware=)
 * in a cache file under @dir (created 0700 if needed), so that a compressed module is
 * read once per change rather than once per run. An entry is used only while the
 * file's size, mtime, ctime, inode and device are unchanged; a file without the cache
 * header is ignored, an entry that does not parse is a miss (and is read again).
 * The cache is written (temporary file + rename) at the end of modset_resolve();
 * failing to write it is not an error. NULL (the default) disables the cache.
 * Returns 0, -EINVAL, -ENOMEM.
 */
int modset_set_cache_dir(struct modset_ctx *ctx, const char *dir);

/**
 * modset_load - open the module tree, map its indexes and read its configuration.
 * Idempotent. Errors are logged naming the file and returned: -ENOENT (missing tree
 * or modules.dep.bin), -ENOTDIR, -EBADMSG (corrupt index header), -EACCES or another
 * errno of open/mmap, -ENOMEM. Malformed config lines are warnings (logged as
 * "file:line: ..."); the rest of the file is still read. Index nodes are checked
 * as they are used (see modset_resolve()).
 */
int modset_load(struct modset_ctx *ctx);

/** modset_get_moddir - the absolute module directory. */
const char *modset_get_moddir(const struct modset_ctx *ctx);

/** modset_get_kver - the kernel version: the module directory's basename. */
const char *modset_get_kver(const struct modset_ctx *ctx);

/** modset_get_sysroot - the sysroot (see modset_set_sysroot()). */
const char *modset_get_sysroot(const struct modset_ctx *ctx);

/** The node orders of kmod's .bin indexes, see modset_get_index_layout(). */
enum modset_index_layout {
	/* depmod up to kmod 33: children before their parent, the root last */
	MODSET_INDEX_POSTORDER,
	/* depmod from kmod 34: the root first, each node before its children */
	MODSET_INDEX_PREORDER,
};

/**
 * modset_get_index_layout - the node order of the tree's modules.dep.bin, that is,
 * the one its depmod writes. Valid after modset_load() (MODSET_INDEX_POSTORDER
 * before). A writer of indexes for an image of the tree writes this one, as that
 * depmod would; libkmod reads both.
 */
enum modset_index_layout modset_get_index_layout(const struct modset_ctx *ctx);

/**
 * modset_get_config_files - the configuration files read, in parse order
 * (modprobe.d files and the tree's modules.softdep / modules.weakdep).
 * Valid after modset_load(); NULL-terminated; owned by @ctx.
 */
const char *const *modset_get_config_files(const struct modset_ctx *ctx);

/**
 * modset_get_config_warnings - number of malformed configuration lines seen by
 * modset_load() (each was logged at LOG_WARNING with file:line).
 */
unsigned int modset_get_config_warnings(const struct modset_ctx *ctx);

/**
 * modset_set_exclude - leave modules out of every set resolved afterwards.
 * @patterns: NULL-terminated fnmatch patterns, matched against normalized module
 *            names ('-' and '_' are the same); NULL or empty clears the list.
 * An excluded module is left out with its edges. When it is a hard dependency of a
 * module that stays, the set records a MODSET_MISSING_CUT item.
 * Returns 0, -EINVAL, -ENOMEM.
 */
int modset_set_exclude(struct modset_ctx *ctx, const char *const *patterns);

/* ------------------------------------------------------------------------- */
/* Resolving                                                                   */

/**
 * modset_resolve - compute the closed module set of a root set.
 * @roots: NULL-terminated list. Each is a module name ("xe", "snd-hda-intel"), an
 *         alias or modalias (matched like modules.alias, wildcards included), a
 *         path to a module file (absolute, or relative to the module directory or
 *         else the working directory; recognised by a '/' or a .ko, .ko.xz, .ko.zst
 *         or .ko.gz suffix), or "=DIR" for every module under DIR (or kernel/DIR)
 *         of the tree (like dracut's "=drivers/net").
 * @flags: enum modset_resolve_flags.
 * @ret: the resulting set (one reference) on success.
 *
 * Roots that name nothing, and dependency targets that resolve to nothing, are
 * recorded as missing items (see modset_set_missing_count()), not errors.
 *
 * Returns: 0, or a negative errno, each logged with the file it concerns: what
 * modset_load() returns; -EBADMSG when an index node on the way is corrupt; -EXDEV
 * when an index entry or a root path points outside the module directory; for a
 * module file whose .modinfo must be read and cannot be: the errno of opening it
 * (-ENOENT, ...), -EINVAL (not a regular file), -ENOEXEC (not a valid ELF module),
 * -EBADMSG (corrupt or truncated compressed data, no .modinfo), -EFBIG (decompressed
 * size over the limit), -ELIBACC (decompression library missing); an errno of
 * reading a "=DIR" root or modules.builtin.modinfo; -EINVAL, -ENOMEM.
 */
int modset_resolve(struct modset_ctx *ctx, const char *const *roots, unsigned int flags,
		   struct modset_set **ret);

/** modset_edge_name - "root", "hard", "soft-pre", "soft-post" or "weak". */
const char *modset_edge_name(enum modset_edge edge);

/** modset_missing_kind_name - "root", "hard", "soft", "weak" or "cut". */
const char *modset_missing_kind_name(enum modset_missing_kind kind);

/* ------------------------------------------------------------------------- */
/* Sets                                                                        */

/** modset_set_ref - take a reference. NULL-safe. */
struct modset_set *modset_set_ref(struct modset_set *set);

/** modset_set_unref - drop a reference. NULL-safe. Returns NULL. */
struct modset_set *modset_set_unref(struct modset_set *set);

/** modset_set_get_ctx - the context the set was resolved in (borrowed). */
struct modset_ctx *modset_set_get_ctx(const struct modset_set *set);

/** modset_set_count - number of modules in the set (builtins included). */
size_t modset_set_count(const struct modset_set *set);

/** modset_set_get - module @i (0 <= i < count), in name order; NULL past the end. */
const struct modset_module *modset_set_get(const struct modset_set *set, size_t i);

/** modset_set_find - the module named @name (normalized: '-' = '_'), or NULL. */
const struct modset_module *modset_set_find(const struct modset_set *set,
					    const char *name);

/**
 * modset_set_load_order_count - number of modules in the load order: the modules
 * with a file that are loaded (not only reachable through weak edges).
 */
size_t modset_set_load_order_count(const struct modset_set *set);

/**
 * modset_set_load_order - module @i of the load order: for each root, as kmod does,
 * its hard deps' soft pre deps, each hard dep, their soft post deps, then the
 * root's soft pre deps, the root and its soft post deps; every module once.
 */
const struct modset_module *modset_set_load_order(const struct modset_set *set, size_t i);

/** modset_set_missing_count - number of missing items. */
size_t modset_set_missing_count(const struct modset_set *set);

/**
 * modset_set_missing - missing item @i, sorted by (name, kind, from).
 * @name: the name as written (a root string, a softdep target, ...)
 * @kind: what kind of reference it was
 * @from: the module that wanted it, or NULL for a root
 * Returns 0, or -ERANGE past the end.
 */
int modset_set_missing(const struct modset_set *set, size_t i, const char **name,
		       enum modset_missing_kind *kind, const char **from);

/** modset_set_cycle_count - number of dependency cycles (over every kind of edge). */
size_t modset_set_cycle_count(const struct modset_set *set);

/**
 * modset_set_cycle - cycle @i: the names of its modules, sorted, NULL-terminated.
 * Cycles are sorted by their first name. NULL past the end.
 */
const char *const *modset_set_cycle(const struct modset_set *set, size_t i);

/**
 * modset_chain_fn - called by modset_set_foreach_chain() for one chain.
 * @mods: @n modules, a root first and the module asked about last
 * @edges: @n - 1 edges; edges[i] leads from mods[i] to mods[i + 1]
 * Return 0 to go on, anything else to stop (modset_set_foreach_chain() returns it).
 */
typedef int (*modset_chain_fn)(void *data, const struct modset_module *const *mods,
			       const enum modset_edge *edges, size_t n);

/**
 * modset_set_foreach_chain - why is @name in the set: every shortest chain of edges
 * from a root to it, in a stable order (by names, then edge kinds). Hard edges are the
 * direct ones: modules.dep lists every module a module needs, transitively, and an
 * edge that another listed module already implies is left out.
 * At most 1000 chains are reported.
 * Returns 0, -ENOENT when @name is not in the set, -ENOMEM, or what @fn returned.
 */
int modset_set_foreach_chain(const struct modset_set *set, const char *name,
			     modset_chain_fn fn, void *data);

/* ------------------------------------------------------------------------- */
/* Modules of a set (borrowed from the set)                                    */

/** modset_module_get_name - normalized module name. */
const char *modset_module_get_name(const struct modset_module *mod);

/** modset_module_get_path - absolute path of the module file; NULL if builtin. */
const char *modset_module_get_path(const struct modset_module *mod);

/** modset_module_get_relpath - path relative to the module directory; NULL if builtin. */
const char *modset_module_get_relpath(const struct modset_module *mod);

/**
 * modset_module_get_dep_line - the module's entry in the tree's modules.dep.bin,
 * "RELPATH: DEP...", exactly as depmod wrote it (the line modules.dep should have
 * too); NULL if builtin, or before the set's closure read it. Valid while the set is.
 */
const char *modset_module_get_dep_line(const struct modset_module *mod);

/** modset_module_is_builtin - true if built into the kernel (no file). */
bool modset_module_is_builtin(const struct modset_module *mod);

/** modset_module_is_loaded - false when only reachable through weak edges. */
bool modset_module_is_loaded(const struct modset_module *mod);

/** modset_module_get_reason_count - number of reasons the module is in the set. */
size_t modset_module_get_reason_count(const struct modset_module *mod);

/**
 * modset_module_get_reason - reason @i, sorted by (edge, from).
 * @edge: how it was reached
 * @from: the module it was reached from; NULL for a root
 * @untagged: set to true for a weak reason that comes from a softdep token before
 *            any "pre:"/"post:" (kmod ignores those; we put them in the image)
 * Returns 0, or -ERANGE past the end. Output pointers may be NULL.
 */
int modset_module_get_reason(const struct modset_module *mod, size_t i,
			     enum modset_edge *edge, const char **from, bool *untagged);

/** modset_module_get_firmware_count - number of firmware= names in its modinfo. */
size_t modset_module_get_firmware_count(const struct modset_module *mod);

/**
 * modset_module_get_firmware - firmware name @i (sorted, unique), NULL past the end.
 * Only filled when the set was resolved with MODSET_RESOLVE_MODINFO.
 */
const char *modset_module_get_firmware(const struct modset_module *mod, size_t i);

/* ------------------------------------------------------------------------- */
/* Firmware of a set                                                           */

struct modset_firmware;

/**
 * modset_firmware_resolve - find the files of every firmware= name of the set's
 * modules (builtins included; the set must be resolved with MODSET_RESOLVE_MODINFO).
 * @dirs: NULL-terminated firmware directories, searched in order; NULL means the
 *        kernel's defaults below the sysroot: lib/firmware/updates/KVER,
 *        lib/firmware/updates, lib/firmware/KVER, lib/firmware, each followed by its
 *        usr/lib/firmware twin (searched once when lib is a link to usr/lib).
 * @ret: the result (one reference).
 *
 * A name is looked up as NAME, then NAME.zst, then NAME.xz, in the first directory
 * that has one of them; a name with glob characters (*?[) takes every matching file
 * of every directory. A file that is a symlink stays one: modset_firmware_get()
 * gives its target (relative) and the target is an item too, while the symlink
 * chain stays inside its firmware directory. A chain that leaves it is followed to
 * its end as the kernel would on the running system, with the sysroot as the root
 * (absolute targets and ".." taken inside it, at most 40 links, those of
 * directories on the way included): when the end is a regular file of one of the
 * firmware directories, it is an item, and the name a symlink straight to it
 * (relative, between paths below the firmware directories; the file itself when
 * both have the same path there); the links on the way (e.g. in /etc/alternatives)
 * are not items. A file whose chain ends outside every firmware directory is passed
 * over, like a symlink loop, which the kernel cannot open: names that find nothing,
 * or only such files (see modset_firmware_missing_loop() and
 * modset_firmware_missing_outside()), are missing items, not errors. Nothing outside
 * the firmware directories is ever an item, or opened.
 *
 * Returns 0, or -EXDEV (a name leading outside the firmware directory: "../x"),
 * -ENOENT (a symlink dangling inside a firmware directory), -EINVAL (not a regular
 * file), -ENOMEM; errors are logged.
 */
int modset_firmware_resolve(struct modset_set *set, const char *const *dirs,
			    struct modset_firmware **ret);

/** modset_firmware_ref - take a reference. NULL-safe. */
struct modset_firmware *modset_firmware_ref(struct modset_firmware *fw);

/** modset_firmware_unref - drop a reference. NULL-safe. Returns NULL. */
struct modset_firmware *modset_firmware_unref(struct modset_firmware *fw);

/**
 * modset_firmware_dir_count - number of firmware directories that exist (of those
 * searched): 0 means nothing could be found, e.g. a module tree without firmware.
 */
size_t modset_firmware_dir_count(const struct modset_firmware *fw);

/** modset_firmware_count - number of files found. */
size_t modset_firmware_count(const struct modset_firmware *fw);

/**
 * modset_firmware_get - file @i, sorted by @relpath. Output pointers may be NULL.
 * @name: the firmware name asked for (a glob's match, or a symlink's target: its
 *        path below its firmware directory)
 * @relpath: path below the firmware directory, as found ("vendor/x.bin.zst",
 *        "updates/x.bin")
 * @path: absolute path of the file
 * @link: for a symlink, its target relative to its own directory; NULL for a file
 * @from: the modules that want it, sorted, NULL-terminated
 * Returns 0, or -ERANGE past the end.
 */
int modset_firmware_get(const struct modset_firmware *fw, size_t i, const char **name,
			const char **relpath, const char **path, const char **link,
			const char *const **from);

/** modset_firmware_missing_count - number of (name, module) pairs with no file. */
size_t modset_firmware_missing_count(const struct modset_firmware *fw);

/**
 * modset_firmware_missing - missing firmware @i, sorted by (name, from): @name as
 * the module @from wrote it. Returns 0, or -ERANGE past the end.
 */
int modset_firmware_missing(const struct modset_firmware *fw, size_t i, const char **name,
			    const char **from);

/**
 * modset_firmware_missing_loop - why missing firmware @i was not found: @path is
 * set to the absolute path of a symlink loop met looking it up (a chain of symlinks
 * coming back on itself, or of more than 40 links: the kernel's loader gets ELOOP
 * there), or to NULL otherwise (no file of the name exists, or the first one met
 * leads outside: see modset_firmware_missing_outside()). Returns 0, or -ERANGE past
 * the end.
 */
int modset_firmware_missing_loop(const struct modset_firmware *fw, size_t i,
				 const char **path);

/**
 * modset_firmware_missing_outside - why missing firmware @i was not found: when a
 * file of the name leads outside the firmware directories (a symlink chain, or a
 * directory symlink on the way, ending, with the sysroot as the root, outside every
 * firmware directory, or dangling there), @path is set to its absolute path and
 * @target to the absolute path where it ends (below the sysroot; never opened);
 * both to NULL otherwise. Only the first loop or such file met is given: by this
 * function or by modset_firmware_missing_loop(). Output pointers may be NULL.
 * Returns 0, or -ERANGE past the end.
 */
int modset_firmware_missing_outside(const struct modset_firmware *fw, size_t i,
				    const char **path, const char **target);

/* ------------------------------------------------------------------------- */
/* Utilities                                                                   */

/**
 * modset_normalize_name - write the normalized form of a module name to @buf:
 * '-' becomes '_', stop at the first '.'. Returns @buf, or NULL if it does not fit.
 */
char *modset_normalize_name(const char *name, char *buf, size_t bufsize);

#ifdef __cplusplus
}
#endif

#endif /* LIBMODSET_H */
