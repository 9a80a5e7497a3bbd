/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One assistant turn of an OpenAI-compatible chat completion, assembled either from a whole
 * response body or from the chunks of a stream, where the text and each tool call's name and
 * JSON arguments arrive in pieces that may split anywhere, even inside a JSON string. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "macro.h"

/* A model asking for more calls in one turn than this is refused. */
#define CHAT_TOOL_CALLS_MAX 64U
/* Text, names and arguments are refused beyond this many bytes. */
#define CHAT_TEXT_MAX (4U * 1024U * 1024U)

typedef struct ToolCall {
        char *id;
        char *name;
        char *arguments;        /* JSON text as the model wrote it; may be empty */
} ToolCall;

typedef struct ChatUsage {
        uint64_t prompt_tokens;
        uint64_t completion_tokens;
        bool reported;          /* false: the server sent none, the numbers are estimates */
} ChatUsage;

typedef struct ChatResponse {
        char *content;          /* NULL until text arrives */
        size_t n_content;
        ToolCall *calls;
        size_t n_calls;
        char *finish_reason;
        ChatUsage usage;
        bool done;              /* the stream's "[DONE]" arrived */
        size_t n_chunks;
} ChatResponse;

/* Called with each piece of assistant text as it arrives. */
typedef void (*ChatTextFunc)(const char *text, size_t n, void *userdata);

void tool_call_done(ToolCall *c);
/* Frees the calls and the array. */
void tool_calls_free(ToolCall *calls, size_t n);

/* Frees what the response holds and zeroes it. */
void chat_response_done(ChatResponse *r);

/* Applies one parsed stream chunk ({"choices":[{"delta":{...}}], "usage":...}). Text deltas
 * are also passed to on_text if not NULL. Returns 0, -EBADMSG for a chunk of the wrong shape,
 * -E2BIG beyond the limits above, or -ENOMEM. */
int chat_response_apply_chunk(ChatResponse *r, json_object *chunk, ChatTextFunc on_text, void *userdata);

/* Feeds the data of one SSE event: "[DONE]" or a JSON chunk. Returns as
 * chat_response_apply_chunk(), -EBADMSG for data that is not JSON. */
int chat_response_feed_event(ChatResponse *r, const char *data, size_t n, ChatTextFunc on_text,
                             void *userdata);

/* Fills r from a whole (non-streamed) response body {"choices":[{"message":{...}}], "usage":..}.
 * Returns 0, -EBADMSG, -E2BIG or -ENOMEM. */
int chat_response_parse_body(ChatResponse *r, const char *body, size_t n);

/* Returns true if r holds a complete turn: a finish reason or the "[DONE]" marker arrived. */
bool chat_response_is_complete(const ChatResponse *r);

/* Builds the assistant message to send back in later requests: {"role":"assistant",
 * "content":..., "tool_calls":[...]}. Empty arguments become "{}". Returns 0 or -ENOMEM. */
int chat_response_to_message(const ChatResponse *r, bool with_calls, json_object **ret);
