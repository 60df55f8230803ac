/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The front-end's messages: one line on stderr, "initrd-modset: LEVEL: TEXT". Every
 * message goes through here, so that what comes from the input (module names,
 * modinfo values, image entries, paths) cannot reach the terminal raw: control
 * characters and bytes that are not UTF-8 are shown as \xNN.
 */
#ifndef INITRD_MODSET_LOG_H
#define INITRD_MODSET_LOG_H

#include <stdarg.h>
#include <stddef.h>

/* @level: "error: ", "warning: ", or "" (information); @fmt without the newline. */
void log_msg(const char *level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_vmsg(const char *level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* log_msg("error: ", ...) */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The length of the well-formed UTF-8 character at @p (@n bytes available: 1 to 4),
 * or 0 when the bytes there are not one (overlong, surrogate, above U+10FFFF,
 * truncated). */
size_t utf8_char_len(const unsigned char *p, size_t n);

#endif
