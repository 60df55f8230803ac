/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --why MODULE: the chains of edges that bring a module into the set. */
#include <errno.h>
#include <json-c/json.h>

#include "output.h"
#include "why.h"

struct why_ctx {
	FILE *fp;
	json_object *chains; /* NULL for text */
};

static int print_chain(void *data, const struct modset_module *const *mods,
		       const enum modset_edge *edges, size_t n)
{
	struct why_ctx *w = data;

	if (w->chains) {
		json_object *c = json_object_new_object();
		json_object *names = json_object_new_array();
		json_object *kinds = json_object_new_array();

		for (size_t i = 0; i < n; i++) {
			json_object_array_add(names,
					      json_str(modset_module_get_name(mods[i])));
			if (i + 1 < n)
				json_object_array_add(kinds,
						      json_str(modset_edge_name(edges[i])));
		}
		json_object_object_add(c, "modules", names);
		json_object_object_add(c, "edges", kinds);
		json_object_array_add(w->chains, c);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		fprintf(w->fp, "%s%s", modset_module_get_name(mods[i]),
			modset_module_is_builtin(mods[i]) ? " (builtin)" : "");
		if (i + 1 < n)
			fprintf(w->fp, " -%s-> ", modset_edge_name(edges[i]));
	}
	fputc('\n', w->fp);
	return ferror(w->fp) ? -EIO : 0;
}

int why_print(FILE *fp, const struct modset_set *set, const char *name, bool json)
{
	struct why_ctx w = { .fp = fp };
	const struct modset_module *m = modset_set_find(set, name);
	json_object *root;
	int r;

	if (!m)
		return -ENOENT;
	if (!json)
		return modset_set_foreach_chain(set, name, print_chain, &w);
	root = json_object_new_object();
	w.chains = json_object_new_array();
	json_object_object_add(root, "schema", json_object_new_int(1));
	json_object_object_add(root, "module", json_str(modset_module_get_name(m)));
	json_object_object_add(root, "builtin", json_object_new_boolean(modset_module_is_builtin(m)));
	json_object_object_add(root, "load", json_object_new_boolean(modset_module_is_loaded(m)));
	json_object_object_add(root, "chains", w.chains);
	r = modset_set_foreach_chain(set, name, print_chain, &w);
	if (r == 0)
		r = json_write(fp, root);
	json_object_put(root);
	return r;
}
