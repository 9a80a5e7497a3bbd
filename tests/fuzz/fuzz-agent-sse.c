/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds arbitrary bytes, as a model server could send them, through the SSE parser into the
 * chat-completion delta assembly, split at a point taken from the input, and turns the result
 * into the message the agent would send back. Checks for crashes and leaks, and that splitting
 * the input never changes the number of events. */

#include <stdint.h>

#include "chat-response.h"
#include "sse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct State {
        ChatResponse response;
        size_t events;
} State;

static int on_event(const char *event, const char *d, size_t n, void *userdata) {
        State *s = userdata;

        s->events++;
        /* As the model client routes them: named error events, then everything else. */
        if (streq(event, "error"))
                (void) chat_response_feed_error(&s->response, d, n);
        else
                (void) chat_response_feed_event(&s->response, d, n, NULL, NULL);
        return 0;
}

static size_t parse(const uint8_t *data, size_t size, size_t cut, bool build) {
        _cleanup_(json_object_putp) json_object *m = NULL;
        State s = {};
        SseParser p;

        sse_parser_init(&p, on_event, &s);
        (void) sse_parser_feed(&p, (const char *) data, cut);
        (void) sse_parser_feed(&p, (const char *) data + cut, size - cut);
        (void) sse_parser_finish(&p);
        sse_parser_done(&p);
        if (build) {
                (void) chat_response_to_message(&s.response, true, &m);
                (void) chat_response_is_empty(&s.response);
                for (size_t i = 0; i < s.response.n_calls; i++)
                        (void) tool_call_arguments_valid(s.response.calls + i);
        }
        chat_response_done(&s.response);
        return s.events;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        size_t cut;

        if (size < 1 || size > 256 * 1024)
                return 0;
        cut = data[0] % size;
        if (parse(data + 1, size - 1, MIN(cut, size - 1), true) != parse(data + 1, size - 1, 0, false))
                abort();
        return 0;
}
