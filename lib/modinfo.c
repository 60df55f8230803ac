/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading module files' .modinfo (weakdep=, firmware=) through libkmod, which
 * decompresses .ko.xz / .ko.zst as it was built to. Decompression dominates the
 * cost, so a batch is spread over the CPUs; each worker has its own libkmod context
 * (a kmod_ctx is not thread-safe), and results land in the caller's job slots, so
 * the outcome does not depend on scheduling.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libmodset-private.h"

static uint64_t elf_uint(const unsigned char *p, size_t n, bool msb)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[msb ? i : n - 1 - i];
	return v;
}

#define ELF_FIELD(p, is64, msb, type, field)                                            \
	((is64) ? elf_uint((p) + offsetof(Elf64_##type, field),                          \
			   sizeof(((Elf64_##type *)0)->field), msb)                      \
		: elf_uint((p) + offsetof(Elf32_##type, field),                          \
			   sizeof(((Elf32_##type *)0)->field), msb))

/*
 * libkmod 30 (Debian 12's) asserts, so aborts the whole process, on some malformed ELF
 * files rather than refusing them: a section name table index of 0 or past the
 * section table, a name table or .modinfo section that starts at the end of the file;
 * and it reads the byte after .modinfo, past the end of the file when the section
 * ends there. This follows its reads (libkmod-elf.c: kmod_elf_new, then
 * kmod_elf_get_strings(".modinfo")) and refuses those files; what libkmod refuses
 * cleanly itself is left to it. Only plain files can be checked here: libkmod
 * decompresses .ko.xz/.ko.zst internally.
 */
int modinfo_elf_check(const unsigned char *p, size_t size)
{
	uint64_t shoff, shnum, shstrndx, shdr, stroff, strsize, end;
	const unsigned char *sh;
	bool is64, msb;

	if (size <= EI_NIDENT || memcmp(p, ELFMAG, SELFMAG) != 0 ||
	    (p[EI_CLASS] != ELFCLASS32 && p[EI_CLASS] != ELFCLASS64) ||
	    (p[EI_DATA] != ELFDATA2LSB && p[EI_DATA] != ELFDATA2MSB))
		return 0;
	is64 = p[EI_CLASS] == ELFCLASS64;
	msb = p[EI_DATA] == ELFDATA2MSB;
	shdr = is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	if (size <= (is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)) ||
	    ELF_FIELD(p, is64, msb, Ehdr, e_shentsize) != shdr)
		return 0;
	shoff = ELF_FIELD(p, is64, msb, Ehdr, e_shoff);
	shnum = ELF_FIELD(p, is64, msb, Ehdr, e_shnum);
	shstrndx = ELF_FIELD(p, is64, msb, Ehdr, e_shstrndx);
	if (__builtin_add_overflow(shoff, shnum * shdr, &end) || end > size)
		return 0;
	if (shstrndx == SHN_UNDEF || shstrndx >= shnum)
		return -EINVAL;
	sh = p + shoff + shstrndx * shdr;
	stroff = ELF_FIELD(sh, is64, msb, Shdr, sh_offset);
	strsize = ELF_FIELD(sh, is64, msb, Shdr, sh_size);
	if (__builtin_add_overflow(stroff, strsize, &end) || end > size)
		return 0;
	if (stroff >= size)
		return -EINVAL;
	if (strsize == 0 || p[stroff + strsize - 1] != '\0')
		return 0;
	for (uint64_t i = 1; i < shnum; i++) {
		uint64_t off, len, name;

		sh = p + shoff + i * shdr;
		off = ELF_FIELD(sh, is64, msb, Shdr, sh_offset);
		len = ELF_FIELD(sh, is64, msb, Shdr, sh_size);
		name = ELF_FIELD(sh, is64, msb, Shdr, sh_name);
		if (__builtin_add_overflow(off, len, &end) || end > size || name >= strsize ||
		    strcmp((const char *)p + stroff + name, ".modinfo") != 0)
			continue;
		/* the first .modinfo is the one libkmod reads */
		return off >= size || (len > 0 && end == size) ? -EINVAL : 0;
	}
	return 0;
}

/* modinfo_elf_check() on a plain module file; compressed ones are left to libkmod.
 * A FIFO (or socket) is refused: libkmod would block forever opening or reading it. */
static int check_plain_module(const char *path)
{
	struct stat st;
	void *p;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 0; /* libkmod says why */
	if (fstat(fd, &st) < 0) {
		close(fd);
		return 0;
	}
	if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= EI_NIDENT) {
		close(fd);
		return 0;
	}
	p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return 0;
	r = modinfo_elf_check(p, st.st_size);
	munmap(p, st.st_size);
	return r;
}

struct pool {
	struct modset_ctx *ctx;
	struct modinfo_job **todo;
	size_t n;
	size_t next; /* atomic */
};

static void read_one(struct kmod_ctx *kctx, struct modinfo_job *job)
{
	struct kmod_module *mod = NULL;
	struct kmod_list *info = NULL, *l;
	int r;

	r = check_plain_module(job->path);
	if (r < 0) {
		job->err = r;
		return;
	}
	r = sym_kmod_module_new_from_path(kctx, job->path, &mod);
	if (r < 0) {
		job->err = r;
		return;
	}
	r = sym_kmod_module_get_info(mod, &info);
	if (r < 0) {
		job->err = r == -ENOENT ? -EBADMSG : r;
		sym_kmod_module_unref(mod);
		return;
	}
	sym_kmod_list_foreach(l, info)
	{
		const char *key = sym_kmod_module_info_get_key(l);
		const char *val = sym_kmod_module_info_get_value(l);
		struct strv *dst = NULL;

		if (!key || !val)
			continue;
		if (streq(key, "weakdep"))
			dst = &job->weakdep;
		else if (streq(key, "firmware"))
			dst = &job->firmware;
		if (dst && strv_push(dst, val) < 0) {
			job->err = -ENOMEM;
			break;
		}
	}
	sym_kmod_module_info_free_list(info);
	sym_kmod_module_unref(mod);
}

static struct kmod_ctx *worker_kmod(struct modset_ctx *ctx)
{
	static const char *const no_config[] = { NULL };
	struct kmod_ctx *k = sym_kmod_new(ctx->moddir, no_config);

	/* Errors come back through job->err and are logged by the caller. */
	if (k)
		sym_kmod_set_log_priority(k, 0);
	return k;
}

static void *worker(void *arg)
{
	struct pool *pool = arg;
	struct kmod_ctx *k = worker_kmod(pool->ctx);

	for (;;) {
		size_t i = __atomic_fetch_add(&pool->next, 1, __ATOMIC_RELAXED);

		if (i >= pool->n)
			break;
		if (!k)
			pool->todo[i]->err = -ENOMEM;
		else
			read_one(k, pool->todo[i]);
	}
	if (k)
		sym_kmod_unref(k);
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

/* Jobs the cache answers are filled from it; the rest are read, then cached. */
static size_t from_cache(struct modset_ctx *ctx, struct modinfo_job *jobs, size_t n,
			 struct stat *st, struct modinfo_job **todo)
{
	size_t ntodo = 0;

	for (size_t i = 0; i < n; i++) {
		jobs[i].cached = st && stat(jobs[i].path, &st[i]) == 0 &&
				 cache_get(ctx, jobs[i].relpath, &st[i], &jobs[i].weakdep,
					   &jobs[i].firmware);
		if (!jobs[i].cached)
			todo[ntodo++] = &jobs[i];
	}
	return ntodo;
}

int modinfo_read_batch(struct modset_ctx *ctx, struct modinfo_job *jobs, size_t n)
{
	struct pool pool = { .ctx = ctx };
	pthread_t threads[16];
	unsigned int nthreads, started = 0;
	_cleanup_free_ struct modinfo_job **todo = NULL;
	_cleanup_free_ struct stat *st = NULL;

	if (n == 0)
		return 0;
	todo = calloc(n, sizeof(*todo));
	if (ctx->cache_dir)
		st = calloc(n, sizeof(*st));
	if (!todo || (ctx->cache_dir && !st))
		return -ENOMEM;
	pool.todo = todo;
	pool.n = from_cache(ctx, jobs, n, st, todo);
	if (pool.n) {
		int r = dlopen_libkmod(ctx, LOG_ERR);

		if (r < 0)
			return r;
	}

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
		if (jobs[i].err == -ENOMEM)
			return -ENOMEM;
		if (jobs[i].err < 0) {
			ERR(ctx, "%s: cannot read module: %s\n", jobs[i].path,
			    strerror(-jobs[i].err));
			return jobs[i].err;
		}
		if (st && !jobs[i].cached && st[i].st_size)
			cache_put(ctx, jobs[i].relpath, &st[i], &jobs[i].weakdep,
				  &jobs[i].firmware);
	}
	return 0;
}
