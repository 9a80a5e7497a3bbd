/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The SSE line and event state machine. It owns two growing buffers (the current line and the
 * current event's data) and nothing else; the meaning of events is the caller's business. */

#include <assert.h>

#include "sse.h"

void sse_parser_init(SseParser *p, SseEventFunc callback, void *userdata) {
        assert(p);
        *p = (SseParser) { .callback = callback, .userdata = userdata };
}

void sse_parser_done(SseParser *p) {
        if (!p)
                return;
        free(p->line);
        free(p->data);
        sse_parser_init(p, p->callback, p->userdata);
}

/* Makes room for n more bytes plus a NUL in a buffer, doubling as needed. */
static int buffer_reserve(char **buf, size_t *allocated, size_t used, size_t n) {
        size_t want;
        char *b;

        if (used + n + 1 > SSE_EVENT_MAX)
                return -E2BIG;
        if (used + n + 1 <= *allocated)
                return 0;
        want = MAX(used + n + 1, MAX(*allocated * 2, (size_t) 256));
        want = MIN(want, (size_t) SSE_EVENT_MAX);
        b = realloc(*buf, want);
        if (!b)
                return -ENOMEM;
        *buf = b;
        *allocated = want;
        return 0;
}

static int dispatch(SseParser *p) {
        int r = 0;

        if (p->have_data) {
                p->data[p->n_data] = 0;
                p->n_events++;
                r = p->callback(p->event[0] ? p->event : "message", p->data, p->n_data, p->userdata);
        }
        p->n_data = 0;
        p->have_data = false;
        p->event[0] = 0;
        return r < 0 ? r : 0;
}

static int append_data(SseParser *p, const char *value, size_t n) {
        int r;

        r = buffer_reserve(&p->data, &p->data_allocated, p->n_data, n + 1);
        if (r < 0)
                return r;
        if (p->have_data)
                p->data[p->n_data++] = '\n';
        memcpy(p->data + p->n_data, value, n);
        p->n_data += n;
        p->data[p->n_data] = 0;
        p->have_data = true;
        return 0;
}

/* Handles one complete line (without its end). */
static int process_line(SseParser *p, const char *line, size_t n) {
        const char *colon, *value;
        size_t name_len, value_len;

        if (n == 0)
                return dispatch(p);
        if (line[0] == ':')
                return 0;

        colon = memchr(line, ':', n);
        name_len = colon ? (size_t) (colon - line) : n;
        value = colon ? colon + 1 : line + n;
        value_len = n - (size_t) (value - line);
        if (value_len > 0 && *value == ' ') {
                value++;
                value_len--;
        }

        if (name_len == 4 && memcmp(line, "data", 4) == 0)
                return append_data(p, value, value_len);
        if (name_len == 5 && memcmp(line, "event", 5) == 0) {
                size_t k = MIN(value_len, sizeof(p->event) - 1);

                memcpy(p->event, value, k);
                p->event[k] = 0;
        }
        /* Not SSE, but what llama.cpp servers of 2024 and 2025 write for an error after the 200:
         * "error: {...}", then "data: [DONE]". Dropping it would lose the server's message. */
        if (name_len == 5 && memcmp(line, "error", 5) == 0) {
                strcpy(p->event, "error");
                return append_data(p, value, value_len);
        }
        return 0;       /* id:, retry: and unknown fields mean nothing to us */
}

int sse_parser_feed(SseParser *p, const char *buf, size_t n) {
        assert(p);
        assert(buf || n == 0);

        for (size_t i = 0; i < n;) {
                size_t run = 0;
                int r;

                if (buf[i] == '\n' && p->after_cr) {
                        p->after_cr = false;
                        i++;
                        continue;
                }
                p->after_cr = buf[i] == '\r';
                if (buf[i] == '\r' || buf[i] == '\n') {
                        r = process_line(p, p->line ?: "", p->n_line);
                        p->n_line = 0;
                        if (r < 0)
                                return r;
                        i++;
                        continue;
                }

                /* Copy the whole run up to the next line end at once. */
                while (i + run < n && buf[i + run] != '\r' && buf[i + run] != '\n')
                        run++;
                r = buffer_reserve(&p->line, &p->line_allocated, p->n_line, run);
                if (r < 0)
                        return r;
                memcpy(p->line + p->n_line, buf + i, run);
                p->n_line += run;
                i += run;
        }
        return 0;
}

int sse_parser_finish(SseParser *p) {
        bool pending;

        assert(p);
        pending = p->have_data || p->n_line > 0;
        p->n_line = 0;
        p->n_data = 0;
        p->have_data = false;
        p->event[0] = 0;
        return pending;
}
