/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kmod index writer. On-disk format (kmod's libkmod-index.c), all integers
 * big-endian u32:
 *
 *   magic 0xB007F457, version 0x00020001, root node reference
 *   node: [prefix NUL]                      if ref & 0x80000000
 *         [first last child_ref...]        if ref & 0x20000000 (last-first+1 refs)
 *         [count (priority value NUL)...]  if ref & 0x40000000
 *
 * A reference is the node's file offset (< 2^28) with those flags. The trie is the
 * canonical compressed one: a node's prefix runs until a key ends or keys part, so
 * the same (key, value, priority) set gives the same bytes whatever the insertion
 * order, except for the order of equal-priority values of one key (the last one
 * added comes first, as in depmod).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "kmod-index.h"

#define NODE_PREFIX 0x80000000u
#define NODE_VALUES 0x40000000u
#define NODE_CHILDS 0x20000000u
#define NODE_MASK 0x0FFFFFFFu

struct value {
	struct value *next;
	unsigned int priority;
	char text[];
};

struct node {
	char *prefix;
	struct value *values;
	unsigned char first, last;
	struct node **child; /* last - first + 1 slots, NULL when no children */
	struct node *next;   /* node_free()'s list of nodes left to free */
};

/* Nothing here recurses on the trie: its depth is up to the longest key's length
 * (keys "a", "aa", "aaa"... nest), which the input decides. */
struct kindex {
	struct node *root;
	size_t keys;
	size_t max_key; /* the longest key's length: the trie is at most that + 1 deep */
};

static struct node *node_new(const char *prefix)
{
	struct node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->prefix = strdup(prefix);
	if (!n->prefix) {
		free(n);
		return NULL;
	}
	return n;
}

/* @n and its subtree, each node's children put on a list of nodes left to free. */
static void node_free(struct node *n)
{
	if (n)
		n->next = NULL;
	while (n) {
		struct node *todo = n->next;

		for (int c = n->first; n->child && c <= n->last; c++) {
			struct node *child = n->child[c - n->first];

			if (child) {
				child->next = todo;
				todo = child;
			}
		}
		free(n->child);
		for (struct value *v = n->values, *next; v; v = next) {
			next = v->next;
			free(v);
		}
		free(n->prefix);
		free(n);
		n = todo;
	}
}

struct kindex *kindex_new(void)
{
	struct kindex *idx = calloc(1, sizeof(*idx));

	if (!idx)
		return NULL;
	idx->root = node_new("");
	if (!idx->root) {
		free(idx);
		return NULL;
	}
	return idx;
}

void kindex_free(struct kindex *idx)
{
	if (!idx)
		return;
	node_free(idx->root);
	free(idx);
}

size_t kindex_count(const struct kindex *idx)
{
	return idx ? idx->keys : 0;
}

static bool ascii7(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 128)
			return false;
	return true;
}

static struct node *child_get(const struct node *n, unsigned char c)
{
	if (!n->child || c < n->first || c > n->last)
		return NULL;
	return n->child[c - n->first];
}

/* Put @child in slot @c, widening the [first, last] range as needed. */
static int child_set(struct node *n, unsigned char c, struct node *child)
{
	unsigned char first, last;
	struct node **v;

	if (n->child && c >= n->first && c <= n->last) {
		n->child[c - n->first] = child;
		return 0;
	}
	first = n->child && n->first < c ? n->first : c;
	last = n->child && n->last > c ? n->last : c;
	v = calloc((size_t)(last - first + 1), sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (n->child)
		memcpy(v + (n->first - first), n->child,
		       (size_t)(n->last - n->first + 1) * sizeof(*v));
	v[c - first] = child;
	free(n->child);
	n->child = v;
	n->first = first;
	n->last = last;
	return 0;
}

static int value_add(struct kindex *idx, struct node *n, const char *text,
		     unsigned int priority)
{
	struct value **pos = &n->values, *v;
	size_t len = strlen(text);
	int dup = 0;

	if (!n->values)
		idx->keys++;
	for (v = n->values; v; v = v->next)
		if (strcmp(v->text, text) == 0)
			dup = 1;
	while (*pos && (*pos)->priority < priority)
		pos = &(*pos)->next;
	v = malloc(sizeof(*v) + len + 1);
	if (!v)
		return -ENOMEM;
	v->priority = priority;
	memcpy(v->text, text, len + 1);
	v->next = *pos;
	*pos = v;
	return dup;
}

int kindex_add(struct kindex *idx, const char *key, const char *value,
		   unsigned int priority)
{
	struct node *n;
	size_t i = 0;

	if (!idx || !key || !value || !*key || !ascii7(key) || !ascii7(value))
		return -EINVAL;
	if (strlen(key) > idx->max_key)
		idx->max_key = strlen(key);
	n = idx->root;
	for (;;) {
		struct node *next;
		unsigned char c;
		size_t j;

		/* Split @n where its prefix and the key part. */
		for (j = 0; n->prefix[j]; j++) {
			struct node *tail;
			char *head;

			if (n->prefix[j] == key[i + j])
				continue;
			tail = calloc(1, sizeof(*tail));
			head = strndup(n->prefix, j);
			if (!tail || !head || !(tail->prefix = strdup(n->prefix + j + 1))) {
				free(tail);
				free(head);
				return -ENOMEM;
			}
			c = (unsigned char)n->prefix[j];
			tail->values = n->values;
			tail->child = n->child;
			tail->first = n->first;
			tail->last = n->last;
			free(n->prefix);
			n->prefix = head;
			n->values = NULL;
			n->child = NULL;
			if (child_set(n, c, tail) < 0) {
				/* undo: nothing was lost, @tail holds it all */
				n->values = tail->values;
				n->child = tail->child;
				n->first = tail->first;
				n->last = tail->last;
				tail->values = NULL;
				tail->child = NULL;
				node_free(tail);
				return -ENOMEM;
			}
			break;
		}
		i += j;
		c = (unsigned char)key[i];
		if (c == '\0')
			return value_add(idx, n, value, priority);
		next = child_get(n, c);
		if (!next) {
			int r;

			next = node_new(key + i + 1);
			if (!next)
				return -ENOMEM;
			r = value_add(idx, next, value, priority);
			if (r >= 0 && child_set(n, c, next) < 0)
				r = -ENOMEM;
			if (r < 0) {
				idx->keys--;
				node_free(next);
			}
			return r < 0 ? r : 0;
		}
		n = next;
		i++;
	}
}

/* ---- serialization ---- */
struct buf {
	unsigned char *p;
	size_t len, alloc;
	int err;
};

static void buf_add(struct buf *b, const void *data, size_t n)
{
	if (b->err || n == 0) /* memcpy to a NULL buffer, even of 0 bytes, is UB */
		return;
	if (b->len + n > b->alloc) {
		size_t a = b->alloc ? b->alloc : 4096;
		unsigned char *p;

		while (b->len + n > a)
			a *= 2;
		p = realloc(b->p, a);
		if (!p) {
			b->err = -ENOMEM;
			return;
		}
		b->p = p;
		b->alloc = a;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void buf_be32(struct buf *b, uint32_t v)
{
	unsigned char c[4] = { v >> 24, v >> 16, v >> 8, v };

	buf_add(b, c, 4);
}

static void put_be32(unsigned char *p, uint32_t v)
{
	for (int k = 0; k < 4; k++)
		p[k] = (unsigned char)(v >> (24 - 8 * k));
}

/* The reference a node gets at the buffer's current end (kmod's index_get_mask()). */
static uint32_t node_ref(struct buf *b, const struct node *n)
{
	if (b->len > NODE_MASK && !b->err)
		b->err = -EFBIG;
	return (uint32_t)b->len | (n->prefix[0] ? NODE_PREFIX : 0) |
	       (n->child ? NODE_CHILDS : 0) | (n->values ? NODE_VALUES : 0);
}

/* A node's own bytes: prefix, child table (@refs, or zeros to fill in), values.
 * Returns the child table's offset in @b. */
static size_t write_body(struct buf *b, const struct node *n, const uint32_t *refs)
{
	size_t table = 0;

	if (n->prefix[0])
		buf_add(b, n->prefix, strlen(n->prefix) + 1);
	if (n->child) {
		unsigned char fl[2] = { n->first, n->last };

		buf_add(b, fl, 2);
		table = b->len;
		for (int c = n->first; c <= n->last; c++)
			buf_be32(b, refs ? refs[c - n->first] : 0);
	}
	if (n->values) {
		uint32_t nv = 0;

		for (const struct value *v = n->values; v; v = v->next)
			nv++;
		buf_be32(b, nv);
		for (const struct value *v = n->values; v; v = v->next) {
			buf_be32(b, v->priority);
			buf_add(b, v->text, strlen(v->text) + 1);
		}
	}
	return table;
}

/* Where a writer is in a node: the next child character, the references of the
 * children written (depmod <= 33) or the offset of the node's table (>= 34). */
struct wframe {
	const struct node *n;
	int c;
	uint32_t *refs;
	size_t table;
};

/* The next child of @f's node from f->c on (f->c moves past it), or NULL. */
static const struct node *next_child(struct wframe *f)
{
	for (; f->n->child && f->c <= f->n->last; f->c++) {
		const struct node *child = f->n->child[f->c - f->n->first];

		if (child) {
			f->c++;
			return child;
		}
	}
	return NULL;
}

static void post_enter(struct buf *b, struct wframe *f, const struct node *n)
{
	*f = (struct wframe){ .n = n, .c = n->first };
	if (!n->child)
		return;
	f->refs = calloc((size_t)(n->last - n->first + 1), sizeof(*f->refs));
	if (!f->refs)
		b->err = -ENOMEM;
}

/* depmod <= 33: each child's subtree in character order, then the node. @st holds a
 * frame per level of the trie. */
static uint32_t write_node_post(struct buf *b, const struct node *root, struct wframe *st)
{
	size_t n = 0;

	post_enter(b, &st[n++], root);
	while (n > 0 && !b->err) {
		struct wframe *f = &st[n - 1];
		const struct node *child = next_child(f);
		uint32_t ref;

		if (child) {
			post_enter(b, &st[n++], child);
			continue;
		}
		ref = node_ref(b, f->n);
		write_body(b, f->n, f->refs);
		free(f->refs);
		if (--n == 0)
			return ref;
		f = &st[n - 1];
		f->refs[f->c - 1 - f->n->first] = ref;
	}
	while (n > 0)
		free(st[--n].refs);
	return 0;
}

static uint32_t pre_enter(struct buf *b, struct wframe *f, const struct node *n)
{
	uint32_t ref = node_ref(b, n);

	*f = (struct wframe){ .n = n, .c = n->first, .table = write_body(b, n, NULL) };
	return ref;
}

/* depmod >= 34 (kmod's index_write__node()): the node, then each child's subtree in
 * character order. A child's reference is where its subtree starts, so the node's
 * table is filled in as they are written. @st holds a frame per level of the trie. */
static uint32_t write_node_pre(struct buf *b, const struct node *root, struct wframe *st)
{
	size_t n = 0;
	uint32_t ref = pre_enter(b, &st[n++], root);

	while (n > 0 && !b->err) {
		struct wframe *f = &st[n - 1];
		const struct node *child = next_child(f);
		uint32_t r;

		if (!child) {
			n--;
			continue;
		}
		r = pre_enter(b, &st[n++], child);
		if (!b->err) /* the slot of the child just taken: f->c moved past it */
			put_be32(b->p + f->table + 4 * (size_t)(f->c - 1 - f->n->first),
				 r);
	}
	return b->err ? 0 : ref;
}

int kindex_write(const struct kindex *idx, enum modset_index_layout layout,
		 unsigned char **ret, size_t *ret_len)
{
	struct buf b = { 0 };
	struct wframe *st;
	uint32_t root;

	if (!idx || !ret || !ret_len)
		return -EINVAL;
	st = calloc(idx->max_key + 2, sizeof(*st));
	if (!st)
		return -ENOMEM;
	buf_be32(&b, KMOD_INDEX_MAGIC);
	buf_be32(&b, KMOD_INDEX_VERSION);
	buf_be32(&b, 0);
	root = layout == MODSET_INDEX_PREORDER ? write_node_pre(&b, idx->root, st)
					       : write_node_post(&b, idx->root, st);
	free(st);
	if (b.err) {
		free(b.p);
		return b.err;
	}
	put_be32(b.p + 8, root);
	*ret = b.p;
	*ret_len = b.len;
	return 0;
}

/* ---- trimmed index files of a module tree ---- */

void kmod_files_done(struct kmod_files *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].data);
	free(f->v);
	*f = (struct kmod_files){ 0 };
}

struct trim {
	const char *moddir;
	int dirfd; /* its fd */
	kmod_keep_fn keep;
	void *data;
	bool decompress;
	enum modset_index_layout layout;
	struct kmod_files *out;
	char *err;
	size_t errlen;
	/* kept modules, in modules.dep order: rank in modules.dep */
	struct kept {
		char *name;
		unsigned int rank;
	} *kept;
	size_t n_kept, alloc_kept;
	/* open-addressing hash of @kept by name: idx is the index + 1, 0 when empty */
	struct slot {
		uint32_t hash, idx;
	} *slot;
	size_t slot_mask;
	/* 4096 bits, one set for each kept name's (length, first, last byte): most
	 * names looked up are not kept, and fail this test */
	uint64_t maybe[64];
};

static int trim_err(struct trim *t, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int trim_err(struct trim *t, int r, const char *fmt, ...)
{
	va_list ap;

	if (t->err && t->errlen) {
		va_start(ap, fmt);
		vsnprintf(t->err, t->errlen, fmt, ap);
		va_end(ap);
	}
	return r;
}



static int emit(struct trim *t, const char *name, unsigned char *data, size_t len)
{
	struct kmod_file *v = realloc(t->out->v, (t->out->n + 1) * sizeof(*v));

	if (!v) {
		free(data);
		return -ENOMEM;
	}
	t->out->v = v;
	v[t->out->n++] = (struct kmod_file){ name, data, len };
	return 0;
}

static int emit_buf(struct trim *t, const char *name, struct buf *b)
{
	if (b->err) {
		free(b->p);
		return b->err;
	}
	if (!b->p) {
		b->p = malloc(1);
		if (!b->p)
			return -ENOMEM;
	}
	return emit(t, name, b->p, b->len);
}

static int emit_index(struct trim *t, const char *name, struct kindex *idx)
{
	unsigned char *data;
	size_t len;
	int r = kindex_write(idx, t->layout, &data, &len);

	kindex_free(idx);
	if (r < 0)
		return trim_err(t, r, "%s: %s", name, strerror(-r));
	return emit(t, name, data, len);
}

/* kmod's modname_normalize of a path's basename: '-' -> '_', stop at '.'. */
static char *path_modname(const char *path, size_t len)
{
	const char *slash = memrchr(path, '/', len), *base = slash ? slash + 1 : path;
	char *name;
	size_t n = 0;

	len -= (size_t)(base - path);
	name = malloc(len + 1);
	if (!name)
		return NULL;
	for (; n < len && base[n] != '.'; n++)
		name[n] = base[n] == '-' ? '_' : base[n];
	name[n] = '\0';
	return name;
}

/* kmod's alias_normalize: '-' -> '_' outside [...]. -EINVAL on an unmatched bracket. */
static int alias_normalize(const char *alias, char **ret)
{
	size_t len = strlen(alias), i;
	char *buf = malloc(len + 1);

	if (!buf)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		char c = alias[i];

		if (c == '-') {
			buf[i] = '_';
		} else if (c == ']') {
			free(buf);
			return -EINVAL;
		} else if (c == '[') {
			while (alias[i] != ']' && alias[i] != '\0') {
				buf[i] = alias[i];
				i++;
			}
			if (alias[i] != ']') {
				free(buf);
				return -EINVAL;
			}
			buf[i] = alias[i];
		} else {
			buf[i] = c;
		}
	}
	buf[i] = '\0';
	*ret = buf;
	return 0;
}

/*
 * A hash of a module name from its length and three of its bytes: the files trimmed
 * after modules.dep have tens of thousands of lines, each looked up by name, and all
 * but a few miss, so the hash must be cheaper than reading the name.
 */
static uint32_t hash_name(const char *s, size_t len)
{
	uint32_t h = (uint32_t)len;

	if (len)
		h = ((h * 31 + (unsigned char)s[0]) * 31 + (unsigned char)s[len / 2]) * 31 +
		    (unsigned char)s[len - 1];
	return h * 2654435761u;
}

static unsigned int maybe_bit(const char *s, size_t len)
{
	if (!len)
		return 0;
	return ((unsigned int)len * 131 + (unsigned char)s[0] * 31 +
		(unsigned char)s[len - 1]) & 4095;
}

/* Index t->kept by name, in an open-addressing table. The first line of a name wins. */
static int kept_index(struct trim *t)
{
	size_t n = 16;

	while (n < 2 * t->n_kept)
		n *= 2;
	t->slot = calloc(n, sizeof(*t->slot));
	if (!t->slot)
		return -ENOMEM;
	t->slot_mask = n - 1;
	for (size_t i = 0; i < t->n_kept; i++) {
		const char *name = t->kept[i].name;
		size_t len = strlen(name);
		uint32_t hash = hash_name(name, len);
		size_t h = (hash >> 8) & t->slot_mask;
		unsigned int b = maybe_bit(name, len);
		bool dup = false;

		t->maybe[b / 64] |= (uint64_t)1 << (b % 64);
		for (; t->slot[h].idx && !dup; h = (h + 1) & t->slot_mask)
			dup = strcmp(t->kept[t->slot[h].idx - 1].name, name) == 0;
		if (!dup)
			t->slot[h] = (struct slot){ hash, (uint32_t)i + 1 };
	}
	return 0;
}

/* The kept module named by the @len bytes at @name, or NULL. */
static inline const struct kept *kept_findn(const struct trim *t, const char *name,
					    size_t len)
{
	unsigned int b;
	uint32_t hash;

	if (!t->slot)
		return NULL;
	b = maybe_bit(name, len);
	if (!(t->maybe[b / 64] & (uint64_t)1 << (b % 64)))
		return NULL;
	hash = hash_name(name, len);
	for (size_t h = (hash >> 8) & t->slot_mask; t->slot[h].idx;
	     h = (h + 1) & t->slot_mask) {
		const struct kept *k = &t->kept[t->slot[h].idx - 1];

		if (t->slot[h].hash == hash && strncmp(k->name, name, len) == 0 &&
		    k->name[len] == '\0')
			return k;
	}
	return NULL;
}

static const struct kept *kept_find(const struct trim *t, const char *name)
{
	return kept_findn(t, name, strlen(name));
}

/* A path of modules.dep: relative, no "..". */
static bool safe_path(const char *p, size_t len)
{
	if (len == 0 || p[0] == '/')
		return false;
	for (size_t i = 0; i < len;) {
		size_t j = i;

		while (j < len && p[j] != '/')
			j++;
		if (j - i == 2 && p[i] == '.' && p[i + 1] == '.')
			return false;
		i = j + 1;
	}
	return true;
}

/* Length of @p (of @len bytes) without a compression suffix after ".ko". */
static size_t strip_comp(const char *p, size_t len)
{
	static const char *const sfx[] = { ".ko.xz", ".ko.zst", ".ko.gz" };

	for (size_t k = 0; k < sizeof(sfx) / sizeof(sfx[0]); k++) {
		size_t n = strlen(sfx[k]);

		if (len >= n && memcmp(p + len - n, sfx[k], n) == 0)
			return len - n + 3;
	}
	return len;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * -EBADMSG with "DIR/NAME:LINE: NUL byte" when the text file @name (@len bytes at
 * @buf) holds a NUL byte, 0 otherwise. For the files whose lines become keys or
 * values of a .bin index (C strings) or module paths: depmod never writes a NUL
 * into them, and a line cut there would not say what the source's indexes say.
 */
static int refuse_nul(struct trim *t, const char *name, const char *buf, size_t len)
{
	const char *z = memchr(buf, '\0', len);
	unsigned int lineno = 1;

	if (!z)
		return 0;
	for (const char *q = buf; q < z; q++)
		if (*q == '\n')
			lineno++;
	return trim_err(t, -EBADMSG, "%s/%s:%u: NUL byte", t->moddir, name, lineno);
}

/*
 * MODDIR/@name, read whole for trimming: 1 with *@ret (free it) and *@ret_len; 0 when
 * it does not exist and is @optional; else -errno, said with trim_err(). With
 * @no_nul, a NUL byte is refused (refuse_nul()).
 */
static int trim_read(struct trim *t, const char *name, bool optional, bool no_nul,
		     char **ret, size_t *ret_len)
{
	const char *why;
	char *buf;
	size_t len;
	int r;

	/* beneath the module directory: a link out of it is refused, a FIFO too */
	r = fs_read_file(t->dirfd, name, FS_BENEATH, FS_INDEX_MAX, &buf, &len, &why);
	if (r == -ENOENT && optional)
		return 0;
	if (r < 0)
		return trim_err(t, r, "%s/%s: %s", t->moddir, name, why ? why : strerror(-r));
	if (no_nul && (r = refuse_nul(t, name, buf, len)) < 0) {
		free(buf);
		return r;
	}
	*ret = buf;
	*ret_len = len;
	return 1;
}

/* The end of the line at @p: its '\n', or @end (where a '\n' is put: the buffer
 * has room, read_regular_file() ends it with a NUL) for a last line without one. A
 * NUL byte never ends a line here. */
static char *line_end(char *p, char *end)
{
	char *nl = memchr(p, '\n', (size_t)(end - p));

	if (!nl) {
		nl = end;
		*end = '\n';
	}
	return nl;
}

/*
 * The end of the word at @q (the first blank or @nl). Without a tab in the file
 * (@tabs false, as depmod writes them) memchr() finds it, many bytes at a time:
 * modules.alias and modules.symbols are 2 MB of lines to split.
 */
static char *word_end(char *q, char *nl, bool tabs)
{
	char *e;

	if (tabs) {
		while (q < nl && !blank(*q))
			q++;
		return q;
	}
	e = memchr(q, ' ', (size_t)(nl - q));
	return e ? e : nl;
}

/*
 * Whether a path of modules.dep may leave the tree: a "..", or a '/' where a path
 * starts (line start, after a blank or ':'). False for what depmod writes: then the
 * lines need no path-by-path check, which was a fifth of the time of trimming a
 * large tree for a small set. strstr() is vectorized; segments, for NUL bytes.
 */
static bool dep_suspect(const char *buf, size_t len)
{
	static const char *const pat[] = { "..", "\n/", " /", "\t/", ":/" };

	for (const char *s = buf, *end = buf + len; s < end; s += strlen(s) + 1) {
		if (*s == '/')
			return true;
		for (size_t i = 0; i < sizeof(pat) / sizeof(pat[0]); i++)
			if (strstr(s, pat[i]))
				return true;
	}
	return false;
}

/* modules.dep and modules.dep.bin; fills t->kept. A NUL byte in modules.dep is
 * refused (refuse_nul()): its lines are the values of modules.dep.bin. */
static int trim_dep(struct trim *t)
{
	struct kindex *idx = NULL;
	struct buf text = { 0 }, line = { 0 };
	char *buf, *p, *end, *nl;
	size_t len;
	unsigned int lineno = 0, rank = 0;
	bool suspect;
	int r;

	r = trim_read(t, "modules.dep", false, true, &buf, &len);
	if (r < 0)
		return r;
	r = 0;
	idx = kindex_new();
	if (!idx) {
		free(buf);
		return -ENOMEM;
	}
	suspect = dep_suspect(buf, len);
	for (p = buf, end = buf + len; p < end && r >= 0; p = nl + 1) {
		char *colon, *name = NULL;
		const char *want = "";
		bool keep;

		nl = line_end(p, end);
		lineno++;
		if (nl == p)
			continue;
		colon = memchr(p, ':', (size_t)(nl - p));
		if (!colon) {
			r = trim_err(t, -EBADMSG, "%s/modules.dep:%u: no ':'", t->moddir, lineno);
			break;
		}
		name = path_modname(p, (size_t)(colon - p));
		if (!name) {
			r = -ENOMEM;
			break;
		}
		keep = !t->keep || (want = t->keep(t->data, name)) != NULL;
		/* the text and the index must agree: the image's files follow the index */
		if (keep && want && *want &&
		    ((size_t)(nl - p) != strlen(want) || memcmp(p, want, (size_t)(nl - p)) != 0)) {
			r = trim_err(t, -EBADMSG,
				     "%s/modules.dep:%u: %s: not what modules.dep.bin says (run "
				     "depmod)",
				     t->moddir, lineno, name);
			free(name);
			break;
		}
		/* every path of the line must stay inside the tree */
		for (char *q = p; suspect && q < nl;) {
			char *e = q;

			while (e < nl && !blank(*e) && e != colon)
				e++;
			if (e > q && !safe_path(q, (size_t)(e - q))) {
				r = trim_err(t, -EXDEV,
					     "%s/modules.dep:%u: module path outside the tree: %.*s",
					     t->moddir, lineno, (int)(e - q), q);
				break;
			}
			q = e + 1;
		}
		if (r < 0 || !keep) {
			free(name);
			continue;
		}
		/* the line, suffixes rewritten when decompressing */
		line.len = 0;
		for (char *q = p; q < nl;) {
			char *e = q;

			while (e < nl && !blank(*e) && *e != ':')
				e++;
			buf_add(&line, q, t->decompress ? strip_comp(q, (size_t)(e - q))
							 : (size_t)(e - q));
			if (e < nl)
				buf_add(&line, e, 1);
			q = e + 1;
		}
		buf_add(&text, line.p ? line.p : (unsigned char *)"", line.len);
		buf_add(&text, "\n", 1);
		buf_add(&line, "", 1);
		if (line.err) {
			r = line.err;
			free(name);
			break;
		}
		if (t->n_kept == t->alloc_kept) {
			size_t a = t->alloc_kept ? t->alloc_kept * 2 : 256;
			struct kept *k = realloc(t->kept, a * sizeof(*k));

			if (!k) {
				free(name);
				r = -ENOMEM;
				break;
			}
			t->kept = k;
			t->alloc_kept = a;
		}
		r = kindex_add(idx, name, (const char *)line.p, rank);
		if (r == -EINVAL)
			r = trim_err(t, r, "%s/modules.dep:%u: not 7-bit ASCII", t->moddir,
				     lineno);
		if (r < 0) {
			free(name);
			break;
		}
		t->kept[t->n_kept++] = (struct kept){ name, rank++ };
	}
	free(line.p);
	free(buf);
	if (r < 0) {
		free(text.p);
		kindex_free(idx);
		return r;
	}
	r = kept_index(t);
	if (r == 0)
		r = emit_buf(t, "modules.dep", &text);
	else
		free(text.p);
	if (r < 0) {
		kindex_free(idx);
		return r;
	}
	return emit_index(t, "modules.dep.bin", idx);
}

/*
 * A text file of lines naming a module in word @field (0-based); comment lines
 * ('#') kept (when @comments_need_entry, only if an entry is kept). @bin_name:
 * also write an index whose key is word 1 (normalized as an alias when
 * @normalize) and whose value is the module name; such a file must hold no NUL
 * byte. In the others (modules.softdep, .weakdep, .devname, read by libkmod and
 * kmod as C strings) a line is read up to a NUL byte, as they read it, and kept
 * whole, so that they read the kept line in the image as in the tree.
 */
static int trim_text(struct trim *t, const char *name, unsigned int field,
		     bool comments_need_entry, const char *bin_name, bool normalize)
{
	struct kindex *idx = NULL;
	struct buf text = { 0 }, comments = { 0 };
	char *buf, *p, *end, *nl;
	size_t len;
	bool any = false, tabs;
	int r;

	r = trim_read(t, name, true, bin_name != NULL, &buf, &len);
	if (r <= 0)
		return r;
	r = 0;
	if (bin_name && !(idx = kindex_new())) {
		free(buf);
		return -ENOMEM;
	}
	tabs = memchr(buf, '\t', len) != NULL;
	for (p = buf, end = buf + len; p < end && r >= 0; p = nl + 1) {
		char *w[3] = { 0 }, *we[3] = { 0 }, *q, *stop;
		const struct kept *k;
		unsigned int nw = 0;

		nl = line_end(p, end);
		if (*p == '#') {
			buf_add(comments_need_entry && !any ? &comments : &text, p,
				(size_t)(nl - p + 1));
			continue;
		}
		stop = memchr(p, '\0', (size_t)(nl - p));
		if (!stop)
			stop = nl;
		for (q = p; q < stop && nw < 3;) {
			while (q < stop && blank(*q))
				q++;
			if (q == stop)
				break;
			w[nw] = q;
			q = word_end(q, stop, tabs);
			we[nw++] = q;
		}
		if (nw <= field)
			continue; /* blank or malformed: not a module's line */
		k = kept_findn(t, w[field], (size_t)(we[field] - w[field]));
		if (!k)
			continue;
		if (comments_need_entry && !any) {
			buf_add(&text, comments.p, comments.len);
			any = true;
		}
		buf_add(&text, p, (size_t)(nl - p + 1));
		if (idx && nw >= 3) {
			char *key = NULL;

			*we[1] = '\0';
			if (normalize)
				r = alias_normalize(w[1], &key);
			else
				r = (key = strdup(w[1])) ? 0 : -ENOMEM;
			if (r == -EINVAL) { /* depmod: "Unmatched bracket", left out */
				r = 0;
				continue;
			}
			if (r == 0)
				r = kindex_add(idx, key, k->name, k->rank);
			if (r == -EINVAL)
				r = trim_err(t, r, "%s/%s: not 7-bit ASCII: %s", t->moddir, name,
					     key);
			free(key);
			if (r > 0)
				r = 0;
		}
	}
	free(buf);
	free(comments.p);
	if (r < 0) {
		free(text.p);
		kindex_free(idx);
		return r;
	}
	r = emit_buf(t, name, &text);
	if (r < 0) {
		kindex_free(idx);
		return r;
	}
	return idx ? emit_index(t, bin_name, idx) : 0;
}

/* modules.order: uncompressed paths, kept when their module is. */
static int trim_order(struct trim *t)
{
	struct buf text = { 0 };
	char *buf, *p, *end, *nl;
	size_t len;
	int r;

	r = trim_read(t, "modules.order", true, true, &buf, &len);
	if (r <= 0)
		return r;
	for (p = buf, end = buf + len; p < end; p = nl + 1) {
		char *name;

		nl = line_end(p, end);
		name = path_modname(p, (size_t)(nl - p));
		if (!name) {
			free(buf);
			free(text.p);
			return -ENOMEM;
		}
		if (nl > p && kept_find(t, name))
			buf_add(&text, p, (size_t)(nl - p + 1));
		free(name);
	}
	free(buf);
	return emit_buf(t, "modules.order", &text);
}

/* modules.builtin, whole, and modules.builtin.bin. */
static int trim_builtin(struct trim *t)
{
	struct kindex *idx;
	char *buf, *p, *end;
	size_t len;
	int r;

	r = trim_read(t, "modules.builtin", true, true, &buf, &len);
	if (r <= 0)
		return r;
	idx = kindex_new();
	if (!idx) {
		free(buf);
		return -ENOMEM;
	}
	r = emit(t, "modules.builtin", (unsigned char *)buf, len);
	if (r < 0) {
		kindex_free(idx);
		return r;
	}
	for (p = buf, end = buf + len; p < end && r >= 0;) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *name;

		if (!nl)
			nl = end;
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) {
			name = path_modname(p, (size_t)(nl - p));
			if (!name)
				r = -ENOMEM;
			else if (*name)
				r = kindex_add(idx, name, "", 0);
			if (r == -EINVAL)
				r = trim_err(t, r, "%s/modules.builtin: not 7-bit ASCII", t->moddir);
			free(name);
		}
		p = nl + 1;
	}
	if (r < 0) {
		kindex_free(idx);
		return r;
	}
	return emit_index(t, "modules.builtin.bin", idx);
}

/* modules.builtin.modinfo, whole, and modules.builtin.alias.bin from its aliases. */
static int trim_builtin_modinfo(struct trim *t)
{
	struct kindex *idx;
	char *buf, *p, *end;
	size_t len;
	int r;

	r = trim_read(t, "modules.builtin.modinfo", true, false, &buf, &len);
	if (r <= 0)
		return r;
	idx = kindex_new();
	if (!idx) {
		free(buf);
		return -ENOMEM;
	}
	r = emit(t, "modules.builtin.modinfo", (unsigned char *)buf, len);
	if (r < 0) {
		kindex_free(idx);
		return r;
	}
	/* records "modname.key=value", NUL-separated */
	for (p = buf, end = buf + len; p < end && r >= 0; p += strlen(p) + 1) {
		char *dot = strchr(p, '.'), *eq, *name, *alias = NULL;

		if (!dot || dot == p)
			continue;
		eq = strchr(dot, '=');
		if (!eq || (size_t)(eq - dot - 1) != 5 || strncmp(dot + 1, "alias", 5) != 0 ||
		    !eq[1])
			continue;
		if (alias_normalize(eq + 1, &alias) < 0)
			continue;
		name = strndup(p, (size_t)(dot - p));
		if (!name) {
			free(alias);
			r = -ENOMEM;
			break;
		}
		r = kindex_add(idx, alias, name, 0);
		if (r == -EINVAL)
			r = trim_err(t, r, "%s/modules.builtin.modinfo: not 7-bit ASCII: %s",
				     t->moddir, alias);
		free(alias);
		free(name);
	}
	if (r < 0) {
		kindex_free(idx);
		return r;
	}
	return emit_index(t, "modules.builtin.alias.bin", idx);
}

int kmod_trim_indexes(const char *moddir, int dirfd, kmod_keep_fn keep, void *data,
		      bool decompress, enum modset_index_layout layout, struct kmod_files *out,
		      char *err, size_t errlen)
{
	struct trim t = { .moddir = moddir, .dirfd = dirfd, .keep = keep, .data = data,
			  .decompress = decompress, .layout = layout, .out = out,
			  .err = err, .errlen = errlen };
	int ownfd = -1, r;

	*out = (struct kmod_files){ 0 };
	if (err && errlen)
		err[0] = '\0';
	if (dirfd < 0) {
		ownfd = open(moddir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (ownfd < 0) {
			r = -errno;
			if (err && errlen)
				snprintf(err, errlen, "%s: %s", moddir, strerror(-r));
			return r;
		}
		t.dirfd = ownfd;
	}
	r = trim_dep(&t);
	if (r == 0)
		r = trim_text(&t, "modules.alias", 2, false, "modules.alias.bin", true);
	if (r == 0)
		r = trim_text(&t, "modules.symbols", 2, false, "modules.symbols.bin",
			       false);
	if (r == 0)
		r = trim_text(&t, "modules.softdep", 1, false, NULL, false);
	if (r == 0)
		r = trim_text(&t, "modules.weakdep", 1, false, NULL, false);
	if (r == 0)
		r = trim_text(&t, "modules.devname", 0, true, NULL, false);
	if (r == 0)
		r = trim_order(&t);
	if (r == 0)
		r = trim_builtin(&t);
	if (r == 0)
		r = trim_builtin_modinfo(&t);
	for (size_t i = 0; i < t.n_kept; i++)
		free(t.kept[i].name);
	free(t.kept);
	free(t.slot);
	if (ownfd >= 0)
		close(ownfd);
	if (r < 0) {
		if (err && errlen && !err[0])
			snprintf(err, errlen, "%s: %s", moddir, strerror(-r));
		kmod_files_done(out);
	}
	return r;
}
