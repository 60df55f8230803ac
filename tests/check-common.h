/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers shared by the Check unit tests (tests/check-*.c).
 *
 * Every test binary is linked statically against build/libmodset-internal.a, so the
 * private header (and any non-static function of lib/) is available.
 *
 * Environment:
 *   FIXTURES   directory of the trees built by `make fixtures` (build/fixtures):
 *              FIXTURES/NAME/lib/modules/KVER/... (required by most tests)
 *   MODPROBE   modprobe used as the oracle of the load-order tests (default: PATH,
 *              then /sbin, /usr/sbin)
 *   FIXTURES34 the same fixture specs indexed by depmod 34 (pre-order indexes), and
 *   TRIXIE     the Debian 13 root with kmod 34 (tests/trixie-root.sh): the kmod 34
 *              parts of the tests SKIP (a line on stderr) when either is unset or
 *              empty (fixtures34_dir())
 *   SRCDIR     the source tree (tests/trixie-run.sh)
 *
 * All helpers are static inline, abort the current test (ck_abort_msg) on setup
 * errors, and return malloc'ed memory the caller frees (the tests also run under
 * valgrind with CK_FORK=no, where leaks count).
 */
#ifndef CHECK_COMMON_H
#define CHECK_COMMON_H

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libkmod.h>

#include "libmodset-private.h"

/* libkmod, which some suites compare the library with (the library never uses it). */
#define LIBKMOD_SONAME "libkmod.so.2"

/*
 * Cheap assertions for loops and helpers: Check's ck_assert*() records a checkpoint
 * (a message to the runner) on every call, even when it passes, which makes loops of
 * thousands of checks slow (and very slow under valgrind).
 */
#define CHECK(cond)                                                                      \
	do {                                                                             \
		if (__builtin_expect(!(cond), 0))                                        \
			ck_abort_msg("%s:%d: assertion '%s' failed", __FILE__, __LINE__, \
				     #cond);                                             \
	} while (0)
#define CHECK_MSG(cond, ...)                                                             \
	do {                                                                             \
		if (__builtin_expect(!(cond), 0))                                        \
			ck_abort_msg(__VA_ARGS__);                                       \
	} while (0)
#define CHECK_STR_EQ(a, b)                                                               \
	do {                                                                             \
		const char *a_ = (a), *b_ = (b);                                         \
		CHECK_MSG(streq(a_, b_), "%s:%d: \"%s\" != \"%s\"", __FILE__, __LINE__,   \
			  a_ ? a_ : "(null)", b_ ? b_ : "(null)");                        \
	} while (0)

/* ------------------------------------------------------------------------- */
/* Strings                                                                     */

/* A growable string. */
struct sbuf {
	char *s;
	size_t len, alloc;
};

static inline void sbuf_addn(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->alloc) {
		size_t a = b->alloc ? b->alloc : 64;

		while (b->len + n + 1 > a)
			a *= 2;
		b->s = realloc(b->s, a);
		CHECK(b->s != NULL);
		b->alloc = a;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static inline void sbuf_add(struct sbuf *b, const char *s)
{
	sbuf_addn(b, s, strlen(s));
}

static inline __attribute__((format(printf, 2, 3))) void sbuf_addf(struct sbuf *b,
								   const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	CHECK(n >= 0);
	sbuf_addn(b, s, n);
	free(s);
}

/* Append @word, separated from what is there by one blank. */
static inline void sbuf_word(struct sbuf *b, const char *word)
{
	if (b->len)
		sbuf_add(b, " ");
	sbuf_add(b, word ? word : "(null)");
}

/* The string (never NULL: "" when empty); the caller frees it. */
static inline char *sbuf_take(struct sbuf *b)
{
	char *s = b->s ? b->s : strdup("");

	CHECK(s != NULL);
	*b = (struct sbuf){ 0 };
	return s;
}

static inline __attribute__((format(printf, 1, 2))) char *xasprintf(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	CHECK(n >= 0);
	return s;
}

/* Split @s on blanks into a NULL-terminated vector (one allocation; free() it). */
static inline char **split_words(const char *s)
{
	size_t n = 0, len = strlen(s);
	char **v, *copy;

	for (const char *p = s; *p; p++)
		n++;
	v = malloc((n + 2) * sizeof(char *) + len + 1);
	CHECK(v != NULL);
	copy = (char *)(v + n + 2);
	memcpy(copy, s, len + 1);
	n = 0;
	for (char *save = NULL, *t = strtok_r(copy, " \t\n", &save); t;
	     t = strtok_r(NULL, " \t\n", &save))
		v[n++] = t;
	v[n] = NULL;
	return v;
}

/* ------------------------------------------------------------------------- */
/* Fixtures and files                                                          */

static inline const char *fixtures_dir(void)
{
	const char *f = getenv("FIXTURES");

	if (!f || !*f)
		ck_abort_msg("FIXTURES is not set (run `make fixtures`, then "
			     "FIXTURES=$PWD/build/fixtures)");
	return f;
}

/* $FIXTURES/NAME: the tree's sysroot. */
static inline char *fixture_root(const char *name)
{
	char *p = xasprintf("%s/%s", fixtures_dir(), name);
	struct stat st;

	if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode))
		ck_abort_msg("fixture tree %s is missing (make fixtures)", p);
	return p;
}

/* The only KVER directory below ROOT/lib/modules. */
static inline char *root_moddir(const char *root)
{
	char *mods = xasprintf("%s/lib/modules", root), *ret = NULL;
	DIR *d = opendir(mods);
	struct dirent *e;

	if (!d)
		ck_abort_msg("%s: %s", mods, strerror(errno));
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			CHECK_MSG(!ret, "%s: more than one kernel version", mods);
			ret = xasprintf("%s/%s", mods, e->d_name);
		}
	closedir(d);
	CHECK_MSG(ret, "%s: no kernel version", mods);
	free(mods);
	return ret;
}

/* BASE/NAME/lib/modules/KVER of a fixture set (FIXTURES, FIXTURES34). */
static inline char *fixture_moddir_in(const char *base, const char *name)
{
	char *root = xasprintf("%s/%s", base, name), *md;
	struct stat st;

	if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode))
		ck_abort_msg("fixture tree %s is missing (make fixtures)", root);
	md = root_moddir(root);
	free(root);
	return md;
}

/* "$FIXTURES/NAME/lib/modules/KVER". */
static inline char *fixture_moddir(const char *name)
{
	return fixture_moddir_in(fixtures_dir(), name);
}

static inline int rm_rf_one(const char *path, const struct stat *st _unused_, int flag,
			    struct FTW *ftw _unused_)
{
	if (flag == FTW_DP)
		return rmdir(path) < 0 ? -1 : 0;
	return unlink(path) < 0 ? -1 : 0;
}

static inline void rm_rf(const char *path)
{
	if (path && nftw(path, rm_rf_one, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
		ck_abort_msg("rm -rf %s: %s", path, strerror(errno));
}

/* Every temporary directory of a run is made under one base directory, which
 * run_suite() removes at the end: a test that fails (Check ends the forked child at
 * once) leaves nothing behind. */
static char *tempbase;

static inline const char *tempbase_dir(void)
{
	if (!tempbase) {
		const char *t = getenv("TMPDIR");

		tempbase = xasprintf("%s/modset-check.XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(tempbase))
			ck_abort_msg("mkdtemp %s: %s", tempbase, strerror(errno));
	}
	return tempbase;
}

/* A new empty directory under the run's base directory. Remove it with rm_rf(). */
static inline char *make_tempdir(void)
{
	char *p = xasprintf("%s/t.XXXXXX", tempbase_dir());

	if (!mkdtemp(p))
		ck_abort_msg("mkdtemp %s: %s", p, strerror(errno));
	return p;
}

/* mkdir -p */
static inline void mkdir_p(const char *path)
{
	char *p = strdup(path);

	CHECK(p != NULL);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, 0755) < 0 && errno != EEXIST)
				ck_abort_msg("mkdir %s: %s", p, strerror(errno));
			*s = '/';
		}
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		ck_abort_msg("mkdir %s: %s", p, strerror(errno));
	free(p);
}

/* Write @len bytes to DIR/REL (REL may be NULL: DIR is the file), creating the
 * parent directories. Returns the path (free it). */
static inline char *write_bytes(const char *dir, const char *rel, const void *data,
				size_t len)
{
	char *path = rel ? xasprintf("%s/%s", dir, rel) : strdup(dir);
	char *slash;
	FILE *f;

	CHECK(path != NULL);
	slash = strrchr(path, '/');
	if (slash && slash != path) {
		*slash = '\0';
		mkdir_p(path);
		*slash = '/';
	}
	f = fopen(path, "we");
	if (!f)
		ck_abort_msg("%s: %s", path, strerror(errno));
	CHECK(fwrite(data, 1, len, f) == len);
	CHECK(fclose(f) == 0);
	return path;
}

static inline char *write_text(const char *dir, const char *rel, const char *text)
{
	return write_bytes(dir, rel, text, strlen(text));
}

/* Whole file; *len (if given) gets its length. */
/* (noinline: GCC 12 -Wdangling-pointer false positive when inlined) */
static __attribute__((noinline, unused)) char *slurp(const char *path, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	int r = read_file(path, &buf, &n);

	if (r < 0)
		ck_abort_msg("%s: %s", path, strerror(-r));
	if (len)
		*len = n;
	return buf;
}

static const char *copy_tree_src, *copy_tree_dst;

static inline int copy_tree_one(const char *path, const struct stat *st, int flag,
				struct FTW *ftw _unused_)
{
	char *dst = xasprintf("%s%s", copy_tree_dst, path + strlen(copy_tree_src));

	if (flag == FTW_D) {
		if (mkdir(dst, 0755) < 0 && errno != EEXIST)
			ck_abort_msg("mkdir %s: %s", dst, strerror(errno));
	} else if (flag == FTW_SL) {
		char target[PATH_MAX];
		ssize_t n = readlink(path, target, sizeof(target) - 1);

		CHECK(n >= 0);
		target[n] = '\0';
		CHECK(symlink(target, dst) == 0);
	} else if (S_ISREG(st->st_mode)) {
		size_t len;
		char *data = slurp(path, &len);

		free(write_bytes(dst, NULL, data, len));
		free(data);
	}
	free(dst);
	return 0;
}

/* cp -a SRC DST (DST must not exist or be an empty directory). */
static inline void copy_tree(const char *src, const char *dst)
{
	copy_tree_src = src;
	copy_tree_dst = dst;
	mkdir_p(dst);
	CHECK(nftw(src, copy_tree_one, 16, FTW_PHYS) == 0);
}

/* A copy of the sysroot of fixture NAME of the fixture set @base (FIXTURES,
 * FIXTURES34) in a new temporary directory TMP: returns TMP (rm_rf() it), *moddir
 * gets TMP/lib/modules/KVER. */
static inline char *copy_fixture_in(const char *base, const char *name, char **moddir)
{
	char *tmp = make_tempdir(), *root = xasprintf("%s/%s", base, name);
	struct stat st;

	if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode))
		ck_abort_msg("fixture tree %s is missing (make fixtures)", root);
	copy_tree(root, tmp);
	free(root);
	if (moddir)
		*moddir = root_moddir(tmp);
	return tmp;
}

/* The same from $FIXTURES. */
static inline char *copy_fixture(const char *name, char **moddir)
{
	return copy_fixture_in(fixtures_dir(), name, moddir);
}

static inline bool file_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* ------------------------------------------------------------------------- */
/* Log capture                                                                 */

struct logcap {
	struct sbuf text; /* every message, as formatted */
	unsigned int count;
	unsigned int count_err, count_warning;
	bool bad_format; /* a message did not end with '\n', or had no file/fn */
};

static inline void logcap_fn(void *data, int priority, const char *file, int line,
			     const char *fn, const char *format, va_list args)
{
	struct logcap *lc = data;
	char *s = NULL;
	va_list ap;
	int n;

	va_copy(ap, args);
	n = vasprintf(&s, format, ap);
	va_end(ap);
	if (n < 0)
		return;
	lc->count++;
	if (priority <= LOG_ERR)
		lc->count_err++;
	else if (priority == LOG_WARNING)
		lc->count_warning++;
	if (n == 0 || s[n - 1] != '\n' || !file || !fn || line <= 0)
		lc->bad_format = true;
	sbuf_add(&lc->text, s);
	if (n == 0 || s[n - 1] != '\n')
		sbuf_add(&lc->text, "\n");
	free(s);
}

/* Route @ctx's log into @lc, logging up to @priority. */
static inline void logcap_attach(struct logcap *lc, struct modset_ctx *ctx, int priority)
{
	*lc = (struct logcap){ 0 };
	modset_set_log_fn(ctx, logcap_fn, lc);
	modset_set_log_priority(ctx, priority);
}

static inline const char *logcap_text(const struct logcap *lc)
{
	return lc->text.s ? lc->text.s : "";
}

static inline bool logcap_has(const struct logcap *lc, const char *needle)
{
	return strstr(logcap_text(lc), needle) != NULL;
}

static inline void logcap_done(struct logcap *lc)
{
	free(lc->text.s);
	*lc = (struct logcap){ 0 };
}

#define ck_assert_log_has(lc, needle)                                                    \
	CHECK_MSG(logcap_has(lc, needle), "log lacks \"%s\"; log:\n%s", (needle),      \
		      logcap_text(lc))
#define ck_assert_log_lacks(lc, needle)                                                  \
	CHECK_MSG(!logcap_has(lc, needle), "log has \"%s\"; log:\n%s", (needle),       \
		      logcap_text(lc))

/* Silence a context (tests that expect warnings on stderr). */
static inline void ctx_quiet(struct modset_ctx *ctx)
{
	modset_set_log_fn(ctx, NULL, NULL);
}

/* ------------------------------------------------------------------------- */
/* Contexts and resolving                                                      */

/* A context for fixture NAME with the default configuration (under its sysroot),
 * logging nothing. */
static inline struct modset_ctx *fixture_ctx(const char *name)
{
	char *md = fixture_moddir(name);
	struct modset_ctx *ctx = modset_new(md, NULL);

	CHECK_MSG(ctx, "modset_new(%s): %s", md, strerror(errno));
	ctx_quiet(ctx);
	free(md);
	return ctx;
}

/* Resolve the blank-separated @roots; the result must be 0. */
static inline struct modset_set *resolve_ok(struct modset_ctx *ctx, const char *roots,
					    unsigned int flags)
{
	char **v = split_words(roots);
	struct modset_set *set = NULL;
	int r = modset_resolve(ctx, (const char *const *)v, flags, &set);

	CHECK_MSG(r == 0, "resolve(%s) = %d (%s)", roots, r, strerror(-r));
	CHECK(set != NULL);
	free(v);
	return set;
}

/* Resolve, expecting an error; returns it. */
static inline int resolve_err(struct modset_ctx *ctx, const char *roots, unsigned int flags)
{
	char **v = split_words(roots);
	struct modset_set *set = (struct modset_set *)1;
	int r = modset_resolve(ctx, (const char *const *)v, flags, &set);

	free(v);
	if (r == 0)
		modset_set_unref(set);
	CHECK_MSG(r < 0, "resolve(%s) succeeded", roots);
	CHECK(set == NULL);
	return r;
}

/* The names of the set's modules, in set order (sorted), blank-separated. */
static inline char *set_names(const struct modset_set *set)
{
	struct sbuf b = { 0 };

	for (size_t i = 0; i < modset_set_count(set); i++)
		sbuf_word(&b, modset_module_get_name(modset_set_get(set, i)));
	return sbuf_take(&b);
}

/* The names of the modules that are loaded (load == true), sorted. */
static inline char *set_loaded(const struct modset_set *set)
{
	struct sbuf b = { 0 };

	for (size_t i = 0; i < modset_set_count(set); i++)
		if (modset_module_is_loaded(modset_set_get(set, i)))
			sbuf_word(&b, modset_module_get_name(modset_set_get(set, i)));
	return sbuf_take(&b);
}

/* The names of the image-only modules (load == false), sorted. */
static inline char *set_image_only(const struct modset_set *set)
{
	struct sbuf b = { 0 };

	for (size_t i = 0; i < modset_set_count(set); i++)
		if (!modset_module_is_loaded(modset_set_get(set, i)))
			sbuf_word(&b, modset_module_get_name(modset_set_get(set, i)));
	return sbuf_take(&b);
}

/* The load order, blank-separated names. */
static inline char *set_order(const struct modset_set *set)
{
	struct sbuf b = { 0 };

	for (size_t i = 0; i < modset_set_load_order_count(set); i++)
		sbuf_word(&b, modset_module_get_name(modset_set_load_order(set, i)));
	return sbuf_take(&b);
}

/* Missing items as "NAME/KIND/FROM" words (FROM "-" for a root). */
static inline char *set_missing(const struct modset_set *set)
{
	struct sbuf b = { 0 };

	for (size_t i = 0; i < modset_set_missing_count(set); i++) {
		const char *name, *from;
		enum modset_missing_kind kind;
		char *w;

		CHECK(modset_set_missing(set, i, &name, &kind, &from) == 0);
		w = xasprintf("%s/%s/%s", name, modset_missing_kind_name(kind),
			      from ? from : "-");
		sbuf_word(&b, w);
		free(w);
	}
	return sbuf_take(&b);
}

/* Cycles as "a,b,c" words. */
static inline char *set_cycles(const struct modset_set *set)
{
	struct sbuf b = { 0 };

	for (size_t i = 0; i < modset_set_cycle_count(set); i++) {
		const char *const *c = modset_set_cycle(set, i);

		CHECK(c != NULL);
		if (b.len)
			sbuf_add(&b, " ");
		for (size_t k = 0; c[k]; k++) {
			if (k)
				sbuf_add(&b, ",");
			sbuf_add(&b, c[k]);
		}
	}
	return sbuf_take(&b);
}

/* Reasons of one module as "EDGE:FROM" words ("root:-"; "weak*:X" if untagged). */
static inline char *mod_reasons(const struct modset_module *m)
{
	struct sbuf b = { 0 };

	CHECK(m != NULL);
	for (size_t i = 0; i < modset_module_get_reason_count(m); i++) {
		enum modset_edge edge;
		const char *from;
		bool untagged;
		char *w;

		CHECK(modset_module_get_reason(m, i, &edge, &from, &untagged) == 0);
		w = xasprintf("%s%s:%s", modset_edge_name(edge), untagged ? "*" : "",
			      from ? from : "-");
		sbuf_word(&b, w);
		free(w);
	}
	return sbuf_take(&b);
}

/* Reasons of module @name of @set (which must be there). */
static inline char *set_reasons(const struct modset_set *set, const char *name)
{
	const struct modset_module *m = modset_set_find(set, name);

	CHECK_MSG(m, "%s is not in the set", name);
	return mod_reasons(m);
}

/* Firmware of module @name, blank-separated. */
static inline char *set_firmware(const struct modset_set *set, const char *name)
{
	const struct modset_module *m = modset_set_find(set, name);
	struct sbuf b = { 0 };

	CHECK_MSG(m, "%s is not in the set", name);
	for (size_t i = 0; i < modset_module_get_firmware_count(m); i++)
		sbuf_word(&b, modset_module_get_firmware(m, i));
	return sbuf_take(&b);
}

/* Everything about a set, one line per item: for comparing two results. */
static inline char *set_dump(const struct modset_set *set)
{
	struct sbuf b = { 0 };
	char *s;

	for (size_t i = 0; i < modset_set_count(set); i++) {
		const struct modset_module *m = modset_set_get(set, i);

		s = mod_reasons(m);
		sbuf_addf(&b, "module %s path=%s builtin=%d load=%d reasons=%s fw=",
			  modset_module_get_name(m), modset_module_get_relpath(m) ?: "-",
			  modset_module_is_builtin(m), modset_module_is_loaded(m), s);
		free(s);
		for (size_t k = 0; k < modset_module_get_firmware_count(m); k++)
			sbuf_addf(&b, "%s,", modset_module_get_firmware(m, k));
		sbuf_add(&b, "\n");
	}
	s = set_order(set);
	sbuf_addf(&b, "order %s\n", s);
	free(s);
	s = set_missing(set);
	sbuf_addf(&b, "missing %s\n", s);
	free(s);
	s = set_cycles(set);
	sbuf_addf(&b, "cycles %s\n", s);
	free(s);
	return sbuf_take(&b);
}

/* Resolve @roots in @ctx and return one of the views above. */
#define RESOLVE_VIEW(fn, ctx, roots, flags)                                              \
	({                                                                               \
		struct modset_set *set_ = resolve_ok(ctx, roots, flags);                \
		char *s_ = fn(set_);                                                     \
		modset_set_unref(set_);                                                  \
		s_;                                                                      \
	})

/* Resolve @roots in fixture @fixture and return one of the views above. */
#define FIXTURE_VIEW(fn, fixture, roots, flags)                                          \
	({                                                                               \
		struct modset_ctx *ctx_ = fixture_ctx(fixture);                          \
		struct modset_set *set_ = resolve_ok(ctx_, roots, flags);               \
		char *s_ = fn(set_);                                                     \
		modset_set_unref(set_);                                                  \
		modset_unref(ctx_);                                                      \
		s_;                                                                      \
	})

/* ck_assert_str_eq that frees the computed string. */
#define ck_assert_str_eq_free(computed, expected)                                        \
	do {                                                                             \
		char *got_ = (computed);                                                 \
		ck_assert_str_eq(got_, expected);                                        \
		free(got_);                                                              \
	} while (0)

/* ------------------------------------------------------------------------- */
/* The oracle: modprobe --show-depends                                         */

static inline const char *modprobe_path(void)
{
	static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin" };
	static char found[PATH_MAX];
	const char *env = getenv("MODPROBE"), *path = getenv("PATH");

	if (env && *env)
		return env;
	if (found[0])
		return found;
	if (path) {
		char *copy = strdup(path), *save = NULL;

		for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
			snprintf(found, sizeof(found), "%s/modprobe", d);
			if (access(found, X_OK) == 0) {
				free(copy);
				return found;
			}
		}
		free(copy);
	}
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(found, sizeof(found), "%s/modprobe", dirs[i]);
		if (access(found, X_OK) == 0)
			return found;
	}
	found[0] = '\0';
	return NULL;
}

/* `modprobe -d ROOT -S KVER -C DIR... --show-depends NAME` for fixture @fixture, with
 * ROOT's modprobe.d directories in kmod's order (an empty directory when there is
 * none: never the host's configuration). Returns the module names of the "insmod"
 * lines, normalized, each once (first occurrence: modprobe repeats shared hard deps),
 * blank-separated; *builtins (if given) gets the names of the "builtin" lines.
 * NULL when there is no modprobe. */
static inline char *modprobe_show_depends(const char *fixture, const char *name,
					  char **builtins)
{
	static const char *const dirs[] = { "etc/modprobe.d", "run/modprobe.d",
					    "usr/local/lib/modprobe.d", "usr/lib/modprobe.d",
					    "lib/modprobe.d" };
	const char *mp = modprobe_path();
	char *root, *md, *kver, *empty = NULL, *cmd, *line = NULL;
	struct sbuf args = { 0 }, out = { 0 }, bi = { 0 };
	struct strv seen = { 0 };
	size_t alloc = 0;
	FILE *p;
	int st;

	if (!mp)
		return NULL;
	root = fixture_root(fixture);
	md = root_moddir(root);
	kver = strrchr(md, '/') + 1;
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char *d = xasprintf("%s/%s", root, dirs[i]);

		if (file_exists(d))
			sbuf_addf(&args, " -C '%s'", d);
		free(d);
	}
	if (!args.len) {
		empty = make_tempdir();
		sbuf_addf(&args, " -C '%s'", empty);
	}
	cmd = xasprintf("'%s' -d '%s' -S '%s'%s --show-depends '%s' 2>/dev/null", mp, root,
			kver, args.s, name);
	p = popen(cmd, "re");
	ck_assert_msg(p, "popen %s: %s", cmd, strerror(errno));
	while (getline(&line, &alloc, p) > 0) {
		char *save = NULL, *word = strtok_r(line, " \t\n", &save);
		char *arg = word ? strtok_r(NULL, " \t\n", &save) : NULL;
		char buf[PATH_MAX];

		if (!arg)
			continue;
		if (streq(word, "builtin")) {
			sbuf_word(&bi, arg);
			continue;
		}
		if (!streq(word, "insmod"))
			continue;
		CHECK(modset_normalize_name(strrchr(arg, '/') + 1, buf, sizeof(buf)) != NULL);
		if (strv_contains(&seen, buf))
			continue;
		CHECK(strv_push(&seen, buf) == 0);
		sbuf_word(&out, buf);
	}
	st = pclose(p);
	ck_assert_msg(st != -1, "pclose: %s", strerror(errno));
	free(line);
	strv_done(&seen);
	rm_rf(empty);
	free(empty);
	free(cmd);
	free(args.s);
	free(md);
	free(root);
	if (builtins)
		*builtins = sbuf_take(&bi);
	else
		free(bi.s);
	return sbuf_take(&out);
}

/* The names of the tree's modules (modules.dep, as depmod wrote them, basenames
 * without suffix, dashes kept) and builtins (modules.builtin). */
static inline struct strv tree_module_names(const char *moddir, bool with_builtins)
{
	struct strv v = { 0 };

	for (int k = 0; k < (with_builtins ? 2 : 1); k++) {
		char *path = xasprintf("%s/%s", moddir, k == 0 ? "modules.dep" : "modules.builtin");
		char *buf = NULL, *save = NULL;
		size_t len;

		if (read_file(path, &buf, &len) < 0) {
			free(path);
			continue;
		}
		for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			char *colon = strchr(l, ':'), *base, *dot;

			if (colon)
				*colon = '\0';
			base = strrchr(l, '/');
			base = base ? base + 1 : l;
			dot = strstr(base, ".ko");
			if (dot)
				*dot = '\0';
			if (*base)
				CHECK(strv_push(&v, base) == 0);
		}
		free(buf);
		free(path);
	}
	return v;
}

/* ------------------------------------------------------------------------- */
/* Writing kmod indexes (modules.*.bin)                                        */

/*
 * The test writer of kmod indexes, in either of depmod's layouts: children first
 * (depmod <= 33, MODSET_INDEX_POSTORDER: each node after its children's subtrees,
 * the root last) or pre-order (depmod >= 34, MODSET_INDEX_PREORDER: the root at
 * offset 12, each node followed by its children's subtrees in character order).
 * The trie is built in memory (struct tnode), from entries or from a trusted index
 * file (a depmod-made or test-made one: index_relayout() rewrites it in the other
 * layout), then written as depmod writes it.
 */

#define TIDX_MAGIC 0xB007F457u
#define TIDX_VERSION 0x00020001u
#define TIDX_PREFIX 0x80000000u
#define TIDX_VALUES 0x40000000u
#define TIDX_CHILDS 0x20000000u
#define TIDX_MASK 0x0FFFFFFFu

struct index_entry {
	const char *key;
	const char *value;
};

/* An entry with its priority (index_write_prio()). */
struct index_pentry {
	const char *key;
	const char *value;
	unsigned int priority;
};

struct index_wentry {
	struct index_pentry e;
	size_t order; /* as given */
};

/* One node: its flags as written (prefix, children, values), the child table
 * [first, last] (NULL: no child for that character), the values in file order. */
struct tnode {
	uint32_t flags;
	char *prefix;
	int first, last;
	struct tnode **child;
	size_t nvalues;
	struct tvalue {
		uint32_t priority;
		char *value;
	} *values;
};

static inline void tnode_free(struct tnode *n)
{
	if (!n)
		return;
	for (int c = n->first; n->child && c <= n->last; c++)
		tnode_free(n->child[c - n->first]);
	for (size_t i = 0; i < n->nvalues; i++)
		free(n->values[i].value);
	free(n->values);
	free(n->child);
	free(n->prefix);
	free(n);
}

static inline void be32_put(struct sbuf *b, uint32_t v)
{
	unsigned char c[4] = { v >> 24, v >> 16, v >> 8, v };

	sbuf_addn(b, (const char *)c, 4);
}

static inline uint32_t be32_get(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void be32_set(struct sbuf *b, size_t at, uint32_t v)
{
	for (int k = 0; k < 4; k++)
		b->s[at + k] = (char)(v >> (24 - 8 * k));
}

/* The node's own bytes (prefix, child table with @refs or zeros, values); returns
 * where its child table starts in @b. */
static inline size_t tnode_body(struct sbuf *b, const struct tnode *n,
				const uint32_t *refs)
{
	size_t table = 0;

	if (n->flags & TIDX_PREFIX)
		sbuf_addn(b, n->prefix, strlen(n->prefix) + 1);
	if (n->flags & TIDX_CHILDS) {
		char fl[2] = { (char)n->first, (char)n->last };

		sbuf_addn(b, fl, 2);
		table = b->len;
		for (int c = n->first; c <= n->last; c++)
			be32_put(b, refs ? refs[c - n->first] : 0);
	}
	if (n->flags & TIDX_VALUES) {
		be32_put(b, (uint32_t)n->nvalues);
		for (size_t i = 0; i < n->nvalues; i++) {
			be32_put(b, n->values[i].priority);
			sbuf_addn(b, n->values[i].value, strlen(n->values[i].value) + 1);
		}
	}
	return table;
}

/* Write @n (and its subtree) at the end of @b in @layout; returns its reference. */
static inline uint32_t tnode_write(struct sbuf *b, const struct tnode *n,
				   enum modset_index_layout layout)
{
	uint32_t *refs = NULL, ref;
	size_t table;

	if (layout == MODSET_INDEX_PREORDER) {
		ref = (uint32_t)b->len | n->flags;
		table = tnode_body(b, n, NULL);
		for (int c = n->first; n->child && c <= n->last; c++)
			if (n->child[c - n->first])
				be32_set(b, table + 4 * (size_t)(c - n->first),
					 tnode_write(b, n->child[c - n->first], layout));
		return ref;
	}
	if (n->child) {
		refs = calloc((size_t)(n->last - n->first + 1), sizeof(*refs));
		CHECK(refs != NULL);
	}
	for (int c = n->first; n->child && c <= n->last; c++)
		if (n->child[c - n->first])
			refs[c - n->first] =
				tnode_write(b, n->child[c - n->first], layout);
	ref = (uint32_t)b->len | n->flags;
	tnode_body(b, n, refs);
	free(refs);
	return ref;
}

/* The node for entries [lo, hi) (sorted; the values of one key in the order given)
 * that share their first @depth characters, flagged as depmod flags it. */
static inline struct tnode *tnode_build(const struct index_wentry *w, size_t lo,
					size_t hi, size_t depth)
{
	struct tnode *n = calloc(1, sizeof(*n)), *children[256] = { 0 };
	size_t plen = 0, i;
	int first = 256, last = -1;

	CHECK(n != NULL);
	/* The longest common prefix after @depth. */
	for (;;) {
		char c = w[lo].e.key[depth + plen];

		if (!c)
			break;
		for (i = lo + 1; i < hi && w[i].e.key[depth + plen] == c; i++)
			;
		if (i < hi)
			break;
		plen++;
	}
	n->prefix = strndup(w[lo].e.key + depth, plen);
	CHECK(n->prefix != NULL);
	if (plen)
		n->flags |= TIDX_PREFIX;
	for (i = lo; i < hi && w[i].e.key[depth + plen] == '\0'; i++)
		;
	n->nvalues = i - lo;
	if (n->nvalues) {
		n->flags |= TIDX_VALUES;
		n->values = calloc(n->nvalues, sizeof(*n->values));
		CHECK(n->values != NULL);
		for (size_t k = 0; k < n->nvalues; k++) {
			n->values[k].priority = w[lo + k].e.priority;
			n->values[k].value = strdup(w[lo + k].e.value);
			CHECK(n->values[k].value != NULL);
		}
	}
	while (i < hi) {
		unsigned char c = w[i].e.key[depth + plen];
		size_t start = i;

		while (i < hi && (unsigned char)w[i].e.key[depth + plen] == c)
			i++;
		children[c] = tnode_build(w, start, i, depth + plen + 1);
		if (c < first)
			first = c;
		if (c > last)
			last = c;
	}
	n->first = first;
	n->last = last;
	if (last >= 0) {
		n->flags |= TIDX_CHILDS;
		n->child = calloc((size_t)(last - first + 1), sizeof(*n->child));
		CHECK(n->child != NULL);
		memcpy(n->child, children + first,
		       (size_t)(last - first + 1) * sizeof(*n->child));
	}
	return n;
}

/* The node at @ref of a trusted index file (depmod's or a test's), checked only
 * enough not to crash the test; NULL for reference 0. */
static inline struct tnode *tnode_read(const unsigned char *mm, size_t size, uint32_t ref,
				       unsigned int depth)
{
	size_t off = ref & TIDX_MASK;
	struct tnode *n;

	if (!off)
		return NULL;
	CHECK_MSG(depth < 4096 && off >= 12 && off <= size, "index node %zu: bad", off);
	n = calloc(1, sizeof(*n));
	CHECK(n != NULL);
	n->flags = ref & ~TIDX_MASK;
	n->first = 0;
	n->last = -1;
	if (ref & TIDX_PREFIX) {
		const unsigned char *nul = memchr(mm + off, 0, size - off);

		CHECK(nul != NULL);
		n->prefix = strdup((const char *)mm + off);
		off = (size_t)(nul - mm) + 1;
	} else {
		n->prefix = strdup("");
	}
	CHECK(n->prefix != NULL);
	if (ref & TIDX_CHILDS) {
		CHECK(off + 2 <= size);
		n->first = mm[off];
		n->last = mm[off + 1];
		off += 2;
		CHECK(n->first <= n->last &&
		      off + 4 * (size_t)(n->last - n->first + 1) <= size);
		n->child = calloc((size_t)(n->last - n->first + 1), sizeof(*n->child));
		CHECK(n->child != NULL);
		for (int c = n->first; c <= n->last; c++, off += 4)
			n->child[c - n->first] =
				tnode_read(mm, size, be32_get(mm + off), depth + 1);
	}
	if (ref & TIDX_VALUES) {
		CHECK(off + 4 <= size);
		n->nvalues = be32_get(mm + off);
		off += 4;
		CHECK(n->nvalues <= size);
		n->values = calloc(n->nvalues ? n->nvalues : 1, sizeof(*n->values));
		CHECK(n->values != NULL);
		for (size_t i = 0; i < n->nvalues; i++) {
			const unsigned char *nul;

			CHECK(off + 4 < size);
			n->values[i].priority = be32_get(mm + off);
			off += 4;
			nul = memchr(mm + off, 0, size - off);
			CHECK(nul != NULL);
			n->values[i].value = strdup((const char *)mm + off);
			CHECK(n->values[i].value != NULL);
			off = (size_t)(nul - mm) + 1;
		}
	}
	return n;
}

/* A whole index file: header, then @root (NULL: reference @noroot, 0 or 12, no
 * node bytes) in @layout. Returns the bytes in an sbuf (free b.s). */
static inline struct sbuf tnode_file(const struct tnode *root, uint32_t noroot,
				     enum modset_index_layout layout)
{
	struct sbuf b = { 0 };

	be32_put(&b, TIDX_MAGIC);
	be32_put(&b, TIDX_VERSION);
	be32_put(&b, noroot);
	if (root)
		be32_set(&b, 8, tnode_write(&b, root, layout));
	return b;
}

static inline int index_wentry_cmp(const void *a, const void *b)
{
	const struct index_wentry *x = a, *y = b;
	int c = strcmp(x->e.key, y->e.key);

	return c ? c : x->order < y->order ? -1 : x->order > y->order;
}

/* Write a kmod index of @n entries with priorities to DIR/REL in @layout; returns
 * the path. Several entries of one key are its values, in the order given (depmod
 * sorts them by priority). */
static inline char *index_write_layout(const char *dir, const char *rel,
				       const struct index_pentry *entries, size_t n,
				       enum modset_index_layout layout)
{
	struct index_wentry *w = malloc((n ? n : 1) * sizeof(*w));
	struct tnode *root = NULL;
	struct sbuf b;
	char *path;

	CHECK(w != NULL);
	for (size_t i = 0; i < n; i++)
		w[i] = (struct index_wentry){ entries[i], i };
	if (n) {
		qsort(w, n, sizeof(*w), index_wentry_cmp);
		root = tnode_build(w, 0, n, 0);
	}
	b = tnode_file(root, 12, layout); /* no entries: an empty root at 12 */
	path = write_bytes(dir, rel, b.s, b.len);
	free(b.s);
	tnode_free(root);
	free(w);
	return path;
}

/* The same, children first (depmod <= 33). */
static inline char *index_write_prio(const char *dir, const char *rel,
				     const struct index_pentry *entries, size_t n)
{
	return index_write_layout(dir, rel, entries, n, MODSET_INDEX_POSTORDER);
}

/* Write a kmod index of @n entries (priority 0) to DIR/REL; returns the path. */
static inline char *index_write(const char *dir, const char *rel,
				const struct index_entry *entries, size_t n)
{
	struct index_pentry *p = malloc((n ? n : 1) * sizeof(*p));
	char *path;

	CHECK(p != NULL);
	for (size_t i = 0; i < n; i++)
		p[i] = (struct index_pentry){ entries[i].key, entries[i].value, 0 };
	path = index_write_prio(dir, rel, p, n);
	free(p);
	return path;
}

/* The trie of the index bytes @data (trusted); *rootref gets the header's root
 * reference. */
static inline struct tnode *index_parse(const void *data, size_t len, uint32_t *rootref)
{
	const unsigned char *mm = data;

	CHECK_MSG(len >= 12 && be32_get(mm) == TIDX_MAGIC, "not a kmod index");
	*rootref = be32_get(mm + 8);
	return tnode_read(mm, len, *rootref, 0);
}

/* The index bytes @data (trusted) in @layout: the same trie, the same bytes as
 * depmod of that layout writes. Returns the new bytes (free b.s). */
static inline struct sbuf index_relayout_bytes(const void *data, size_t len,
					       enum modset_index_layout layout)
{
	uint32_t ref;
	struct tnode *root = index_parse(data, len, &ref);
	struct sbuf b = tnode_file(root, ref, layout);

	tnode_free(root);
	return b;
}

/* Rewrite the index file @path (trusted) in @layout. */
static inline void index_relayout(const char *path, enum modset_index_layout layout)
{
	size_t len;
	char *data = slurp(path, &len);
	struct sbuf b = index_relayout_bytes(data, len, layout);

	free(write_bytes(path, NULL, b.s, b.len));
	free(b.s);
	free(data);
}

static inline void index_relayout_preorder(const char *path)
{
	index_relayout(path, MODSET_INDEX_PREORDER);
}

static inline void tnode_dump(const struct tnode *n, struct sbuf *key, struct sbuf *out)
{
	size_t keep = key->len;

	if (!n)
		return;
	sbuf_add(key, n->prefix);
	for (size_t i = 0; i < n->nvalues; i++)
		sbuf_addf(out, "%s\t%u\t%s\n", key->s, n->values[i].priority,
			  n->values[i].value);
	for (int c = n->first; n->child && c <= n->last; c++) {
		char ch = (char)c;

		sbuf_addn(key, &ch, 1);
		tnode_dump(n->child[c - n->first], key, out);
		key->len--;
		key->s[key->len] = '\0';
	}
	key->len = keep;
	if (key->s)
		key->s[keep] = '\0';
}

/* Every entry of the index file @path (trusted), "KEY\tPRIORITY\tVALUE\n" in key
 * order, a key's values in file order: what the file holds, whatever its layout. */
static inline char *index_dump(const char *path)
{
	size_t len;
	char *data = slurp(path, &len);
	struct sbuf key = { 0 }, out = { 0 };
	uint32_t ref;
	struct tnode *root = index_parse(data, len, &ref);

	sbuf_add(&key, "");
	tnode_dump(root, &key, &out);
	tnode_free(root);
	free(key.s);
	free(data);
	return sbuf_take(&out);
}

static inline const char *layout_name(enum modset_index_layout layout)
{
	return layout == MODSET_INDEX_PREORDER ? "pre-order" : "children-first";
}

/* ------------------------------------------------------------------------- */
/* kmod 34                                                                     */

/*
 * $FIXTURES34: the fixture specs indexed by depmod 34 (pre-order indexes), and
 * $TRIXIE: the Debian 13 root whose depmod and modprobe are kmod 34's (the Makefile
 * sets both, TRIXIE empty when tests/trixie-root.sh cannot make the root). When
 * either is unset or empty, the kmod 34 part of a test cannot run: it says so on
 * stderr ("SKIP: WHAT (no FIXTURES34)") and the test goes on without it, never
 * failing for that. Returns $FIXTURES34, or NULL after the SKIP line.
 */
static inline const char *fixtures34_dir(const char *what)
{
	const char *f = getenv("FIXTURES34"), *t = getenv("TRIXIE");

	if (!f || !*f || !t || !*t) {
		fprintf(stderr, "SKIP: %s (no %s)\n", what,
			!f || !*f ? "FIXTURES34" : "TRIXIE");
		return NULL;
	}
	return f;
}

/* $TRIXIE, or NULL (see fixtures34_dir()). */
static inline const char *trixie_root(void)
{
	const char *t = getenv("TRIXIE");

	return t && *t ? t : NULL;
}

/* The command that runs depmod on the tree below @base for @kver, as
 * tests/mkfixture.sh does (configuration from @base/.depmod.d only): the host's,
 * or with @trixie the one of that root (tests/trixie-run.sh, @base bind-mounted). */
static inline char *depmod_cmd(const char *trixie, const char *base, const char *kver)
{
	const char *src = getenv("SRCDIR");
	char *conf = xasprintf("%s/.depmod.d", base), *cmd;

	mkdir_p(conf);
	if (trixie)
		cmd = xasprintf("sh '%s/tests/trixie-run.sh' '%s' -b '%s' -- "
				"depmod -b '%s' -C '%s' '%s'",
				src && *src ? src : ".", trixie, base, base, conf, kver);
	else
		cmd = xasprintf("depmod -b '%s' -C '%s' '%s'", base, conf, kver);
	free(conf);
	return cmd;
}

/* ------------------------------------------------------------------------- */
/* main()                                                                      */

/* Run @s; returns the process exit status (0 when every test passed). */
static inline int run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	tempbase_dir();
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rm_rf(tempbase);
	free(tempbase);
	tempbase = NULL;
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* Run fn(arg) on a thread with a stack of @stack bytes (a library caller's thread may
 * have 1 MiB) and wait for it. Check's assertions belong on the test's own thread:
 * @fn leaves its results in @arg. A stack overflow on the thread kills the test. */
static inline void run_on_stack(size_t stack, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	pthread_t th;

	CHECK(pthread_attr_init(&attr) == 0);
	CHECK(pthread_attr_setstacksize(&attr, stack) == 0);
	CHECK(pthread_create(&th, &attr, fn, arg) == 0);
	CHECK(pthread_join(th, NULL) == 0);
	pthread_attr_destroy(&attr);
}

/* A test case with a timeout that survives ASan and slow machines. */
static inline TCase *tcase_new(Suite *s, const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return tc;
}

#endif
