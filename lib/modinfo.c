/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading module files' .modinfo (weakdep=, firmware=), libkmod's way but by our own
 * bounded reader: the file is mapped, decompressed when its first bytes say so
 * (decompress.c: xz, zstd, gzip, never past a size limit), and its ELF section
 * headers are checked before anything they point to is read, 32- or 64-bit, either
 * byte order. The first section named .modinfo is split into strings and key=value
 * pairs exactly as libkmod 30 does it (libkmod-elf.c: kmod_elf_new,
 * kmod_elf_get_strings; libkmod-module.c: kmod_module_get_info), so a valid module
 * gives what libkmod gives; a malformed one is refused with a reason, where libkmod
 * 30 would sometimes abort the process on an assertion.
 *
 * Decompression dominates the cost, so a batch is spread over the CPUs; each worker
 * keeps its own decompressor (library contexts, output buffer) from file to file,
 * and results land in the caller's job slots, so the outcome does not depend on
 * scheduling. Workers never log: the calling thread logs the first error, in job
 * order.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "libmodset-private.h"

#define NOT_MODULE "not a valid kernel module: "

static void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

/* ---- ELF (fields read with ELF_FIELD(), libmodset-private.h) ---- */

struct elf {
	const unsigned char *p;
	uint64_t size;
	bool is64, msb;
	uint64_t shoff, shnum, shentsize; /* the section header table, in bounds */
	const char *names;		  /* section names, NUL-terminated */
	uint64_t names_size;
};

/* Section @i (< shnum) of @e: its data range, -1 when it is not inside the file. */
static int elf_section(const struct elf *e, uint64_t i, uint64_t *off, uint64_t *len,
		       uint64_t *name)
{
	const unsigned char *sh = e->p + e->shoff + i * e->shentsize;
	uint64_t end;

	*off = ELF_FIELD(sh, e->is64, e->msb, Shdr, sh_offset);
	*len = ELF_FIELD(sh, e->is64, e->msb, Shdr, sh_size);
	*name = ELF_FIELD(sh, e->is64, e->msb, Shdr, sh_name);
	return __builtin_add_overflow(*off, *len, &end) || end > e->size ? -1 : 0;
}

/* kmod_elf_new(): the ELF header, the section header table and the section name
 * table, checked as libkmod checks them (and where libkmod 30 asserts: a name table
 * index of 0 or past the table, an empty name table at the end of the file). */
static int elf_open(struct elf *e, const unsigned char *p, size_t size, const char **why)
{
	uint64_t shdr, end, strndx, stroff, strsize, name;

	*e = (struct elf){ .p = p, .size = size };
	if (size <= EI_NIDENT || memcmp(p, ELFMAG, SELFMAG) != 0) {
		*why = NOT_MODULE "not an ELF file";
		return -ENOEXEC;
	}
	if (p[EI_CLASS] != ELFCLASS32 && p[EI_CLASS] != ELFCLASS64) {
		*why = NOT_MODULE "unknown ELF class";
		return -ENOEXEC;
	}
	e->is64 = p[EI_CLASS] == ELFCLASS64;
	if (size <= (e->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr))) {
		*why = NOT_MODULE "truncated ELF header";
		return -ENOEXEC;
	}
	if (p[EI_DATA] != ELFDATA2LSB && p[EI_DATA] != ELFDATA2MSB) {
		*why = NOT_MODULE "unknown ELF byte order";
		return -ENOEXEC;
	}
	e->msb = p[EI_DATA] == ELFDATA2MSB;
	shdr = e->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	e->shentsize = ELF_FIELD(p, e->is64, e->msb, Ehdr, e_shentsize);
	if (e->shentsize != shdr) {
		*why = NOT_MODULE "bad section header size";
		return -ENOEXEC;
	}
	e->shoff = ELF_FIELD(p, e->is64, e->msb, Ehdr, e_shoff);
	e->shnum = ELF_FIELD(p, e->is64, e->msb, Ehdr, e_shnum);
	if (__builtin_add_overflow(e->shoff, e->shnum * shdr, &end) || end > size) {
		*why = NOT_MODULE "section headers out of bounds";
		return -ENOEXEC;
	}
	strndx = ELF_FIELD(p, e->is64, e->msb, Ehdr, e_shstrndx);
	if (strndx == SHN_UNDEF || strndx >= e->shnum) {
		*why = NOT_MODULE "bad section name table index";
		return -ENOEXEC;
	}
	if (elf_section(e, strndx, &stroff, &strsize, &name) < 0) {
		*why = NOT_MODULE "section name table out of bounds";
		return -ENOEXEC;
	}
	if (strsize == 0) {
		*why = NOT_MODULE "empty section name table";
		return -ENOEXEC;
	}
	if (p[stroff + strsize - 1] != '\0') {
		*why = NOT_MODULE "section name table not NUL-terminated";
		return -ENOEXEC;
	}
	e->names = (const char *)p + stroff;
	e->names_size = strsize;
	return 0;
}

/* kmod_elf_get_section(): the first section called @name whose data is inside the
 * file and whose name is inside the name table (others are skipped). */
static int elf_find_section(const struct elf *e, const char *name, const char **data,
			    uint64_t *len)
{
	for (uint64_t i = 1; i < e->shnum; i++) {
		uint64_t off, size, nameoff;

		if (elf_section(e, i, &off, &size, &nameoff) < 0 ||
		    nameoff >= e->names_size || strcmp(e->names + nameoff, name) != 0)
			continue;
		*data = (const char *)e->p + off; /* not read when size is 0 */
		*len = size;
		return 0;
	}
	return -ENOENT;
}

/* kmod_module_get_info(): "key=value", or "key" with an empty value; the key ends at
 * the first '='. Only weakdep= and firmware= are kept, and vermagic= when asked for. */
static int keep_entry(const char *s, size_t len, struct strv *weakdep,
		      struct strv *firmware, struct strv *vermagic)
{
	const char *eq = memchr(s, '=', len);
	size_t klen = eq ? (size_t)(eq - s) : len;
	struct strv *dst;
	char *val;

	if (klen == strlen("weakdep") && memcmp(s, "weakdep", klen) == 0)
		dst = weakdep;
	else if (klen == strlen("firmware") && memcmp(s, "firmware", klen) == 0)
		dst = firmware;
	else if (vermagic && klen == strlen("vermagic") &&
		 memcmp(s, "vermagic", klen) == 0)
		dst = vermagic;
	else
		return 0;
	val = eq ? strndup(eq + 1, len - klen - 1) : strdup("");
	if (!val)
		return -ENOMEM;
	return strv_push_take(dst, val);
}

static int parse(const unsigned char *p, size_t size, struct strv *weakdep,
		 struct strv *firmware, struct strv *vermagic, const char **why)
{
	const char *s, *end;
	struct elf e;
	uint64_t len;
	int r;

	*why = NULL;
	r = elf_open(&e, p, size, why);
	if (r < 0)
		return r;
	if (elf_find_section(&e, ".modinfo", &s, &len) < 0) {
		*why = NOT_MODULE "no .modinfo section";
		return -EBADMSG;
	}
	/*
	 * kmod_elf_get_strings(): leading NULs are skipped, down to one byte; one byte
	 * left is no string at all (even if it is not NUL). The rest is split at runs of
	 * NULs; the last string may lack its NUL.
	 */
	while (len > 1 && *s == '\0') {
		s++;
		len--;
	}
	if (len <= 1)
		return 0;
	for (end = s + len; s < end;) {
		const char *nul = memchr(s, '\0', (size_t)(end - s));
		size_t n = nul ? (size_t)(nul - s) : (size_t)(end - s);

		if (n > 0 && (r = keep_entry(s, n, weakdep, firmware, vermagic)) < 0)
			return r;
		s += n + 1;
	}
	return 0;
}

int modinfo_parse(const unsigned char *p, size_t size, struct strv *weakdep,
		  struct strv *firmware, const char **why)
{
	return parse(p, size, weakdep, firmware, NULL, why);
}

/* ---- module files ---- */

size_t modinfo_size_max(void)
{
	const char *env = secure_getenv("MODSET_MODULE_SIZE_MAX");
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!env || *env < '0' || *env > '9')
		return MODULE_SIZE_MAX_DEFAULT;
	errno = 0;
	v = strtoull(env, &end, 10);
	if (errno || v == 0)
		return MODULE_SIZE_MAX_DEFAULT;
	switch (*end) {
	case 'K': shift = 10, end++; break;
	case 'M': shift = 20, end++; break;
	case 'G': shift = 30, end++; break;
	}
	if (*end)
		return MODULE_SIZE_MAX_DEFAULT;
	if (v > (SIZE_MAX / 2) >> shift)
		return SIZE_MAX / 2;
	return (size_t)v << shift;
}

int modinfo_read_file(struct decomp *d, size_t max, const struct modset_ctx *ctx,
		      struct modinfo_job *job)
{
	const char *why;
	_cleanup_(closep) int fd = -1;
	enum comp_format format;
	const unsigned char *elf;
	size_t size, elf_size;
	struct stat st;
	void *map;
	int r;

	job->why = NULL;
	/* beneath the module directory; never blocks: a FIFO is refused unread */
	fd = ctx ? tree_open_regular(ctx, job->path, SIZE_MAX, &st, &why)
		 : fs_open_regular(AT_FDCWD, job->path, FS_AS_GIVEN, SIZE_MAX, &st, &why);
	if (fd < 0) {
		if (fd == -EINVAL)
			job->why = "cannot read module: not a regular file";
		else if (fd == -EXDEV)
			job->why = "cannot read module: it leads outside the module directory "
				   "(an absolute symlink or \"..\")";
		else if (why)
			job->why = why;
		return fd;
	}
	size = (size_t)st.st_size;
	if (size == 0)
		return parse((const unsigned char *)"", 0, &job->weakdep, &job->firmware,
			     job->vermagic, &job->why);
	map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	format = comp_detect(map, size);
	if (format == COMP_NONE) {
		elf = map;
		elf_size = size;
		r = 0;
	} else {
		r = decomp_run(d, format, map, size, max, &elf, &elf_size, &job->why);
	}
	if (r == 0)
		r = parse(elf, elf_size, &job->weakdep, &job->firmware, job->vermagic,
			  &job->why);
	munmap(map, size);
	return r;
}

int modinfo_read_vermagic(const char *path, char **ret)
{
	struct strv vermagic = { 0 };
	struct modinfo_job job = { .path = path, .vermagic = &vermagic };
	struct decomp *d = decomp_new();
	int r;

	*ret = NULL;
	if (!d)
		return -ENOMEM;
	r = modinfo_read_file(d, modinfo_size_max(), NULL, &job);
	decomp_free(d);
	if (r == 0 && vermagic.n > 0 && !(*ret = strdup(vermagic.v[0])))
		r = -ENOMEM;
	strv_done(&job.weakdep);
	strv_done(&job.firmware);
	strv_done(&vermagic);
	return r;
}

/* ---- batches ---- */

struct pool {
	struct modinfo_job **todo;
	size_t n;
	size_t next; /* atomic */
	size_t max;  /* decompressed-size limit */
	const struct modset_ctx *ctx;
};

static void *worker(void *arg)
{
	struct pool *pool = arg;
	struct decomp *d = decomp_new();

	for (;;) {
		size_t i = __atomic_fetch_add(&pool->next, 1, __ATOMIC_RELAXED);
		struct modinfo_job *job;

		if (i >= pool->n)
			break;
		job = pool->todo[i];
		job->err = d ? modinfo_read_file(d, pool->max, pool->ctx, job) : -ENOMEM;
		decomp_trim(d);
	}
	decomp_free(d);
	return NULL;
}

static unsigned int worker_count(size_t n)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	const char *env = getenv("MODSET_THREADS");
	size_t w;

	if (env && *env)
		cpus = strtol(env, NULL, 10);
	if (cpus < 1)
		cpus = 1;
	if (cpus > 16)
		cpus = 16;
	w = n / 4 + 1;
	return w < (size_t)cpus ? (unsigned int)w : (unsigned int)cpus;
}

/* The cache key of a job's file (opened as the reader opens it), or false. */
static bool job_key(struct modset_ctx *ctx, const struct modinfo_job *job,
		    struct cache_key *key)
{
	struct stat st;
	const char *why = NULL;
	int fd = tree_open_regular(ctx, job->path, SIZE_MAX, &st, &why), r;

	if (fd < 0)
		return false;
	r = cache_key_of(fd, key);
	close(fd);
	return r == 0;
}

/* Jobs the cache answers are filled from it; the rest are read, then cached. */
static size_t from_cache(struct modset_ctx *ctx, struct modinfo_job *jobs, size_t n,
			 struct cache_key *keys, struct modinfo_job **todo)
{
	size_t ntodo = 0;

	for (size_t i = 0; i < n; i++) {
		jobs[i].cached = keys && job_key(ctx, &jobs[i], &keys[i]) &&
				 cache_get(ctx, jobs[i].relpath, &keys[i], &jobs[i].weakdep,
					   &jobs[i].firmware);
		if (!jobs[i].cached)
			todo[ntodo++] = &jobs[i];
	}
	return ntodo;
}

/* One line naming the file: why it cannot be read. */
static void log_job_error(struct modset_ctx *ctx, const struct modinfo_job *job,
			  size_t max)
{
	if (job->why)
		ERR(ctx, "%s: %s\n", job->path, job->why);
	else if (job->err == -EFBIG && max % ((size_t)1 << 20) == 0)
		ERR(ctx, "%s: decompressed size exceeds %zu MiB\n", job->path, max >> 20);
	else if (job->err == -EFBIG)
		ERR(ctx, "%s: decompressed size exceeds %zu bytes\n", job->path, max);
	else if (job->err != -ENOMEM)
		ERR(ctx, "%s: cannot read module: %s\n", job->path, strerror(-job->err));
}

int modinfo_read_batch(struct modset_ctx *ctx, struct modinfo_job *jobs, size_t n)
{
	struct pool pool = { .max = modinfo_size_max(), .ctx = ctx };
	pthread_t threads[16];
	unsigned int nthreads, started = 0;
	_cleanup_free_ struct modinfo_job **todo = NULL;
	_cleanup_free_ struct cache_key *keys = NULL;

	if (n == 0)
		return 0;
	todo = calloc(n, sizeof(*todo));
	if (ctx->cache_dir)
		keys = calloc(n, sizeof(*keys));
	if (!todo || (ctx->cache_dir && !keys))
		return -ENOMEM;
	pool.todo = todo;
	pool.n = from_cache(ctx, jobs, n, keys, todo);

	nthreads = worker_count(pool.n);
	for (unsigned int i = 1; i < nthreads; i++) {
		if (pthread_create(&threads[started], NULL, worker, &pool) != 0)
			break;
		started++;
	}
	if (pool.n)
		worker(&pool);
	for (unsigned int i = 0; i < started; i++)
		pthread_join(threads[i], NULL);

	for (size_t i = 0; i < n; i++) {
		if (jobs[i].err < 0) {
			log_job_error(ctx, &jobs[i], pool.max);
			return jobs[i].err;
		}
		if (keys && !jobs[i].cached && keys[i].size)
			cache_put(ctx, jobs[i].relpath, &keys[i], &jobs[i].weakdep,
				  &jobs[i].firmware);
	}
	return 0;
}
