/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The text tool-call scanner. Anything it cannot make sense of stays text: a model that talks
 * about "<tool_call>" in prose must not have that turned into a call. */

#include <assert.h>
#include <ctype.h>

#include "json-util.h"
#include "toolcall-text.h"

#define TAG_TOOL_CALL "<tool_call>"
#define TAG_TOOL_CALL_END "</tool_call>"
#define TAG_FUNCTION "<function="
#define TAG_FUNCTION_END "</function>"
#define TAG_PARAMETER "<parameter="
#define TAG_PARAMETER_END "</parameter>"
#define TOOL_NAME_MAX 64

typedef struct Span {
        const char *p;
        const char *e;
} Span;

/* strstr() limited to [p, e). */
static const char *find(const char *p, const char *e, const char *needle) {
        size_t n = strlen(needle);

        for (; p && p + n <= e; p++)
                if (memcmp(p, needle, n) == 0)
                        return p;
        return NULL;
}

static Span trim(Span s) {
        while (s.p < s.e && isspace((unsigned char) *s.p))
                s.p++;
        while (s.e > s.p && isspace((unsigned char) s.e[-1]))
                s.e--;
        return s;
}

static bool name_is_valid(Span s) {
        if (s.e <= s.p || s.e - s.p > TOOL_NAME_MAX)
                return false;
        for (const char *c = s.p; c < s.e; c++)
                if (!isalnum((unsigned char) *c) && *c != '_' && *c != '-')
                        return false;
        return true;
}

static int call_set(ToolCall *c, Span name, const char *arguments) {
        c->name = strndup(name.p, (size_t) (name.e - name.p));
        c->arguments = strdup(arguments);
        if (!c->name || !c->arguments) {
                tool_call_done(c);
                return -ENOMEM;
        }
        return 1;
}

/* {"name": ..., "arguments": {...} or "..."}; "parameters" is accepted for "arguments".
 * Returns 1 and fills c, 0 if the body is not such a call, or -ENOMEM. */
static int parse_json_call(Span body, ToolCall *c) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        json_object *args = NULL;
        const char *name, *s;

        if (json_parse(body.p, (size_t) (body.e - body.p), &o) < 0 || json_get_string(o, "name", &name) < 0)
                return 0;
        if (!name_is_valid((Span) { name, name + strlen(name) }))
                return 0;
        if (!json_object_object_get_ex(o, "arguments", &args))
                (void) json_object_object_get_ex(o, "parameters", &args);

        if (!args || json_object_is_type(args, json_type_null))
                s = "{}";
        else if (json_object_is_type(args, json_type_string))
                s = json_object_get_string(args);
        else if (json_object_is_type(args, json_type_object))
                s = json_object_to_json_string_ext(args, JSON_C_TO_STRING_PLAIN);
        else
                return 0;
        return call_set(c, (Span) { name, name + strlen(name) }, s);
}

/* Reads "<parameter=P>value</parameter>" pairs into args. A value loses one leading and one
 * trailing newline, which the format puts around it. */
static int parse_parameters(Span body, json_object *args) {
        const char *p = body.p;

        while ((p = find(p, body.e, TAG_PARAMETER))) {
                const char *name = p + strlen(TAG_PARAMETER), *gt, *v, *end, *next;
                Span value;

                gt = find(name, body.e, ">");
                if (!gt || !name_is_valid((Span) { name, gt }))
                        return 0;
                v = gt + 1;
                end = find(v, body.e, TAG_PARAMETER_END);
                next = find(v, body.e, TAG_PARAMETER);
                if (!end || (next && next < end))
                        end = next ?: body.e;
                value = (Span) { v, end };
                if (value.p < value.e && *value.p == '\n')
                        value.p++;
                if (value.e > value.p && value.e[-1] == '\n')
                        value.e--;

                _cleanup_free_ char *key = strndup(name, (size_t) (gt - name));
                if (!key)
                        return -ENOMEM;
                if (json_object_object_add(args, key, json_object_new_string_len(value.p, (int) (value.e - value.p))) < 0)
                        return -ENOMEM;
                p = end;
        }
        return 1;
}

/* <function=NAME>...parameters...</function>; body starts at "<function=". */
static int parse_function_call(Span body, ToolCall *c) {
        _cleanup_(json_object_putp) json_object *args = NULL;
        const char *name = body.p + strlen(TAG_FUNCTION), *gt;
        int r;

        gt = find(name, body.e, ">");
        if (!gt || !name_is_valid((Span) { name, gt }))
                return 0;
        args = json_object_new_object();
        if (!args)
                return -ENOMEM;
        r = parse_parameters((Span) { gt + 1, body.e }, args);
        if (r <= 0)
                return r;
        return call_set(c, (Span) { name, gt }, json_object_to_json_string_ext(args, JSON_C_TO_STRING_PLAIN));
}

/* Tries to read one call starting at start (a tag). Sets *ret_end past what it used.
 * Returns 1 with c filled, 0 if this is not a call, or -ENOMEM. */
static int parse_one(const char *start, const char *e, ToolCall *c, const char **ret_end) {
        const char *close;
        Span body;

        if (startswith(start, TAG_TOOL_CALL)) {
                body.p = start + strlen(TAG_TOOL_CALL);
                close = find(body.p, e, TAG_TOOL_CALL_END);
                body.e = close ?: e;
                *ret_end = close ? close + strlen(TAG_TOOL_CALL_END) : e;
                body = trim(body);
                if (body.p < body.e && *body.p == '{')
                        return parse_json_call(body, c);
                if (startswith(body.p, TAG_FUNCTION))
                        return parse_function_call(body, c);
                return 0;
        }

        close = find(start, e, TAG_FUNCTION_END);
        body = (Span) { start, close ?: e };
        *ret_end = close ? close + strlen(TAG_FUNCTION_END) : e;
        return parse_function_call(body, c);
}

/* The next "<tool_call>" or "<function=" at or after p. */
static const char *next_tag(const char *p, const char *e) {
        const char *a = find(p, e, TAG_TOOL_CALL), *b = find(p, e, TAG_FUNCTION);

        return a && b ? MIN(a, b) : a ?: b;
}

static int append_rest(char **rest, size_t *n, const char *p, const char *e) {
        char *t;

        if (!rest)
                return 0;
        t = realloc(*rest, *n + (size_t) (e - p) + 1);
        if (!t)
                return -ENOMEM;
        memcpy(t + *n, p, (size_t) (e - p));
        *n += (size_t) (e - p);
        t[*n] = 0;
        *rest = t;
        return 0;
}

int toolcall_text_parse(const char *text, ToolCall **ret_calls, size_t *ret_n, char **ret_rest) {
        _cleanup_free_ char *rest = NULL;
        const char *p = text, *e = text + strlen(text), *tag;
        ToolCall *calls = NULL;
        size_t n = 0, n_rest = 0;
        int r = 0;

        assert(text);
        assert(ret_calls);
        assert(ret_n);

        while (r >= 0 && (tag = next_tag(p, e))) {
                ToolCall c = {}, *t;
                const char *end;

                r = append_rest(ret_rest ? &rest : NULL, &n_rest, p, tag);
                if (r >= 0)
                        r = n < CHAT_TOOL_CALLS_MAX ? parse_one(tag, e, &c, &end) : 0;
                if (r == 0) {   /* not a call: keep the tag as text and look further */
                        end = tag + 1;
                        r = append_rest(ret_rest ? &rest : NULL, &n_rest, tag, end);
                } else if (r > 0) {
                        t = reallocarray(calls, n + 1, sizeof(ToolCall));
                        if (!t) {
                                tool_call_done(&c);
                                r = -ENOMEM;
                                break;
                        }
                        calls = t;
                        if (asprintf(&c.id, "call_text_%zu", n) < 0) {
                                c.id = NULL;
                                tool_call_done(&c);
                                r = -ENOMEM;
                                break;
                        }
                        calls[n++] = c;
                }
                p = end;
        }
        if (r >= 0)
                r = append_rest(ret_rest ? &rest : NULL, &n_rest, p, e);
        if (r >= 0 && ret_rest && !rest)
                r = (rest = strdup("")) ? 0 : -ENOMEM;
        if (r < 0) {
                tool_calls_free(calls, n);
                return r;
        }
        *ret_calls = n > 0 ? calls : NULL;
        *ret_n = n;
        if (n == 0)
                free(calls);
        if (ret_rest)
                *ret_rest = steal_ptr(rest);
        return (int) n;
}
