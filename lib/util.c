/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small containers and path helpers used across libmodset. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "libmodset-private.h"

static int grow(void **v, size_t *alloc, size_t need, size_t elem)
{
	size_t n;
	void *p;

	if (need <= *alloc)
		return 0;
	n = *alloc ? *alloc * 2 : 8;
	while (n < need)
		n *= 2;
	p = realloc(*v, n * elem);
	if (!p)
		return -ENOMEM;
	*v = p;
	*alloc = n;
	return 0;
}

int strv_push_take(struct strv *s, char *str)
{
	if (!str || grow((void **)&s->v, &s->alloc, s->n + 2, sizeof(char *)) < 0) {
		free(str);
		return -ENOMEM;
	}
	s->v[s->n++] = str;
	s->v[s->n] = NULL;
	return 0;
}

int strv_push(struct strv *s, const char *str)
{
	return strv_push_take(s, strdup(str));
}

bool strv_contains(const struct strv *s, const char *str)
{
	for (size_t i = 0; i < s->n; i++)
		if (streq(s->v[i], str))
			return true;
	return false;
}

void strv_done(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	*s = (struct strv){ 0 };
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void strv_sort_uniq(struct strv *s)
{
	size_t j = 0;

	if (s->n < 2)
		return;
	qsort(s->v, s->n, sizeof(char *), cmp_str);
	for (size_t i = 1; i < s->n; i++) {
		if (streq(s->v[i], s->v[j]))
			free(s->v[i]);
		else
			s->v[++j] = s->v[i];
	}
	s->n = j + 1;
	s->v[s->n] = NULL;
}

int ptrv_push(struct ptrv *p, void *ptr)
{
	if (grow((void **)&p->v, &p->alloc, p->n + 1, sizeof(void *)) < 0)
		return -ENOMEM;
	p->v[p->n++] = ptr;
	return 0;
}

int ptrv_push_unique(struct ptrv *p, void *ptr)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i] == ptr)
			return 0;
	return ptrv_push(p, ptr);
}

void ptrv_done(struct ptrv *p)
{
	free(p->v);
	*p = (struct ptrv){ 0 };
}

static size_t hash_str(const char *s)
{
	size_t h = 14695981039346656037ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

void *hmap_get(const struct hmap *m, const char *key)
{
	size_t i;

	if (!m->cap)
		return NULL;
	for (i = hash_str(key) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1))
		if (streq(m->keys[i], key))
			return m->vals[i];
	return NULL;
}

static void hmap_insert(struct hmap *m, const char *key, void *val)
{
	size_t i;

	for (i = hash_str(key) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1))
		if (streq(m->keys[i], key)) {
			m->keys[i] = key;
			m->vals[i] = val;
			return;
		}
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
}

int hmap_put(struct hmap *m, const char *key, void *val)
{
	if ((m->n + 1) * 2 > m->cap) {
		struct hmap n = { .cap = m->cap ? m->cap * 2 : 64 };

		n.keys = calloc(n.cap, sizeof(*n.keys));
		n.vals = calloc(n.cap, sizeof(*n.vals));
		if (!n.keys || !n.vals) {
			free(n.keys);
			free(n.vals);
			return -ENOMEM;
		}
		for (size_t i = 0; i < m->cap; i++)
			if (m->keys[i])
				hmap_insert(&n, m->keys[i], m->vals[i]);
		free(m->keys);
		free(m->vals);
		*m = n;
	}
	hmap_insert(m, key, val);
	return 0;
}

void hmap_done(struct hmap *m)
{
	free(m->keys);
	free(m->vals);
	*m = (struct hmap){ 0 };
}

int read_file(const char *path, char **ret, size_t *ret_len)
{
	const char *why;

	return fs_read_file(AT_FDCWD, path, FS_AS_GIVEN, FS_TEXT_MAX, ret, ret_len, &why);
}

char *path_join(const char *a, const char *b)
{
	size_t la = strlen(a);
	char *p;

	while (la > 1 && a[la - 1] == '/')
		la--;
	while (*b == '/')
		b++;
	p = malloc(la + strlen(b) + 2);
	if (!p)
		return NULL;
	memcpy(p, a, la);
	p[la] = '/';
	strcpy(p + la + (la == 1 && a[0] == '/' ? 0 : 1), b);
	return p;
}

void normalize_inplace(char *s, bool stop_at_dot)
{
	for (; *s; s++) {
		if (*s == '[') {
			char *e = strchr(s, ']');

			if (e) {
				s = e;
				continue;
			}
		}
		if (*s == '-')
			*s = '_';
		else if (stop_at_dot && *s == '.') {
			*s = '\0';
			return;
		}
	}
}

int normalize_alias(const char *alias, char **ret)
{
	_cleanup_free_ char *buf = malloc(strlen(alias) + 1);
	size_t i;

	if (!buf)
		return -ENOMEM;
	for (i = 0; i < PATH_MAX - 1 && alias[i]; i++) {
		switch (alias[i]) {
		case '-':
			buf[i] = '_';
			break;
		case ']':
			return -EINVAL;
		case '[':
			/* kept as is through its ']', even past the length limit */
			for (; alias[i] != ']'; i++) {
				if (!alias[i])
					return -EINVAL;
				buf[i] = alias[i];
			}
			buf[i] = ']';
			break;
		default:
			buf[i] = alias[i];
		}
	}
	buf[i] = '\0';
	*ret = TAKE_PTR(buf);
	return 0;
}

void path_normalize(char *path)
{
	char *out = path, *p = path;

	/* absolute paths only: "/a//b/./c/../d/" -> "/a/b/d" */
	while (*p) {
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n == 0)
			break;
		if (n == 1 && p[0] == '.') {
			p += n;
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (out > path && *--out != '/')
				;
			p += n;
			continue;
		}
		*out++ = '/';
		memmove(out, p, n);
		out += n;
		p += n;
	}
	if (out == path)
		*out++ = '/';
	*out = '\0';
}

bool path_is_safe_relative(const char *rel)
{
	const char *p = rel;

	if (*rel == '/' || *rel == '\0')
		return false;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p += n;
		while (*p == '/')
			p++;
	}
	return true;
}

MODSET_EXPORT char *modset_normalize_name(const char *name, char *buf, size_t bufsize)
{
	size_t i;

	if (!name || !buf)
		return NULL;
	for (i = 0; name[i] && name[i] != '.'; i++) {
		if (i + 1 >= bufsize)
			return NULL;
		buf[i] = name[i] == '-' ? '_' : name[i];
	}
	if (i >= bufsize)
		return NULL;
	buf[i] = '\0';
	return buf;
}
