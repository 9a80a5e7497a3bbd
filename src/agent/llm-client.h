/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The model client: POST {base}/chat/completions of an OpenAI-compatible server, over TCP or a
 * Unix socket (the inference gateway's), streamed (SSE) or not. Connection failures, HTTP 429
 * and 5xx, truncated streams and idle timeouts are retried with exponential back-off; a stop
 * request (interrupt.h) ends a request at once. */

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "chat-response.h"
#include "macro.h"

typedef struct LlmConfig {
        const char *base_url;           /* "http://127.0.0.1:8080/v1"; over a socket the host is ignored */
        const char *socket_path;        /* Unix socket to connect to, or NULL for TCP */
        const char *model;              /* NULL: the first one the server lists at {base}/models */
        const char *api_key;            /* sent as a bearer token, or NULL */
        bool stream;
        uint64_t connect_timeout_usec;
        uint64_t idle_timeout_usec;     /* no byte from the server for this long ends the attempt */
        unsigned retries;               /* attempts after the first */
        uint64_t retry_delay_usec;      /* the first back-off; doubles each time */
        uint64_t max_response_tokens;   /* "max_tokens" of each request; 0 leaves it to the server */
} LlmConfig;

typedef struct LlmCallbacks {
        /* Each piece of streamed assistant text, or of its reasoning. */
        void (*on_text)(const char *text, size_t n, bool reasoning, void *userdata);
        /* An attempt failed with error (and message) and another follows after delay_usec. */
        void (*on_retry)(int error, const char *message, unsigned attempt, uint64_t delay_usec, void *userdata);
        void *userdata;
} LlmCallbacks;

typedef struct LlmClient LlmClient;

/* Copies the configuration. Returns 0 or -ENOMEM. Needs curl_global_init() first. */
int llm_client_new(const LlmConfig *config, LlmClient **ret);
LlmClient *llm_client_free(LlmClient *c);
DEFINE_PTR_CLEANUP(LlmClient *, llm_client_free);

/* Sends messages (and tools, which may be NULL) and fills *ret with the assistant's turn.
 * deadline_usec (CLOCK_MONOTONIC, 0 for none) bounds the whole call, retries included.
 * Without a configured model the first request asks {base}/models for the served name.
 * Returns 0, or after the last attempt: -ECANCELED (stop requested), -ECONNREFUSED (nothing
 * listens), -ETIMEDOUT (connect or idle timeout, or the deadline), -EBUSY (HTTP 429),
 * -EHOSTDOWN (HTTP 502, 503, 504: a proxy without upstream, a model still loading),
 * -EREMOTEIO (HTTP 500 and other 5xx: the server failed), -EIO (another HTTP error),
 * -EBADE (the server reported an error inside its answer), -ENODATA (an answer with neither
 * text nor tool calls), -EPROTO (the response was cut short), -EBADMSG (it was not a valid
 * completion), or -ENOMEM. llm_client_error() then says more, quoting the server. */
int llm_client_complete(LlmClient *c, json_object *messages, json_object *tools, uint64_t deadline_usec,
                        const LlmCallbacks *callbacks, ChatResponse *ret);

/* The message of the last failure, or NULL. Owned by the client. */
const char *llm_client_error(const LlmClient *c);

/* The model name requests carry: the configured one, the served one once asked for, or NULL. */
const char *llm_client_model(const LlmClient *c);

/* True for errors that mean the model could not be reached or did not answer, as opposed to
 * an answer we could not use or a server that failed (-EREMOTEIO). */
bool llm_error_is_unreachable(int error);
