/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shrinking a conversation to fit a token budget. The order of sacrifice is what keeps a long
 * task on track: bulky tool outputs that the model already acted on go first, whole old turns
 * next, and never the instructions or the turn in progress. */

#include <assert.h>

#include "context.h"
#include "json-util.h"

#define TOOL_RESPONSE_TAG "<tool_response"
#define ELIDED_NOTE "[... %zu bytes of earlier tool output elided to fit the context window ...]"

static size_t chars_to_tokens(size_t n) {
        return (n + CONTEXT_CHARS_PER_TOKEN - 1) / CONTEXT_CHARS_PER_TOKEN;
}

size_t context_json_tokens(json_object *o) {
        return o ? chars_to_tokens(strlen(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN))) : 0;
}

size_t context_message_tokens(json_object *message) {
        json_object *calls;
        const char *content;
        size_t n = 4;   /* role and the template's separators */

        if (json_get_string(message, "content", &content) == 0)
                n += chars_to_tokens(strlen(content));
        if (json_get_array(message, "tool_calls", &calls) == 0)
                n += context_json_tokens(calls);
        return n;
}

size_t context_estimate_tokens(json_object *messages) {
        size_t n = 0;

        for (size_t i = 0; i < json_object_array_length(messages); i++)
                n += context_message_tokens(json_object_array_get_idx(messages, i));
        return n;
}

bool context_is_tool_output(json_object *message) {
        const char *role, *content;

        if (json_get_string(message, "role", &role) < 0)
                return false;
        if (streq(role, "tool"))
                return true;
        return streq(role, "user") && json_get_string(message, "content", &content) == 0 &&
               startswith(content, TOOL_RESPONSE_TAG);
}

static bool is_role(json_object *message, const char *role) {
        const char *r;

        return json_get_string(message, "role", &r) == 0 && streq(r, role);
}

/* The index of the first message of the latest turn: the last assistant message, or the last
 * user message if that comes later. Everything from there on is the turn in progress. */
static size_t latest_turn(json_object *messages, size_t n_keep) {
        for (size_t i = json_object_array_length(messages); i > n_keep; i--) {
                json_object *m = json_object_array_get_idx(messages, i - 1);

                if (is_role(m, "assistant") || (is_role(m, "user") && !context_is_tool_output(m)))
                        return i - 1;
        }
        return n_keep;
}

/* Replaces the content of a tool output by its head and tail. Returns the tokens saved. */
static int shrink_output(json_object *message, size_t *ret_saved) {
        _cleanup_free_ char *head = NULL, *s = NULL;
        const char *content;
        size_t n, before;

        *ret_saved = 0;
        if (json_get_string(message, "content", &content) < 0)
                return 0;
        n = strlen(content);
        if (n <= CONTEXT_SHRINK_HEAD + CONTEXT_SHRINK_TAIL + 128)
                return 0;
        head = strndup(content, CONTEXT_SHRINK_HEAD);
        if (!head || asprintf(&s, "%s\n" ELIDED_NOTE "\n%s", head, n - CONTEXT_SHRINK_HEAD - CONTEXT_SHRINK_TAIL,
                              content + n - CONTEXT_SHRINK_TAIL) < 0)
                return -ENOMEM;
        before = context_message_tokens(message);
        if (json_add_string(message, "content", s) < 0)
                return -ENOMEM;
        *ret_saved = before - MIN(before, context_message_tokens(message));
        return 1;
}

/* Shortens tool outputs in [from, to), oldest first, until tokens fit budget. */
static int shrink_range(json_object *messages, size_t from, size_t to, size_t budget, size_t *tokens,
                        ContextFitStats *stats) {
        for (size_t i = from; i < to && *tokens > budget; i++) {
                json_object *m = json_object_array_get_idx(messages, i);
                size_t saved;
                int r;

                if (!context_is_tool_output(m))
                        continue;
                r = shrink_output(m, &saved);
                if (r < 0)
                        return r;
                stats->n_shrunk += r;
                *tokens -= saved;
        }
        return 0;
}

/* Drops whole messages after the kept ones, oldest first, stopping before the latest turn.
 * Tool outputs left without their assistant message are dropped with it, so the conversation
 * stays well-formed for the server. */
static void drop_oldest(json_object *messages, size_t n_keep, size_t budget, size_t *tokens,
                        ContextFitStats *stats) {
        while (*tokens > budget && n_keep < latest_turn(messages, n_keep)) {
                do {
                        *tokens -= MIN(*tokens, context_message_tokens(json_object_array_get_idx(messages, n_keep)));
                        json_object_array_del_idx(messages, n_keep, 1);
                        stats->n_dropped++;
                } while (n_keep < json_object_array_length(messages) &&
                         context_is_tool_output(json_object_array_get_idx(messages, n_keep)));
        }
}

int context_fit(json_object *messages, size_t budget, size_t n_keep, ContextFitStats *ret_stats) {
        ContextFitStats stats = {};
        size_t tokens, n;
        int r;

        assert(json_object_is_type(messages, json_type_array));

        n = json_object_array_length(messages);
        n_keep = MIN(n_keep, n);
        tokens = stats.tokens_before = context_estimate_tokens(messages);

        r = shrink_range(messages, n_keep, latest_turn(messages, n_keep), budget, &tokens, &stats);
        if (r >= 0)
                drop_oldest(messages, n_keep, budget, &tokens, &stats);
        /* Last resort: the outputs of the turn in progress. */
        if (r >= 0)
                r = shrink_range(messages, n_keep, json_object_array_length(messages), budget, &tokens, &stats);
        if (r < 0)
                return r;

        stats.tokens_after = context_estimate_tokens(messages);
        if (ret_stats)
                *ret_stats = stats;
        return stats.tokens_after <= budget;
}
