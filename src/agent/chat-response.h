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
        int64_t index;          /* the server's "index" of its deltas, -1 if it sent none */
} ToolCall;

typedef struct ChatUsage {
        uint64_t prompt_tokens;
        uint64_t completion_tokens;
        bool reported;          /* false: the server sent none, the numbers are estimates */
} ChatUsage;

typedef struct ChatResponse {
        char *content;          /* NULL until text arrives */
        size_t n_content;
        size_t n_reasoning;     /* bytes of reasoning text seen; it is shown, never kept or sent back */
        ToolCall *calls;
        size_t n_calls;
        char *finish_reason;
        ChatUsage usage;
        bool done;              /* the stream's "[DONE]" arrived */
        size_t n_chunks;
        char *error;            /* the server's own message, when it reported an error in the stream */
} ChatResponse;

/* Called with each piece of assistant text as it arrives; reasoning is the model's thinking
 * ("reasoning_content" or "reasoning" deltas), not its answer. */
typedef void (*ChatTextFunc)(const char *text, size_t n, bool reasoning, void *userdata);

void tool_call_done(ToolCall *c);
/* Frees the calls and the array. */
void tool_calls_free(ToolCall *calls, size_t n);

/* Frees what the response holds and zeroes it. */
void chat_response_done(ChatResponse *r);

/* Applies one parsed stream chunk ({"choices":[{"delta":{...}}], "usage":...}). Text deltas
 * are also passed to on_text if not NULL. A delta for a tool call goes to the call with the
 * same id if it names one (some servers give parallel calls the same index), else to the last
 * call with its index. Returns 0, -EBADE for a chunk that reports an error (the server's
 * message is then in r->error), -EBADMSG for a chunk of the wrong shape, -E2BIG beyond the
 * limits above, or -ENOMEM. */
int chat_response_apply_chunk(ChatResponse *r, json_object *chunk, ChatTextFunc on_text, void *userdata);

/* Feeds the data of one SSE event: "[DONE]" or a JSON chunk. Returns as
 * chat_response_apply_chunk(), -EBADMSG for data that is not JSON. */
int chat_response_feed_event(ChatResponse *r, const char *data, size_t n, ChatTextFunc on_text,
                             void *userdata);

/* Feeds the data of an event that is an error by its name: "event: error", or the "error:"
 * field older llama.cpp servers write. Keeps the server's message in r->error and returns
 * -EBADE, or -ENOMEM. */
int chat_response_feed_error(ChatResponse *r, const char *data, size_t n);

/* Finds the error an answer reports in its JSON: {"error":{"message":...}}, {"error":"..."}
 * (TGI) or {"object":"error","message":...} (vLLM up to 0.10). Returns the message (owned by
 * o), or NULL if o is no error. */
const char *chat_error_message(json_object *o);

/* Fills r from a whole (non-streamed) response body {"choices":[{"message":{...}}], "usage":..}.
 * Returns 0, -EBADMSG, -E2BIG or -ENOMEM. */
int chat_response_parse_body(ChatResponse *r, const char *body, size_t n);

/* Returns true if r holds a complete turn: a finish reason or the "[DONE]" marker arrived. */
bool chat_response_is_complete(const ChatResponse *r);

/* Returns true if r has neither text (other than white space) nor tool calls: nothing to act
 * on, which is never a finished task. */
bool chat_response_is_empty(const ChatResponse *r);

/* Returns true if the call's arguments are empty or a JSON object: what may be run and sent
 * back. Arguments cut off by the token limit are neither. */
bool tool_call_arguments_valid(const ToolCall *c);

/* Builds the assistant message to send back in later requests: {"role":"assistant",
 * "content":..., "tool_calls":[...]}. Empty arguments, and arguments that are not a JSON object
 * (servers re-parse them and refuse every later request otherwise), become "{}". Returns 0 or
 * -ENOMEM. */
int chat_response_to_message(const ChatResponse *r, bool with_calls, json_object **ret);
