/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private to libmodset: struct layouts and helpers shared between lib/ files. */
#ifndef LIBMODSET_PRIVATE_H
#define LIBMODSET_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <syslog.h>

#include "libmodset.h"

#define MODSET_EXPORT __attribute__((visibility("default")))

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_ __attribute__((unused))

static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

/* Take ownership of a pointer: return it and set the variable to NULL. */
#define TAKE_PTR(p)                                                                      \
	({                                                                               \
		__typeof__(p) _p_ = (p);                                                 \
		(p) = NULL;                                                              \
		_p_;                                                                     \
	})

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline bool streq(const char *a, const char *b)
{
	return a == b || (a && b && __builtin_strcmp(a, b) == 0);
}

/* ---- logging (tree.c) ---- */
void modset_log(const struct modset_ctx *ctx, int priority, const char *file, int line,
		const char *fn, const char *format, ...) _printf_(6, 7);

#define modset_log_cond(ctx, prio, ...)                                                  \
	do {                                                                             \
		if (modset_get_log_priority(ctx) >= (prio))                              \
			modset_log(ctx, prio, __FILE__, __LINE__, __func__, __VA_ARGS__); \
	} while (0)

#define ERR(ctx, ...) modset_log_cond(ctx, LOG_ERR, __VA_ARGS__)
#define WARN(ctx, ...) modset_log_cond(ctx, LOG_WARNING, __VA_ARGS__)
#define INFO(ctx, ...) modset_log_cond(ctx, LOG_INFO, __VA_ARGS__)
#define DBG(ctx, ...) modset_log_cond(ctx, LOG_DEBUG, __VA_ARGS__)

/* ---- growable arrays of strings / pointers (util.c) ---- */
struct strv {
	char **v;
	size_t n, alloc;
};
int strv_push(struct strv *s, const char *str);
int strv_push_take(struct strv *s, char *str);
bool strv_contains(const struct strv *s, const char *str);
void strv_done(struct strv *s);
void strv_sort_uniq(struct strv *s);

struct ptrv {
	void **v;
	size_t n, alloc;
};
int ptrv_push(struct ptrv *p, void *ptr);
int ptrv_push_unique(struct ptrv *p, void *ptr);
void ptrv_done(struct ptrv *p);

/* Open-addressing string -> pointer map; keys are borrowed from the values. */
struct hmap {
	const char **keys;
	void **vals;
	size_t n, cap;
};
void *hmap_get(const struct hmap *m, const char *key);
int hmap_put(struct hmap *m, const char *key, void *val);
void hmap_done(struct hmap *m);

/* Read a whole regular file (NUL-terminated), a path as given: fs_read_file() with
 * FS_AS_GIVEN and FS_TEXT_MAX. Returns 0 or -errno. */
int read_file(const char *path, char **ret, size_t *ret_len);
char *path_join(const char *a, const char *b);
/* Normalize in place: '-' -> '_' outside [...]; stop at '.' if @stop_at_dot. */
void normalize_inplace(char *s, bool stop_at_dot);
/* libkmod's alias_normalize(), which every alias lookup starts with: '-' -> '_'
 * outside [...], at most PATH_MAX - 1 characters (a [...] crossing that limit is kept
 * whole). *ret: malloc'ed. 0; -EINVAL for a ']' outside brackets or a '[' never
 * closed (libkmod then finds nothing); -ENOMEM. */
int normalize_alias(const char *alias, char **ret);
/* Lexically clean an absolute path in place: no "//", ".", "..", trailing '/'. */
void path_normalize(char *path);
/* True if @rel is a relative path with no ".." component. */
bool path_is_safe_relative(const char *rel);

/* ---- configuration (config.c) ---- */
struct softdep_rule {
	char *pattern;	/* normalized module name or fnmatch pattern */
	struct strv pre, post, untagged;
	const char *file; /* borrowed from ctx->config_files */
	unsigned int line;
};

struct weakdep_rule {
	char *pattern;
	struct strv deps;
	const char *file;
	unsigned int line;
};

struct alias_rule {
	char *pattern; /* normalized alias, fnmatch pattern */
	char *modname; /* normalized module name */
};

struct builtin_info {
	char *name;
	struct strv softdep; /* raw "pre: a post: b" values */
	struct strv weakdep;
	struct strv firmware;
	struct strv alias; /* normalized (normalize_inplace()): fnmatch patterns */
};

/* Rules by module pattern: exact names hashed, glob patterns in a list; both hold
 * rule numbers (+1, as pointers) in file order. */
struct rule_index {
	struct hmap exact; /* name -> struct ptrv * */
	struct ptrv lists; /* the struct ptrv * above, to free */
	struct ptrv glob;
};

struct modset_config {
	struct softdep_rule *softdeps;
	size_t n_softdeps, alloc_softdeps;
	struct weakdep_rule *weakdeps;
	size_t n_weakdeps, alloc_weakdeps;
	struct alias_rule *aliases;
	size_t n_aliases, alloc_aliases;
	struct strv blacklist; /* normalized module names */
	struct strv install;   /* patterns of modules with an install command */
	struct rule_index softdep_index, weakdep_index;
	bool have_modules_weakdep; /* the tree has one: depmod, so kmod, >= 33 */
	bool builtins_loaded;
	struct ptrv builtins; /* struct builtin_info *, in file order */
	struct hmap builtin_by_name;
	unsigned int warnings;
};

int config_load(struct modset_ctx *ctx);
int config_load_builtins(struct modset_ctx *ctx);
/* The numbers of the softdep (weakdep) rules whose pattern matches @name, in file
 * order, into @out (cleared first). 0 or -ENOMEM. */
int config_match_softdeps(const struct modset_config *cfg, const char *name, struct ptrv *out);
int config_match_weakdeps(const struct modset_config *cfg, const char *name, struct ptrv *out);
void config_done(struct modset_config *cfg);
/* Parse the body of a softdep line ("pre: a b post: c") into @rule. */
int softdep_parse_body(struct softdep_rule *rule, char *body);
void softdep_rule_done(struct softdep_rule *r);
int builtin_modinfo_parse(struct modset_config *cfg, const char *buf, size_t len);

/* ---- kmod indexes, read the way libkmod reads them, checked as read (index.c) ---- */
struct index_file {
	const unsigned char *mm;
	size_t size;
	uint32_t root;
	/* The layout, told by the root's offset: depmod >= 34 writes the trie in
	 * pre-order (the root at offset 12, each node before its children), older
	 * depmod children first (the root last). */
	bool preorder;
	bool checked; /* the whole trie was checked */
};
/* Map the index @path of @dirfd, resolved as @how says (fs.h; the regular files of
 * fs_open_regular() only). The header is checked, and a pre-order file's last path,
 * which must end the file (a cut one is refused). 0, -ENOENT, -EBADMSG with *why set,
 * or another -errno. */
int index_openat(int dirfd, const char *path, int how, struct index_file *f,
		 const char **why);
/* index_openat() of a path as given. */
int index_open(const char *path, struct index_file *f, const char **why);
void index_close(struct index_file *f);
/* Check every node once (index_validate()). */
int index_check_all(struct index_file *f, const char **why);
/* Exact lookup of @key, checking each node on the way. *value: the first value
 * (NUL-terminated, in the mapping) or NULL when @key is not there. */
int index_lookup(const struct index_file *f, const char *key, const char **value,
		 const char **why);

struct index_value {
	const char *value; /* NUL-terminated, in the mapping */
	uint32_t priority;
	size_t seq; /* (order of discovery) */
};
struct index_values {
	struct index_value *v;
	size_t n, alloc;
};
/* Which of libkmod's readers to mimic: values of equal priority found in one node
 * come out in reverse file order with the mmap reader (kmod_load_resources() could
 * map every index), in file order with the one that reads the file. */
enum index_order {
	INDEX_ORDER_MMAP,
	INDEX_ORDER_FILE,
};
/* libkmod's index_mm_searchwild(): the values of every key of the index that, as
 * an fnmatch() pattern, matches @key, in libkmod's order (priority, then the value
 * found last first). The nodes visited are checked as they are read (loops, shared
 * nodes: -EBADMSG). @out is replaced (empty when nothing matches); its strings point
 * into the mapping. 0, -EBADMSG with *why set, or -ENOMEM. */
int index_search_wild(const struct index_file *f, const char *key, enum index_order order,
		      struct index_values *out, const char **why);
void index_values_done(struct index_values *vals);
/* Open and check a whole index file. */
int index_validate(const char *path, const char **why);

enum {
	IDX_DEP,
	IDX_ALIAS,
	IDX_SYMBOLS,
	IDX_BUILTIN,
	IDX_BUILTIN_ALIAS,
	_IDX_COUNT,
};

/* ---- module file decompression (decompress.c) ---- */
enum comp_format {
	COMP_NONE, /* a plain file */
	COMP_ZSTD,
	COMP_XZ,
	COMP_GZIP,
};
/* The format of a module file from its first bytes (magic), as libkmod picks it. */
enum comp_format comp_detect(const void *p, size_t size);

/* A decompressor, for one thread at a time: library contexts and output buffer
 * kept from one file to the next. NULL when out of memory. */
struct decomp;
struct decomp *decomp_new(void);
void decomp_free(struct decomp *d);
/* Free the output buffer if it grew large (after a huge or hostile file). */
void decomp_trim(struct decomp *d);
/*
 * Decompress @in (@f, not COMP_NONE) whole: *out (owned by @d, valid until its next
 * use) holds *out_size bytes. 0; -EFBIG when it would exceed @max bytes; -EBADMSG
 * (corrupt or truncated stream), -ELIBACC (the library cannot be loaded), -ENOTSUP,
 * -ENOMEM, with *why a static one-line reason; *why is NULL for the plain -EFBIG.
 */
int decomp_run(struct decomp *d, enum comp_format f, const void *in, size_t in_size,
	       size_t max, const unsigned char **out, size_t *out_size, const char **why);

/* ---- modinfo (modinfo.c) ---- */
/* The default limit on a compressed module's decompressed size (MODSET_MODULE_SIZE_MAX
 * overrides it): Debian's largest module, amdgpu.ko (6.12), is 29 MB. */
#define MODULE_SIZE_MAX_DEFAULT ((size_t)256 << 20)

/* An unsigned field of @n bytes at @p, big-endian when @msb. */
static inline uint64_t elf_uint(const unsigned char *p, size_t n, bool msb)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[msb ? i : n - 1 - i];
	return v;
}

/* A field of an ELF structure (<elf.h>) at @p, of the file's class and byte order. */
#define ELF_FIELD(p, is64, msb, type, field)                                            \
	((is64) ? elf_uint((p) + offsetof(Elf64_##type, field),                          \
			   sizeof(((Elf64_##type *)0)->field), msb)                      \
		: elf_uint((p) + offsetof(Elf32_##type, field),                          \
			   sizeof(((Elf32_##type *)0)->field), msb))

struct modinfo_job {
	const char *path;    /* in */
	const char *relpath; /* in: key in the cache */
	struct strv weakdep, firmware; /* out */
	struct strv *vermagic;	       /* in: for vermagic= values too, or NULL */
	int err;		       /* out: 0 or -errno */
	const char *why;	       /* out: with err, a static reason, or NULL */
	bool cached;		       /* out: answered by the cache */
};
int modinfo_read_batch(struct modset_ctx *ctx, struct modinfo_job *jobs, size_t n);
/*
 * The weakdep= and firmware= values of the module file held in @p (plain ELF), as
 * libkmod's kmod_module_get_info() gives them, appended to @weakdep and @firmware.
 * 0; -ENOEXEC (not a valid ELF file) or -EBADMSG (no .modinfo section) with *why;
 * -ENOMEM. Reads nothing outside @p[0..size).
 */
int modinfo_parse(const unsigned char *p, size_t size, struct strv *weakdep,
		  struct strv *firmware, const char **why);
/* Read one module file (any compression) with @d, at most @max bytes decompressed,
 * beneath @ctx's module directory (tree_open_regular()), or as given for a NULL @ctx;
 * fills job->weakdep, job->firmware (and *job->vermagic), or returns -errno with
 * job->why. */
int modinfo_read_file(struct decomp *d, size_t max, const struct modset_ctx *ctx,
		      struct modinfo_job *job);
/* The first vermagic= value of the module file @path ("6.12.12-amd64 SMP ..."), read
 * as modinfo_read_file() reads: 0 with *ret (NULL when it has none), or -errno. */
int modinfo_read_vermagic(const char *path, char **ret);
/* The decompressed-size limit: MODSET_MODULE_SIZE_MAX, else the default. */
size_t modinfo_size_max(void);

/* ---- persistent modinfo cache (cache.c) ---- */
struct stat;
struct modset_cache {
	bool loaded, dirty;
	bool untrusted;	     /* another user could write it: not used */
	void *map;	     /* the cache file, mapped */
	size_t map_size;
	const char *data, *end; /* its entry lines, sorted by relpath */
	struct ptrv added;   /* struct cache_entry *, read this run */
	struct hmap added_by_path;
};
/* What a cache entry is keyed by, besides the relpath: the module file's size and a
 * hash of its bytes (as stored: a .ko.xz is hashed compressed, far cheaper than
 * decompressing it). */
struct cache_key {
	uint64_t size, hash;
};
/* The key of the open module file @fd (read, not changed). 0 or -errno. */
int cache_key_of(int fd, struct cache_key *key);
bool cache_get(struct modset_ctx *ctx, const char *relpath, const struct cache_key *key,
	       struct strv *weakdep, struct strv *firmware);
void cache_put(struct modset_ctx *ctx, const char *relpath, const struct cache_key *key,
	       const struct strv *weakdep, const struct strv *firmware);
void cache_flush(struct modset_ctx *ctx);
void cache_done(struct modset_cache *c);

/* ---- context ---- */
struct modset_ctx {
	int refcount;
	modset_log_fn log_fn;
	void *log_data;
	int log_priority;

	char *moddir;
	char *kver;
	char *sysroot;
	/* opened by modset_load(), -1 before: the module directory, the sysroot (-1
	 * when there is none); every input file is opened beneath one (fs.h) */
	int treefd, rootfd;
	char **config_paths; /* NULL: the defaults under sysroot */
	bool loaded;

	struct index_file idx[_IDX_COUNT];
	/* whether module files may hold weakdep= (closure.c): 0 not known yet, 1 they
	 * may, -1 they cannot (a kernel older than MODULE_WEAKDEP) */
	signed char modinfo_weakdep;
	struct strv config_files;
	struct modset_config cfg;

	char *cache_dir; /* NULL: no persistent cache */
	struct strv exclude; /* normalized fnmatch patterns */
	struct modset_cache cache;
};

/* Checked index access (tree.c): errors are logged with the file name. */
int tree_index_lookup(const struct modset_ctx *ctx, int idx, const char *key,
		      const char **value);
int tree_index_search_wild(const struct modset_ctx *ctx, int idx, const char *key,
			   struct index_values *out);

/* ---- set (set.c) ---- */
struct reason {
	enum modset_edge edge;
	const char *from; /* name of a module in the same set, or NULL */
	bool untagged;
};

struct modset_module {
	char *name;
	char *path;
	const char *relpath; /* points into path */
	const char *dep_line; /* its modules.dep.bin value, in the mapping */
	bool builtin;
	bool load;
	struct reason *reasons;
	size_t n_reasons, alloc_reasons;
	struct strv firmware;

	/* closure state */
	bool edges_done, weak_done, modinfo_done, probe_visited, in_order;
	bool install_cmd; /* --kmod-compat: modprobe runs a command instead */
	size_t index; /* insertion order, for determinism */
	struct ptrv hard, pre, post, weak;
	struct strv modinfo_weak;
	int tarjan_index, tarjan_low;
	bool tarjan_on_stack;
};

struct missing {
	char *name;
	enum modset_missing_kind kind;
	const char *from;
};

struct modset_set {
	int refcount;
	struct modset_ctx *ctx;
	struct ptrv mods;	/* struct modset_module *, sorted by name after resolve */
	struct hmap by_name;
	struct ptrv order;	/* load order */
	struct missing *missing;
	size_t n_missing, alloc_missing;
	struct ptrv cycles;	/* char ** (NULL-terminated, names borrowed) */
	struct ptrv roots;	/* root modules, in the order given */
	unsigned int flags;
	bool compat;
	bool blacklist_alias_roots; /* while resolving roots in --kmod-compat mode */
	struct hmap gone;	    /* indexed modules whose file is missing (warned) */
	struct ptrv matches;	    /* scratch: rule numbers */
	struct strv gone_names;
};

struct modset_set *set_new(struct modset_ctx *ctx);
struct modset_module *set_add(struct modset_set *set, const char *name, const char *path,
			      bool builtin);
int module_add_reason(struct modset_module *m, enum modset_edge edge, const char *from,
		      bool untagged);
int set_add_missing(struct modset_set *set, const char *name, enum modset_missing_kind kind,
		    const char *from);
void set_finish(struct modset_set *set);

/* True when @name (normalized) is left out of @set (exclusions, blacklist). */
bool set_is_excluded(const struct modset_set *set, const char *name);

/* ---- lookup (lookup.c) ---- */
/* Resolve a name or alias to modules of the tree; appends struct modset_module *
 * (added to @set) to @out. 0 (possibly nothing found) or -errno. */
/* *excluded (may be NULL) is set when the target named modules that are left out
 * on purpose (exclusions; blacklisted alias matches in --kmod-compat mode). */
int lookup_target(struct modset_set *set, const char *target, struct ptrv *out,
		  bool *excluded);
int lookup_root(struct modset_set *set, const char *root, struct ptrv *out, bool *excluded);
int lookup_module_by_name(struct modset_set *set, const char *name,
			  struct modset_module **ret);
int module_check_path(struct modset_ctx *ctx, const char *name, const char *path);

#endif
