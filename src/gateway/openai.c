/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsing and building the few OpenAI objects the gateway has to understand. The request body
 * is the only one that comes from a session: it is parsed strictly, with json-util's depth
 * limit, and only the fields routing depends on are checked; the rest is the upstream's job. */

#include <stdarg.h>

#include "json-util.h"
#include "openai.h"
#include "strv.h"

ChatRequest *chat_request_free(ChatRequest *r) {
        if (!r)
                return NULL;
        json_object_put(r->body);
        return mfree(r);
}

static int fail(char **ret_error, const char *message) {
        *ret_error = strdup(message);
        return *ret_error ? -EBADMSG : -ENOMEM;
}

int chat_request_parse(const char *data, size_t n, ChatRequest **ret, char **ret_error) {
        _cleanup_(chat_request_freep) ChatRequest *r = NULL;
        json_object *opts;
        bool b;
        int k;

        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        if (json_parse(data, n, &r->body) < 0 || !json_object_is_type(r->body, json_type_object))
                return fail(ret_error, "The request body is not a JSON object.");

        k = json_get_string(r->body, "model", &r->model);
        if (k == -EINVAL)
                return fail(ret_error, "'model' must be a string.");
        k = json_get_bool(r->body, "stream", &r->stream);
        if (k == -EINVAL)
                return fail(ret_error, "'stream' must be a boolean.");
        k = json_get_object(r->body, "stream_options", &opts);
        if (k == -EINVAL)
                return fail(ret_error, "'stream_options' must be an object.");
        if (k >= 0) {
                k = json_get_bool(opts, "include_usage", &b);
                if (k == -EINVAL)
                        return fail(ret_error, "'stream_options.include_usage' must be a boolean.");
                r->client_wants_usage = k >= 0 && b;
        }
        *ret = steal_ptr(r);
        return 0;
}

int chat_request_set_user(ChatRequest *r, const char *user) {
        /* Whatever the client put there goes, string or not: providers attribute usage and abuse
         * to this field, and only the gateway knows who is asking. */
        json_object_object_del(r->body, "user");
        return user ? json_add_string(r->body, "user", user) : 0;
}

int chat_request_build(ChatRequest *r, const char *model, char **ret) {
        json_object *opts;
        char *s;
        int k;

        /* Setting "model" frees the string r->model points to, if it was there before. */
        r->model = NULL;
        if (model)
                k = json_add_string(r->body, "model", model);
        else {
                json_object_object_del(r->body, "model");
                k = 0;
        }
        if (k < 0)
                return k;
        if (r->stream) {
                if (json_get_object(r->body, "stream_options", &opts) < 0) {
                        opts = json_object_new_object();
                        if (!opts)
                                return -ENOMEM;
                        k = json_add_take(r->body, "stream_options", opts);
                        if (k < 0)
                                return k;
                }
                k = json_add_bool(opts, "include_usage", true);
                if (k < 0)
                        return k;
        }
        s = strdup(json_to_string(r->body));
        if (!s)
                return -ENOMEM;
        (void) json_get_string(r->body, "model", &r->model);
        *ret = s;
        return 0;
}

char *openai_error_json(const char *type, const char *code, const char *format, ...) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_free_ char *message = NULL;
        json_object *e;
        va_list ap;
        int k;

        va_start(ap, format);
        k = vasprintf(&message, format, ap);
        va_end(ap);
        if (k < 0)
                return NULL;
        o = json_object_new_object();
        e = json_object_new_object();
        if (!o || !e || json_add_take(o, "error", e) < 0)
                return NULL;
        if (json_add_string(e, "message", message) < 0 || json_add_string(e, "type", type) < 0 ||
            json_add_string(e, "param", NULL) < 0 || json_add_string(e, "code", code) < 0)
                return NULL;
        return strdup(json_to_string(o));
}

bool openai_is_error_json(const char *body, size_t n) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        json_object *e;

        if (json_parse(body, n, &o) < 0 || !json_object_is_type(o, json_type_object))
                return false;
        if (!json_object_object_get_ex(o, "error", &e))
                return false;
        return json_object_is_type(e, json_type_object) || json_object_is_type(e, json_type_string);
}

int openai_parse_model_list(const char *body, size_t n, char ***ret) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_strv_free_ char **l = NULL;
        json_object *data;
        size_t k;
        int r;

        if (json_parse(body, n, &o) < 0 || json_get_array(o, "data", &data) < 0)
                return -EBADMSG;
        k = json_object_array_length(data);
        for (size_t i = 0; i < k; i++) {
                const char *id;

                if (json_get_string(json_object_array_get_idx(data, i), "id", &id) < 0)
                        continue;
                if (strv_contains(l, id))
                        continue;
                r = strv_extend(&l, id);
                if (r < 0)
                        return r;
        }
        *ret = steal_ptr(l);
        return (int) MIN(strv_length(*ret), (size_t) INT32_MAX);
}
