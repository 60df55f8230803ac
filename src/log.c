/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The front-end's messages (log.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

size_t utf8_char_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len;
	unsigned int min, cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, min = 0x80, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, min = 0x800, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, min = 0x10000, cp = c & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* @s on stderr, each control character (a tab too: one message, one line) and
 * each byte that is not part of a UTF-8 character as \xNN. */
static void put_printable(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	while (n > 0) {
		size_t k = utf8_char_len(p, n);

		if (k == 0 || *p < 0x20 || *p == 0x7f) {
			fprintf(stderr, "\\x%02x", *p);
			k = 1;
		} else {
			fwrite(p, 1, k, stderr);
		}
		p += k;
		n -= k;
	}
}

void log_vmsg(const char *level, const char *fmt, va_list ap)
{
	char buf[1024], *text = buf;
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(buf, sizeof(buf), fmt, aq);
	va_end(aq);
	if (n >= (int)sizeof(buf)) {
		text = malloc((size_t)n + 1);
		if (text)
			vsnprintf(text, (size_t)n + 1, fmt, ap);
		else
			text = buf; /* cut short rather than lost */
	}
	if (n < 0)
		strcpy(buf, fmt);
	/* a message of the library ends with its newline: one line either way */
	n = (int)strlen(text);
	while (n > 0 && text[n - 1] == '\n')
		text[--n] = '\0';
	fprintf(stderr, "initrd-modset: %s", level);
	put_printable(text);
	fputc('\n', stderr);
	if (text != buf)
		free(text);
}

void log_msg(const char *level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg("error: ", fmt, ap);
	va_end(ap);
}
