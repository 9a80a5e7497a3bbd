/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Assembly of streamed chat-completion deltas into one ChatResponse. Tool calls are keyed by
 * their "index"; servers that leave the index out (some older ones do) get one by their "id".
 * Names normally arrive whole in one delta, but a few servers split them, so a name that
 * differs from what we hold is appended. */

#include <assert.h>

#include "chat-response.h"
#include "json-util.h"

void tool_call_done(ToolCall *c) {
        if (!c)
                return;
        free(c->id);
        free(c->name);
        free(c->arguments);
        *c = (ToolCall) {};
}

void tool_calls_free(ToolCall *calls, size_t n) {
        for (size_t i = 0; i < n; i++)
                tool_call_done(calls + i);
        free(calls);
}

void chat_response_done(ChatResponse *r) {
        if (!r)
                return;
        free(r->content);
        tool_calls_free(r->calls, r->n_calls);
        free(r->finish_reason);
        *r = (ChatResponse) {};
}

/* Appends n bytes to a NUL-terminated string that may be NULL; *len tracks its length. */
static int string_append(char **s, size_t *len, const char *add, size_t n) {
        size_t l = *s ? (len ? *len : strlen(*s)) : 0;
        char *t;

        if (l + n >= CHAT_TEXT_MAX)
                return -E2BIG;
        t = realloc(*s, l + n + 1);
        if (!t)
                return -ENOMEM;
        memcpy(t + l, add, n);
        t[l + n] = 0;
        *s = t;
        if (len)
                *len = l + n;
        return 0;
}

static int string_set(char **s, const char *v) {
        char *t = strdup(v);

        if (!t)
                return -ENOMEM;
        free_and_replace(*s, t);
        return 0;
}

static int read_usage(ChatResponse *r, json_object *o) {
        json_object *u;
        uint64_t p = 0, c = 0;

        if (json_get_object(o, "usage", &u) < 0)
                return 0;
        (void) json_get_uint64(u, "prompt_tokens", &p);
        (void) json_get_uint64(u, "completion_tokens", &c);
        r->usage = (ChatUsage) { .prompt_tokens = p, .completion_tokens = c, .reported = true };
        return 0;
}

/* Finds the call a delta belongs to, growing the array for a new index. */
static int call_for_delta(ChatResponse *r, json_object *d, ToolCall **ret) {
        const char *id = NULL;
        int64_t index = -1;
        ToolCall *calls;

        (void) json_get_string(d, "id", &id);
        if (json_get_int64(d, "index", &index) < 0) {
                /* No index: a new id starts a new call, anything else continues the last one. */
                index = r->n_calls == 0 ? 0 : (int64_t) r->n_calls - 1;
                if (id && r->n_calls > 0 && r->calls[index].id && !streq(r->calls[index].id, id))
                        index++;
        }
        if (index < 0 || index >= (int64_t) CHAT_TOOL_CALLS_MAX)
                return -E2BIG;
        if ((size_t) index >= r->n_calls) {
                calls = reallocarray(r->calls, (size_t) index + 1, sizeof(ToolCall));
                if (!calls)
                        return -ENOMEM;
                memset(calls + r->n_calls, 0, ((size_t) index + 1 - r->n_calls) * sizeof(ToolCall));
                r->calls = calls;
                r->n_calls = (size_t) index + 1;
        }
        *ret = r->calls + index;
        return 0;
}

static int apply_tool_call_delta(ChatResponse *r, json_object *d) {
        const char *id = NULL, *name = NULL, *args = NULL;
        json_object *fn = NULL, *a;
        ToolCall *c;
        int r2;

        if (!json_object_is_type(d, json_type_object))
                return -EBADMSG;
        r2 = call_for_delta(r, d, &c);
        if (r2 < 0)
                return r2;

        (void) json_get_string(d, "id", &id);
        (void) json_get_object(d, "function", &fn);
        (void) json_get_string(fn, "name", &name);
        (void) json_get_string(fn, "arguments", &args);
        /* Some servers send arguments as an object rather than a string. */
        if (!args && json_object_object_get_ex(fn, "arguments", &a) && json_object_is_type(a, json_type_object))
                args = json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN);

        if (id && !isempty(id) && !streq_ptr(c->id, id) && (r2 = string_set(&c->id, id)) < 0)
                return r2;
        if (name && *name && !streq_ptr(c->name, name) &&
            (r2 = string_append(&c->name, NULL, name, strlen(name))) < 0)
                return r2;
        if (args && (r2 = string_append(&c->arguments, NULL, args, strlen(args))) < 0)
                return r2;
        return 0;
}

static int apply_delta(ChatResponse *r, json_object *delta, ChatTextFunc on_text, void *userdata) {
        json_object *calls;
        const char *text;
        int k;

        if (json_get_string(delta, "content", &text) == 0 && *text) {
                size_t n = strlen(text);

                k = string_append(&r->content, &r->n_content, text, n);
                if (k < 0)
                        return k;
                if (on_text)
                        on_text(text, n, userdata);
        }
        if (json_get_array(delta, "tool_calls", &calls) == 0)
                for (size_t i = 0; i < json_object_array_length(calls); i++) {
                        k = apply_tool_call_delta(r, json_object_array_get_idx(calls, i));
                        if (k < 0)
                                return k;
                }
        return 0;
}

int chat_response_apply_chunk(ChatResponse *r, json_object *chunk, ChatTextFunc on_text, void *userdata) {
        json_object *choices, *choice, *delta;
        const char *finish;
        int k;

        assert(r);
        if (!json_object_is_type(chunk, json_type_object))
                return -EBADMSG;
        r->n_chunks++;
        (void) read_usage(r, chunk);

        /* The usage-only chunk at the end of a stream has an empty choices array. */
        if (json_get_array(chunk, "choices", &choices) < 0 || json_object_array_length(choices) == 0)
                return json_object_object_get_ex(chunk, "error", NULL) ? -EBADMSG : 0;
        choice = json_object_array_get_idx(choices, 0);
        if (json_get_object(choice, "delta", &delta) == 0) {
                k = apply_delta(r, delta, on_text, userdata);
                if (k < 0)
                        return k;
        }
        if (json_get_string(choice, "finish_reason", &finish) == 0 && (k = string_set(&r->finish_reason, finish)) < 0)
                return k;
        return 0;
}

int chat_response_feed_event(ChatResponse *r, const char *data, size_t n, ChatTextFunc on_text,
                             void *userdata) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        int k;

        if (n == 6 && memcmp(data, "[DONE]", 6) == 0) {
                r->done = true;
                return 0;
        }
        k = json_parse(data, n, &o);
        if (k < 0)
                return k;
        return chat_response_apply_chunk(r, o, on_text, userdata);
}

static int read_message_calls(ChatResponse *r, json_object *calls) {
        for (size_t i = 0; i < json_object_array_length(calls); i++) {
                json_object *d = json_object_array_get_idx(calls, i);
                int k;

                /* A whole message carries no indices; number the calls in order. */
                if (json_object_is_type(d, json_type_object) && !json_object_object_get_ex(d, "index", NULL))
                        json_object_object_add(d, "index", json_object_new_int64((int64_t) i));
                k = apply_tool_call_delta(r, d);
                if (k < 0)
                        return k;
        }
        return 0;
}

int chat_response_parse_body(ChatResponse *r, const char *body, size_t n) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        json_object *choices, *choice, *msg, *calls;
        const char *text, *finish;
        int k;

        k = json_parse(body, n, &o);
        if (k < 0)
                return k;
        (void) read_usage(r, o);
        if (json_get_array(o, "choices", &choices) < 0 || json_object_array_length(choices) == 0)
                return -EBADMSG;
        choice = json_object_array_get_idx(choices, 0);
        if (json_get_object(choice, "message", &msg) < 0)
                return -EBADMSG;
        if (json_get_string(msg, "content", &text) == 0 &&
            (k = string_append(&r->content, &r->n_content, text, strlen(text))) < 0)
                return k;
        if (json_get_array(msg, "tool_calls", &calls) == 0 && (k = read_message_calls(r, calls)) < 0)
                return k;
        if ((k = string_set(&r->finish_reason, json_get_string(choice, "finish_reason", &finish) == 0 ?
                                                       finish : "stop")) < 0)
                return k;
        r->done = true;
        return 0;
}

bool chat_response_is_complete(const ChatResponse *r) {
        return r->done || r->finish_reason;
}

static int call_to_json(const ToolCall *c, size_t i, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = NULL, *fn = NULL;
        _cleanup_free_ char *id = NULL;

        if (!c->id && asprintf(&id, "call_%zu", i) < 0)
                return -ENOMEM;
        o = json_object_new_object();
        fn = json_object_new_object();
        if (!o || !fn)
                return -ENOMEM;
        if (json_add_string(o, "id", c->id ?: id) < 0 ||
            json_add_string(o, "type", "function") < 0 ||
            json_add_string(fn, "name", c->name ?: "") < 0 ||
            json_add_string(fn, "arguments", isempty(c->arguments) ? "{}" : c->arguments) < 0 ||
            json_add_take(o, "function", steal_ptr(fn)) < 0)
                return -ENOMEM;
        *ret = steal_ptr(o);
        return 0;
}

int chat_response_to_message(const ChatResponse *r, bool with_calls, json_object **ret) {
        _cleanup_(json_object_putp) json_object *m = NULL, *calls = NULL;

        m = json_object_new_object();
        if (!m || json_add_string(m, "role", "assistant") < 0)
                return -ENOMEM;
        /* Some servers refuse a null content without tool calls. */
        if (json_object_object_add(m, "content", r->content ? json_object_new_string(r->content) :
                                                 with_calls && r->n_calls > 0 ? NULL : json_object_new_string("")) < 0)
                return -ENOMEM;
        if (with_calls && r->n_calls > 0) {
                calls = json_object_new_array();
                if (!calls)
                        return -ENOMEM;
                for (size_t i = 0; i < r->n_calls; i++) {
                        json_object *c;
                        int k = call_to_json(r->calls + i, i, &c);

                        if (k < 0)
                                return k;
                        if (json_object_array_add(calls, c) < 0) {
                                json_object_put(c);
                                return -ENOMEM;
                        }
                }
                if (json_add_take(m, "tool_calls", steal_ptr(calls)) < 0)
                        return -ENOMEM;
        }
        *ret = steal_ptr(m);
        return 0;
}
