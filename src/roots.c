/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Root lists: command-line words and --from files (one per line, '#' comments). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "roots.h"

int roots_add(struct roots *r, const char *s)
{
	char **v;

	if (r->n + 2 > r->alloc) {
		size_t n = r->alloc ? r->alloc * 2 : 16;

		v = realloc(r->v, n * sizeof(char *));
		if (!v)
			return -ENOMEM;
		r->v = v;
		r->alloc = n;
	}
	r->v[r->n] = strdup(s);
	if (!r->v[r->n])
		return -ENOMEM;
	r->v[++r->n] = NULL;
	return 0;
}

int roots_add_file(struct roots *r, const char *path, unsigned int *errline)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	unsigned int lineno = 0;
	ssize_t len;
	int ret = 0;

	*errline = 0;
	if (!f)
		return -errno;
	while ((len = getline(&line, &cap, f)) >= 0) {
		char *s = line, *e;

		lineno++;
		if (memchr(line, '\0', len)) {
			*errline = lineno;
			ret = -EINVAL;
			break;
		}
		e = strchr(s, '#');
		if (e)
			*e = '\0';
		s += strspn(s, " \t\r\n");
		for (e = s + strlen(s); e > s && strchr(" \t\r\n", e[-1]); e--)
			;
		*e = '\0';
		/* Several words on a line are several roots. */
		for (char *save = NULL, *w = strtok_r(s, " \t", &save); w && ret == 0;
		     w = strtok_r(NULL, " \t", &save))
			ret = roots_add(r, w);
		if (ret < 0)
			break;
	}
	/* getline() failed last, its errno says why (EISDIR for a directory) */
	if (ret == 0 && ferror(f))
		ret = errno ? -errno : -EIO;
	free(line);
	if (f != stdin)
		fclose(f);
	return ret;
}

void roots_done(struct roots *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i]);
	free(r->v);
	*r = (struct roots){ 0 };
}
