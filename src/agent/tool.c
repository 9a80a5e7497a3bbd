/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The tool table and the call dispatcher. Arguments are parsed here once, so every tool gets
 * a JSON object; the journal entry is written here once, so no tool can forget it. */

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>

#include <systemd/sd-journal.h>

#include "json-util.h"
#include "parse-util.h"
#include "tool.h"

static const ToolDefinition *const tools[] = {
        &tool_bash, &tool_read_file, &tool_write_file, &tool_edit_file,
        &tool_list_files, &tool_glob, &tool_grep, &tool_web_fetch,
};

void tool_result_done(ToolResult *r) {
        if (!r)
                return;
        free(r->output);
        *r = (ToolResult) {};
}

static int result_vprintf(ToolResult *r, int status, const char *prefix, const char *format, va_list ap)
        _printf_(4, 0);
static int result_vprintf(ToolResult *r, int status, const char *prefix, const char *format, va_list ap) {
        _cleanup_free_ char *s = NULL;
        char *t;

        if (vasprintf(&s, format, ap) < 0)
                return -ENOMEM;
        if (asprintf(&t, "%s%s", prefix, s) < 0)
                return -ENOMEM;
        free_and_replace(r->output, t);
        r->exit_status = status;
        return 0;
}

int tool_result_printf(ToolResult *r, const char *format, ...) {
        va_list ap;
        int k;

        va_start(ap, format);
        k = result_vprintf(r, 0, "", format, ap);
        va_end(ap);
        return k;
}

int tool_result_errorf(ToolResult *r, const char *format, ...) {
        va_list ap;
        int k;

        va_start(ap, format);
        k = result_vprintf(r, 1, "error: ", format, ap);
        va_end(ap);
        return k;
}

int tool_result_take(ToolResult *r, char *s) {
        free_and_replace(r->output, s);
        r->exit_status = 0;
        return 0;
}

const ToolDefinition *tool_lookup(const char *name) {
        for (size_t i = 0; name && i < ELEMENTSOF(tools); i++)
                if (streq(tools[i]->name, name))
                        return tools[i];
        return NULL;
}

static int tool_to_json(const ToolDefinition *t, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = NULL, *fn = NULL, *params = NULL;
        int r;

        r = json_parse(t->parameters, strlen(t->parameters), &params);
        assert(r >= 0);         /* the schemas are ours */
        if (r < 0)
                return r;
        o = json_object_new_object();
        fn = json_object_new_object();
        if (!o || !fn ||
            json_add_string(o, "type", "function") < 0 ||
            json_add_string(fn, "name", t->name) < 0 ||
            json_add_string(fn, "description", t->description) < 0 ||
            json_add_take(fn, "parameters", steal_ptr(params)) < 0 ||
            json_add_take(o, "function", steal_ptr(fn)) < 0)
                return -ENOMEM;
        *ret = steal_ptr(o);
        return 0;
}

int tools_to_json(char *const *enabled, json_object **ret) {
        _cleanup_(json_object_putp) json_object *a = json_object_new_array();

        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(tools); i++) {
                json_object *o;
                bool on = !enabled;
                int r;

                for (char *const *e = enabled; e && *e; e++)
                        on = on || streq(*e, tools[i]->name);
                if (!on)
                        continue;
                r = tool_to_json(tools[i], &o);
                if (r < 0)
                        return r;
                if (json_object_array_add(a, o) < 0) {
                        json_object_put(o);
                        return -ENOMEM;
                }
        }
        if (json_object_array_length(a) == 0)
                return -ENOENT;
        *ret = steal_ptr(a);
        return 0;
}

int tool_arg_string(json_object *args, const char *key, const char **ret) {
        return json_get_string(args, key, ret);
}

int tool_arg_uint64(json_object *args, const char *key, uint64_t *ret) {
        json_object *v;
        int64_t i;

        if (!json_object_object_get_ex(args, key, &v) || json_object_is_type(v, json_type_null))
                return -ENOENT;
        if (json_object_is_type(v, json_type_string))
                return parse_uint64(json_object_get_string(v), ret) < 0 ? -EINVAL : 0;
        if (json_object_is_type(v, json_type_double) && json_object_get_double(v) >= 0) {
                *ret = (uint64_t) json_object_get_double(v);
                return 0;
        }
        if (!json_object_is_type(v, json_type_int) || (i = json_object_get_int64(v)) < 0)
                return -EINVAL;
        *ret = (uint64_t) i;
        return 0;
}

int tool_arg_bool(json_object *args, const char *key, bool *ret) {
        json_object *v;
        int b;

        if (!json_object_object_get_ex(args, key, &v) || json_object_is_type(v, json_type_null))
                return -ENOENT;
        if (json_object_is_type(v, json_type_boolean)) {
                *ret = json_object_get_boolean(v);
                return 0;
        }
        if (!json_object_is_type(v, json_type_string) || (b = parse_boolean(json_object_get_string(v))) < 0)
                return -EINVAL;
        *ret = b;
        return 0;
}

/* The journal entry of one call. Argument values may hold secrets (a token in a curl command,
 * a password written to a file), so only sizes go in. */
static void log_call(const ToolContext *ctx, const ToolCall *call, const ToolResult *res, uint64_t usec) {
        (void) sd_journal_send("MESSAGE=Tool %s finished with status %i in %" PRIu64 "ms.",
                               strna(call->name), res->exit_status, usec / 1000,
                               "PRIORITY=%i", LOG_INFO,
                               "SYSLOG_IDENTIFIER=openmono-agent",
                               "OPENMONO_TOOL=%s", strna(call->name),
                               "OPENMONO_TOOL_DURATION_USEC=%" PRIu64, usec,
                               "OPENMONO_TOOL_EXIT_STATUS=%i", res->exit_status,
                               "OPENMONO_TOOL_BYTES=%zu", res->output ? strlen(res->output) : (size_t) 0,
                               "OPENMONO_TOOL_ARGUMENTS_BYTES=%zu", call->arguments ? strlen(call->arguments) : (size_t) 0,
                               "OPENMONO_SESSION=%s", strna(ctx->session),
                               NULL);
}

static int parse_arguments(const ToolCall *call, json_object **ret) {
        const char *a = isempty(call->arguments) ? "{}" : call->arguments;
        json_object *o;

        if (json_parse(a, strlen(a), &o) < 0)
                return -EBADMSG;
        if (!json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                return -EBADMSG;
        }
        *ret = o;
        return 0;
}

int tool_run_call(ToolContext *ctx, const ToolCall *call, ToolResult *ret) {
        _cleanup_(json_object_putp) json_object *args = NULL;
        const ToolDefinition *t;
        uint64_t start = now(CLOCK_MONOTONIC);
        int r;

        assert(ctx);
        assert(call);
        assert(ret);

        *ret = (ToolResult) {};
        t = tool_lookup(call->name);
        if (!t)
                r = tool_result_errorf(ret, "there is no tool named '%s'", strna(call->name));
        else if (parse_arguments(call, &args) < 0)
                r = tool_result_errorf(ret, "the arguments of %s are not a JSON object", t->name);
        else
                r = t->run(ctx, args, ret);
        if (r >= 0 && !ret->output)
                r = tool_result_printf(ret, "(no output)");
        if (r < 0) {
                tool_result_done(ret);
                return r;
        }
        log_call(ctx, call, ret, now(CLOCK_MONOTONIC) - start);
        return ret->cancelled ? -ECANCELED : 0;
}

int tool_call_summary(const ToolCall *call, size_t max, char **ret) {
        _cleanup_(json_object_putp) json_object *args = NULL;
        const ToolDefinition *t = tool_lookup(call->name);
        const char *v = NULL;
        size_t n;

        if (t && t->summary_arg && parse_arguments(call, &args) >= 0)
                (void) json_get_string(args, t->summary_arg, &v);
        if (!v)
                return asprintf(ret, "%s", strna(call->name)) < 0 ? -ENOMEM : 0;
        n = strcspn(v, "\n");
        return asprintf(ret, "%s: %.*s%s", call->name, (int) MIN(n, max), v, n > max || v[n] ? " …" : "") < 0 ?
                -ENOMEM : 0;
}
