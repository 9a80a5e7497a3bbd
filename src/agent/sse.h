/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* An incremental parser for server-sent events (text/event-stream), as model servers stream
 * chat completions. Bytes go in as they arrive, split anywhere; each complete event comes out
 * through a callback. Lines end in LF, CR or CRLF; "data:" lines of one event are joined with
 * LF; comment lines (":...") and unknown fields are ignored; an event ends at a blank line.
 * One non-standard field is understood: "error:" lines (older llama.cpp) make an event named
 * "error" with their value as its data. */

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

/* One event is refused beyond this size: it bounds what a hostile server can make us hold. */
#define SSE_EVENT_MAX (8U * 1024U * 1024U)

/* Called for each event that has data. data is NUL-terminated and size bytes long; it is only
 * valid during the call. A negative return value stops parsing and is returned by the feed. */
typedef int (*SseEventFunc)(const char *event, const char *data, size_t size, void *userdata);

typedef struct SseParser {
        SseEventFunc callback;
        void *userdata;

        char *line;             /* the line being read, without its end */
        size_t n_line, line_allocated;
        char *data;             /* the data of the event being read, lines joined with LF */
        size_t n_data, data_allocated;
        bool have_data;
        char event[64];         /* the "event:" field, truncated */
        bool after_cr;          /* the last byte was a CR: a following LF belongs to it */
        size_t n_events;        /* events dispatched so far */
} SseParser;

void sse_parser_init(SseParser *p, SseEventFunc callback, void *userdata);
/* Frees the buffers; the parser may be initialised again. */
void sse_parser_done(SseParser *p);

/* Parses n more bytes. Returns 0, the callback's negative return value, -E2BIG for an event
 * above SSE_EVENT_MAX, or -ENOMEM. */
int sse_parser_feed(SseParser *p, const char *buf, size_t n);

/* Ends the stream. An event that was not terminated by a blank line is discarded, as the SSE
 * specification says. Returns 1 if such a partial event (or line) was pending, 0 otherwise. */
int sse_parser_finish(SseParser *p);
