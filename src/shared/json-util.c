/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* json-c wrappers that turn its NULL/-1 conventions into negative errno. */

#include "json-util.h"
#include "strv.h"

int json_parse(const char *s, size_t n, json_object **ret) {
        json_tokener *tok;
        json_object *o;
        size_t end;

        if (n > INT32_MAX)
                return -E2BIG;
        tok = json_tokener_new_ex(JSON_DEPTH_MAX);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        o = json_tokener_parse_ex(tok, s, (int) n);
        if (!o || json_tokener_get_error(tok) != json_tokener_success) {
                json_tokener_free(tok);
                json_object_put(o);
                return -EBADMSG;
        }
        end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);

        for (; end < n; end++)
                if (!strchr(" \t\r\n", s[end])) {
                        json_object_put(o);
                        return -EBADMSG;
                }
        *ret = o;
        return 0;
}

/* Looks up key and checks its type; null counts as absent. */
static int json_get_typed(json_object *o, const char *key, json_type type, json_object **ret) {
        json_object *v;

        if (!o || !json_object_is_type(o, json_type_object))
                return -EINVAL;
        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
                return -ENOENT;
        if (!json_object_is_type(v, type))
                return -EINVAL;
        *ret = v;
        return 0;
}

int json_get_string(json_object *o, const char *key, const char **ret) {
        json_object *v;
        int r = json_get_typed(o, key, json_type_string, &v);

        if (r < 0)
                return r;
        *ret = json_object_get_string(v);
        return 0;
}

int json_get_bool(json_object *o, const char *key, bool *ret) {
        json_object *v;
        int r = json_get_typed(o, key, json_type_boolean, &v);

        if (r < 0)
                return r;
        *ret = json_object_get_boolean(v);
        return 0;
}

int json_get_int64(json_object *o, const char *key, int64_t *ret) {
        json_object *v;
        int r = json_get_typed(o, key, json_type_int, &v);

        if (r < 0)
                return r;
        errno = 0;
        *ret = json_object_get_int64(v);
        /* json-c clamps out-of-range numbers and reports it through errno. */
        return errno == EINVAL ? -ERANGE : 0;
}

int json_get_uint64(json_object *o, const char *key, uint64_t *ret) {
        json_object *v;
        int r = json_get_typed(o, key, json_type_int, &v);

        if (r < 0)
                return r;
        if (json_object_get_int64(v) < 0)
                return -ERANGE;
        *ret = json_object_get_uint64(v);
        return 0;
}

int json_get_object(json_object *o, const char *key, json_object **ret) {
        return json_get_typed(o, key, json_type_object, ret);
}

int json_get_array(json_object *o, const char *key, json_object **ret) {
        return json_get_typed(o, key, json_type_array, ret);
}

int json_add_take(json_object *o, const char *key, json_object *v) {
        if (!v)
                return -ENOMEM;
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

int json_add_strv(json_object *o, const char *key, char *const *l) {
        json_object *a = json_object_new_array();

        if (!a)
                return -ENOMEM;
        STRV_FOREACH(s, l)
                if (json_object_array_add(a, json_object_new_string(*s)) < 0) {
                        json_object_put(a);
                        return -ENOMEM;
                }
        return json_add_take(o, key, a);
}

int json_add_string(json_object *o, const char *key, const char *v) {
        /* json-c represents null as a NULL pointer, which json_add_take() would take for OOM. */
        if (!v)
                return json_object_object_add(o, key, NULL) < 0 ? -ENOMEM : 0;
        return json_add_take(o, key, json_object_new_string(v));
}

int json_add_bool(json_object *o, const char *key, bool v) {
        return json_add_take(o, key, json_object_new_boolean(v));
}

int json_add_int64(json_object *o, const char *key, int64_t v) {
        return json_add_take(o, key, json_object_new_int64(v));
}

int json_add_uint64(json_object *o, const char *key, uint64_t v) {
        return json_add_take(o, key, json_object_new_uint64(v));
}

const char *json_to_string(json_object *o) {
        return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

int json_get_strv(json_object *o, const char *key, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        json_object *a;
        int r;

        r = json_get_array(o, key, &a);
        if (r < 0)
                return r;
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                json_object *e = json_object_array_get_idx(a, i);
                if (!json_object_is_type(e, json_type_string))
                        return -EINVAL;
                r = strv_extend(&l, json_object_get_string(e));
                if (r < 0)
                        return r;
        }
        /* An empty array is a value too: an empty list, not an absent one. */
        if (!l && !(l = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = steal_ptr(l);
        return 0;
}
