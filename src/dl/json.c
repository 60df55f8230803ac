/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * json-c, loaded on first use (see lazy.h): only --format json and JSON reports call
 * it. A front-end source that calls a json_* function not listed here fails to link
 * initrd-modset ("undefined reference"): add a STUB line for it.
 */
#include <json-c/json.h>

#include "lazy.h"

#define JSONC_SONAME "libjson-c.so.5"

static void *handle;

int lazy_json_load(void)
{
	return lazy_open(&handle, JSONC_SONAME);
}

#define STUB(ret, name, params, args) LAZY_STUB(handle, JSONC_SONAME, ret, name, params, args)

typedef struct json_object *obj_p;

STUB(int, json_object_array_add, (struct json_object *o, struct json_object *v), (o, v))
STUB(obj_p, json_object_new_array, (void), ())
STUB(obj_p, json_object_new_boolean, (json_bool b), (b))
STUB(obj_p, json_object_new_int, (int32_t i), (i))
STUB(obj_p, json_object_new_int64, (int64_t i), (i))
STUB(obj_p, json_object_new_object, (void), ())
STUB(obj_p, json_object_new_string, (const char *s), (s))
STUB(int, json_object_object_add, (struct json_object *o, const char *k, struct json_object *v),
     (o, k, v))
STUB(obj_p, json_object_object_get, (const struct json_object *o, const char *k), (o, k))
STUB(int, json_object_put, (struct json_object *o), (o))
STUB(const char *, json_object_to_json_string_ext, (struct json_object *o, int flags), (o, flags))
