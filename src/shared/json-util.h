/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Small helpers over json-c: strict parsing of untrusted input and typed field access that
 * tells "missing" from "wrong type". */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "macro.h"

/* Nesting deeper than this is refused: it bounds the parser's recursion on hostile input. */
#define JSON_DEPTH_MAX 64

/* Parses exactly n bytes as one JSON value; trailing bytes other than whitespace are an error.
 * Returns 0 and a new reference in *ret, or -EBADMSG. */
int json_parse(const char *s, size_t n, json_object **ret);

/* Field access: returns 0 and sets *ret (borrowed), -ENOENT if the key is absent (or null),
 * -EINVAL if it has another type. *ret is left alone on failure. */
int json_get_string(json_object *o, const char *key, const char **ret);
int json_get_bool(json_object *o, const char *key, bool *ret);
int json_get_int64(json_object *o, const char *key, int64_t *ret);
int json_get_uint64(json_object *o, const char *key, uint64_t *ret);
int json_get_object(json_object *o, const char *key, json_object **ret);
int json_get_array(json_object *o, const char *key, json_object **ret);
/* Reads an array of strings into a new strv: -ENOENT if absent, -EINVAL if any element is not a
 * string, -ENOMEM. */
int json_get_strv(json_object *o, const char *key, char ***ret);

/* Adds a field, taking a new value built from v. Return 0 or -ENOMEM. */
int json_add_string(json_object *o, const char *key, const char *v);
int json_add_bool(json_object *o, const char *key, bool v);
int json_add_int64(json_object *o, const char *key, int64_t v);
int json_add_uint64(json_object *o, const char *key, uint64_t v);
/* Adds the strings of l as an array (empty for NULL). */
int json_add_strv(json_object *o, const char *key, char *const *l);
/* Adds v, taking the caller's reference even on failure. */
int json_add_take(json_object *o, const char *key, json_object *v);

/* Serialises compactly; the string is owned by o. */
const char *json_to_string(json_object *o);
