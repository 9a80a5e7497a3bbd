/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One curl easy handle, kept for the client's lifetime so that keep-alive connections are
 * reused between steps. Each attempt builds a Transfer that routes the body by content type:
 * an event stream goes through the SSE parser into the ChatResponse as it arrives, anything
 * else is collected and parsed whole (servers that ignore "stream" send plain JSON). */

#include <assert.h>

#include <curl/curl.h>

#include "interrupt.h"
#include "json-util.h"
#include "llm-client.h"
#include "sse.h"
#include "string-util.h"
#include "strv.h"

DEFINE_FOREIGN_CLEANUP(struct curl_slist *, curl_slist_free_all);

/* Error bodies are kept only this far; they end up in one message. */
#define ERROR_BODY_MAX 2048U
/* What of a server's error message is quoted. */
#define ERROR_QUOTE_MAX 400
/* A model list is read only this far. */
#define MODELS_BODY_MAX (256U * 1024U)
#define RETRY_DELAY_MAX (30U * 1000000U)
#define RETRY_AFTER_MAX (60U * 1000000U)

struct LlmClient {
        CURL *curl;
        char *url;
        char *models_url;
        char *socket_path;
        char *model;                    /* NULL until known: none was configured and none was listed */
        bool model_asked;               /* /models was asked for the served name */
        char *auth_header;
        LlmConfig config;
        char *error;
};

typedef enum BodyMode {
        BODY_UNDECIDED,
        BODY_STREAM,
        BODY_WHOLE,
        BODY_ERROR,
} BodyMode;

typedef struct Transfer {
        LlmClient *client;
        const LlmCallbacks *callbacks;
        ChatResponse *response;
        SseParser sse;
        BodyMode mode;
        char *body;
        size_t n_body;
        int error;              /* why the write callback stopped the transfer */
        uint64_t last_activity;
        curl_off_t last_dlnow;
        bool idle_timeout;
        uint64_t retry_after_usec;
} Transfer;

static size_t strcspn_trailing_slash(const char *s) {
        size_t n = strlen(s);

        while (n > 0 && s[n - 1] == '/')
                n--;
        return n;
}

int llm_client_new(const LlmConfig *config, LlmClient **ret) {
        _cleanup_(llm_client_freep) LlmClient *c = NULL;
        const char *base;

        assert(config);
        assert(config->base_url);

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->config = *config;
        base = config->base_url;
        /* "http://host/v1/" and "http://host/v1" mean the same base. */
        if (asprintf(&c->url, "%.*s/chat/completions", (int) strcspn_trailing_slash(base), base) < 0 ||
            asprintf(&c->models_url, "%.*s/models", (int) strcspn_trailing_slash(base), base) < 0)
                return -ENOMEM;
        c->model = config->model ? strdup(config->model) : NULL;
        c->socket_path = config->socket_path ? strdup(config->socket_path) : NULL;
        if ((config->model && !c->model) || (config->socket_path && !c->socket_path))
                return -ENOMEM;
        if (config->api_key && asprintf(&c->auth_header, "Authorization: Bearer %s", config->api_key) < 0)
                return -ENOMEM;
        /* The copied config must not point at the caller's strings. */
        c->config.base_url = c->url;
        c->config.socket_path = c->socket_path;
        c->config.model = c->model;
        c->config.api_key = NULL;
        c->curl = curl_easy_init();
        if (!c->curl)
                return -ENOMEM;
        *ret = steal_ptr(c);
        return 0;
}

LlmClient *llm_client_free(LlmClient *c) {
        if (!c)
                return NULL;
        curl_easy_cleanup(c->curl);
        free(c->url);
        free(c->models_url);
        free(c->socket_path);
        free(c->model);
        free(c->auth_header);
        free(c->error);
        return mfree(c);
}

const char *llm_client_error(const LlmClient *c) {
        return c->error;
}

const char *llm_client_model(const LlmClient *c) {
        return c->model;
}

bool llm_error_is_unreachable(int error) {
        switch (error) {
        case -ECONNREFUSED: case -ETIMEDOUT: case -EBUSY: case -EHOSTDOWN:
        case -ECONNRESET: case -EHOSTUNREACH: case -ENOENT:
                return true;
        default:
                return false;
        }
}

/* A 500 may be a passing fault, so it is tried again; when it persists the server has spoken,
 * and it is not reported as unreachable. */
static bool error_is_retryable(int error) {
        return llm_error_is_unreachable(error) || error == -EPROTO || error == -EREMOTEIO;
}

/* Builds the request body; messages and tools are referenced, not copied. */
static int build_body(LlmClient *c, json_object *messages, json_object *tools, char **ret) {
        _cleanup_(json_object_putp) json_object *o = NULL, *opts = NULL;
        const char *s;

        o = json_object_new_object();
        /* Without a name the server picks its own; llama.cpp, vLLM and TGI do, Ollama does not. */
        if (!o || (c->model && json_add_string(o, "model", c->model) < 0) ||
            json_object_object_add(o, "messages", json_object_get(messages)) < 0 ||
            json_add_bool(o, "stream", c->config.stream) < 0)
                return -ENOMEM;
        if (tools && json_object_array_length(tools) > 0 &&
            (json_object_object_add(o, "tools", json_object_get(tools)) < 0 ||
             json_add_string(o, "tool_choice", "auto") < 0))
                return -ENOMEM;
        if (c->config.max_response_tokens > 0 &&
            json_add_uint64(o, "max_tokens", c->config.max_response_tokens) < 0)
                return -ENOMEM;
        if (c->config.stream) {
                /* Asks for a final chunk with token usage; servers that do not know it ignore it. */
                opts = json_object_new_object();
                if (!opts || json_add_bool(opts, "include_usage", true) < 0 ||
                    json_add_take(o, "stream_options", steal_ptr(opts)) < 0)
                        return -ENOMEM;
        }
        s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN|JSON_C_TO_STRING_NOSLASHESCAPE);
        *ret = s ? strdup(s) : NULL;
        return *ret ? 0 : -ENOMEM;
}

static int on_sse_event(const char *event, const char *data, size_t size, void *userdata) {
        Transfer *t = userdata;

        if (streq(event, "error"))
                return chat_response_feed_error(t->response, data, size);
        return chat_response_feed_event(t->response, data, size, t->callbacks ? t->callbacks->on_text : NULL,
                                        t->callbacks ? t->callbacks->userdata : NULL);
}

static int collect(Transfer *t, const char *p, size_t n, size_t max) {
        size_t k = MIN(n, max - MIN(max, t->n_body));
        char *b;

        if (k == 0)
                return t->mode == BODY_ERROR ? 0 : -E2BIG;
        b = realloc(t->body, t->n_body + k + 1);
        if (!b)
                return -ENOMEM;
        memcpy(b + t->n_body, p, k);
        t->n_body += k;
        b[t->n_body] = 0;
        t->body = b;
        return 0;
}

/* Decides from the status and content type what the body is, on its first bytes. */
static BodyMode body_mode(CURL *curl) {
        const char *type = NULL;
        long status = 0;

        (void) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        (void) curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
        if (status >= 400)
                return BODY_ERROR;
        if (type && strncasecmp(type, "text/event-stream", 17) == 0)
                return BODY_STREAM;
        return BODY_WHOLE;
}

static size_t on_write(char *p, size_t size, size_t nmemb, void *userdata) {
        Transfer *t = userdata;
        size_t n = size * nmemb;
        int r;

        if (t->mode == BODY_UNDECIDED)
                t->mode = body_mode(t->client->curl);
        if (t->mode == BODY_STREAM)
                r = sse_parser_feed(&t->sse, p, n);
        else
                r = collect(t, p, n, t->mode == BODY_ERROR ? ERROR_BODY_MAX : 2 * CHAT_TEXT_MAX);
        if (r < 0) {
                t->error = r;
                return 0;       /* makes curl fail with CURLE_WRITE_ERROR */
        }
        return n;
}

/* Reads Retry-After (seconds) from a 429 or 503. */
static size_t on_header(char *p, size_t size, size_t nmemb, void *userdata) {
        Transfer *t = userdata;
        size_t n = size * nmemb;
        unsigned long secs;

        if (n > 12 && strncasecmp(p, "retry-after:", 12) == 0 && sscanf(p + 12, " %lu", &secs) == 1)
                t->retry_after_usec = MIN((uint64_t) secs * 1000000U, (uint64_t) RETRY_AFTER_MAX);
        return n;
}

/* Called by curl at least once a second: the place to notice a stop request or a silent server. */
static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow) {
        Transfer *t = userdata;
        uint64_t n = now(CLOCK_MONOTONIC);

        if (interrupt_requested())
                return 1;
        if (dlnow != t->last_dlnow) {
                t->last_dlnow = dlnow;
                t->last_activity = n;
        } else if (t->client->config.idle_timeout_usec > 0 &&
                   n - t->last_activity > t->client->config.idle_timeout_usec) {
                t->idle_timeout = true;
                return 1;
        }
        return 0;
}

static int setup_handle(LlmClient *c, Transfer *t, const char *body, struct curl_slist *headers,
                        uint64_t deadline_usec) {
        CURL *h = c->curl;
        uint64_t n = now(CLOCK_MONOTONIC);
        long timeout_ms = 0;

        if (deadline_usec > 0) {
                if (n >= deadline_usec)
                        return -ETIMEDOUT;
                timeout_ms = (long) MAX((deadline_usec - n) / 1000, (uint64_t) 1);
        }
        curl_easy_reset(h);     /* keeps the connection cache */
        if (curl_easy_setopt(h, CURLOPT_URL, c->url) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, c->socket_path) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long) (c->config.connect_timeout_usec / 1000)) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_WRITEDATA, t) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_HEADERDATA, t) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_XFERINFODATA, t) != CURLE_OK)
                return -EINVAL;
        return 0;
}

/* Words that servers use when the prompt is longer than their context window: vLLM "maximum
 * context length", llama.cpp "exceeds the available context size", TGI "inputs tokens +
 * max_new_tokens must be <=", OpenAI "context_length_exceeded". */
static bool is_context_error(const char *m) {
        static const char *const words[] = { "context length", "context size", "context window",
                                             "maximum context", "context_length", "max_new_tokens",
                                             "prompt is too long", "too many tokens", "n_ctx" };

        for (size_t i = 0; m && i < ELEMENTSOF(words); i++)
                if (strcasestr(m, words[i]))
                        return true;
        return false;
}

/* Copies at most ERROR_QUOTE_MAX bytes of a server's message onto one line: bodies end in a
 * newline (Ollama's, FastAPI's) or hold several lines. */
static char *quote_message(const char *m, size_t n) {
        char *q;
        size_t k = 0;

        while (n > 0 && strchr(" \t\r\n", m[n - 1]))
                n--;
        while (n > 0 && strchr(" \t\r\n", *m))
                m++, n--;
        q = malloc(MIN(n, (size_t) ERROR_QUOTE_MAX) + 1);
        if (!q)
                return NULL;
        for (size_t i = 0; i < n && k < ERROR_QUOTE_MAX; i++)
                if (m[i] == '\r' || m[i] == '\n' || m[i] == '\t')
                        q[k++] = ' ';
                else
                        q[k++] = m[i];
        q[k] = 0;
        return q;
}

/* Sets the message for an error the server reported in its own words. */
static void server_reported(LlmClient *c, const char *message) {
        _cleanup_free_ char *q = quote_message(message ?: "", strlen(message ?: ""));

        free_and_asprintf(&c->error, "the model server at %s reported an error: %s%s", c->socket_path ?: c->url,
                          strna(q), is_context_error(q) ? " (the conversation does not fit the model's context: "
                          "set --context-tokens to the server's context size, or give the server a larger one)" : "");
}

/* Turns a failed transfer into an errno and a message. */
static int curl_failure(LlmClient *c, Transfer *t, CURLcode code) {
        const char *where = c->socket_path ?: c->url;

        if (code == CURLE_ABORTED_BY_CALLBACK && interrupt_requested())
                return free_and_asprintf(&c->error, "request to the model cancelled"), -ECANCELED;
        if (code == CURLE_ABORTED_BY_CALLBACK && t->idle_timeout)
                return free_and_asprintf(&c->error, "no data from the model at %s for %.1fs (idle timeout)", where,
                                 (double) c->config.idle_timeout_usec / 1e6), -ETIMEDOUT;
        if (code == CURLE_WRITE_ERROR && t->error == -EBADE)
                return server_reported(c, t->response->error), -EBADE;
        if (code == CURLE_WRITE_ERROR && t->error < 0)
                return free_and_asprintf(&c->error, "invalid response from the model at %s: %s", where,
                                 t->error == -EBADMSG ? "malformed JSON" : strerror(-t->error)),
                       t->error == -E2BIG ? -EBADMSG : t->error;
        free_and_asprintf(&c->error, "cannot reach the model at %s: %s", where, curl_easy_strerror(code));
        switch (code) {
        case CURLE_COULDNT_CONNECT:
                return -ECONNREFUSED;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
                return -EHOSTUNREACH;
        case CURLE_OPERATION_TIMEDOUT:
                return -ETIMEDOUT;
        case CURLE_PARTIAL_FILE:
                return -EPROTO;
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_GOT_NOTHING:
                return -ECONNRESET;
        default:
                return -EIO;
        }
}

typedef struct Collected {
        char *body;
        size_t n_body;
} Collected;

static size_t on_collect(char *p, size_t size, size_t nmemb, void *userdata) {
        Collected *b = userdata;
        size_t n = size * nmemb;
        char *t;

        if (b->n_body + n > MODELS_BODY_MAX)
                return 0;
        t = realloc(b->body, b->n_body + n + 1);
        if (!t)
                return 0;
        memcpy(t + b->n_body, p, n);
        b->n_body += n;
        t[b->n_body] = 0;
        b->body = t;
        return n;
}

/* GET {base}/models, on the same handle and connection as the completions. Returns the ids
 * the server lists (possibly none), or a negative errno. */
static int get_models(LlmClient *c, char ***ret) {
        _cleanup_(curl_slist_free_allp) struct curl_slist *headers = NULL;
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_strv_free_ char **ids = NULL;
        _cleanup_free_ char *body = NULL;
        Collected b = {};
        json_object *data;
        long status = 0;
        CURLcode code;

        if (c->auth_header && !(headers = curl_slist_append(NULL, c->auth_header)))
                return -ENOMEM;
        curl_easy_reset(c->curl);
        if (curl_easy_setopt(c->curl, CURLOPT_URL, c->models_url) != CURLE_OK ||
            curl_easy_setopt(c->curl, CURLOPT_UNIX_SOCKET_PATH, c->socket_path) != CURLE_OK ||
            curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
            curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
            curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
            curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, (long) (c->config.connect_timeout_usec / 1000)) != CURLE_OK ||
            curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, 10000L) != CURLE_OK ||
            curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_collect) != CURLE_OK ||
            curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &b) != CURLE_OK)
                return -EINVAL;
        code = curl_easy_perform(c->curl);
        body = b.body;
        (void) curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
        if (code != CURLE_OK || status != 200)
                return -EIO;
        /* {"object":"list","data":[{"id":"...","object":"model"},...]}, the same everywhere. */
        if (json_parse(body ?: "", b.n_body, &o) < 0 || json_get_array(o, "data", &data) < 0)
                return -EBADMSG;
        for (size_t i = 0; i < json_object_array_length(data); i++) {
                const char *id;

                if (json_get_string(json_object_array_get_idx(data, i), "id", &id) == 0 && !isempty(id) &&
                    strv_extend(&ids, id) < 0)
                        return -ENOMEM;
        }
        *ret = steal_ptr(ids);
        return 0;
}

/* The models the server lists, joined for a message. Returns their number, 0 if none or the
 * server lists nothing. */
static int models_offered(LlmClient *c, char **ret) {
        _cleanup_strv_free_ char **ids = NULL;

        if (get_models(c, &ids) < 0 || strv_length(ids) == 0)
                return 0;
        *ret = strv_join(ids, ", ");
        return *ret ? (int) strv_length(ids) : 0;
}

/* Without a configured model the served one is asked for once: vLLM and Ollama answer 404 to
 * any other name. A server that lists nothing gets requests without a model. */
static void resolve_model(LlmClient *c) {
        _cleanup_strv_free_ char **ids = NULL;

        if (c->model || c->model_asked)
                return;
        c->model_asked = true;
        if (get_models(c, &ids) >= 0 && strv_length(ids) > 0)
                c->model = strdup(ids[0]);
}

/* The server's explanation in an error body: its JSON error message, or the text itself. */
static char *error_body_message(const Transfer *t) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        const char *m = NULL;

        if (t->n_body == 0)
                return NULL;
        if (json_parse(t->body, t->n_body, &o) == 0) {
                /* FastAPI (vLLM, SGLang, llama-cpp-python) validation errors: {"detail": ...}. */
                m = chat_error_message(o);
                if (!m && json_object_object_get_ex(o, "detail", NULL))
                        m = json_object_is_type(json_object_object_get(o, "detail"), json_type_string) ?
                                json_object_get_string(json_object_object_get(o, "detail")) :
                                json_to_string(json_object_object_get(o, "detail"));
        }
        return m ? quote_message(m, strlen(m)) : quote_message(t->body, t->n_body);
}

/* Maps an HTTP error status to an errno, keeping the start of the server's explanation. */
static int http_failure(LlmClient *c, Transfer *t, long status) {
        _cleanup_free_ char *m = error_body_message(t), *offered = NULL;

        /* vLLM and Ollama answer 404 for a model they do not serve: say which ones they do. */
        if (status == 404 && models_offered(c, &offered) > 0)
                free_and_asprintf(&offered, "; the server offers: %s (use --model)", strna(offered));
        free_and_asprintf(&c->error, "the model server at %s answered HTTP %ld%s%s%s%s", c->socket_path ?: c->url, status,
                          m ? ": " : "", m ?: "", offered ?: "",
                          status >= 400 && status < 500 && is_context_error(m) ? " (the conversation does not fit the model's context: "
                          "set --context-tokens to the server's context size, or give the server a larger one)" : "");
        if (status == 429)
                return -EBUSY;
        /* Bad gateway, loading (llama.cpp, TGI and vLLM answer 503 while they load), gateway timeout. */
        if (status == 502 || status == 503 || status == 504)
                return -EHOSTDOWN;
        if (status >= 500)
                return -EREMOTEIO;
        return -EIO;
}

/* An answer with nothing in it is not an answer: it must never end a task as done. */
static int check_empty(LlmClient *c, const ChatResponse *r) {
        if (!chat_response_is_empty(r))
                return 0;
        free_and_asprintf(&c->error, "the model at %s answered with no text and no tool call (finish reason: %s)%s",
                          c->socket_path ?: c->url, r->finish_reason ?: "none",
                          r->n_reasoning > 0 ? "; it only reasoned, and may need more --max-response-tokens" :
                          streq_ptr(r->finish_reason, "length") ? "; it ran out of tokens" : "");
        return -ENODATA;
}

/* Checks the assembled response once the transfer ended without a transport error. */
static int finish_body(LlmClient *c, Transfer *t) {
        const char *where = c->socket_path ?: c->url;
        int r;

        if (t->mode == BODY_STREAM) {
                (void) sse_parser_finish(&t->sse);
                if (!chat_response_is_complete(t->response))
                        return free_and_asprintf(&c->error, "the stream from the model at %s ended before the response was complete",
                                         where), -EPROTO;
                return check_empty(c, t->response);
        }
        if (t->n_body == 0)
                return free_and_asprintf(&c->error, "empty response from the model at %s", where), -EPROTO;
        r = chat_response_parse_body(t->response, t->body, t->n_body);
        if (r == -EBADE)
                return server_reported(c, t->response->error), r;
        if (r < 0)
                return free_and_asprintf(&c->error, "invalid response from the model at %s: %s", where,
                                 r == -EBADMSG ? "not a chat completion" : strerror(-r)),
                       r == -E2BIG ? -EBADMSG : r;
        return check_empty(c, t->response);
}

static int attempt(LlmClient *c, const char *body, struct curl_slist *headers, uint64_t deadline_usec,
                   const LlmCallbacks *callbacks, ChatResponse *ret, uint64_t *ret_retry_after) {
        Transfer t = { .client = c, .callbacks = callbacks, .response = ret,
                       .last_activity = now(CLOCK_MONOTONIC) };
        CURLcode code;
        long status = 0;
        int r;

        sse_parser_init(&t.sse, on_sse_event, &t);
        r = setup_handle(c, &t, body, headers, deadline_usec);
        if (r == -ETIMEDOUT)
                free_and_asprintf(&c->error, "out of time before the model answered");
        if (r >= 0) {
                code = curl_easy_perform(c->curl);
                (void) curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
                if (code != CURLE_OK && !(status >= 400 && code == CURLE_WRITE_ERROR))
                        r = curl_failure(c, &t, code);
                else if (status >= 400)
                        r = http_failure(c, &t, status);
                else
                        r = finish_body(c, &t);
        }
        *ret_retry_after = t.retry_after_usec;
        sse_parser_done(&t.sse);
        free(t.body);
        return r;
}

static int build_headers(LlmClient *c, struct curl_slist **ret) {
        struct curl_slist *l = NULL, *n;
        const char *h[] = { "Content-Type: application/json", "Accept: text/event-stream, application/json",
                            "Expect:", c->auth_header };

        for (size_t i = 0; i < ELEMENTSOF(h) && h[i]; i++) {
                n = curl_slist_append(l, h[i]);
                if (!n) {
                        curl_slist_free_all(l);
                        return -ENOMEM;
                }
                l = n;
        }
        *ret = l;
        return 0;
}

int llm_client_complete(LlmClient *c, json_object *messages, json_object *tools, uint64_t deadline_usec,
                        const LlmCallbacks *callbacks, ChatResponse *ret) {
        _cleanup_(curl_slist_free_allp) struct curl_slist *headers = NULL;
        _cleanup_free_ char *body = NULL;
        uint64_t delay = c->config.retry_delay_usec, retry_after = 0;
        int r;

        assert(c);
        assert(ret);

        resolve_model(c);
        r = build_body(c, messages, tools, &body);
        if (r >= 0)
                r = build_headers(c, &headers);
        if (r < 0)
                return free_and_asprintf(&c->error, "out of memory"), r;

        for (unsigned i = 0;; i++) {
                chat_response_done(ret);
                r = attempt(c, body, headers, deadline_usec, callbacks, ret, &retry_after);
                if (r >= 0 || !error_is_retryable(r) || i >= c->config.retries)
                        break;

                delay = MAX(delay, retry_after);
                if (deadline_usec > 0 && now(CLOCK_MONOTONIC) + delay >= deadline_usec)
                        break;
                if (callbacks && callbacks->on_retry)
                        callbacks->on_retry(r, c->error, i + 1, delay, callbacks->userdata);
                if (interrupt_sleep(delay) < 0) {
                        r = -ECANCELED;
                        free_and_asprintf(&c->error, "request to the model cancelled");
                        break;
                }
                delay = MIN(delay * 2, (uint64_t) RETRY_DELAY_MAX);
        }
        if (r < 0)
                chat_response_done(ret);
        return r;
}
