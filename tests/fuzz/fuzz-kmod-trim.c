/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The trimmed index files of a module tree (src/kmod-index.c, kmod_trim_indexes):
 * the input is split at "\n====\n" into the text files depmod writes -- modules.dep,
 * modules.alias, modules.symbols, modules.softdep, modules.weakdep,
 * modules.devname, modules.order, modules.builtin, modules.builtin.modinfo, in that
 * order (a missing part: no such file) -- which are trimmed (all modules kept, or
 * those of even-length name, with or without decompressed names: the first byte).
 *
 * Properties: 0 or a negative errno with a message; on success, every .bin written
 * passes the library's index checks (index_open + index_check_all), and in
 * modules.dep.bin each kept module of modules.dep is found, its value a line of the
 * trimmed modules.dep.
 */
#include <sys/mman.h>

#include "fuzz-common.h"
#include "kmod-index.h"
#include "libmodset-private.h"

static const char *const files[] = {
	"modules.dep",	   "modules.alias", "modules.symbols",
	"modules.softdep", "modules.weakdep", "modules.devname",
	"modules.order",   "modules.builtin", "modules.builtin.modinfo",
};

static const char *keep_even(void *data, const char *modname)
{
	(void)data;
	return strlen(modname) % 2 == 0 ? "" : NULL;
}

static void check_bin(const struct kmod_file *kf, const struct kmod_files *out)
{
	const char *path = fuzz_path(1, "check.bin"), *why;
	struct index_file f;
	unsigned char *copy;

	fuzz_write(path, kf->data, kf->len);
	FUZZ_ASSERT(index_open(path, &f, &why) == 0);
	copy = malloc(f.size);
	FUZZ_ASSERT(copy);
	memcpy(copy, f.mm, f.size);
	munmap((void *)f.mm, f.size);
	f.mm = copy;
	FUZZ_ASSERT(index_check_all(&f, &why) == 0);
	if (streq(kf->name, "modules.dep.bin")) {
		/* every line of the trimmed modules.dep: its module -> that line */
		const struct kmod_file *dep = NULL;

		for (size_t i = 0; i < out->n; i++)
			if (streq(out->v[i].name, "modules.dep"))
				dep = &out->v[i];
		FUZZ_ASSERT(dep);
		for (size_t off = 0; off < dep->len;) {
			const char *line = (const char *)dep->data + off, *nl, *colon, *base, *v;
			char name[4096];
			size_t k = 0;

			nl = memchr(line, '\n', dep->len - off);
			FUZZ_ASSERT(nl);
			colon = memchr(line, ':', (size_t)(nl - line));
			FUZZ_ASSERT(colon);
			base = line;
			for (const char *q = line; q < colon; q++)
				if (*q == '/')
					base = q + 1;
			for (; base + k < colon && base[k] != '.' && k < sizeof(name) - 1; k++)
				name[k] = base[k] == '-' ? '_' : base[k];
			name[k] = '\0';
			if (name[0] && k < sizeof(name) - 1) {
				FUZZ_ASSERT(index_lookup(&f, name, &v, &why) == 0);
				FUZZ_ASSERT(v);
			}
			off = (size_t)(nl - (const char *)dep->data) + 1;
		}
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char sep[] = "\n====\n";
	const uint8_t *p, *end = data + size;
	struct kmod_files out;
	char err[512];
	unsigned int flags;
	int r;

	if (size < 1)
		return -1;
	flags = data[0];
	p = data + 1;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		const uint8_t *e = p < end ? memmem(p, (size_t)(end - p), sep, 6) : NULL;

		if (p >= end) {
			unlink(fuzz_path(0, files[i]));
			continue;
		}
		if (!e)
			e = end;
		fuzz_write(fuzz_path(0, files[i]), p, (size_t)(e - p));
		p = e < end ? e + 6 : end;
	}
	r = kmod_trim_indexes(fuzz_tmpdir(), -1, flags & 1 ? keep_even : NULL, NULL, flags & 2,
			      flags & 4 ? MODSET_INDEX_PREORDER : MODSET_INDEX_POSTORDER, &out,
			      err, sizeof(err));
	if (r < 0) {
		FUZZ_ASSERT(err[0]);
		FUZZ_ASSERT(out.n == 0 && !out.v);
		return 0;
	}
	for (size_t i = 0; i < out.n; i++) {
		size_t n = strlen(out.v[i].name);

		if (n > 4 && streq(out.v[i].name + n - 4, ".bin"))
			check_bin(&out.v[i], &out);
	}
	kmod_files_done(&out);
	return 0;
}
