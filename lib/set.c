/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The result of a resolve: modules, their reasons, load order, missing items. */
#include <errno.h>
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

int module_add_reason(struct modset_module *m, enum modset_edge edge, const char *from,
		      bool untagged)
{
	for (size_t i = 0; i < m->n_reasons; i++)
		if (m->reasons[i].edge == edge && streq(m->reasons[i].from, from)) {
			m->reasons[i].untagged = m->reasons[i].untagged && untagged;
			return 0;
		}
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

		if (m->n_reasons > 1)
			qsort(m->reasons, m->n_reasons, sizeof(*m->reasons), cmp_reason);
		strv_sort_uniq(&m->firmware);
	}
	if (set->n_missing > 1)
		qsort(set->missing, set->n_missing, sizeof(*set->missing), cmp_missing);
}

static void module_free(struct modset_module *m)
{
	if (m->kmod)
		kmod_module_unref(m->kmod);
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
	static const char *const names[] = { "root", "hard", "soft", "weak" };

	return (unsigned)kind < ARRAY_SIZE(names) ? names[kind] : NULL;
}
