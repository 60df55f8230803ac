/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * initrd-modset: print the closed set of kernel modules an initramfs needs.
 * Parse options, call libmodset, write the chosen format, exit:
 *   0 success, 1 usage, 2 unreadable/corrupt input or unwritable output,
 *   3 a --strict violation.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "libmodset.h"
#include "output.h"
#include "roots.h"
#include "why.h"

#define EXIT_USAGE 1
#define EXIT_INPUT 2
#define EXIT_STRICT 3

static const char *prog = "initrd-modset";

static void msg(const char *level, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s", prog, level);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void log_cli(void *data, int priority, const char *file, int line, const char *fn,
		    const char *format, va_list args)
{
	fprintf(stderr, "%s: %s", prog,
		priority <= LOG_ERR ? "error: " : priority == LOG_WARNING ? "warning: " : "");
	vfprintf(stderr, format, args);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTIONS] ROOT...\n"
		"Print the kernel modules an initramfs needs for ROOT (module names, aliases,\n"
		"module paths, =DIR), through hard, soft and weak dependencies.\n\n"
		"  -r, --root DIR       module directory (default /lib/modules/$(uname -r))\n"
		"      --sysroot DIR    root for the default modprobe.d directories\n"
		"  -C, --config PATH    modprobe.d file or directory (repeatable; replaces defaults)\n"
		"      --no-config      read no modprobe.d configuration\n"
		"      --from FILE      read roots from FILE, one per line ('-' = stdin)\n"
		"  -f, --format FMT     list (default), order or json\n"
		"  -o, --output FILE    write to FILE atomically (default stdout)\n"
		"  -0, --null           end list/order entries with NUL, not newline\n"
		"      --no-soft        ignore soft dependencies\n"
		"      --no-weak        ignore weak dependencies\n"
		"      --kmod-compat    the set `modprobe --show-depends` loads, exactly\n"
		"      --strict         unknown roots and missing hard/soft targets are errors\n"
		"      --why MODULE     print every shortest chain from a root to MODULE\n"
		"      --exclude PAT    leave out modules matching PAT (glob, repeatable)\n"
		"      --exclude-from FILE  exclusion patterns, one per line\n"
		"      --honor-blacklist  modprobe.d blacklist lines exclude modules too\n"
		"      --cache-dir DIR  cache of module facts (default $XDG_CACHE_HOME/initrd-modset)\n"
		"      --no-cache       do not read or write the cache\n"
		"  -q, --quiet          no warnings\n"
		"  -v, --verbose        more messages (repeatable)\n"
		"  -h, --help           this help\n"
		"  -V, --version        version\n\n"
		"Exit status: 0 success, 1 usage, 2 unreadable or corrupt input or unwritable\n"
		"output, 3 --strict violation.\n",
		prog);
}

enum {
	OPT_SYSROOT = 256,
	OPT_NO_CONFIG,
	OPT_FROM,
	OPT_NO_SOFT,
	OPT_NO_WEAK,
	OPT_KMOD_COMPAT,
	OPT_STRICT,
	OPT_CACHE_DIR,
	OPT_NO_CACHE,
	OPT_WHY,
	OPT_EXCLUDE,
	OPT_EXCLUDE_FROM,
	OPT_HONOR_BLACKLIST,
};

static const struct option longopts[] = {
	{ "root", required_argument, NULL, 'r' },
	{ "sysroot", required_argument, NULL, OPT_SYSROOT },
	{ "config", required_argument, NULL, 'C' },
	{ "no-config", no_argument, NULL, OPT_NO_CONFIG },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "format", required_argument, NULL, 'f' },
	{ "output", required_argument, NULL, 'o' },
	{ "null", no_argument, NULL, '0' },
	{ "no-soft", no_argument, NULL, OPT_NO_SOFT },
	{ "no-weak", no_argument, NULL, OPT_NO_WEAK },
	{ "kmod-compat", no_argument, NULL, OPT_KMOD_COMPAT },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "cache-dir", required_argument, NULL, OPT_CACHE_DIR },
	{ "no-cache", no_argument, NULL, OPT_NO_CACHE },
	{ "why", required_argument, NULL, OPT_WHY },
	{ "exclude", required_argument, NULL, OPT_EXCLUDE },
	{ "exclude-from", required_argument, NULL, OPT_EXCLUDE_FROM },
	{ "honor-blacklist", no_argument, NULL, OPT_HONOR_BLACKLIST },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

struct options {
	const char *moddir, *sysroot, *output, *cache_dir, *why;
	const struct output_format *format;
	struct roots config, roots, exclude;
	bool no_config, null_sep, strict, no_cache;
	int verbosity;
	unsigned int flags;
};

static int parse_options(int argc, char **argv, struct options *o)
{
	unsigned int errline;
	int c, r;

	o->format = &output_list;
	while ((c = getopt_long(argc, argv, "r:C:f:o:0qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': o->moddir = optarg; break;
		case OPT_SYSROOT: o->sysroot = optarg; break;
		case 'C':
			if (roots_add(&o->config, optarg) < 0)
				return -ENOMEM;
			break;
		case OPT_NO_CONFIG: o->no_config = true; break;
		case OPT_FROM:
			r = roots_add_file(&o->roots, optarg, &errline);
			if (r < 0) {
				if (errline)
					msg("error: ", "%s:%u: NUL byte in root list", optarg, errline);
				else
					msg("error: ", "%s: %s", optarg, strerror(-r));
				return -EXIT_INPUT;
			}
			break;
		case 'f':
			o->format = output_find(optarg);
			if (!o->format) {
				msg("", "unknown format '%s' (list, order, json)", optarg);
				return -EXIT_USAGE;
			}
			break;
		case 'o': o->output = optarg; break;
		case '0': o->null_sep = true; break;
		case OPT_NO_SOFT: o->flags |= MODSET_RESOLVE_NO_SOFT; break;
		case OPT_NO_WEAK: o->flags |= MODSET_RESOLVE_NO_WEAK; break;
		case OPT_KMOD_COMPAT: o->flags |= MODSET_RESOLVE_KMOD_COMPAT; break;
		case OPT_STRICT: o->strict = true; break;
		case OPT_CACHE_DIR: o->cache_dir = optarg; break;
		case OPT_NO_CACHE: o->no_cache = true; break;
		case OPT_WHY: o->why = optarg; break;
		case OPT_EXCLUDE:
			if (roots_add(&o->exclude, optarg) < 0)
				return -ENOMEM;
			break;
		case OPT_EXCLUDE_FROM:
			r = roots_add_file(&o->exclude, optarg, &errline);
			if (r < 0) {
				if (errline)
					msg("error: ", "%s:%u: NUL byte in exclusion list", optarg,
					    errline);
				else
					msg("error: ", "%s: %s", optarg, strerror(-r));
				return -EXIT_INPUT;
			}
			break;
		case OPT_HONOR_BLACKLIST: o->flags |= MODSET_RESOLVE_HONOR_BLACKLIST; break;
		case 'q': o->verbosity--; break;
		case 'v': o->verbosity++; break;
		case 'h': usage(stdout); return 1;
		case 'V': printf("initrd-modset 0.1.0\n"); return 1;
		default: usage(stderr); return -EXIT_USAGE;
		}
	}
	for (int i = optind; i < argc; i++)
		if (roots_add(&o->roots, argv[i]) < 0)
			return -ENOMEM;
	if (o->no_config && o->config.n) {
		msg("", "--no-config and --config exclude each other");
		return -EXIT_USAGE;
	}
	if (o->roots.n == 0) {
		msg("", "no root module given (try --help)");
		return -EXIT_USAGE;
	}
	return 0;
}

/* Missing items: warnings, or errors under --strict (weak ones are always warnings). */
static int report_missing(const struct modset_set *set, const struct options *o)
{
	size_t n = modset_set_missing_count(set);
	int violations = 0;

	for (size_t i = 0; i < n; i++) {
		enum modset_missing_kind kind;
		const char *name, *from;
		bool fatal;

		modset_set_missing(set, i, &name, &kind, &from);
		fatal = o->strict && kind != MODSET_MISSING_WEAK;
		violations += fatal;
		if (!fatal && o->verbosity < 0)
			continue;
		switch (kind) {
		case MODSET_MISSING_ROOT:
			msg(fatal ? "error: " : "warning: ", "%s: no such module or alias", name);
			break;
		case MODSET_MISSING_HARD:
			msg(fatal ? "error: " : "warning: ", "%s: needs %s, which is not in the tree",
			    from, name);
			break;
		case MODSET_MISSING_CUT:
			msg(fatal ? "error: " : "warning: ", "%s: needs %s, which is excluded", from,
			    name);
			break;
		default:
			msg(fatal ? "error: " : "warning: ", "%s: %s dependency %s not found", from,
			    modset_missing_kind_name(kind), name);
			break;
		}
	}
	return violations;
}

/* $XDG_CACHE_HOME/initrd-modset, else ~/.cache/initrd-modset; NULL: no cache. */
static char *default_cache_dir(const char *given)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char *dir = NULL;

	if (given)
		return strdup(given);
	if (xdg && xdg[0] == '/')
		return asprintf(&dir, "%s/initrd-modset", xdg) < 0 ? NULL : dir;
	if (home && home[0] == '/')
		return asprintf(&dir, "%s/.cache/initrd-modset", home) < 0 ? NULL : dir;
	return NULL;
}

static int run(struct options *o)
{
	static const char *const no_config[] = { NULL };
	const char *const *config = NULL;
	struct modset_ctx *ctx;
	struct modset_set *set = NULL;
	struct output_opts oo = { .null_sep = o->null_sep };
	struct output out = { .opts = &oo };
	struct outfile file;
	int r, status = EXIT_SUCCESS;

	if (o->no_config)
		config = no_config;
	else if (o->config.n)
		config = (const char *const *)o->config.v;
	ctx = modset_new(o->moddir, config);
	if (!ctx) {
		msg("error: ", "%s", strerror(errno));
		return EXIT_INPUT;
	}
	modset_set_log_fn(ctx, log_cli, NULL);
	if (!getenv("MODSET_LOG"))
		modset_set_log_priority(ctx, o->verbosity < 0	 ? LOG_ERR
					     : o->verbosity == 0 ? LOG_WARNING
					     : o->verbosity == 1 ? LOG_INFO
								 : LOG_DEBUG);
	if (o->sysroot && modset_set_sysroot(ctx, o->sysroot) < 0) {
		modset_unref(ctx);
		return EXIT_INPUT;
	}
	if (o->exclude.n && modset_set_exclude(ctx, (const char *const *)o->exclude.v) < 0) {
		modset_unref(ctx);
		return EXIT_FAILURE;
	}
	if (!o->no_cache) {
		char *dir = default_cache_dir(o->cache_dir);

		if (dir)
			modset_set_cache_dir(ctx, dir);
		free(dir);
	}
	r = modset_resolve(ctx, (const char *const *)o->roots.v,
			   o->flags | o->format->resolve_flags, &set);
	if (r < 0) {
		/* The library logged what and where. */
		modset_unref(ctx);
		return r == -ENOMEM ? EXIT_FAILURE : EXIT_INPUT;
	}
	if (report_missing(set, o) > 0)
		status = EXIT_STRICT;
	if (status == EXIT_SUCCESS && o->why) {
		r = why_print(stdout, set, o->why, o->format == &output_json);
		if (r == -ENOENT)
			msg("", "%s is not in the set", o->why);
		else if (r < 0)
			msg("error: ", "--why: %s", strerror(-r));
		status = r == 0 ? EXIT_SUCCESS : r == -ENOENT ? EXIT_STRICT : EXIT_INPUT;
		modset_set_unref(set);
		modset_unref(ctx);
		return status;
	}
	if (status == EXIT_SUCCESS) {
		r = outfile_open(&file, o->output);
		if (r < 0) {
			msg("error: ", "%s: %s", o->output, strerror(-r));
			status = EXIT_INPUT;
		} else {
			out.fp = file.fp;
			out.set = set;
			oo.roots = (const char *const *)o->roots.v;
			r = output_write(o->format, &out);
			if (r < 0) {
				outfile_abort(&file);
			} else {
				r = outfile_commit(&file);
			}
			if (r < 0) {
				msg("error: ", "%s: %s", o->output ? o->output : "stdout",
				    strerror(-r));
				status = EXIT_INPUT;
			}
		}
	}
	modset_set_unref(set);
	modset_unref(ctx);
	return status;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	int r;

	r = parse_options(argc, argv, &o);
	if (r == 0)
		r = run(&o);
	else if (r == 1)
		r = EXIT_SUCCESS;
	else
		r = r == -ENOMEM ? EXIT_FAILURE : -r;
	roots_done(&o.config);
	roots_done(&o.roots);
	roots_done(&o.exclude);
	return r;
}
