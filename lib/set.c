/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The result of a resolve: modules, their reasons, load order, missing items. */
#include <errno.h>
#include <fnmatch.h>
#include <string.h>

#include "libmodset-private.h"

struct modset_set *set_new(struct modset_ctx *ctx)
{
	struct modset_set *set = calloc(1, sizeof(*set));

	if (!set)
		return NULL;
	set->refcount = 1;
	set->ctx = modset_ref(ctx);
	return set;
}

struct modset_module *set_add(struct modset_set *set, const char *name, const char *path,
			      bool builtin)
{
	struct modset_module *m = calloc(1, sizeof(*m));
	size_t dlen = strlen(set->ctx->moddir);

	if (!m)
		return NULL;
	m->name = strdup(name);
	m->path = path ? strdup(path) : NULL;
	m->builtin = builtin;
	m->index = set->mods.n;
	if (!m->name || (path && !m->path))
		goto fail;
	if (m->path)
		m->relpath = strncmp(m->path, set->ctx->moddir, dlen) == 0 &&
					     m->path[dlen] == '/'
				     ? m->path + dlen + 1
				     : m->path;
	if (ptrv_push(&set->mods, m) < 0)
		goto fail;
	if (hmap_put(&set->by_name, m->name, m) < 0) {
		set->mods.n--;
		goto fail;
	}
	return m;
fail:
	free(m->name);
	free(m->path);
	free(m);
	return NULL;
}

/* Appended as found; set_finish() sorts and merges duplicates (a scan here made
 * modules reached from thousands of others quadratic). */
int module_add_reason(struct modset_module *m, enum modset_edge edge, const char *from,
		      bool untagged)
{
	if (m->n_reasons == m->alloc_reasons) {
		size_t n = m->alloc_reasons ? m->alloc_reasons * 2 : 4;
		struct reason *p = realloc(m->reasons, n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		m->reasons = p;
		m->alloc_reasons = n;
	}
	m->reasons[m->n_reasons++] = (struct reason){ edge, from, untagged };
	return 0;
}

int set_add_missing(struct modset_set *set, const char *name, enum modset_missing_kind kind,
		    const char *from)
{
	for (size_t i = 0; i < set->n_missing; i++)
		if (set->missing[i].kind == kind && streq(set->missing[i].name, name) &&
		    streq(set->missing[i].from, from))
			return 0;
	if (set->n_missing == set->alloc_missing) {
		size_t n = set->alloc_missing ? set->alloc_missing * 2 : 8;
		struct missing *p = realloc(set->missing, n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		set->missing = p;
		set->alloc_missing = n;
	}
	set->missing[set->n_missing].name = strdup(name);
	if (!set->missing[set->n_missing].name)
		return -ENOMEM;
	set->missing[set->n_missing].kind = kind;
	set->missing[set->n_missing].from = from;
	set->n_missing++;
	return 0;
}

bool set_is_excluded(const struct modset_set *set, const char *name)
{
	const struct strv *ex = &set->ctx->exclude;
	const struct strv *bl = &set->ctx->cfg.blacklist;

	for (size_t i = 0; i < ex->n; i++)
		if (fnmatch(ex->v[i], name, 0) == 0)
			return true;
	if (set->flags & MODSET_RESOLVE_HONOR_BLACKLIST)
		for (size_t i = 0; i < bl->n; i++)
			if (streq(bl->v[i], name))
				return true;
	return false;
}

static int cmp_module(const void *a, const void *b)
{
	const struct modset_module *x = *(void *const *)a, *y = *(void *const *)b;

	return strcmp(x->name, y->name);
}

static int cmp_nullable(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int cmp_reason(const void *a, const void *b)
{
	const struct reason *x = a, *y = b;

	if (x->edge != y->edge)
		return (int)x->edge - (int)y->edge;
	return cmp_nullable(x->from, y->from);
}

static int cmp_missing(const void *a, const void *b)
{
	const struct missing *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	if (r)
		return r;
	if (x->kind != y->kind)
		return (int)x->kind - (int)y->kind;
	return cmp_nullable(x->from, y->from);
}

/* Fix every order that is free: modules by name, reasons, missing items. */
void set_finish(struct modset_set *set)
{
	if (set->mods.n > 1)
		qsort(set->mods.v, set->mods.n, sizeof(void *), cmp_module);
	for (size_t i = 0; i < set->mods.n; i++) {
		struct modset_module *m = set->mods.v[i];

		if (m->n_reasons > 1) {
			size_t k = 0;

			qsort(m->reasons, m->n_reasons, sizeof(*m->reasons), cmp_reason);
			/* one reason per (edge, from); "untagged" only if every one was */
			for (size_t j = 1; j < m->n_reasons; j++) {
				if (cmp_reason(&m->reasons[k], &m->reasons[j]) == 0)
					m->reasons[k].untagged &= m->reasons[j].untagged;
				else
					m->reasons[++k] = m->reasons[j];
			}
			m->n_reasons = k + 1;
		}
		strv_sort_uniq(&m->firmware);
	}
	if (set->n_missing > 1)
		qsort(set->missing, set->n_missing, sizeof(*set->missing), cmp_missing);
}

static void module_free(struct modset_module *m)
{
	free(m->name);
	free(m->path);
	free(m->reasons);
	strv_done(&m->firmware);
	strv_done(&m->modinfo_weak);
	ptrv_done(&m->hard);
	ptrv_done(&m->pre);
	ptrv_done(&m->post);
	ptrv_done(&m->weak);
	free(m);
}

MODSET_EXPORT struct modset_set *modset_set_ref(struct modset_set *set)
{
	if (set)
		set->refcount++;
	return set;
}

MODSET_EXPORT struct modset_set *modset_set_unref(struct modset_set *set)
{
	if (!set || --set->refcount > 0)
		return NULL;
	for (size_t i = 0; i < set->mods.n; i++)
		module_free(set->mods.v[i]);
	ptrv_done(&set->mods);
	hmap_done(&set->by_name);
	ptrv_done(&set->order);
	ptrv_done(&set->roots);
	hmap_done(&set->gone);
	ptrv_done(&set->matches);
	strv_done(&set->gone_names);
	for (size_t i = 0; i < set->n_missing; i++)
		free(set->missing[i].name);
	free(set->missing);
	for (size_t i = 0; i < set->cycles.n; i++)
		free(set->cycles.v[i]);
	ptrv_done(&set->cycles);
	modset_unref(set->ctx);
	free(set);
	return NULL;
}

MODSET_EXPORT struct modset_ctx *modset_set_get_ctx(const struct modset_set *set)
{
	return set ? set->ctx : NULL;
}

MODSET_EXPORT size_t modset_set_count(const struct modset_set *set)
{
	return set ? set->mods.n : 0;
}

MODSET_EXPORT const struct modset_module *modset_set_get(const struct modset_set *set,
							 size_t i)
{
	return set && i < set->mods.n ? set->mods.v[i] : NULL;
}

MODSET_EXPORT const struct modset_module *modset_set_find(const struct modset_set *set,
							  const char *name)
{
	char buf[256];

	if (!set || !name || !modset_normalize_name(name, buf, sizeof(buf)))
		return NULL;
	return hmap_get(&set->by_name, buf);
}

MODSET_EXPORT size_t modset_set_load_order_count(const struct modset_set *set)
{
	return set ? set->order.n : 0;
}

MODSET_EXPORT const struct modset_module *modset_set_load_order(const struct modset_set *set,
								size_t i)
{
	return set && i < set->order.n ? set->order.v[i] : NULL;
}

MODSET_EXPORT size_t modset_set_missing_count(const struct modset_set *set)
{
	return set ? set->n_missing : 0;
}

MODSET_EXPORT int modset_set_missing(const struct modset_set *set, size_t i,
				     const char **name, enum modset_missing_kind *kind,
				     const char **from)
{
	if (!set || i >= set->n_missing)
		return -ERANGE;
	if (name)
		*name = set->missing[i].name;
	if (kind)
		*kind = set->missing[i].kind;
	if (from)
		*from = set->missing[i].from;
	return 0;
}

MODSET_EXPORT size_t modset_set_cycle_count(const struct modset_set *set)
{
	return set ? set->cycles.n : 0;
}

MODSET_EXPORT const char *const *modset_set_cycle(const struct modset_set *set, size_t i)
{
	return set && i < set->cycles.n ? set->cycles.v[i] : NULL;
}

MODSET_EXPORT const char *modset_module_get_name(const struct modset_module *mod)
{
	return mod ? mod->name : NULL;
}

MODSET_EXPORT const char *modset_module_get_path(const struct modset_module *mod)
{
	return mod ? mod->path : NULL;
}

MODSET_EXPORT const char *modset_module_get_relpath(const struct modset_module *mod)
{
	return mod ? mod->relpath : NULL;
}

MODSET_EXPORT const char *modset_module_get_dep_line(const struct modset_module *mod)
{
	return mod ? mod->dep_line : NULL;
}

MODSET_EXPORT bool modset_module_is_builtin(const struct modset_module *mod)
{
	return mod && mod->builtin;
}

MODSET_EXPORT bool modset_module_is_loaded(const struct modset_module *mod)
{
	return mod && mod->load;
}

MODSET_EXPORT size_t modset_module_get_reason_count(const struct modset_module *mod)
{
	return mod ? mod->n_reasons : 0;
}

MODSET_EXPORT int modset_module_get_reason(const struct modset_module *mod, size_t i,
					   enum modset_edge *edge, const char **from,
					   bool *untagged)
{
	if (!mod || i >= mod->n_reasons)
		return -ERANGE;
	if (edge)
		*edge = mod->reasons[i].edge;
	if (from)
		*from = mod->reasons[i].from;
	if (untagged)
		*untagged = mod->reasons[i].untagged;
	return 0;
}

MODSET_EXPORT size_t modset_module_get_firmware_count(const struct modset_module *mod)
{
	return mod ? mod->firmware.n : 0;
}

MODSET_EXPORT const char *modset_module_get_firmware(const struct modset_module *mod,
						     size_t i)
{
	return mod && i < mod->firmware.n ? mod->firmware.v[i] : NULL;
}

MODSET_EXPORT const char *modset_edge_name(enum modset_edge edge)
{
	static const char *const names[] = { "root", "hard", "soft-pre", "soft-post",
					     "weak" };

	return (unsigned)edge < ARRAY_SIZE(names) ? names[edge] : NULL;
}

MODSET_EXPORT const char *modset_missing_kind_name(enum modset_missing_kind kind)
{
	static const char *const names[] = { "root", "hard", "soft", "weak", "cut" };

	return (unsigned)kind < ARRAY_SIZE(names) ? names[kind] : NULL;
}

/* ---- why: shortest chains from the roots ---- */

/* The hard edges of @m that no other hard dep of @m implies: modules.dep lists the
 * transitive closure, which would make every chain one hard edge long. */
static bool hard_is_direct(const struct modset_module *m, const struct modset_module *d)
{
	for (size_t i = 0; i < m->hard.n; i++) {
		const struct modset_module *e = m->hard.v[i];

		if (e == d)
			continue;
		for (size_t k = 0; k < e->hard.n; k++)
			if (e->hard.v[k] == d)
				return false;
	}
	return true;
}

struct edge_iter {
	const struct modset_module *m;
	int list;
	size_t i;
};

/* Next out-edge of it->m: hard (direct only), soft pre, soft post, weak. */
static bool next_edge(struct edge_iter *it, const struct modset_module **to,
		      enum modset_edge *edge)
{
	static const enum modset_edge kinds[] = { MODSET_EDGE_HARD, MODSET_EDGE_SOFT_PRE,
						  MODSET_EDGE_SOFT_POST, MODSET_EDGE_WEAK };
	const struct ptrv *lists[] = { &it->m->hard, &it->m->pre, &it->m->post, &it->m->weak };

	for (; it->list < 4; it->list++, it->i = 0)
		while (it->i < lists[it->list]->n) {
			const struct modset_module *t = lists[it->list]->v[it->i++];

			if (it->list == 0 && !hard_is_direct(it->m, t))
				continue;
			*to = t;
			*edge = kinds[it->list];
			return true;
		}
	return false;
}

/* An edge into a module from one a step closer to the roots. */
struct back_edge {
	size_t from; /* index in set->mods */
	enum modset_edge edge;
};

struct chains {
	const struct modset_set *set;
	size_t *dist;			/* by module index in set->mods; SIZE_MAX = unreached */
	size_t *back_start;		/* by module index: its first in back */
	struct back_edge *back;		/* by target, source index, edge order */
	const struct modset_module **path; /* built backwards */
	enum modset_edge *edges;
	struct ptrv found;		/* struct chain * */
};

struct chain {
	size_t n;
	const struct modset_module **mods;
	enum modset_edge *edges;
};

static size_t mod_index(const struct modset_set *set, const struct modset_module *m)
{
	/* set->mods is sorted by name after resolve: binary search */
	size_t lo = 0, hi = set->mods.n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(((struct modset_module *)set->mods.v[mid])->name, m->name);

		if (r == 0)
			return mid;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return SIZE_MAX;
}

/* The edges that shorten the distance by one, grouped by target (counted in a first
 * pass, stored in a second), each group in source index order. */
static int back_edges(struct chains *c)
{
	const struct modset_set *set = c->set;
	size_t n = set->mods.n, total = 0;

	c->back_start = calloc(n + 1, sizeof(*c->back_start));
	if (!c->back_start)
		return -ENOMEM;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t k = 0; k < n; k++) {
			struct edge_iter it = { .m = set->mods.v[k] };
			const struct modset_module *to;
			enum modset_edge edge;

			if (c->dist[k] == SIZE_MAX)
				continue;
			while (next_edge(&it, &to, &edge)) {
				size_t j = mod_index(set, to);

				if (j == SIZE_MAX || c->dist[j] != c->dist[k] + 1)
					continue;
				if (pass == 0)
					c->back_start[j + 1]++;
				else
					c->back[c->back_start[j]++] =
						(struct back_edge){ k, edge };
			}
		}
		if (pass == 1)
			break;
		for (size_t j = 0; j < n; j++)
			c->back_start[j + 1] += c->back_start[j];
		total = c->back_start[n];
		c->back = malloc((total ? total : 1) * sizeof(*c->back));
		if (!c->back)
			return -ENOMEM;
	}
	/* filling moved each group's start to the next one's: shift them back */
	memmove(c->back_start + 1, c->back_start, n * sizeof(*c->back_start));
	c->back_start[0] = 0;
	return 0;
}

#define MAX_CHAINS 1000

static int add_chain(struct chains *c, size_t len)
{
	struct chain *ch = calloc(1, sizeof(*ch));

	if (!ch)
		return -ENOMEM;
	ch->n = len + 1;
	ch->mods = calloc(ch->n, sizeof(*ch->mods));
	ch->edges = calloc(ch->n, sizeof(*ch->edges));
	if (!ch->mods || !ch->edges || ptrv_push(&c->found, ch) < 0) {
		free(ch->mods);
		free(ch->edges);
		free(ch);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ch->n; i++)
		ch->mods[i] = c->path[len - i];
	for (size_t i = 0; i + 1 < ch->n; i++)
		ch->edges[i] = c->edges[len - i - 1];
	return 0;
}

/* Walk back from @target (at distance @d) to a root along edges that shorten the
 * distance by one; every complete walk is a shortest chain. Depth-first, on an
 * explicit stack: @pos[len] is the next back edge to take from path[len]. Sources
 * are tried in index order, and no new one once MAX_CHAINS are found. */
static int collect(struct chains *c, size_t target, size_t d, size_t *pos)
{
	const struct modset_set *set = c->set;
	size_t len = 0;

	c->path[0] = set->mods.v[target];
	pos[0] = c->back_start[target];
	if (d == 0)
		return add_chain(c, 0);
	for (;;) {
		size_t j = mod_index(set, c->path[len]), e = pos[len];
		const struct back_edge *b = &c->back[e];
		int r;

		if (e == c->back_start[j + 1] ||
		    ((e == c->back_start[j] || b[-1].from != b->from) &&
		     c->found.n >= MAX_CHAINS)) {
			if (len == 0)
				return 0;
			len--;
			continue;
		}
		pos[len]++;
		c->edges[len] = b->edge;
		c->path[len + 1] = set->mods.v[b->from];
		if (len + 1 == d) {
			r = add_chain(c, len + 1);
			if (r < 0)
				return r;
			continue;
		}
		len++;
		pos[len] = c->back_start[b->from];
	}
}

static int cmp_chain(const void *a, const void *b)
{
	const struct chain *x = *(void *const *)a, *y = *(void *const *)b;

	for (size_t i = 0; i < x->n && i < y->n; i++) {
		int r = strcmp(x->mods[i]->name, y->mods[i]->name);

		if (r)
			return r;
		if (i + 1 < x->n && i + 1 < y->n && x->edges[i] != y->edges[i])
			return (int)x->edges[i] - (int)y->edges[i];
	}
	return (x->n > y->n) - (x->n < y->n);
}

MODSET_EXPORT int modset_set_foreach_chain(const struct modset_set *set, const char *name,
					   modset_chain_fn fn, void *data)
{
	const struct modset_module *target = modset_set_find(set, name);
	struct chains c = { .set = set };
	size_t *queue = NULL, qh = 0, qt = 0, ti;
	int r = 0;

	if (!target || !fn)
		return target ? -EINVAL : -ENOENT;
	c.dist = malloc(set->mods.n * sizeof(*c.dist));
	queue = malloc(set->mods.n * sizeof(*queue));
	c.path = calloc(set->mods.n + 1, sizeof(*c.path));
	c.edges = calloc(set->mods.n + 1, sizeof(*c.edges));
	if (!c.dist || !queue || !c.path || !c.edges) {
		r = -ENOMEM;
		goto out;
	}
	/* Breadth-first from every root at once. */
	for (size_t i = 0; i < set->mods.n; i++) {
		const struct modset_module *m = set->mods.v[i];
		bool root = false;

		for (size_t k = 0; k < m->n_reasons; k++)
			root = root || m->reasons[k].edge == MODSET_EDGE_ROOT;
		c.dist[i] = root ? 0 : SIZE_MAX;
		if (root)
			queue[qt++] = i;
	}
	while (qh < qt) {
		size_t i = queue[qh++];
		struct edge_iter it = { .m = set->mods.v[i] };
		const struct modset_module *to;
		enum modset_edge edge;

		while (next_edge(&it, &to, &edge)) {
			size_t k = mod_index(set, to);

			if (k != SIZE_MAX && c.dist[k] == SIZE_MAX) {
				c.dist[k] = c.dist[i] + 1;
				queue[qt++] = k;
			}
		}
	}
	ti = mod_index(set, target);
	if (c.dist[ti] != SIZE_MAX) {
		r = back_edges(&c);
		if (r == 0)
			r = collect(&c, ti, c.dist[ti], queue);
	}
	if (r == 0 && c.found.n > 1)
		qsort(c.found.v, c.found.n, sizeof(void *), cmp_chain);
	for (size_t i = 0; i < c.found.n && r == 0; i++) {
		struct chain *ch = c.found.v[i];

		r = fn(data, (const struct modset_module *const *)ch->mods, ch->edges, ch->n);
	}
out:
	for (size_t i = 0; i < c.found.n; i++) {
		struct chain *ch = c.found.v[i];

		free(ch->mods);
		free(ch->edges);
		free(ch);
	}
	ptrv_done(&c.found);
	free(c.dist);
	free(c.back_start);
	free(c.back);
	free(c.path);
	free(c.edges);
	free(queue);
	return r;
}
