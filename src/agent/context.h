/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Context-window management for the conversation (a json-c array of OpenAI chat messages).
 * Token counts are estimated at four characters a token, which is close enough for the
 * tokenizers of current models and needs no tokenizer. When the conversation outgrows its
 * budget, old tool outputs are shortened first, then the oldest turns are dropped; the first
 * messages (system prompt and task) and the latest turn are always kept. */

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "macro.h"

/* Characters per token for estimates. */
#define CONTEXT_CHARS_PER_TOKEN 4
/* A shortened tool output keeps this many bytes from its start and its end. */
#define CONTEXT_SHRINK_HEAD 384
#define CONTEXT_SHRINK_TAIL 128

/* What context_fit() did. */
typedef struct ContextFitStats {
        size_t tokens_before;
        size_t tokens_after;
        size_t n_shrunk;        /* tool outputs shortened */
        size_t n_dropped;       /* messages removed */
} ContextFitStats;

/* Estimated tokens of one message (text, tool call arguments, and a little per message). */
size_t context_message_tokens(json_object *message);
/* Estimated tokens of every message in the array. */
size_t context_estimate_tokens(json_object *messages);
/* Estimated tokens of any JSON value, e.g. the tool definitions sent with each request. */
size_t context_json_tokens(json_object *o);

/* Returns true for messages that carry a tool's output: role "tool", or a user message with the
 * <tool_response> blocks that answer tool calls written as text. */
bool context_is_tool_output(json_object *message);

/* Makes the messages fit in budget tokens, changing the array in place. The first n_keep
 * messages are never touched. Returns 1 if it fits now, 0 if even the smallest form does not
 * (the caller may still try), or -ENOMEM. stats may be NULL. */
int context_fit(json_object *messages, size_t budget, size_t n_keep, ContextFitStats *stats);
