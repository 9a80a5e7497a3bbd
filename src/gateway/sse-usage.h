/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Token usage from an upstream's answer, read on the way through. A streamed answer is a
 * server-sent-event stream whose last data event carries "usage" when the request asked for it
 * with stream_options.include_usage; the gateway always asks, and drops that usage-only event
 * again for clients that did not ask themselves. Every other byte passes unchanged. On the way
 * the scanner also notes what the accounting needs when the usage is missing or the answer
 * failed: the characters of output that went by, and an error the upstream reported inside
 * its 200 answer. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buffer.h"
#include "macro.h"

/* An event larger than this is passed through without being looked at. */
#define SSE_EVENT_MAX (1024U * 1024U)

/* Error messages are kept this far. */
#define USAGE_ERROR_MAX 200

typedef struct Usage {
        bool valid;                     /* the upstream reported the token counts */
        uint64_t prompt_tokens;
        uint64_t completion_tokens;
        uint64_t output_chars;          /* text, reasoning and tool-call arguments seen, for an estimate */
        bool upstream_error;            /* the answer reported an error although its status was 2xx */
        char error[USAGE_ERROR_MAX];    /* its message, truncated */
} Usage;

typedef struct SseScanner {
        bool strip_usage_only;  /* drop events that carry usage and no choices */
        bool skipping;          /* the current event is too large to look at */
        bool saw_done;          /* "data: [DONE]" arrived */
        Buffer event;           /* the bytes of the current event so far */
        bool line_nonblank;     /* the current line has something other than CR */
        Usage usage;
        unsigned n_events;
        unsigned n_stripped;
} SseScanner;

void sse_scanner_init(SseScanner *s, bool strip_usage_only);
void sse_scanner_done(SseScanner *s);

/* Scans n bytes of the stream and appends to out what the client is to receive. Returns 0 or
 * -ENOMEM. */
int sse_scanner_feed(SseScanner *s, const char *data, size_t n, Buffer *out);

/* At the end of the stream: appends to out what is still held back (an unfinished event).
 * Returns 0 or -ENOMEM. */
int sse_scanner_finish(SseScanner *s, Buffer *out);

/* Reads "usage" from a JSON object (a whole response or one stream chunk) into *u, and adds
 * its output characters and the error it reports, if any, in one of the shapes servers use:
 * {"error":{"message":...}}, {"error":"..."} (TGI), {"object":"error","message":...} (vLLM up
 * to 0.10). Returns 1 if it has usage, 0 if not, -EBADMSG if the usage is malformed. */
int usage_from_json(void *json_object, Usage *u);

/* Reads a non-streamed response body into *u as usage_from_json() does. Returns as that, and
 * -EBADMSG for a body that is not a JSON object. */
int usage_from_body(const char *body, size_t n, Usage *u);
