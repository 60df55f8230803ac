/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The module image's entry list: modules, trimmed indexes, firmware, config. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "fs.h"
#include "image.h"
#include "kmod-index.h"


void image_done(struct image *img)
{
	for (size_t i = 0; i < img->n; i++) {
		free(img->v[i].path);
		free(img->v[i].src);
		free(img->v[i].data);
		free(img->v[i].target);
	}
	free(img->v);
	*img = (struct image){ 0 };
}

/* A relative path with no empty, "." or ".." component. */
static bool path_ok(const char *p)
{
	if (!*p || *p == '/')
		return false;
	for (const char *s = p; *s;) {
		size_t n = strcspn(s, "/");

		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		s += n;
		if (*s == '/')
			s++;
		else
			break;
	}
	return p[strlen(p) - 1] != '/';
}

/* Add an entry; takes @path, @src, @data and @target (freed on error too). */
static int add(struct image *img, char *path, enum image_type type, char *src,
	       unsigned char *data, size_t size, char *target)
{
	struct image_entry *e;

	if (!path || (type == IMAGE_SYMLINK && !target))
		goto nomem;
	if (!path_ok(path)) {
		log_error("refusing image path %s: outside the image", path);
		free(path);
		free(src);
		free(data);
		free(target);
		return -EXDEV;
	}
	if (img->n == img->alloc) {
		size_t a = img->alloc ? img->alloc * 2 : 256;

		e = realloc(img->v, a * sizeof(*e));
		if (!e)
			goto nomem;
		img->v = e;
		img->alloc = a;
	}
	img->v[img->n++] = (struct image_entry){
		.path = path,
		.type = type,
		.mode = type == IMAGE_DIR ? 0755 : type == IMAGE_SYMLINK ? 0777 : 0644,
		.src = src,
		.ctx = img->ctx,
		.data = data,
		.size = size,
		.target = target,
	};
	return 0;
nomem:
	free(path);
	free(src);
	free(data);
	free(target);
	return -ENOMEM;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

static bool ends_with(const char *s, const char *sfx)
{
	size_t a = strlen(s), b = strlen(sfx);

	return a >= b && strcmp(s + a - b, sfx) == 0;
}

static enum image_decomp decomp_of(const char *path, size_t *sfxlen)
{
	static const struct {
		const char *sfx;
		enum image_decomp d;
	} t[] = { { ".ko.zst", DECOMP_ZSTD }, { ".ko.xz", DECOMP_XZ }, { ".ko.gz", DECOMP_GZIP } };

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (ends_with(path, t[i].sfx)) {
			*sfxlen = strlen(t[i].sfx) - 3;
			return t[i].d;
		}
	*sfxlen = 0;
	return DECOMP_NONE;
}

static const char *keep_module(void *data, const char *name)
{
	const struct modset_module *m = modset_set_find(data, name);
	const char *line;

	if (!m || modset_module_is_builtin(m))
		return NULL;
	line = modset_module_get_dep_line(m);
	return line ? line : "";
}

/* "usr/lib" when the module directory is .../usr/lib/modules/KVER, else "lib". */
static char *default_prefix(const char *moddir)
{
	const char *p = NULL;

	for (const char *s = strstr(moddir, "/lib/modules/"); s;
	     s = strstr(s + 1, "/lib/modules/"))
		p = s;
	if (p && p - moddir >= 4 && strncmp(p - 4, "/usr", 4) == 0)
		return strdup("usr/lib");
	return strdup("lib");
}

/* "/usr/lib/" -> "usr/lib" */
static char *clean_prefix(const char *given)
{
	size_t len;

	while (*given == '/')
		given++;
	len = strlen(given);
	while (len && given[len - 1] == '/')
		len--;
	return strndup(given, len);
}

static int parse_epoch(int64_t *ret)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long v;

	*ret = 0;
	if (!s || !*s)
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < 0 || v > 0xFFFFFFFFLL) {
		log_error("SOURCE_DATE_EPOCH=%s: not a time in seconds since 1970 (0 to 2^32-1)",
			    s);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

static int add_modules(struct image *img, struct modset_set *set, const char *imgmod,
		       const struct image_opts *o)
{
	const char *moddir = modset_get_moddir(modset_set_get_ctx(set));
	size_t n = modset_set_count(set);
	int r;

	for (size_t i = 0; i < n; i++) {
		const struct modset_module *m = modset_set_get(set, i);
		const char *rel = modset_module_get_relpath(m), *path = modset_module_get_path(m);
		enum image_decomp d = DECOMP_NONE;
		size_t sfx = 0;

		if (modset_module_is_builtin(m) || !path)
			continue;
		if (!rel || rel == path || rel[0] == '/' || !path_ok(rel)) {
			log_error("%s: module outside the tree %s", path, moddir);
			return -EXDEV;
		}
		if (o->decompress)
			d = decomp_of(rel, &sfx);
		r = add(img, xasprintf("%s/%.*s", imgmod, (int)(strlen(rel) - sfx), rel),
			IMAGE_FILE, strdup(path), NULL, 0, NULL);
		if (r < 0)
			return r;
		img->v[img->n - 1].decomp = d;
		if (!img->v[img->n - 1].src)
			return -ENOMEM;
	}
	return 0;
}

static int add_indexes(struct image *img, struct modset_set *set, const char *imgmod,
		       const struct image_opts *o)
{
	struct modset_ctx *ctx = modset_set_get_ctx(set);
	const char *moddir = modset_get_moddir(ctx);
	struct kmod_files files;
	char err[PATH_MAX + 256];
	int r;

	r = kmod_trim_indexes(moddir, tree_dirfd(ctx), keep_module, set, o->decompress,
			      modset_get_index_layout(ctx), &files, err, sizeof(err));
	if (r < 0) {
		log_error("%s", err);
		return r;
	}
	for (size_t i = 0; i < files.n && r == 0; i++) {
		r = add(img, xasprintf("%s/%s", imgmod, files.v[i].name), IMAGE_FILE, NULL,
			files.v[i].data, files.v[i].len, NULL);
		files.v[i].data = NULL;
	}
	kmod_files_done(&files);
	return r;
}

/* --with-config: the modprobe.d files read, into etc/modprobe.d/ (not the tree's
 * modules.softdep / modules.weakdep: those are trimmed indexes). */
static int add_config(struct image *img, struct modset_set *set)
{
	struct modset_ctx *ctx = modset_set_get_ctx(set);
	const char *moddir = modset_get_moddir(ctx);
	const char *const *files = modset_get_config_files(ctx);
	size_t mlen = strlen(moddir);
	int r;

	for (size_t i = 0; files && files[i]; i++) {
		const char *f = files[i], *base = strrchr(f, '/');
		bool dup = false;
		char *path;

		base = base ? base + 1 : f;
		if (strncmp(f, moddir, mlen) == 0 && f[mlen] == '/' &&
		    (strcmp(f + mlen + 1, "modules.softdep") == 0 ||
		     strcmp(f + mlen + 1, "modules.weakdep") == 0))
			continue;
		path = xasprintf("etc/modprobe.d/%s", base);
		if (!path)
			return -ENOMEM;
		for (size_t k = 0; k < img->n && !dup; k++)
			dup = strcmp(img->v[k].path, path) == 0;
		if (dup) {
			/* -C given twice the same basename: the first one read wins */
			log_msg("warning: ", "%s: a config file named %s is already in the "
				"image; left out", f, base);
			free(path);
			continue;
		}
		r = add(img, path, IMAGE_FILE, strdup(f), NULL, 0, NULL);
		if (r < 0)
			return r;
		if (!img->v[img->n - 1].src)
			return -ENOMEM;
	}
	return 0;
}

static int add_firmware(struct image *img, const struct modset_firmware *fw,
			const char *prefix)
{
	size_t n = modset_firmware_count(fw);
	int r;

	for (size_t i = 0; i < n; i++) {
		const char *rel, *path, *link;

		modset_firmware_get(fw, i, NULL, &rel, &path, &link, NULL);
		if (link)
			r = add(img, xasprintf("%s/firmware/%s", prefix, rel), IMAGE_SYMLINK, NULL,
				NULL, 0, strdup(link));
		else
			r = add(img, xasprintf("%s/firmware/%s", prefix, rel), IMAGE_FILE,
				strdup(path), NULL, 0, NULL);
		if (r < 0)
			return r;
		if (!link && !img->v[img->n - 1].src)
			return -ENOMEM;
	}
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct image_entry *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	/* a directory listed twice: keep one (the order of equal ones is irrelevant) */
	return c ? c : (int)x->type - (int)y->type;
}

/* Every parent directory of every entry, then sort and check that no path is
 * listed twice (except directories). */
static int finish(struct image *img)
{
	size_t n = img->n, j = 0;
	int r;

	for (size_t i = 0; i < n; i++) {
		const char *p = img->v[i].path;

		for (const char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
			r = add(img, strndup(p, (size_t)(s - p)), IMAGE_DIR, NULL, NULL, 0, NULL);
			if (r < 0)
				return r;
			p = img->v[i].path; /* add() may have moved the array */
		}
	}
	qsort(img->v, img->n, sizeof(*img->v), cmp_entry);
	for (size_t i = 0; i < img->n; i++) {
		struct image_entry *e = &img->v[i];

		if (j > 0 && strcmp(img->v[j - 1].path, e->path) == 0) {
			if (e->type != IMAGE_DIR || img->v[j - 1].type != IMAGE_DIR) {
				log_error("%s: listed twice in the image", e->path);
				/* keep the array consistent for image_done() */
				for (size_t k = i; k < img->n; k++)
					img->v[j++] = img->v[k];
				img->n = j;
				return -EEXIST;
			}
			free(e->path);
			continue;
		}
		img->v[j++] = *e;
	}
	img->n = j;
	return 0;
}

int image_build(struct image *img, struct modset_set *set, const struct image_opts *o)
{
	struct modset_ctx *ctx = modset_set_get_ctx(set);
	char *prefix, *imgmod = NULL;
	int r;

	*img = (struct image){ .progress = o->progress, .ctx = ctx };
	r = parse_epoch(&img->mtime);
	if (r < 0)
		return r;
	prefix = o->prefix ? clean_prefix(o->prefix) : default_prefix(modset_get_moddir(ctx));
	if (!prefix)
		return -ENOMEM;
	if (!path_ok(prefix)) {
		log_error("--prefix %s: not a relative directory of the image",
			    o->prefix ? o->prefix : prefix);
		free(prefix);
		return -EINVAL;
	}
	imgmod = xasprintf("%s/modules/%s", prefix, modset_get_kver(ctx));
	if (!imgmod) {
		free(prefix);
		return -ENOMEM;
	}
	r = add_modules(img, set, imgmod, o);
	if (r == 0)
		r = add_indexes(img, set, imgmod, o);
	if (r == 0 && o->with_config)
		r = add_config(img, set);
	if (r == 0 && o->firmware)
		r = add_firmware(img, o->firmware, prefix);
	if (r == 0)
		r = finish(img);
	free(prefix);
	free(imgmod);
	if (r < 0) {
		if (r == -ENOMEM)
			log_error("%s", strerror(ENOMEM));
		image_done(img);
	}
	return r;
}

/* ---- content ---- */
unsigned char *image_io_buf(struct image_io *io)
{
	if (!io->buf && !(io->buf = malloc(IMAGE_COPY_BUF)))
		log_error("%s", strerror(ENOMEM));
	return io->buf;
}

void image_io_done(struct image_io *io)
{
	free(io->buf);
	free(io->in);
	free(io->dec);
	*io = (struct image_io){ 0 };
}

/* Room for @want more bytes after @len in io->dec (less near IMAGE_DECOMP_MAX, but
 * some): 0, -EFBIG, -ENOMEM. */
static int dec_reserve(struct image_io *io, size_t len, size_t want)
{
	size_t a = io->dec_alloc ? io->dec_alloc : IMAGE_COPY_BUF;
	unsigned char *p;

	if (len + want <= io->dec_alloc)
		return 0;
	if (io->dec_alloc == IMAGE_DECOMP_MAX) /* at the bound: what is left of it */
		return len < IMAGE_DECOMP_MAX ? 0 : -EFBIG;
	while (a < len + want && a < IMAGE_DECOMP_MAX)
		a *= 2;
	if (a > IMAGE_DECOMP_MAX)
		a = IMAGE_DECOMP_MAX;
	p = realloc(io->dec, a);
	if (!p)
		return -ENOMEM;
	io->dec = p;
	io->dec_alloc = a;
	return 0;
}

static ssize_t read_retry(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

/* Decompress the zstd stream of @fd into io->dec: *len bytes. Its own input buffer:
 * io->buf may hold what the caller has yet to write. */
static int unzstd(struct image_io *io, int fd, size_t *len)
{
	ZSTD_DStream *ds;
	size_t insize = ZSTD_DStreamInSize();
	unsigned char *in = io->in ? io->in : (io->in = malloc(insize));
	ZSTD_inBuffer ib = { in, 0, 0 };
	size_t ret = 1;
	bool eof = false;
	int r = 0;

	if (!in || !(ds = ZSTD_createDStream()))
		return -ENOMEM;
	for (;;) {
		ZSTD_outBuffer ob;
		size_t before, got;

		if (ib.pos == ib.size && !eof) {
			ssize_t n = read_retry(fd, in, insize);

			if (n < 0) {
				r = -errno;
				break;
			}
			eof = n == 0;
			ib = (ZSTD_inBuffer){ in, (size_t)n, 0 };
		}
		if ((r = dec_reserve(io, *len, ZSTD_DStreamOutSize())) < 0)
			break;
		ob = (ZSTD_outBuffer){ io->dec + *len, io->dec_alloc - *len, 0 };
		before = ib.pos;
		got = ZSTD_decompressStream(ds, &ob, &ib);
		if (ZSTD_isError(got)) {
			r = -EBADMSG;
			break;
		}
		*len += ob.pos;
		if (eof && ob.pos == 0 && ib.pos == before) {
			/* the input is over, and so is the output: the last frame must be
			 * complete (else it was truncated) */
			if (ret != 0)
				r = -EBADMSG;
			break;
		}
		ret = got;
	}
	ZSTD_freeDStream(ds);
	return r;
}

/* Decompress the xz or gzip stream of @fd into io->dec (libarchive): *len bytes. */
static int unarchive(struct image_io *io, int fd, enum image_decomp d, size_t *len)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int r = 0;

	if (!a)
		return -ENOMEM;
	if (d == DECOMP_XZ)
		archive_read_support_filter_xz(a);
	else
		archive_read_support_filter_gzip(a);
	archive_read_support_format_raw(a);
	/* 64 KiB reads: a block the heap reuses from one module to the next */
	if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK ||
	    archive_filter_code(a, 0) !=
		    (d == DECOMP_XZ ? ARCHIVE_FILTER_XZ : ARCHIVE_FILTER_GZIP)) {
		archive_read_free(a);
		return -EBADMSG;
	}
	for (;;) {
		la_ssize_t n;

		if ((r = dec_reserve(io, *len, 1 << 16)) < 0)
			break;
		n = archive_read_data(a, io->dec + *len, io->dec_alloc - *len);
		if (n < 0) {
			r = -EBADMSG;
			break;
		}
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	archive_read_free(a);
	return r;
}

int image_src_open(struct image_io *io, const struct image_entry *e, struct image_src *s)
{
	static const char *const names[] = { "", "zstd", "xz", "gzip" };
	const char *why;
	struct stat st;
	size_t len = 0;
	int fd, r = 0;

	*s = (struct image_src){ .fd = -1 };
	if (!e->src) {
		s->data = e->data;
		s->size = e->size;
		return 0;
	}
	s->path = e->src;
	/* beneath the tree, the sysroot (fs.h); a FIFO does not block the open, and is
	 * refused */
	fd = e->ctx ? tree_open_regular(e->ctx, e->src, UINT64_MAX, &st, &why)
		    : fs_open_regular(AT_FDCWD, e->src, FS_AS_GIVEN, UINT64_MAX, &st, &why);
	if (fd < 0) {
		log_error("%s: %s", e->src, why ? why : strerror(-fd));
		return -EIO;
	}
	if (e->decomp == DECOMP_NONE) {
		s->fd = fd;
		s->size = (uint64_t)st.st_size;
		return 0;
	}
	if (e->decomp == DECOMP_ZSTD)
		r = unzstd(io, fd, &len);
	else
		r = unarchive(io, fd, e->decomp, &len);
	close(fd);
	if (r == -EBADMSG)
		log_error("%s: corrupt %s data", e->src, names[e->decomp]);
	else if (r == -EFBIG)
		log_error("%s: more than %zu MiB once decompressed", e->src,
			    IMAGE_DECOMP_MAX >> 20);
	else if (r < 0)
		log_error("%s: %s", e->src, strerror(-r));
	if (r < 0)
		return r == -EBADMSG || r == -ENOMEM || r == -EFBIG ? r : -EIO;
	s->data = io->dec ? io->dec : (const unsigned char *)"";
	s->size = len;
	return 0;
}

void image_src_close(struct image_src *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* A file that ends early (it shrank while being read): -EIO. */
static int image_src_shrank(const struct image_src *s)
{
	log_error("%s: changed while being read: %" PRIu64 " bytes where %" PRIu64
		    " were expected",
		    s->path, s->done, s->size);
	return -EIO;
}

ssize_t image_src_read(struct image_src *s, void *buf, size_t len)
{
	ssize_t n;

	if (len > s->size - s->done)
		len = (size_t)(s->size - s->done);
	n = read_retry(s->fd, buf, len);
	if (n < 0) {
		log_error("%s: %s", s->path, strerror(errno));
		return -EIO;
	}
	if (n == 0)
		return image_src_shrank(s);
	s->done += (uint64_t)n;
	return n;
}

int image_src_end(struct image_src *s)
{
	char c;
	ssize_t n;

	if (s->fd < 0)
		return 0;
	n = read_retry(s->fd, &c, 1);
	if (n < 0) {
		log_error("%s: %s", s->path, strerror(errno));
		return -EIO;
	}
	if (n > 0) {
		log_error("%s: changed while being read: more than the %" PRIu64
			    " bytes expected",
			    s->path, s->size);
		return -EIO;
	}
	return 0;
}

/* ---- progress ---- */
static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t last_draw;

void image_progress(struct image *img, size_t done, uint64_t bytes)
{
	int64_t t;

	if (!img->progress)
		return;
	t = now_ms();
	if (done < img->n && t - last_draw < 100)
		return;
	last_draw = t;
	fprintf(stderr, "\rinitrd-modset: %zu/%zu files, %.1f MiB\033[K", done, img->n,
		(double)bytes / (1024.0 * 1024.0));
	fflush(stderr);
}

void image_progress_end(struct image *img)
{
	if (!img->progress)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
}
