/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Libraries the front-end loads on first use rather than at start-up (see
 * src/dl/archive.c, src/dl/json.c): a single-root resolve must not pay for the
 * relocations of libraries it does not call.
 */
#ifndef INITRD_MODSET_LAZY_H
#define INITRD_MODSET_LAZY_H

/* Load libarchive now: 0, or -1 with a message printed. Call it before creating any
 * output, so a missing library is a clean error. */
int lazy_archive_load(void);

/* Load json-c now: 0, or -1 with a message printed. */
int lazy_json_load(void);

/* Load liblzma now (the xz compressor of --format cpio): 0, or -1 with a message. */
int lazy_lzma_load(void);

/* dlopen() @soname once into *@handle; -1 with a message on failure. */
int lazy_open(void **handle, const char *soname);
/* The address of @name in *@handle (opened first if needed); exits with status 2 and
 * a message if it cannot be had (a broken installation). */
void *lazy_sym(void **handle, const char *soname, const char *name);

/* Define @name with libarchive's/json-c's own prototype, forwarding to the real one. */
#define LAZY_STUB(handle, soname, ret, name, params, args)                               \
	ret name params                                                                  \
	{                                                                                \
		static ret(*fn) params;                                                  \
		if (!fn)                                                                 \
			*(void **)&fn = lazy_sym(&handle, soname, #name);                \
		return fn args;                                                          \
	}

#define LAZY_STUBV(handle, soname, name, params, args)                                   \
	void name params                                                                 \
	{                                                                                \
		static void(*fn) params;                                                 \
		if (!fn)                                                                 \
			*(void **)&fn = lazy_sym(&handle, soname, #name);                \
		fn args;                                                                 \
	}

#endif
