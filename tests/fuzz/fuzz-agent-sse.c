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
        if (build)
                (void) chat_response_to_message(&s.response, true, &m);
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
