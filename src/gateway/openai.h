/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The OpenAI JSON the gateway reads and writes itself: chat-completion requests (to route and
 * rewrite them), model lists, and error objects. Everything else passes through as bytes. */

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "macro.h"

typedef struct ChatRequest {
        json_object *body;
        const char *model;              /* owned by body; NULL if the client named none */
        bool stream;
        bool client_wants_usage;        /* the client set stream_options.include_usage itself */
} ChatRequest;

ChatRequest *chat_request_free(ChatRequest *r);
DEFINE_PTR_CLEANUP(ChatRequest *, chat_request_free);

/* Parses a request body. Returns 0 and a new ChatRequest, or -EBADMSG with a message for the
 * client in *ret_error (a new string) when the body is not a JSON object or "model", "stream"
 * or "stream_options" have the wrong type. */
int chat_request_parse(const char *data, size_t n, ChatRequest **ret, char **ret_error);

/* Replaces the client's "user" field, whatever its type, with user; removes it if user is NULL.
 * Returns 0 or -ENOMEM. */
int chat_request_set_user(ChatRequest *r, const char *user);

/* Serialises the request for an upstream: "model" set to model (left out if NULL) and, when
 * streaming, stream_options.include_usage set. Returns 0 and a new NUL-terminated string. */
int chat_request_build(ChatRequest *r, const char *model, char **ret);

/* Builds {"error":{"message":...,"type":...,"param":null,"code":...}}, the shape OpenAI
 * clients know how to show. code may be NULL. Returns a new string or NULL on OOM. */
char *openai_error_json(const char *type, const char *code, const char *format, ...) _printf_(3, 4);

/* Whether body (n bytes) is already an OpenAI-style error object: {"error": {...}} or
 * {"error": "..."}. */
bool openai_is_error_json(const char *body, size_t n);

/* Reads the model IDs from a /models answer ({"data":[{"id":...},...]}) into a new strv.
 * Returns the number of models, or -EBADMSG. */
int openai_parse_model_list(const char *body, size_t n, char ***ret);
