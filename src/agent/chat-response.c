/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Assembly of streamed chat-completion deltas into one ChatResponse. A tool call delta goes to
 * the call with its "id" when it names one we know: SGLang and several proxies give parallel
 * calls one "index" and tell them apart only by id. Otherwise it goes to the last call with
 * its "index", or without one (some older servers) to the last call. Names normally arrive
 * whole in one delta, but a few servers split them, so a name that differs from what we hold
 * is appended. Errors that servers put inside a 200 stream are recognised in their three
 * known shapes and kept with the server's words. */

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>

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
        free(r->error);
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

/* The id of a delta as a string: some servers send numbers. An empty id is none. */
static const char *delta_id(json_object *d, char buf[static 32]) {
        json_object *v;
        const char *s;

        if (json_get_string(d, "id", &s) == 0)
                return isempty(s) ? NULL : s;
        if (json_object_object_get_ex(d, "id", &v) && json_object_is_type(v, json_type_int)) {
                snprintf(buf, 32, "%" PRIi64, json_object_get_int64(v));
                return buf;
        }
        return NULL;
}

static ToolCall *find_call(ChatResponse *r, const char *id, int64_t index) {
        for (size_t i = r->n_calls; i > 0; i--) {
                ToolCall *c = r->calls + i - 1;

                if (id ? streq_ptr(c->id, id) : c->index == index)
                        return c;
        }
        return NULL;
}

static int add_call(ChatResponse *r, int64_t index, ToolCall **ret) {
        ToolCall *calls;

        if (r->n_calls >= CHAT_TOOL_CALLS_MAX)
                return -E2BIG;
        calls = reallocarray(r->calls, r->n_calls + 1, sizeof(ToolCall));
        if (!calls)
                return -ENOMEM;
        r->calls = calls;
        *ret = calls + r->n_calls++;
        **ret = (ToolCall) { .index = index };
        return 0;
}

/* Finds the call a delta belongs to, adding one for a delta that starts a call. */
static int call_for_delta(ChatResponse *r, json_object *d, ToolCall **ret) {
        json_object *fn = NULL;
        const char *id, *name = NULL;
        char buf[32];
        int64_t index = -1;
        bool has_index;
        ToolCall *c;

        id = delta_id(d, buf);
        has_index = json_get_int64(d, "index", &index) == 0;
        if (has_index && (index < 0 || index >= (int64_t) CHAT_TOOL_CALLS_MAX))
                return -E2BIG;
        (void) json_get_object(d, "function", &fn);
        (void) json_get_string(fn, "name", &name);

        c = id ? find_call(r, id, -1) : NULL;
        /* A new id on a known index continues that call only if it carries no name: it is the
         * id arriving late, or a server that numbers every delta afresh. */
        if (!c && has_index && (c = find_call(r, NULL, index)) && id && c->id && !isempty(name))
                c = NULL;
        if (!c && !has_index && !id && r->n_calls > 0)
                c = r->calls + r->n_calls - 1;
        if (!c && !has_index && id && r->n_calls > 0 && !r->calls[r->n_calls - 1].id)
                c = r->calls + r->n_calls - 1;
        if (c) {
                *ret = c;
                return 0;
        }
        return add_call(r, has_index ? index : -1, ret);
}

/* Adds what one delta (or one whole call) carries to c. */
static int apply_to_call(ToolCall *c, json_object *d) {
        const char *id, *name = NULL, *args = NULL;
        json_object *fn = NULL, *a;
        char buf[32];
        int r2;

        id = delta_id(d, buf);
        (void) json_get_object(d, "function", &fn);
        (void) json_get_string(fn, "name", &name);
        (void) json_get_string(fn, "arguments", &args);
        /* Some servers send arguments as an object rather than a string. */
        if (!args && json_object_object_get_ex(fn, "arguments", &a) && json_object_is_type(a, json_type_object))
                args = json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN);

        /* The first id a call gets stays: it is what the server knows the call by. */
        if (id && !c->id && (r2 = string_set(&c->id, id)) < 0)
                return r2;
        if (name && *name && !streq_ptr(c->name, name) &&
            (r2 = string_append(&c->name, NULL, name, strlen(name))) < 0)
                return r2;
        if (args && (r2 = string_append(&c->arguments, NULL, args, strlen(args))) < 0)
                return r2;
        return 0;
}

static int apply_tool_call_delta(ChatResponse *r, json_object *d) {
        ToolCall *c;
        int k;

        if (!json_object_is_type(d, json_type_object))
                return -EBADMSG;
        k = call_for_delta(r, d, &c);
        return k < 0 ? k : apply_to_call(c, d);
}

/* Reasoning models stream their thinking apart from the answer: vLLM and llama.cpp as
 * "reasoning_content", Ollama and newer vLLM as "reasoning". It is shown, never kept. */
static void apply_reasoning(ChatResponse *r, json_object *delta, ChatTextFunc on_text, void *userdata) {
        const char *text;

        if (json_get_string(delta, "reasoning_content", &text) < 0 &&
            json_get_string(delta, "reasoning", &text) < 0)
                return;
        r->n_reasoning += strlen(text);
        if (on_text && *text)
                on_text(text, strlen(text), true, userdata);
}

static int apply_delta(ChatResponse *r, json_object *delta, ChatTextFunc on_text, void *userdata) {
        json_object *calls;
        const char *text;
        int k;

        if (!json_object_is_type(delta, json_type_object))
                return -EBADMSG;
        apply_reasoning(r, delta, on_text, userdata);
        /* The role-only first chunk has "content": null or "", both nothing. */
        if (json_get_string(delta, "content", &text) == 0 && *text) {
                size_t n = strlen(text);

                k = string_append(&r->content, &r->n_content, text, n);
                if (k < 0)
                        return k;
                if (on_text)
                        on_text(text, n, false, userdata);
        }
        if (json_get_array(delta, "tool_calls", &calls) == 0)
                for (size_t i = 0; i < json_object_array_length(calls); i++) {
                        k = apply_tool_call_delta(r, json_object_array_get_idx(calls, i));
                        if (k < 0)
                                return k;
                }
        return 0;
}

const char *chat_error_message(json_object *o) {
        json_object *e;
        const char *s;

        if (!json_object_is_type(o, json_type_object))
                return NULL;
        /* OpenAI, newer vLLM, llama.cpp, Ollama, SGLang: {"error":{"message":...}}. */
        if (json_get_object(o, "error", &e) == 0)
                return json_get_string(e, "message", &s) == 0 ? s : json_to_string(e);
        /* TGI: {"error":"...","error_type":"..."}. */
        if (json_get_string(o, "error", &s) == 0)
                return s;
        /* vLLM up to 0.10: the ErrorResponse itself, {"object":"error","message":...}. */
        if (json_get_string(o, "object", &s) == 0 && streq(s, "error"))
                return json_get_string(o, "message", &s) == 0 ? s : "unknown error";
        return NULL;
}

static int set_error(ChatResponse *r, const char *message) {
        int k = string_set(&r->error, message);

        return k < 0 ? k : -EBADE;
}

int chat_response_apply_chunk(ChatResponse *r, json_object *chunk, ChatTextFunc on_text, void *userdata) {
        json_object *choices, *choice, *delta;
        const char *finish, *error;
        int k;

        assert(r);
        if (!json_object_is_type(chunk, json_type_object))
                return -EBADMSG;
        r->n_chunks++;
        error = chat_error_message(chunk);
        if (error)
                return set_error(r, error);
        (void) read_usage(r, chunk);

        /* The usage-only chunk at the end of a stream has an empty choices array. */
        if (json_get_array(chunk, "choices", &choices) < 0 || json_object_array_length(choices) == 0)
                return 0;
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

int chat_response_feed_error(ChatResponse *r, const char *data, size_t n) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_free_ char *text = NULL;
        const char *m = NULL;

        assert(r);
        /* llama.cpp writes the error object itself: {"code":400,"message":...,"type":...}. */
        if (json_parse(data, n, &o) == 0 && !(m = chat_error_message(o)) && json_get_string(o, "message", &m) < 0)
                m = json_object_is_type(o, json_type_string) ? json_object_get_string(o) : json_to_string(o);
        if (!m) {
                text = strndup(data, MIN(n, (size_t) 1024));
                if (!text)
                        return -ENOMEM;
                m = isempty(text) ? "unknown error" : text;
        }
        return set_error(r, m);
}

static int read_message_calls(ChatResponse *r, json_object *calls) {
        for (size_t i = 0; i < json_object_array_length(calls); i++) {
                json_object *d = json_object_array_get_idx(calls, i);
                ToolCall *c;
                int k;

                /* In a whole message each element is a call of its own, whatever its index or
                 * id say (TGI numbers every call "0"). */
                if (!json_object_is_type(d, json_type_object))
                        return -EBADMSG;
                k = add_call(r, (int64_t) i, &c);
                if (k >= 0)
                        k = apply_to_call(c, d);
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
        if (chat_error_message(o))
                return set_error(r, chat_error_message(o));
        (void) read_usage(r, o);
        if (json_get_array(o, "choices", &choices) < 0 || json_object_array_length(choices) == 0)
                return -EBADMSG;
        choice = json_object_array_get_idx(choices, 0);
        if (json_get_object(choice, "message", &msg) < 0)
                return -EBADMSG;
        apply_reasoning(r, msg, NULL, NULL);
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

bool chat_response_is_empty(const ChatResponse *r) {
        return r->n_calls == 0 && (!r->content || r->content[strspn(r->content, " \t\r\n")] == 0);
}

bool tool_call_arguments_valid(const ToolCall *c) {
        _cleanup_(json_object_putp) json_object *o = NULL;

        if (isempty(c->arguments))
                return true;
        return json_parse(c->arguments, strlen(c->arguments), &o) == 0 && json_object_is_type(o, json_type_object);
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
            json_add_string(fn, "arguments", tool_call_arguments_valid(c) && !isempty(c->arguments) ?
                                             c->arguments : "{}") < 0 ||
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
