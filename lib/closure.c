/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The closure. Phase 1 follows the edges that load a module (hard, soft pre/post)
 * from the roots: everything reached is loaded. Phase 2 follows every edge (weak
 * included) from every module in the set: what it adds is in the image but never
 * loaded. Modinfo is read in batches between rounds of phase 2, in parallel.
 */
#include <errno.h>
#include <fnmatch.h>
#include <string.h>

#include "libmodset-private.h"

static int add_targets(struct modset_set *set, struct modset_module *from, const char *target,
		       enum modset_edge edge, bool untagged, struct ptrv *dst)
{
	struct ptrv found = { 0 };
	bool excluded = false;
	int r;

	r = lookup_target(set, target, &found, &excluded);
	if (r == 0 && found.n == 0 && !excluded)
		r = set_add_missing(set, target,
				    edge == MODSET_EDGE_WEAK ? MODSET_MISSING_WEAK
							     : MODSET_MISSING_SOFT,
				    from->name);
	for (size_t i = 0; i < found.n && r == 0; i++) {
		struct modset_module *t = found.v[i];

		r = module_add_reason(t, edge, from->name, untagged);
		if (r == 0)
			r = ptrv_push_unique(dst, t);
	}
	ptrv_done(&found);
	return r;
}

static int add_softdep(struct modset_set *set, struct modset_module *m,
		       const struct softdep_rule *rule)
{
	int r = 0;

	for (size_t i = 0; i < rule->pre.n && r == 0; i++)
		r = add_targets(set, m, rule->pre.v[i], MODSET_EDGE_SOFT_PRE, false, &m->pre);
	for (size_t i = 0; i < rule->post.n && r == 0; i++)
		r = add_targets(set, m, rule->post.v[i], MODSET_EDGE_SOFT_POST, false, &m->post);
	if (set->compat || (set->flags & MODSET_RESOLVE_NO_WEAK))
		return r;
	for (size_t i = 0; i < rule->untagged.n && r == 0; i++)
		r = add_targets(set, m, rule->untagged.v[i], MODSET_EDGE_WEAK, true, &m->weak);
	return r;
}

static int add_hard(struct modset_set *set, struct modset_module *m, const char *name)
{
	struct modset_module *d;
	int r;

	r = lookup_module_by_name(set, name, &d);
	if (r < 0)
		return r;
	if (!d)
		return set_add_missing(set, name,
				       set_is_excluded(set, name) ? MODSET_MISSING_CUT
								  : MODSET_MISSING_HARD,
				       m->name);
	r = module_add_reason(d, MODSET_EDGE_HARD, m->name, false);
	return r < 0 ? r : ptrv_push_unique(&m->hard, d);
}

/* The hard deps of @m: its modules.dep.bin line (checked), loaded in reverse order
 * as libkmod does. The line is read here rather than through
 * kmod_module_get_dependencies(), which drops the whole list (and logs) when one
 * listed file is missing: here the missing one is reported and the others kept. */
static int hard_edges(struct modset_set *set, struct modset_module *m)
{
	_cleanup_free_ char *copy = NULL;
	const char *line;
	struct strv names = { 0 };
	char *save = NULL, *colon;
	int r;

	if (m->builtin)
		return 0;
	r = tree_index_lookup(set->ctx, IDX_DEP, m->name, &line);
	m->dep_line = line;
	if (r < 0 || !line || !(colon = strchr(line, ':')))
		return r;
	copy = strdup(colon + 1);
	if (!copy)
		return -ENOMEM;
	for (char *t = strtok_r(copy, " \t", &save); t && r == 0; t = strtok_r(NULL, " \t", &save)) {
		const char *base = strrchr(t, '/');
		char name[256];

		if (modset_normalize_name(base ? base + 1 : t, name, sizeof(name)))
			r = strv_push(&names, name);
	}
	for (size_t i = names.n; i-- > 0 && r == 0;)
		r = add_hard(set, m, names.v[i]);
	strv_done(&names);
	return r;
}

/* Hard and soft edges of @m (and untagged softdep tokens, which are weak). */
static int load_edges(struct modset_set *set, struct modset_module *m)
{
	const struct modset_config *cfg = &set->ctx->cfg;
	const struct builtin_info *b;
	int r;

	if (m->edges_done)
		return 0;
	m->edges_done = true;
	r = hard_edges(set, m);
	if (r < 0 || (set->flags & MODSET_RESOLVE_NO_SOFT))
		return r;
	r = config_match_softdeps(cfg, m->name, &set->matches);
	for (size_t i = 0; i < set->matches.n && r == 0; i++) {
		r = add_softdep(set, m, &cfg->softdeps[(uintptr_t)set->matches.v[i]]);
		if (r < 0 || set->compat)
			return r;
	}
	if (r < 0)
		return r;
	/* modprobe runs a module's install command instead of loading it, unless a
	 * softdep line matches it (kmod's ignorecmd); --kmod-compat follows. */
	for (size_t i = 0; set->compat && !m->builtin && i < cfg->install.n; i++)
		if (fnmatch(cfg->install.v[i], m->name, 0) == 0)
			m->install_cmd = true;
	if (!m->builtin || set->compat)
		return 0;
	r = config_load_builtins(set->ctx);
	if (r < 0)
		return r;
	b = hmap_get(&cfg->builtin_by_name, m->name);
	for (size_t i = 0; b && i < b->softdep.n; i++) {
		struct softdep_rule rule = { 0 };
		_cleanup_free_ char *body = strdup(b->softdep.v[i]);

		if (!body)
			return -ENOMEM;
		r = softdep_parse_body(&rule, body);
		if (r == 0)
			r = add_softdep(set, m, &rule);
		softdep_rule_done(&rule);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_weak_list(struct modset_set *set, struct modset_module *m, const struct strv *v)
{
	int r = 0;

	for (size_t i = 0; i < v->n && r == 0; i++) {
		_cleanup_free_ char *copy = strdup(v->v[i]);
		char *save = NULL;

		if (!copy)
			return -ENOMEM;
		/* A modinfo value may name several modules. */
		for (char *t = strtok_r(copy, " \t", &save); t && r == 0;
		     t = strtok_r(NULL, " \t", &save))
			r = add_targets(set, m, t, MODSET_EDGE_WEAK, false, &m->weak);
	}
	return r;
}

/* Weak edges of @m: every matching weakdep line (modprobe.d, modules.weakdep), merged
 * as softdep lines are (libkmod's kmod_module_get_weakdeps keeps only the first), then
 * the module's own weakdep= values when they are read (see phase_image) and a
 * builtin's from modules.builtin.modinfo. */
static int weak_edges(struct modset_set *set, struct modset_module *m)
{
	const struct modset_config *cfg = &set->ctx->cfg;
	const struct builtin_info *b;
	int r = 0;

	r = config_match_weakdeps(cfg, m->name, &set->matches);
	for (size_t i = 0; i < set->matches.n && r == 0; i++)
		r = add_weak_list(set, m, &cfg->weakdeps[(uintptr_t)set->matches.v[i]].deps);
	if (r == 0)
		r = add_weak_list(set, m, &m->modinfo_weak);
	if (r == 0 && m->builtin)
		r = config_load_builtins(set->ctx);
	b = m->builtin ? hmap_get(&cfg->builtin_by_name, m->name) : NULL;
	if (r == 0 && b)
		r = add_weak_list(set, m, &b->weakdep);
	return r;
}

/* The kernel's weakdep= modinfo key, MODULE_WEAKDEP(), came with Linux 6.11 (commit
 * 61842868de13, "module: create weak dependecies", merged after 6.10). */
#define WEAKDEP_SINCE_MAJOR 6
#define WEAKDEP_SINCE_MINOR 11

/* The "MAJOR.MINOR" a kernel release starts with: 0, or -EINVAL if it does not. */
static int release_version(const char *s, unsigned long *major, unsigned long *minor)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	*major = strtoul(s, &end, 10);
	if (end[0] != '.' || end[1] < '0' || end[1] > '9')
		return -EINVAL;
	*minor = strtoul(end + 1, NULL, 10);
	return 0;
}

/* Whether the tree's module files may hold weakdep= values: not for a kernel older
 * than 6.11, known from the module directory's name or, when that is no release, from
 * the vermagic of a module of @set (its first "MAJOR.MINOR"); when neither tells, they
 * may. Decided once for a context. */
static bool modinfo_may_have_weakdep(struct modset_set *set)
{
	struct modset_ctx *ctx = set->ctx;
	_cleanup_free_ char *vermagic = NULL;
	const char *release = ctx->kver;
	unsigned long major, minor;
	bool newer;

	if (ctx->modinfo_weakdep)
		return ctx->modinfo_weakdep > 0;
	if (release_version(release, &major, &minor) < 0) {
		/* one file: the first module of the set that is one */
		for (size_t i = 0; i < set->mods.n; i++) {
			const struct modset_module *m = set->mods.v[i];

			if (m->builtin || !m->path)
				continue;
			/* unreadable: not known (the batch reports it) */
			(void)modinfo_read_vermagic(m->path, &vermagic);
			break;
		}
		release = vermagic;
	}
	if (release_version(release, &major, &minor) < 0) {
		DBG(ctx, "%s: kernel version unknown: module files are read for weak "
			 "deps\n", ctx->moddir);
		ctx->modinfo_weakdep = 1;
		return true;
	}
	newer = major > WEAKDEP_SINCE_MAJOR ||
		(major == WEAKDEP_SINCE_MAJOR && minor >= WEAKDEP_SINCE_MINOR);
	ctx->modinfo_weakdep = newer ? 1 : -1;
	if (!newer)
		DBG(ctx, "%s: kernel %lu.%lu has no MODULE_WEAKDEP: module files are not "
			 "read for weak deps\n", ctx->moddir, major, minor);
	return newer;
}

static int read_modinfo(struct modset_set *set, struct modset_module **mods, size_t n,
			bool want_weak)
{
	const struct modset_config *cfg = &set->ctx->cfg;
	struct modinfo_job *jobs;
	size_t nj = 0;
	int r;

	jobs = calloc(n ? n : 1, sizeof(*jobs));
	if (!jobs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct modset_module *m = mods[i];

		if (m->modinfo_done)
			continue;
		m->modinfo_done = true;
		if (m->builtin) {
			const struct builtin_info *b;

			if ((r = config_load_builtins(set->ctx)) < 0) {
				free(jobs);
				return r;
			}
			b = hmap_get(&cfg->builtin_by_name, m->name);
			if (!(set->flags & MODSET_RESOLVE_MODINFO))
				continue;
			for (size_t k = 0; b && k < b->firmware.n; k++)
				if (strv_push(&m->firmware, b->firmware.v[k]) < 0) {
					free(jobs);
					return -ENOMEM;
				}
			continue;
		}
		jobs[nj].relpath = m->relpath;
		jobs[nj++].path = m->path;
	}
	r = modinfo_read_batch(set->ctx, jobs, nj);
	for (size_t i = 0, j = 0; i < n && j < nj; i++) {
		struct modset_module *m = mods[i];

		if (m->builtin || m->path != jobs[j].path)
			continue;
		if (r == 0 && want_weak) {
			m->modinfo_weak = jobs[j].weakdep;
			jobs[j].weakdep = (struct strv){ 0 };
		}
		if (r == 0 && (set->flags & MODSET_RESOLVE_MODINFO)) {
			m->firmware = jobs[j].firmware;
			jobs[j].firmware = (struct strv){ 0 };
		}
		strv_done(&jobs[j].weakdep);
		strv_done(&jobs[j].firmware);
		j++;
	}
	free(jobs);
	return r;
}

static int phase_load(struct modset_set *set)
{
	for (size_t head = 0; head < set->mods.n; head++) {
		struct modset_module *m = set->mods.v[head];
		struct ptrv *lists[] = { &m->hard, &m->pre, &m->post };
		int r;

		if (!m->load)
			continue;
		r = load_edges(set, m);
		if (r < 0)
			return r;
		for (size_t k = 0; k < ARRAY_SIZE(lists); k++)
			for (size_t i = 0; i < lists[k]->n; i++) {
				struct modset_module *t = lists[k]->v[i];

				/* A target newly marked at an index below head is revisited. */
				if (!t->load) {
					t->load = true;
					if (t->index < head)
						head = t->index - 1;
				}
			}
	}
	return 0;
}

static int phase_image(struct modset_set *set)
{
	bool weak = !set->compat && !(set->flags & MODSET_RESOLVE_NO_WEAK);
	/* With modules.weakdep, depmod wrote the modules' weakdep= there (and kmod reads
	 * them from there only): module files are read only for what needs them. */
	bool weak_from_modinfo = weak && !set->ctx->cfg.have_modules_weakdep &&
				 modinfo_may_have_weakdep(set);
	bool modinfo = weak_from_modinfo || (set->flags & MODSET_RESOLVE_MODINFO);
	size_t done = 0;

	while (done < set->mods.n) {
		size_t end = set->mods.n;
		int r;

		if (modinfo) {
			r = read_modinfo(set, (struct modset_module **)set->mods.v + done,
					 end - done, weak_from_modinfo);
			if (r < 0)
				return r;
		}
		for (size_t i = done; i < end; i++) {
			struct modset_module *m = set->mods.v[i];

			r = load_edges(set, m);
			if (r == 0 && weak && !m->weak_done)
				r = weak_edges(set, m);
			m->weak_done = true;
			if (r < 0)
				return r;
		}
		done = end;
	}
	return 0;
}

/* ---- load order, as kmod's probe list ---- */
static int order_append(struct modset_set *set, struct modset_module *m)
{
	if (m->in_order || m->builtin || !m->load || m->install_cmd)
		return 0;
	m->in_order = true;
	return ptrv_push(&set->order, m);
}

/*
 * kmod's probe list, without recursion (a chain of softdeps is as deep as the input):
 *
 *	probe(m):        once per module: fill(h) for each hard dep h of m, then fill(m)
 *	fill(m):         probe(p) for each pre p, append m, probe(q) for each post q
 *
 * Each probe frame is a module not visited before, and holds at most one fill frame
 * above it (it becomes its own fill frame when its hard deps are done), so the stack
 * never holds more than twice the set's modules.
 */
enum probe_step {
	STEP_HARD, /* probe(m): fill the next hard dep */
	STEP_PRE,  /* fill(m): probe the next pre */
	STEP_POST, /* fill(m): probe the next post */
};

struct probe_frame {
	struct modset_module *m;
	size_t i;
	enum probe_step step;
};

static int probe(struct modset_set *set, struct modset_module *root,
		 struct probe_frame *st)
{
	size_t n = 0;

	if (root->probe_visited)
		return 0;
	root->probe_visited = true;
	st[n++] = (struct probe_frame){ root, 0, STEP_HARD };
	while (n > 0) {
		struct probe_frame *f = &st[n - 1];
		struct modset_module *m = f->m, *t;
		int r;

		if (f->step == STEP_HARD) {
			t = f->i < m->hard.n ? m->hard.v[f->i++] : NULL;
			if (t)
				st[n++] = (struct probe_frame){ t, 0, STEP_PRE };
			else
				*f = (struct probe_frame){ m, 0, STEP_PRE };
			continue;
		}
		if (f->step == STEP_PRE && f->i == m->pre.n) {
			r = order_append(set, m);
			if (r < 0)
				return r;
			*f = (struct probe_frame){ m, 0, STEP_POST };
			continue;
		}
		if (f->step == STEP_POST && f->i == m->post.n) {
			n--;
			continue;
		}
		t = f->step == STEP_PRE ? m->pre.v[f->i++] : m->post.v[f->i++];
		if (t->probe_visited)
			continue;
		t->probe_visited = true;
		st[n++] = (struct probe_frame){ t, 0, STEP_HARD };
	}
	return 0;
}

static int probe_roots(struct modset_set *set)
{
	_cleanup_free_ struct probe_frame *st = NULL;
	int r = 0;

	st = malloc((2 * set->mods.n + 2) * sizeof(*st));
	if (!st)
		return -ENOMEM;
	for (size_t i = 0; i < set->roots.n && r == 0; i++)
		r = probe(set, set->roots.v[i], st);
	return r;
}

/* ---- cycles (Tarjan's strongly connected components) ---- */
struct tarjan {
	struct modset_set *set;
	struct ptrv stack;
	int index;
};

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_cycle(const void *a, const void *b)
{
	return strcmp(**(const char *const *const *)a, **(const char *const *const *)b);
}

static bool has_edge(const struct modset_module *m, const struct modset_module *t)
{
	const struct ptrv *lists[] = { &m->hard, &m->pre, &m->post, &m->weak };

	for (size_t k = 0; k < ARRAY_SIZE(lists); k++)
		for (size_t i = 0; i < lists[k]->n; i++)
			if (lists[k]->v[i] == t)
				return true;
	return false;
}

/* The component whose root @m is: the stack from @m up. A cycle when it has more than
 * one module, or one with an edge to itself. */
static int pop_component(struct tarjan *t, struct modset_module *m)
{
	size_t base;

	for (base = t->stack.n; t->stack.v[base - 1] != m; base--)
		;
	base--;
	if (t->stack.n - base > 1 || has_edge(m, m)) {
		size_t n = t->stack.n - base;
		const char **names = calloc(n + 1, sizeof(char *));

		if (!names)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++)
			names[i] = ((struct modset_module *)t->stack.v[base + i])->name;
		qsort(names, n, sizeof(char *), cmp_cstr);
		if (ptrv_push(&t->set->cycles, names) < 0) {
			free(names);
			return -ENOMEM;
		}
	}
	for (size_t i = base; i < t->stack.n; i++)
		((struct modset_module *)t->stack.v[i])->tarjan_on_stack = false;
	t->stack.n = base;
	return 0;
}

/* Where strongconnect(m) is in its edges: list k of hard, pre, post, weak, item i. */
struct tarjan_frame {
	struct modset_module *m;
	size_t k, i;
};

static int tarjan_enter(struct tarjan *t, struct tarjan_frame *f, struct modset_module *m)
{
	m->tarjan_index = m->tarjan_low = ++t->index;
	if (ptrv_push(&t->stack, m) < 0)
		return -ENOMEM;
	m->tarjan_on_stack = true;
	*f = (struct tarjan_frame){ m, 0, 0 };
	return 0;
}

/* Tarjan's strongconnect(@root), the recursion on an explicit stack of @frames: one
 * per module on the path from @root, each a module of the set entered once, so at
 * most the set's modules. */
static int strongconnect(struct tarjan *t, struct modset_module *root,
			 struct tarjan_frame *frames)
{
	size_t n = 0;
	int r;

	r = tarjan_enter(t, &frames[n++], root);
	while (n > 0 && r == 0) {
		struct tarjan_frame *f = &frames[n - 1];
		struct modset_module *m = f->m, *w;
		const struct ptrv *lists[] = { &m->hard, &m->pre, &m->post, &m->weak };

		while (f->k < ARRAY_SIZE(lists) && f->i == lists[f->k]->n) {
			f->k++;
			f->i = 0;
		}
		if (f->k < ARRAY_SIZE(lists)) {
			w = lists[f->k]->v[f->i++];
			if (!w->tarjan_index)
				r = tarjan_enter(t, &frames[n++], w);
			else if (w->tarjan_on_stack && w->tarjan_index < m->tarjan_low)
				m->tarjan_low = w->tarjan_index;
			continue;
		}
		/* all edges done: back in the caller's loop */
		if (m->tarjan_low == m->tarjan_index) {
			r = pop_component(t, m);
			if (r < 0)
				return r;
		}
		if (--n > 0 && m->tarjan_low < frames[n - 1].m->tarjan_low)
			frames[n - 1].m->tarjan_low = m->tarjan_low;
	}
	return r;
}

static int find_cycles(struct modset_set *set)
{
	struct tarjan t = { .set = set };
	_cleanup_free_ struct tarjan_frame *frames = NULL;
	int r = 0;

	frames = malloc((set->mods.n + 1) * sizeof(*frames));
	if (!frames)
		return -ENOMEM;
	for (size_t i = 0; i < set->mods.n && r == 0; i++) {
		struct modset_module *m = set->mods.v[i];

		if (!m->tarjan_index)
			r = strongconnect(&t, m, frames);
	}
	ptrv_done(&t.stack);
	if (r == 0 && set->cycles.n > 1)
		qsort(set->cycles.v, set->cycles.n, sizeof(void *), cmp_cycle);
	return r;
}

static int resolve_roots(struct modset_set *set, const char *const *roots)
{
	int r = 0;

	set->blacklist_alias_roots = set->compat;
	for (size_t i = 0; roots && roots[i] && r == 0; i++) {
		struct ptrv found = { 0 };
		bool excluded = false;

		r = lookup_root(set, roots[i], &found, &excluded);
		if (r == 0 && found.n == 0 && !excluded)
			r = set_add_missing(set, roots[i], MODSET_MISSING_ROOT, NULL);
		for (size_t k = 0; k < found.n && r == 0; k++) {
			struct modset_module *m = found.v[k];

			m->load = true;
			r = module_add_reason(m, MODSET_EDGE_ROOT, NULL, false);
			if (r == 0)
				r = ptrv_push(&set->roots, m);
		}
		ptrv_done(&found);
	}
	set->blacklist_alias_roots = false;
	return r;
}

MODSET_EXPORT int modset_resolve(struct modset_ctx *ctx, const char *const *roots,
				 unsigned int flags, struct modset_set **ret)
{
	struct modset_set *set;
	int r;

	if (!ctx || !ret)
		return -EINVAL;
	*ret = NULL;
	r = modset_load(ctx);
	if (r < 0)
		return r;
	set = set_new(ctx);
	if (!set)
		return -ENOMEM;
	set->flags = flags;
	set->compat = flags & MODSET_RESOLVE_KMOD_COMPAT;

	r = resolve_roots(set, roots);
	if (r == 0)
		r = phase_load(set);
	if (r == 0)
		r = phase_image(set);
	if (r == 0)
		r = probe_roots(set);
	if (r == 0)
		r = find_cycles(set);
	cache_flush(ctx);
	if (r < 0) {
		modset_set_unref(set);
		return r;
	}
	set_finish(set);
	*ret = set;
	return 0;
}
