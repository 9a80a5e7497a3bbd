/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The SSE side channel: splits the stream into events (a blank line ends one), parses the data
 * of each as JSON and keeps the last usage seen, the output characters and any error event. Lines end in LF or CRLF, which is what every
 * OpenAI-compatible server sends; a lone CR is not treated as a line end. In pass-through mode
 * bytes go out as they arrive and the scanner only watches. When usage-only events are to be
 * dropped, each event is held back until its end, which costs nothing in practice: servers
 * write every event in one piece. */

#include <stdio.h>

#include <json-c/json.h>

#include "json-util.h"
#include "sse-usage.h"

void sse_scanner_init(SseScanner *s, bool strip_usage_only) {
        *s = (SseScanner) { .strip_usage_only = strip_usage_only };
}

void sse_scanner_done(SseScanner *s) {
        buffer_done(&s->event);
}

/* The message of an error object in one of the three shapes, or NULL. */
static const char *error_message(json_object *o) {
        json_object *e;
        const char *m;

        if (json_get_object(o, "error", &e) == 0)
                return json_get_string(e, "message", &m) == 0 ? m : "unknown error";
        if (json_get_string(o, "error", &m) == 0)
                return m;
        if (json_get_string(o, "object", &m) == 0 && streq(m, "error"))
                return json_get_string(o, "message", &m) == 0 ? m : "unknown error";
        return NULL;
}

static void set_error(Usage *u, const char *message) {
        u->upstream_error = true;
        snprintf(u->error, sizeof(u->error), "%s", message);
}

static size_t string_length(json_object *o, const char *key) {
        const char *s;

        return json_get_string(o, key, &s) == 0 ? strlen(s) : 0;
}

/* Output characters of a delta or a message: its text, its reasoning, its calls' arguments. */
static uint64_t output_chars(json_object *m) {
        json_object *calls, *fn;
        uint64_t n;

        n = string_length(m, "content") + string_length(m, "reasoning_content") + string_length(m, "reasoning");
        if (json_get_array(m, "tool_calls", &calls) == 0)
                for (size_t i = 0; i < json_object_array_length(calls); i++)
                        if (json_get_object(json_object_array_get_idx(calls, i), "function", &fn) == 0)
                                n += string_length(fn, "arguments") + string_length(fn, "name");
        return n;
}

static void count_output(json_object *o, Usage *u) {
        json_object *choices, *choice, *m;

        if (json_get_array(o, "choices", &choices) < 0)
                return;
        for (size_t i = 0; i < json_object_array_length(choices); i++) {
                choice = json_object_array_get_idx(choices, i);
                if (json_get_object(choice, "delta", &m) == 0 || json_get_object(choice, "message", &m) == 0)
                        u->output_chars += output_chars(m);
        }
}

int usage_from_json(void *json, Usage *u) {
        json_object *o = json, *usage;
        int64_t prompt, completion;
        const char *e;

        e = error_message(o);
        if (e)
                set_error(u, e);
        count_output(o, u);
        if (json_get_object(o, "usage", &usage) < 0)
                return 0;
        if (json_get_int64(usage, "prompt_tokens", &prompt) < 0 ||
            json_get_int64(usage, "completion_tokens", &completion) < 0 || prompt < 0 || completion < 0)
                return -EBADMSG;
        u->valid = true;
        u->prompt_tokens = (uint64_t) prompt;
        u->completion_tokens = (uint64_t) completion;
        return 1;
}

int usage_from_body(const char *body, size_t n, Usage *u) {
        _cleanup_(json_object_putp) json_object *o = NULL;

        if (json_parse(body, n, &o) < 0 || !json_object_is_type(o, json_type_object))
                return -EBADMSG;
        return usage_from_json(o, u);
}

/* Joins the data lines of one event the way an EventSource does: "data:" with one optional
 * space removed, the values joined by LF. An "event: error" line, or the "error:" field older
 * llama.cpp servers write instead of data, makes it an error event. Returns 1, or 0 if the
 * event has no data. */
static int event_data(const char *ev, size_t n, Buffer *ret, bool *ret_error) {
        const char *end = ev + n;
        bool first = true;
        int r;

        *ret_error = false;
        for (const char *l = ev; l < end;) {
                const char *nl = memchr(l, '\n', (size_t) (end - l)) ?: end;
                size_t len = (size_t) (nl - l);

                if (len > 0 && l[len - 1] == '\r')
                        len--;
                if ((len == 11 && strncmp(l, "event:error", 11) == 0) || (len == 12 && strncmp(l, "event: error", 12) == 0))
                        *ret_error = true;
                if ((len >= 5 && strncmp(l, "data:", 5) == 0) || (len >= 6 && strncmp(l, "error:", 6) == 0)) {
                        size_t skip = l[0] == 'e' ? (len > 6 && l[6] == ' ' ? 7 : 6) : (len > 5 && l[5] == ' ' ? 6 : 5);

                        *ret_error = *ret_error || l[0] == 'e';
                        if (!first && (r = buffer_append(ret, "\n", 1)) < 0)
                                return r;
                        if ((r = buffer_append(ret, l + skip, len - skip)) < 0)
                                return r;
                        first = false;
                }
                l = nl + 1;
        }
        return first ? 0 : 1;
}

/* Looks at one complete event. Returns 1 if it is to be dropped, 0 to pass it, <0 on error. */
static int scan_event(SseScanner *s, const char *ev, size_t n) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_(buffer_done) Buffer data = {};
        _cleanup_free_ char *text = NULL;
        json_object *choices;
        const char *m;
        bool is_error;
        int r;

        s->n_events++;
        r = event_data(ev, n, &data, &is_error);
        if (r <= 0)
                return r;
        if (buffer_length(&data) == 6 && memcmp(buffer_peek(&data), "[DONE]", 6) == 0) {
                s->saw_done = true;
                return 0;
        }
        /* Whatever is not a JSON object is the client's business, not ours, unless it is an
         * error event: then it is the upstream's message. llama.cpp's error field holds the
         * error object itself, {"code":...,"message":...}. */
        if (json_parse(buffer_peek(&data), buffer_length(&data), &o) < 0 ||
            !json_object_is_type(o, json_type_object)) {
                if (is_error && (text = strndup(buffer_peek(&data), buffer_length(&data))))
                        set_error(&s->usage, text);
                return 0;
        }
        if (is_error && !error_message(o))
                set_error(&s->usage, json_get_string(o, "message", &m) == 0 ? m : "unknown error");
        if (usage_from_json(o, &s->usage) <= 0)
                return 0;
        if (!s->strip_usage_only)
                return 0;
        /* Only the chunk that exists because we asked for usage: no choices at all. */
        if (json_get_array(o, "choices", &choices) < 0 || json_object_array_length(choices) != 0)
                return 0;
        s->n_stripped++;
        return 1;
}

static int event_end(SseScanner *s, Buffer *out) {
        int r = 0;

        if (s->skipping) {
                s->skipping = false;
                return 0;
        }
        r = scan_event(s, buffer_peek(&s->event), buffer_length(&s->event));
        if (r == -ENOMEM)
                return r;
        if (s->strip_usage_only && r <= 0)
                r = buffer_append(out, buffer_peek(&s->event), buffer_length(&s->event));
        else
                r = 0;
        buffer_consume(&s->event, buffer_length(&s->event));
        return r;
}

/* Too large to look at: what was held goes out, and the rest of the event passes through. */
static int event_overflow(SseScanner *s, Buffer *out) {
        int r = 0;

        if (s->strip_usage_only)
                r = buffer_append(out, buffer_peek(&s->event), buffer_length(&s->event));
        buffer_consume(&s->event, buffer_length(&s->event));
        s->skipping = true;
        return r;
}

/* Takes one piece of a line: up to and including its LF, or the rest of the data. */
static int feed_piece(SseScanner *s, const char *p, size_t len, bool ends_line, Buffer *out) {
        size_t text = ends_line ? len - 1 : len;
        int r;

        if (!s->skipping && buffer_length(&s->event) + len > SSE_EVENT_MAX) {
                r = event_overflow(s, out);
                if (r < 0)
                        return r;
        }
        if (s->skipping)
                r = s->strip_usage_only ? buffer_append(out, p, len) : 0;
        else
                r = buffer_append(&s->event, p, len);
        if (r < 0)
                return r;

        /* A line of nothing but CRs (the CR of CRLF) is blank, and a blank line ends the event. */
        for (size_t i = 0; i < text && !s->line_nonblank; i++)
                if (p[i] != '\r')
                        s->line_nonblank = true;
        if (!ends_line)
                return 0;
        if (s->line_nonblank) {
                s->line_nonblank = false;
                return 0;
        }
        return event_end(s, out);
}

int sse_scanner_feed(SseScanner *s, const char *data, size_t n, Buffer *out) {
        const char *end = data + n;
        int r;

        if (!s->strip_usage_only && (r = buffer_append(out, data, n)) < 0)
                return r;
        for (const char *p = data; p < end;) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t len = (size_t) ((nl ? nl + 1 : end) - p);

                r = feed_piece(s, p, len, nl != NULL, out);
                if (r < 0)
                        return r;
                p += len;
        }
        return 0;
}

int sse_scanner_finish(SseScanner *s, Buffer *out) {
        int r = 0;

        if (s->strip_usage_only && !s->skipping)
                r = buffer_append(out, buffer_peek(&s->event), buffer_length(&s->event));
        buffer_consume(&s->event, buffer_length(&s->event));
        s->skipping = false;
        return r;
}
