/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * initrd-modset: print the closed set of kernel modules an initramfs needs.
 * Parse options, call libmodset, write the chosen format, exit:
 *   0 success, 1 usage, 2 unreadable/corrupt input or unwritable output,
 *   3 a --strict violation.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "check.h"
#include "dl/lazy.h"
#include "hostonly.h"
#include "image.h"
#include "libmodset.h"
#include "log.h"
#include "output.h"
#include "roots.h"
#include "why.h"

#define EXIT_USAGE 1
#define EXIT_INPUT 2
#define EXIT_STRICT 3

static const char *prog = "initrd-modset";

__attribute__((format(printf, 6, 0))) static void
log_cli(void *data, int priority, const char *file, int line, const char *fn, const char *format,
	va_list args)
{
	log_vmsg(priority <= LOG_ERR ? "error: " : priority == LOG_WARNING ? "warning: " : "",
		 format, args);
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
		"  -f, --format FMT     list (default), order, json, cpio or dir\n"
		"  -o, --output FILE    write to FILE atomically (default stdout); dir: DIR\n"
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
		"Module image (--format cpio / dir):\n"
		"      --compress C     cpio: zstd, xz, gzip or none (default: -o's suffix)\n"
		"      --compress-level N  compression level\n"
		"      --prefix DIR     image directory of modules/ and firmware/ (default\n"
		"                       usr/lib or lib, as the source tree)\n"
		"      --with-config    also the modprobe.d files read, in etc/modprobe.d\n"
		"      --decompress-modules  store modules uncompressed\n"
		"      --firmware-path DIR[:DIR...]  firmware directories (default: the\n"
		"                       kernel's, under the sysroot)\n"
		"      --no-firmware    no firmware lookup\n"
		"Checking an initramfs:\n"
		"      --check IMAGE    check that IMAGE has every dependency and firmware file\n"
		"                       of its modules (and of ROOTs); exit 3 when not\n"
		"      --kver KVER      kernel version of the modules to check (or, without\n"
		"                       --check and --root, the tree /lib/modules/KVER)\n"
		"      --require-weak   missing weak dependencies are errors\n"
		"      --require-firmware  missing firmware is an error\n"
		"Host-only roots:\n"
		"      --hostonly       add the running system's devices (modalias, fw_devlink\n"
		"                       suppliers) and loaded modules as roots\n"
		"      --sysfs DIR      sysfs to read (default /sys; implies --hostonly)\n"
		"      --proc-modules FILE  loaded modules (default /proc/modules; implies\n"
		"                       --hostonly)\n"
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
	OPT_COMPRESS,
	OPT_COMPRESS_LEVEL,
	OPT_PREFIX,
	OPT_WITH_CONFIG,
	OPT_DECOMPRESS,
	OPT_FIRMWARE_PATH,
	OPT_NO_FIRMWARE,
	OPT_CHECK,
	OPT_KVER,
	OPT_REQUIRE_WEAK,
	OPT_REQUIRE_FIRMWARE,
	OPT_HOSTONLY,
	OPT_SYSFS,
	OPT_PROC_MODULES,
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
	{ "compress", required_argument, NULL, OPT_COMPRESS },
	{ "compress-level", required_argument, NULL, OPT_COMPRESS_LEVEL },
	{ "prefix", required_argument, NULL, OPT_PREFIX },
	{ "with-config", no_argument, NULL, OPT_WITH_CONFIG },
	{ "decompress-modules", no_argument, NULL, OPT_DECOMPRESS },
	{ "firmware-path", required_argument, NULL, OPT_FIRMWARE_PATH },
	{ "no-firmware", no_argument, NULL, OPT_NO_FIRMWARE },
	{ "check", required_argument, NULL, OPT_CHECK },
	{ "kver", required_argument, NULL, OPT_KVER },
	{ "require-weak", no_argument, NULL, OPT_REQUIRE_WEAK },
	{ "require-firmware", no_argument, NULL, OPT_REQUIRE_FIRMWARE },
	{ "hostonly", no_argument, NULL, OPT_HOSTONLY },
	{ "sysfs", required_argument, NULL, OPT_SYSFS },
	{ "proc-modules", required_argument, NULL, OPT_PROC_MODULES },
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
	struct image_opts image;
	struct roots firmware_path;
	bool no_firmware;
	/* --check, --hostonly */
	const char *check, *kver, *sysfs, *proc_modules;
	bool require_weak, require_firmware, hostonly;
	struct roots host;
};

static int parse_options(int argc, char **argv, struct options *o)
{
	unsigned int errline;
	int c, r;

	o->format = &output_list;
	o->image.compress_level = -1;
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
					log_msg("error: ", "%s:%u: NUL byte in root list", optarg, errline);
				else
					log_msg("error: ", "%s: %s", optarg, strerror(-r));
				return -EXIT_INPUT;
			}
			break;
		case 'f':
			o->format = output_find(optarg);
			if (!o->format) {
				log_msg("", "unknown format '%s' (list, order, json, cpio, dir)", optarg);
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
					log_msg("error: ", "%s:%u: NUL byte in exclusion list", optarg,
					    errline);
				else
					log_msg("error: ", "%s: %s", optarg, strerror(-r));
				return -EXIT_INPUT;
			}
			break;
		case OPT_HONOR_BLACKLIST: o->flags |= MODSET_RESOLVE_HONOR_BLACKLIST; break;
		case OPT_COMPRESS:
			if (strcmp(optarg, "zstd") && strcmp(optarg, "xz") && strcmp(optarg, "gzip") &&
			    strcmp(optarg, "none")) {
				log_msg("", "unknown compression '%s' (zstd, xz, gzip, none)", optarg);
				return -EXIT_USAGE;
			}
			o->image.compress = optarg;
			break;
		case OPT_COMPRESS_LEVEL: {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (!*optarg || *end || v < -99 || v > 99) {
				log_msg("", "--compress-level: '%s' is not a level", optarg);
				return -EXIT_USAGE;
			}
			o->image.compress_level = (int)v;
			break;
		}
		case OPT_PREFIX: o->image.prefix = optarg; break;
		case OPT_WITH_CONFIG: o->image.with_config = true; break;
		case OPT_DECOMPRESS: o->image.decompress = true; break;
		case OPT_FIRMWARE_PATH: {
			char *copy = strdup(optarg), *save = NULL;

			if (!copy)
				return -ENOMEM;
			for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save))
				if (roots_add(&o->firmware_path, d) < 0) {
					free(copy);
					return -ENOMEM;
				}
			free(copy);
			break;
		}
		case OPT_NO_FIRMWARE: o->no_firmware = true; break;
		case OPT_CHECK: o->check = optarg; break;
		case OPT_KVER: o->kver = optarg; break;
		case OPT_REQUIRE_WEAK: o->require_weak = true; break;
		case OPT_REQUIRE_FIRMWARE: o->require_firmware = true; break;
		case OPT_HOSTONLY: o->hostonly = true; break;
		case OPT_SYSFS: o->sysfs = optarg; o->hostonly = true; break;
		case OPT_PROC_MODULES: o->proc_modules = optarg; o->hostonly = true; break;
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
		log_msg("", "--no-config and --config exclude each other");
		return -EXIT_USAGE;
	}
	if (o->check && o->format != &output_list && o->format != &output_json) {
		log_msg("", "--check writes its report as text (default) or --format json");
		return -EXIT_USAGE;
	}
	if (o->check && o->why) {
		log_msg("", "--check and --why exclude each other");
		return -EXIT_USAGE;
	}
	if (o->roots.n == 0 && !o->check && !o->hostonly) {
		log_msg("", "no root module given (try --help)");
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
			log_msg(fatal ? "error: " : "warning: ", "%s: no such module or alias", name);
			break;
		case MODSET_MISSING_HARD:
			log_msg(fatal ? "error: " : "warning: ", "%s: needs %s, which is not in the tree",
			    from, name);
			break;
		case MODSET_MISSING_CUT:
			log_msg(fatal ? "error: " : "warning: ", "%s: needs %s, which is excluded", from,
			    name);
			break;
		default:
			log_msg(fatal ? "error: " : "warning: ", "%s: %s dependency %s not found", from,
			    modset_missing_kind_name(kind), name);
			break;
		}
	}
	return violations;
}

/* Firmware that no directory has (or only as a symlink loop, or leading outside the
 * firmware directories): warnings, or errors under --strict. */
static int report_missing_firmware(const struct modset_firmware *fw, const struct options *o)
{
	size_t n = modset_firmware_missing_count(fw);

	for (size_t i = 0; i < n; i++) {
		const char *name, *from, *loop = NULL, *out = NULL, *to = NULL;

		modset_firmware_missing(fw, i, &name, &from);
		modset_firmware_missing_loop(fw, i, &loop);
		modset_firmware_missing_outside(fw, i, &out, &to);
		if (!(o->strict || o->verbosity >= 0))
			continue;
		if (loop)
			log_msg(o->strict ? "error: " : "warning: ", "%s: firmware %s: symlink loop",
			    from, loop);
		else if (out)
			log_msg(o->strict ? "error: " : "warning: ",
			    "%s: firmware %s: symlink %s leads outside the firmware directories "
			    "(to %s)", from, name, out, to);
		else
			log_msg(o->strict ? "error: " : "warning: ", "%s: firmware %s not found",
			    from, name);
	}
	return o->strict ? (int)n : 0;
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

/* The context for @moddir (NULL: --root, else /lib/modules/--kver, else the running
 * kernel's) with the options' config, log level, sysroot, exclusions and cache.
 * NULL on error, *status then set. */
static struct modset_ctx *new_ctx(const struct options *o, const char *moddir, int *status)
{
	static const char *const no_config[] = { NULL };
	const char *const *config = NULL;
	struct modset_ctx *ctx;
	char *kdir = NULL;

	if (o->no_config)
		config = no_config;
	else if (o->config.n)
		config = (const char *const *)o->config.v;
	if (!moddir && o->kver && asprintf(&kdir, "/lib/modules/%s", o->kver) < 0)
		kdir = NULL;
	ctx = modset_new(moddir ? moddir : kdir, config);
	free(kdir);
	if (!ctx) {
		log_msg("error: ", "%s", strerror(errno));
		*status = EXIT_INPUT;
		return NULL;
	}
	modset_set_log_fn(ctx, log_cli, NULL);
	if (!getenv("MODSET_LOG"))
		modset_set_log_priority(ctx, o->verbosity < 0	 ? LOG_ERR
					     : o->verbosity == 0 ? LOG_WARNING
					     : o->verbosity == 1 ? LOG_INFO
								 : LOG_DEBUG);
	if (o->sysroot && modset_set_sysroot(ctx, o->sysroot) < 0) {
		*status = EXIT_INPUT;
		return modset_unref(ctx);
	}
	if (o->exclude.n && modset_set_exclude(ctx, (const char *const *)o->exclude.v) < 0) {
		*status = EXIT_FAILURE;
		return modset_unref(ctx);
	}
	if (!o->no_cache) {
		char *dir = default_cache_dir(o->cache_dir);

		if (dir)
			modset_set_cache_dir(ctx, dir);
		free(dir);
	}
	return ctx;
}

/* --check IMAGE: read the image, choose the kernel version, check it (check.c). */
static int run_check(struct options *o)
{
	struct check_opts co = {
		.roots = &o->roots,
		.host = o->hostonly ? &o->host : NULL,
		.flags = o->flags,
		.json = o->format == &output_json,
		.require_weak = o->require_weak || o->strict,
		.require_firmware = o->require_firmware || o->strict,
		.strict = o->strict,
		.no_firmware = o->no_firmware,
		.output = o->output,
		.firmware_path = o->firmware_path.n ? (const char *const *)o->firmware_path.v
						    : NULL,
	};
	struct check_image *img;
	struct modset_ctx *ctx;
	const char *kver;
	char *moddir = NULL;
	int status = EXIT_INPUT;

	if (check_image_read(o->check, &img) < 0)
		return EXIT_INPUT;
	kver = check_image_kver(img, o->kver, o->moddir);
	if (kver && !o->moddir && asprintf(&moddir, "/lib/modules/%s", kver) < 0)
		moddir = NULL;
	ctx = kver && (o->moddir || moddir) ? new_ctx(o, o->moddir ? o->moddir : moddir, &status)
					    : NULL;
	if (ctx)
		status = check_image_run(ctx, img, kver, &co);
	modset_unref(ctx);
	free(moddir);
	check_image_free(img);
	return status;
}

/* The exit status for a library call that failed with @r. The library logs what went
 * wrong and where; running out of memory, it may not have, so that is said here. */
static int lib_status(int r)
{
	if (r != -ENOMEM)
		return EXIT_INPUT;
	log_msg("error: ", "%s", strerror(ENOMEM));
	return EXIT_FAILURE;
}

static int run(struct options *o)
{
	struct modset_ctx *ctx;
	struct modset_set *set = NULL;
	struct modset_firmware *fw = NULL;
	struct output_opts oo = { .null_sep = o->null_sep, .image = &o->image };
	struct output out = { .opts = &oo };
	struct outfile file;
	struct roots used = { 0 };
	bool strict_fw = o->strict && !o->no_firmware;
	int r, status = EXIT_SUCCESS;

	ctx = new_ctx(o, o->moddir, &status);
	if (!ctx)
		return status;
	r = hostonly_resolve(ctx, &o->roots, o->hostonly ? &o->host : NULL,
			     o->flags | o->format->resolve_flags | (strict_fw ? MODSET_RESOLVE_MODINFO : 0),
			     &set, &used);
	if (r < 0) {
		/* The library logged what and where. */
		modset_unref(ctx);
		roots_done(&used);
		return lib_status(r);
	}
	if (report_missing(set, o) > 0)
		status = EXIT_STRICT;
	if (status == EXIT_SUCCESS && o->why) {
		r = why_print(stdout, set, o->why, o->format == &output_json);
		if (r == -ENOENT)
			log_msg("", "%s is not in the set", o->why);
		else if (r < 0)
			log_msg("error: ", "--why: %s", strerror(-r));
		status = r == 0 ? EXIT_SUCCESS : r == -ENOENT ? EXIT_STRICT : EXIT_INPUT;
		modset_set_unref(set);
		modset_unref(ctx);
		roots_done(&used);
		return status;
	}
	/* Formats that read modinfo show (json) or install (cpio, dir) firmware;
	 * --strict looks it up for every format, missing firmware being an error. */
	if (((o->format->resolve_flags & MODSET_RESOLVE_MODINFO) || strict_fw) &&
	    !o->no_firmware) {
		r = modset_firmware_resolve(set, o->firmware_path.n
						? (const char *const *)o->firmware_path.v
						: NULL, &fw);
		if (r < 0) {
			modset_set_unref(set);
			modset_unref(ctx);
			roots_done(&used);
			return lib_status(r);
		}
		if (!o->firmware_path.n && modset_firmware_dir_count(fw) == 0) {
			/* No firmware directory at all under the sysroot: not looked up
			 * (no "firmware" in json); an image says it goes without. */
			size_t wanted = modset_firmware_missing_count(fw);

			if (o->format->write && wanted && (o->strict || o->verbosity >= 0))
				log_msg(o->strict ? "error: " : "warning: ",
				    "no firmware directory under %s: %zu firmware file%s left out "
				    "(--firmware-path)", modset_get_sysroot(ctx), wanted,
				    wanted == 1 ? "" : "s");
			if (o->format->write && wanted && o->strict)
				status = EXIT_STRICT;
			fw = modset_firmware_unref(fw);
		} else if (report_missing_firmware(fw, o) > 0) {
			status = EXIT_STRICT;
		}
		oo.firmware = fw;
		o->image.firmware = fw;
	}
	o->image.output = o->output;
	o->image.progress = o->verbosity >= 0 && isatty(STDERR_FILENO);
	if (status == EXIT_SUCCESS) {
		file = (struct outfile){ 0 };
		r = o->format->writes_dir ? 0 : outfile_open(&file, o->output);
		if (r < 0) {
			log_msg("error: ", "%s: %s", o->output, outfile_strerror(r));
			status = EXIT_INPUT;
		} else {
			out.fp = file.fp;
			out.set = set;
			oo.roots = (const char *const *)used.v;
			r = output_write(o->format, &out);
			if (r < 0) {
				outfile_abort(&file);
			} else if (!o->format->writes_dir) {
				r = outfile_commit(&file);
			}
			if (r < 0 && r != -ECANCELED) /* -ECANCELED: reported */
				log_msg("error: ", "%s: %s", o->output ? o->output : "stdout",
				    strerror(-r));
			if (r < 0)
				status = r == -ENOMEM ? EXIT_FAILURE : EXIT_INPUT;
		}
	}
	modset_firmware_unref(fw);
	modset_set_unref(set);
	modset_unref(ctx);
	roots_done(&used);
	return status;
}

/* libarchive reads --check images, compresses cpio archives (zstd, gzip) and
 * decompresses .ko.xz and .ko.gz modules; an uncompressed image does without it. */
static bool needs_libarchive(const struct options *o)
{
	if (o->check)
		return true;
	if (o->format != &output_cpio && o->format != &output_dir)
		return false;
	return o->image.decompress ||
	       (o->format == &output_cpio &&
		strcmp(cpio_compression(o->image.compress, o->output), "none") != 0 &&
		strcmp(cpio_compression(o->image.compress, o->output), "xz") != 0);
}

/* liblzma writes .xz archives (out-cpio.c) */
static bool needs_liblzma(const struct options *o)
{
	return o->format == &output_cpio &&
	       strcmp(cpio_compression(o->image.compress, o->output), "xz") == 0;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	int r;

	/* A file size limit (ulimit -f) is an error to report, not a signal to die of. */
	signal(SIGXFSZ, SIG_IGN);
	r = parse_options(argc, argv, &o);
	if (r == 0 && o.hostonly && hostonly_collect(o.sysfs, o.proc_modules, &o.host) < 0)
		r = -EXIT_INPUT;
	/* Libraries loaded on first use (src/dl/): loaded now, before any output exists,
	 * for the modes that need them. */
	if (r == 0 && needs_libarchive(&o) && lazy_archive_load() < 0)
		r = -EXIT_INPUT;
	if (r == 0 && (o.check || o.format == &output_json) && lazy_json_load() < 0)
		r = -EXIT_INPUT;
	if (r == 0 && needs_liblzma(&o) && lazy_lzma_load() < 0)
		r = -EXIT_INPUT;
	if (r == 0)
		r = o.check ? run_check(&o) : run(&o);
	else if (r == 1)
		r = EXIT_SUCCESS;
	else if (r == -ENOMEM)
		r = lib_status(r);
	else
		r = -r;
	roots_done(&o.config);
	roots_done(&o.roots);
	roots_done(&o.exclude);
	roots_done(&o.firmware_path);
	roots_done(&o.host);
	return r;
}
