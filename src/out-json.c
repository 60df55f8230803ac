/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --format json: the manifest (schema 1, documented in initrd-modset(1)). */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "output.h"

#define JSON_SCHEMA 1

json_object *json_str(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	json_object *o;
	size_t n, k;
	char *esc, *q;

	if (!s)
		return NULL;
	n = strlen(s);
	for (k = 0; k < n;) {
		size_t c = utf8_char_len(p + k, n - k);

		if (!c)
			break;
		k += c;
	}
	if (k == n)
		return json_object_new_string(s);
	/* each byte that is no UTF-8 character: 4 characters, \xNN */
	esc = q = malloc(4 * n + 1);
	if (!esc)
		return NULL;
	for (k = 0; k < n;) {
		size_t c = utf8_char_len(p + k, n - k);

		if (c) {
			memcpy(q, p + k, c);
			q += c;
			k += c;
		} else {
			q += sprintf(q, "\\x%02x", p[k++]);
		}
	}
	*q = '\0';
	o = json_object_new_string(esc);
	free(esc);
	return o;
}

static void indent(FILE *f, int depth)
{
	fputc('\n', f);
	for (int i = 0; i < depth; i++)
		fputs("  ", f);
}

int json_write(FILE *f, struct json_object *root)
{
	const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
								     JSON_C_TO_STRING_NOSLASHESCAPE);
	int depth = 0;

	if (!s)
		return -ENOMEM;
	/* json-c's plain form has no blanks outside strings: each token is placed here */
	for (const char *p = s; *p; p++) {
		switch (*p) {
		case '"':
			/* a string, escapes and all */
			fputc('"', f);
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					fputc(*p++, f);
				fputc(*p, f);
			}
			fputc('"', f);
			if (!*p)
				p--;
			break;
		case '{':
		case '[':
			fputc(*p, f);
			depth++;
			indent(f, p[1] == '}' || p[1] == ']' ? depth - 1 : depth);
			break;
		case '}':
		case ']':
			depth--;
			if (p[-1] != '{' && p[-1] != '[')
				indent(f, depth);
			fputc(*p, f);
			break;
		case ',':
			fputc(',', f);
			indent(f, depth);
			break;
		case ':':
			fputs(": ", f);
			break;
		default:
			fputc(*p, f);
		}
	}
	if (fputc('\n', f) == EOF || ferror(f))
		return errno ? -errno : -EIO; /* the write's errno: ENOSPC, EFBIG, ... */
	return 0;
}

static int json_open(struct output *out)
{
	struct modset_ctx *ctx = modset_set_get_ctx(out->set);
	json_object *root = json_object_new_object();
	json_object *roots = json_object_new_array();

	if (!root || !roots) {
		json_object_put(root);
		json_object_put(roots);
		return -ENOMEM;
	}
	for (size_t i = 0; out->opts->roots && out->opts->roots[i]; i++)
		json_object_array_add(roots, json_str(out->opts->roots[i]));
	json_object_object_add(root, "schema", json_object_new_int(JSON_SCHEMA));
	json_object_object_add(root, "kernel", json_str(modset_get_kver(ctx)));
	json_object_object_add(root, "moddir", json_str(modset_get_moddir(ctx)));
	json_object_object_add(root, "roots", roots);
	json_object_object_add(root, "modules", json_object_new_array());
	out->state = root;
	return 0;
}

static int json_entry(struct output *out, const struct modset_module *mod)
{
	json_object *modules = json_object_object_get(out->state, "modules");
	json_object *o = json_object_new_object();
	json_object *reasons = json_object_new_array();
	json_object *fw = json_object_new_array();
	size_t n;

	if (!o || !reasons || !fw) {
		json_object_put(o);
		json_object_put(reasons);
		json_object_put(fw);
		return -ENOMEM;
	}
	n = modset_module_get_reason_count(mod);
	for (size_t i = 0; i < n; i++) {
		json_object *r = json_object_new_object();
		enum modset_edge edge;
		const char *from;
		bool untagged;

		modset_module_get_reason(mod, i, &edge, &from, &untagged);
		json_object_object_add(r, "type", json_str(modset_edge_name(edge)));
		json_object_object_add(r, "from", json_str(from));
		if (untagged)
			json_object_object_add(r, "untagged", json_object_new_boolean(1));
		json_object_array_add(reasons, r);
	}
	n = modset_module_get_firmware_count(mod);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(fw, json_str(modset_module_get_firmware(mod, i)));

	json_object_object_add(o, "name", json_str(modset_module_get_name(mod)));
	json_object_object_add(o, "path", json_str(modset_module_get_relpath(mod)));
	json_object_object_add(o, "builtin", json_object_new_boolean(modset_module_is_builtin(mod)));
	json_object_object_add(o, "load", json_object_new_boolean(modset_module_is_loaded(mod)));
	json_object_object_add(o, "reasons", reasons);
	json_object_object_add(o, "firmware", fw);
	json_object_array_add(modules, o);
	return 0;
}

/* "firmware": the files found, [{ name, path, from }] (path below the firmware
 * directory, "link" for a symlink); names found nowhere go to "missing" (type
 * "firmware"). Left out when firmware was not looked up (--no-firmware, or no
 * firmware directory). */
static json_object *json_firmware(const struct modset_firmware *fw, json_object *missing)
{
	json_object *arr = json_object_new_array();
	size_t n = modset_firmware_count(fw);

	for (size_t i = 0; arr && i < n; i++) {
		json_object *f = json_object_new_object(), *from = json_object_new_array();
		const char *name, *rel, *link;
		const char *const *mods;

		modset_firmware_get(fw, i, &name, &rel, NULL, &link, &mods);
		for (size_t k = 0; mods && mods[k]; k++)
			json_object_array_add(from, json_str(mods[k]));
		json_object_object_add(f, "name", json_str(name));
		json_object_object_add(f, "path", json_str(rel));
		if (link)
			json_object_object_add(f, "link", json_str(link));
		json_object_object_add(f, "from", from);
		json_object_array_add(arr, f);
	}
	n = modset_firmware_missing_count(fw);
	for (size_t i = 0; i < n; i++) {
		json_object *m = json_object_new_object();
		const char *name, *from;

		modset_firmware_missing(fw, i, &name, &from);
		json_object_object_add(m, "name", json_str(name));
		json_object_object_add(m, "type", json_str("firmware"));
		json_object_object_add(m, "from", json_str(from));
		json_object_array_add(missing, m);
	}
	return arr;
}

static int json_close(struct output *out)
{
	json_object *root = out->state;
	json_object *order = json_object_new_array();
	json_object *missing = json_object_new_array();
	json_object *cycles = json_object_new_array();
	const struct modset_set *set = out->set;
	size_t n;
	int r = 0;

	if (!root)
		return 0;
	n = modset_set_load_order_count(set);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(order, json_str(
						     modset_module_get_name(modset_set_load_order(set, i))));
	n = modset_set_missing_count(set);
	for (size_t i = 0; i < n; i++) {
		json_object *m = json_object_new_object();
		enum modset_missing_kind kind;
		const char *name, *from;

		modset_set_missing(set, i, &name, &kind, &from);
		json_object_object_add(m, "name", json_str(name));
		json_object_object_add(m, "type", json_str(modset_missing_kind_name(kind)));
		json_object_object_add(m, "from", json_str(from));
		json_object_array_add(missing, m);
	}
	n = modset_set_cycle_count(set);
	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_new_array();

		for (const char *const *p = modset_set_cycle(set, i); *p; p++)
			json_object_array_add(c, json_str(*p));
		json_object_array_add(cycles, c);
	}
	{
		json_object *fw = json_firmware(out->opts->firmware, missing);

		json_object_object_add(root, "load_order", order);
		json_object_object_add(root, "missing", missing);
		json_object_object_add(root, "cycles", cycles);
		if (out->opts->firmware)
			json_object_object_add(root, "firmware", fw);
		else
			json_object_put(fw);
	}

	r = json_write(out->fp, root);
	json_object_put(root);
	out->state = NULL;
	return r;
}

const struct output_format output_json = {
	.name = "json",
	.walk = WALK_NAME,
	.resolve_flags = MODSET_RESOLVE_MODINFO,
	.open = json_open,
	.entry = json_entry,
	.close = json_close,
};
