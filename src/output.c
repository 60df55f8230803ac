/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The table of output formats, the walk that feeds them, and atomic output files. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output.h"

static const struct output_format *const formats[] = {
	&output_list,
	&output_order,
	&output_json,
	&output_cpio,
	&output_dir,
};

const struct output_format *output_find(const char *name)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (strcmp(formats[i]->name, name) == 0)
			return formats[i];
	return NULL;
}

static int walk(const struct output_format *fmt, struct output *out)
{
	const struct modset_set *set = out->set;
	size_t n;
	int r;

	if (fmt->walk == WALK_NAME) {
		n = modset_set_count(set);
		for (size_t i = 0; i < n; i++)
			if ((r = fmt->entry(out, modset_set_get(set, i))) < 0)
				return r;
		return 0;
	}
	n = modset_set_load_order_count(set);
	for (size_t i = 0; i < n; i++)
		if ((r = fmt->entry(out, modset_set_load_order(set, i))) < 0)
			return r;
	if (fmt->walk == WALK_LOAD)
		return 0;
	n = modset_set_count(set);
	for (size_t i = 0; i < n; i++) {
		const struct modset_module *m = modset_set_get(set, i);

		if (modset_module_is_loaded(m) || modset_module_is_builtin(m))
			continue;
		if ((r = fmt->entry(out, m)) < 0)
			return r;
	}
	return 0;
}

int output_write(const struct output_format *fmt, struct output *out)
{
	int r = 0;

	if (fmt->write)
		return fmt->write(out);
	if (fmt->open)
		r = fmt->open(out);
	if (r == 0)
		r = walk(fmt, out);
	if (fmt->close) {
		int c = fmt->close(out);

		if (r == 0)
			r = c;
	}
	return r;
}

const char *outfile_strerror(int r)
{
	if (r == -ELOOP)
		return "a symbolic link: not written through (name the file it points to)";
	return strerror(-r);
}

int outfile_open(struct outfile *f, const char *path)
{
	const char *slash, *base;
	struct stat st, out;
	mode_t um;
	int fd, r;

	*f = (struct outfile){ 0 };
	/* The standard output under any name (-, /dev/stdout, /proc/self/fd/1, the file
	 * it is redirected to): written in place, so that `-o /dev/stdout >> log`
	 * appends to the log instead of replacing it. */
	if (!path || strcmp(path, "-") == 0 ||
	    (stat(path, &st) == 0 && fstat(STDOUT_FILENO, &out) == 0 &&
	     st.st_dev == out.st_dev && st.st_ino == out.st_ino)) {
		f->fp = stdout;
		return 0;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* A device or pipe (/dev/null, /dev/stdout): written in place, never
		 * replaced. A directory is an error. */
		if (S_ISDIR(st.st_mode))
			return -EISDIR;
		f->fp = fopen(path, "we");
		return f->fp ? 0 : -errno;
	}
	/* A symlink (to a file, or dangling) is neither written through nor replaced:
	 * planted in a shared directory, it would make root overwrite its target. */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		return -ELOOP;
	/* A hidden temporary file beside the target: DIR/.BASE.XXXXXX */
	slash = strrchr(path, '/');
	base = slash ? slash + 1 : path;
	f->path = strdup(path);
	if (!f->path || asprintf(&f->tmp, "%.*s.%s.XXXXXX", (int)(base - path), path, base) < 0) {
		f->tmp = NULL;
		outfile_abort(f);
		return -ENOMEM;
	}
	fd = mkostemp(f->tmp, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		outfile_abort(f);
		return r;
	}
	tmp_guard(TMP_GUARD_OUTFILE, AT_FDCWD, f->tmp);
	/* mkstemp makes 0600; the output gets 0666 less the umask, as any new file. */
	um = umask(0);
	umask(um);
	if (fchmod(fd, 0666 & ~um) < 0 || !(f->fp = fdopen(fd, "w"))) {
		r = -errno;
		close(fd);
		tmp_guard(TMP_GUARD_OUTFILE, AT_FDCWD, NULL);
		unlink(f->tmp);
		outfile_abort(f);
		return r;
	}
	return 0;
}

static const char *volatile guarded[TMP_GUARD_MAX];
static volatile int guarded_dirfd[TMP_GUARD_MAX];

static void unlink_guarded(int sig)
{
	int saved = errno;

	for (size_t i = 0; i < TMP_GUARD_MAX; i++)
		if (guarded[i])
			unlinkat(guarded_dirfd[i], guarded[i], 0);
	errno = saved;
	/* SA_RESETHAND restored the default action: end as the signal would have */
	raise(sig);
}

void tmp_guard(unsigned int slot, int dirfd, const char *path)
{
	static bool installed;

	if (!installed && path) {
		static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
		struct sigaction sa = { .sa_handler = unlink_guarded, .sa_flags = SA_RESETHAND };

		sigemptyset(&sa.sa_mask);
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			sigaddset(&sa.sa_mask, sigs[i]);
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
			struct sigaction old;

			/* an ignored signal (nohup) stays ignored */
			if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
				sigaction(sigs[i], &sa, NULL);
		}
		installed = true;
	}
	if (slot >= TMP_GUARD_MAX)
		return;
	/* never a new name with the old directory */
	guarded[slot] = NULL;
	guarded_dirfd[slot] = dirfd;
	guarded[slot] = path;
}

int outfile_commit(struct outfile *f)
{
	int r = 0;

	if (!f->fp) {
		/* nothing open (already committed or aborted) */
		outfile_abort(f);
		return -EBADF;
	}
	if (!f->tmp && f->fp != stdout) {
		/* written in place (a device) */
		if (fflush(f->fp) != 0 || ferror(f->fp))
			r = errno ? -errno : -EIO;
		if (fclose(f->fp) != 0 && r == 0)
			r = errno ? -errno : -EIO;
		f->fp = NULL;
		return r;
	}
	if (f->fp == stdout) {
		if (fflush(stdout) != 0 || ferror(stdout))
			r = errno ? -errno : -EIO;
		f->fp = NULL;
		return r;
	}
	if (fflush(f->fp) != 0 || ferror(f->fp) || fsync(fileno(f->fp)) < 0)
		r = errno ? -errno : -EIO;
	if (fclose(f->fp) != 0 && r == 0)
		r = errno ? -errno : -EIO;
	f->fp = NULL;
	if (r == 0 && rename(f->tmp, f->path) < 0)
		r = -errno;
	tmp_guard(TMP_GUARD_OUTFILE, AT_FDCWD, NULL);
	if (r < 0)
		unlink(f->tmp);
	free(f->tmp);
	free(f->path);
	f->tmp = f->path = NULL;
	return r;
}

void outfile_abort(struct outfile *f)
{
	if (f->fp && f->fp != stdout) {
		fclose(f->fp);
		if (f->tmp) {
			tmp_guard(TMP_GUARD_OUTFILE, AT_FDCWD, NULL);
			unlink(f->tmp);
		}
	}
	free(f->tmp);
	free(f->path);
	*f = (struct outfile){ 0 };
}
