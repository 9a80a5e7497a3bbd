/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Human and JSON renderings of the agent's progress. JSON events are flushed one by one so a
 * program reading the pipe sees each as it happens. */

#include <inttypes.h>
#include <stdarg.h>
#include <unistd.h>

#include "json-util.h"
#include "output.h"

/* Human mode shows this many lines of a tool's result, split between start and end. */
#define HUMAN_RESULT_LINES 8
#define JSON_RESULT_MAX 4096U

void output_init(Output *o, OutputMode mode, FILE *f) {
        *o = (Output) { .mode = mode, .f = f, .at_line_start = true };
}

static void emit(Output *o, json_object *event) {
        fprintf(o->f, "%s\n", json_object_to_json_string_ext(event, JSON_C_TO_STRING_PLAIN|JSON_C_TO_STRING_NOSLASHESCAPE));
        fflush(o->f);
}

static json_object *event_new(const char *name) {
        json_object *e = json_object_new_object();

        if (e && (json_add_string(e, "event", name) < 0 || json_add_uint64(e, "time", now(CLOCK_REALTIME)) < 0))
                e = (json_object_put(e), NULL);
        return e;
}

static void human_write(Output *o, const char *s, size_t n) {
        if (n == 0)
                return;
        fwrite(s, 1, n, o->f);
        o->at_line_start = s[n - 1] == '\n';
}

static void human_line_start(Output *o) {
        if (!o->at_line_start)
                human_write(o, "\n", 1);
}

void output_start(Output *o, const char *transcript_id, const char *transcript_path, const char *model) {
        _cleanup_(json_object_putp) json_object *e = NULL;

        if (o->mode == OUTPUT_HUMAN)
                return;
        e = event_new("start");
        if (!e || json_add_string(e, "transcript", transcript_id) < 0 ||
            json_add_string(e, "transcript_path", transcript_path) < 0 || json_add_string(e, "model", model) < 0)
                return;
        emit(o, e);
}

void output_reasoning(Output *o, const char *text, size_t n) {
        if (o->mode != OUTPUT_HUMAN || !o->show_reasoning)
                return;
        /* Dim on a terminal, so thinking and answer stay apart. */
        if (!o->in_reasoning && isatty(fileno(o->f)))
                fputs("\x1b[2m", o->f);
        o->in_reasoning = true;
        human_write(o, text, n);
        fflush(o->f);
}

static void reasoning_end(Output *o) {
        if (!o->in_reasoning)
                return;
        o->in_reasoning = false;
        if (isatty(fileno(o->f)))
                fputs("\x1b[0m", o->f);
        human_line_start(o);
}

void output_text(Output *o, const char *text, size_t n) {
        if (o->mode != OUTPUT_HUMAN)
                return;
        reasoning_end(o);
        human_write(o, text, n);
        fflush(o->f);
        o->streamed = true;
}

void output_assistant(Output *o, const ChatResponse *r, bool text_calls) {
        _cleanup_(json_object_putp) json_object *e = NULL;

        if (o->mode == OUTPUT_HUMAN) {
                reasoning_end(o);
                if (!o->streamed && r->content)
                        human_write(o, r->content, strlen(r->content));
                human_line_start(o);
                o->streamed = false;
                return;
        }
        e = event_new("assistant");
        if (!e || json_add_string(e, "content", r->content ?: "") < 0 ||
            json_add_uint64(e, "tool_calls", r->n_calls) < 0 || json_add_bool(e, "text_tool_calls", text_calls) < 0 ||
            json_add_string(e, "finish_reason", strna(r->finish_reason)) < 0)
                return;
        emit(o, e);
}

void output_tool_call(Output *o, const ToolCall *c) {
        _cleanup_(json_object_putp) json_object *e = NULL;
        _cleanup_free_ char *summary = NULL;

        if (o->mode == OUTPUT_HUMAN) {
                if (tool_call_summary(c, 100, &summary) >= 0) {
                        human_line_start(o);
                        fprintf(o->f, "▶ %s\n", summary);
                        o->at_line_start = true;
                }
                return;
        }
        e = event_new("tool_call");
        if (!e || json_add_string(e, "id", strna(c->id)) < 0 || json_add_string(e, "name", strna(c->name)) < 0 ||
            json_add_string(e, "arguments", c->arguments ?: "{}") < 0)
                return;
        emit(o, e);
}

/* Prints the first and last lines of a result, indented. */
static void human_result(Output *o, const char *s) {
        size_t lines = 0, shown = 0;
        const char *p;

        for (p = s; *p; p++)
                lines += *p == '\n';
        lines += p > s && p[-1] != '\n';
        for (p = s; *p && shown < lines; shown++) {
                size_t n = strcspn(p, "\n");

                if (lines > HUMAN_RESULT_LINES && shown == HUMAN_RESULT_LINES / 2)
                        fprintf(o->f, "  │ [... %zu more lines ...]\n", lines - HUMAN_RESULT_LINES);
                if (lines <= HUMAN_RESULT_LINES || shown < HUMAN_RESULT_LINES / 2 ||
                    shown >= lines - HUMAN_RESULT_LINES / 2)
                        fprintf(o->f, "  │ %.*s\n", (int) MIN(n, (size_t) 200), p);
                p += n + (p[n] == '\n');
        }
}

void output_tool_result(Output *o, const ToolCall *c, const ToolResult *r, uint64_t usec) {
        _cleanup_(json_object_putp) json_object *e = NULL;
        const char *s = r->output ?: "";

        if (o->mode == OUTPUT_HUMAN) {
                human_result(o, s);
                fflush(o->f);
                return;
        }
        e = event_new("tool_result");
        if (!e || json_add_string(e, "id", strna(c->id)) < 0 || json_add_string(e, "name", strna(c->name)) < 0 ||
            json_add_int64(e, "exit_status", r->exit_status) < 0 || json_add_uint64(e, "duration_usec", usec) < 0 ||
            json_add_uint64(e, "bytes", strlen(s)) < 0 ||
            json_object_object_add(e, "output", json_object_new_string_len(s, (int) MIN(strlen(s), (size_t) JSON_RESULT_MAX))) < 0)
                return;
        emit(o, e);
}

void output_notice(Output *o, const char *kind, const char *format, ...) {
        _cleanup_(json_object_putp) json_object *e = NULL;
        _cleanup_free_ char *s = NULL;
        va_list ap;

        va_start(ap, format);
        if (vasprintf(&s, format, ap) < 0)
                s = NULL;
        va_end(ap);
        if (!s)
                return;
        if (o->mode == OUTPUT_HUMAN) {
                reasoning_end(o);
                fflush(o->f);
                fprintf(stderr, "%sopenmono-agent: %s\n", o->at_line_start ? "" : "\n", s);
                o->at_line_start = true;
                return;
        }
        e = event_new("notice");
        if (!e || json_add_string(e, "kind", kind) < 0 || json_add_string(e, "message", s) < 0)
                return;
        emit(o, e);
}

void output_status(Output *o, const char *status, int exit_code, const char *message, unsigned steps,
                   uint64_t tokens, uint64_t usec) {
        _cleanup_(json_object_putp) json_object *e = NULL;

        if (o->mode == OUTPUT_HUMAN) {
                human_line_start(o);
                fprintf(o->f, "openmono-agent: %s after %u step%s, %" PRIu64 " tokens, %.1fs%s%s (exit status %i)\n",
                        status, steps, steps == 1 ? "" : "s", tokens, (double) usec / 1e6,
                        message ? ": " : "", message ?: "", exit_code);
                fflush(o->f);
                return;
        }
        e = event_new("status");
        if (!e || json_add_string(e, "status", status) < 0 || json_add_int64(e, "exit_status", exit_code) < 0 ||
            (message && json_add_string(e, "message", message) < 0) || json_add_uint64(e, "steps", steps) < 0 ||
            json_add_uint64(e, "tokens", tokens) < 0 || json_add_uint64(e, "duration_usec", usec) < 0)
                return;
        emit(o, e);
}
