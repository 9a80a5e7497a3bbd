/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A request's client side: routing, admission (identity, size, model, queue limits), waiting
 * suspended, sending what the upstream side (request-upstream.c) produced, noticing a client
 * that goes away, and the journal entry at the end.
 *
 * A waiting connection is suspended in MHD, which then stops watching its socket; a client that
 * hangs up meanwhile would go unnoticed until the answer came. So while suspended, the request
 * watches the socket itself for EPOLLRDHUP, and a hangup cancels it at once: a queued request
 * leaves the queue, a running one aborts its upstream transfer and frees its slot. */

#include <sys/epoll.h>

#include "http-server.h"
#include "log.h"
#include "manager.h"
#include "message-ids.h"
#include "request-internal.h"
#include "strv.h"

/* The answer waiting for the client may grow to this much before the upstream is paused, and
 * the upstream goes on when it is down to the lower mark. */
#define OUT_HIGH_WATERMARK (256U * 1024U)
#define OUT_LOW_WATERMARK (64U * 1024U)
#define RESPONSE_BLOCK_SIZE (16U * 1024U)

static const struct {
        const char *method;
        const char *path;
} route_table[] = {
        [ROUTE_CHAT] = { "POST", "/v1/chat/completions" },
        [ROUTE_MODELS] = { "GET", "/v1/models" },
        [ROUTE_HEALTH] = { "GET", "/health" },
        [ROUTE_USAGE] = { "GET", "/v1/openmono/usage" },
};

Route route_from_request(const char *method, const char *url) {
        size_t n = strcspn(url, "?");
        bool path_known = false;

        for (Route r = 0; r < ROUTE_NOT_FOUND; r++) {
                if (strlen(route_table[r].path) != n || strncmp(route_table[r].path, url, n) != 0)
                        continue;
                path_known = true;
                /* HEAD is answered by MHD from the GET handler. */
                if (streq(method, route_table[r].method) || (streq(method, "HEAD") && streq(route_table[r].method, "GET")))
                        return r;
        }
        return path_known ? ROUTE_BAD_METHOD : ROUTE_NOT_FOUND;
}

int request_new(Manager *m, struct MHD_Connection *c, const PeerIdentity *id, Route route, Request **ret) {
        Request *r = calloc(1, sizeof(*r));

        if (!r)
                return -ENOMEM;
        r->manager = m;
        r->connection = c;
        r->identity = id;
        r->route = route;
        r->job.userdata = r;
        r->t_arrive = now(CLOCK_MONOTONIC);
        manager_add_request(m, r);
        *ret = r;
        return 0;
}

static void request_account(Request *r) {
        uint64_t t_end = now(CLOCK_MONOTONIC);
        RequestRecord rec = {
                .uid = r->identity->uid,
                .user = r->identity->user_name,
                .session = r->identity->session,
                .model = r->model,
                .upstream = r->upstream,
                .upstream_model = r->upstream_model,
                .result = r->result ?: (r->cancelled ? "client-gone" : "ok"),
                /* As nginx logs it: 499, the client closed the connection before an answer. */
                .status = r->status_sent > 0 ? r->status_sent : r->cancelled ? 499 : 0,
                .stream = r->chat && r->chat->stream,
                .usage = r->chat && r->chat->stream ? r->sse.usage : r->usage,
                .request_body = r->chat ? r->chat->body : NULL,
                .queue_usec = r->t_dispatch > 0 ? r->t_dispatch - r->t_arrive : 0,
                .first_byte_usec = r->t_first_byte > 0 ? r->t_first_byte - r->t_dispatch : 0,
                .latency_usec = t_end - r->t_arrive,
                .bytes = r->bytes_sent,
        };

        accounting_record(r->manager->accounting, &rec);
}

Request *request_free(Request *r) {
        if (!r)
                return NULL;
        if (r->route == ROUTE_CHAT && r->began && r->identity)
                request_account(r);
        request_stop_upstream(r);
        manager_remove_request(r->manager, r);
        sd_event_source_disable_unref(r->hangup);
        sd_event_source_disable_unref(r->unpause);
        sd_event_source_disable_unref(r->timer);
        buffer_done(&r->upload);
        buffer_done(&r->out);
        buffer_done(&r->whole);
        buffer_done(&r->error_body);
        sse_scanner_done(&r->sse);
        chat_request_free(r->chat);
        gateway_config_unref(r->config);
        strv_free(r->candidates);
        free(r->model);
        free(r->upstream);
        free(r->upstream_model);
        free(r->content_type);
        free(r->error_json);
        return mfree(r);
}

void request_upload(Request *r, const char *data, size_t n) {
        if (r->too_large)
                return;
        if (buffer_length(&r->upload) + n > r->manager->config->max_request_size ||
            buffer_append(&r->upload, data, n) < 0) {
                r->too_large = true;
                buffer_done(&r->upload);
        }
}

static int on_hangup(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Request *r = userdata;

        log_debug("Client of a %s request went away while it waited.", r->upstream ? "running" : "queued");
        r->cancelled = true;
        request_stop_upstream(r);
        request_resume(r);
        return 0;
}

void request_suspend(Request *r) {
        int fd, k;

        if (r->suspended || r->cancelled)
                return;
        MHD_suspend_connection(r->connection);
        r->suspended = true;
        if (r->hangup)
                k = sd_event_source_set_enabled(r->hangup, SD_EVENT_ON);
        else if ((fd = http_connection_fd(r->connection)) >= 0)
                k = sd_event_add_io(r->manager->event, &r->hangup, fd, EPOLLRDHUP, on_hangup, r);
        else
                k = fd;
        if (k < 0)
                log_debug_errno(k, "Cannot watch a waiting client for hangups, ignoring: %m");
}

void request_resume(Request *r) {
        if (!r->suspended)
                return;
        r->suspended = false;
        (void) sd_event_source_set_enabled(r->hangup, SD_EVENT_OFF);
        MHD_resume_connection(r->connection);
        http_server_kick(r->manager->http);
}

void request_fail(Request *r, unsigned status, const char *result, const char *type, const char *code,
                  const char *message) {
        request_stop_upstream(r);
        if (r->answered) {
                /* The status line is out already; all that is left is to cut the stream short. */
                r->upstream_done = r->upstream_failed = true;
                r->result = result;
        } else if (!r->error_json) {
                r->error_json = openai_error_json(type, code, "%s", message);
                r->error_status = status;
                r->result = result;
        }
        request_resume(r);
}

static void on_unpause_event(Request *r) {
        r->paused = false;
        if (r->easy && curl_glue_unpause(r->manager->curl, r->easy) < 0)
                request_fail(r, 502, "upstream-error", "upstream_error", NULL, "Cannot resume the upstream transfer.");
}

static int on_unpause(sd_event_source *s, void *userdata) {
        on_unpause_event(userdata);
        return 0;
}

/* Called by MHD whenever it can send more of a streamed answer. */
static ssize_t on_read(void *userdata, uint64_t pos, char *buf, size_t max) {
        Request *r = userdata;
        size_t n = MIN(buffer_length(&r->out), max);

        if (r->cancelled)
                return MHD_CONTENT_READER_END_WITH_ERROR;
        if (n > 0) {
                memcpy(buf, buffer_peek(&r->out), n);
                buffer_consume(&r->out, n);
                r->bytes_sent += n;
                /* curl_easy_pause() may call back into the transfer: do it outside MHD. */
                if (r->paused && buffer_length(&r->out) <= OUT_LOW_WATERMARK) {
                        if (!r->unpause)
                                (void) sd_event_add_defer(r->manager->event, &r->unpause, on_unpause, r);
                        else
                                (void) sd_event_source_set_enabled(r->unpause, SD_EVENT_ONESHOT);
                }
                return (ssize_t) n;
        }
        if (r->upstream_done)
                return r->upstream_failed ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM;
        request_suspend(r);
        return 0;
}

bool request_out_full(Request *r) {
        return buffer_length(&r->out) >= OUT_HIGH_WATERMARK;
}

static enum MHD_Result queue_stream(Request *r) {
        struct MHD_Response *resp;
        enum MHD_Result ret;

        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, RESPONSE_BLOCK_SIZE, on_read, r, NULL);
        if (!resp)
                return MHD_NO;
        if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                    r->content_type ?: (r->chat->stream ? "text/event-stream" : "application/json")) != MHD_YES ||
            (r->chat->stream && MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache") != MHD_YES)) {
                MHD_destroy_response(resp);
                return MHD_NO;
        }
        ret = MHD_queue_response(r->connection, (unsigned) r->status, resp);
        MHD_destroy_response(resp);
        r->status_sent = (unsigned) r->status;
        return ret;
}

static enum MHD_Result reject(Request *r, unsigned status, const char *type, const char *code,
                              const char *message) {
        r->result = "rejected";
        r->status_sent = status;
        return http_respond_error(r->connection, status, type, code, "%s", message);
}

/* Whether the caller may use models: sessions always, other local users if configured. */
bool request_caller_allowed(Request *r) {
        return r->identity && (r->identity->session || r->manager->config->allow_local_users);
}

void request_log_refused(Request *r) {
        _cleanup_strv_free_ char **fields = NULL;
        const PeerIdentity *id = r->identity;
        int k;

        if (!id)
                return;
        k = strv_extendf(&fields, "MESSAGE_ID=%s", OPENMONO_MESSAGE_GATEWAY_REFUSED);
        if (k >= 0)
                k = strv_extendf(&fields, "OPENMONO_EVENT=inference-refused");
        if (k >= 0)
                k = strv_extendf(&fields, "OPENMONO_USER=%s", strna(id->user_name));
        if (k >= 0)
                k = strv_extendf(&fields, "OPENMONO_UID=%u", (unsigned) id->peer_uid);
        if (k >= 0)
                k = strv_extendf(&fields, "MESSAGE=Refused %s (PID %i), which runs outside any OpenMono session.",
                                 strna(id->user_name), (int) id->pid);
        if (k >= 0)
                log_struct(LOG_NOTICE, 0, fields);
}

static bool any_upstream_serves(Request *r) {
        const GatewayConfig *c = r->manager->config;
        const char *target;

        for (size_t i = 0; i < c->n_upstreams; i++)
                if (upstream_config_map_model(c->upstreams[i], r->model, &target))
                        return true;
        return false;
}

/* Upstreams attribute usage to "user": it names whom the gateway knows to be asking. */
static int set_user(Request *r) {
        _cleanup_free_ char *user = NULL;
        int k;

        k = peer_identity_to_string(r->identity, &user);
        if (k < 0)
                return k;
        return chat_request_set_user(r->chat, user);
}

/* The first look at a complete request: everything that can be refused without a slot. */
static enum MHD_Result request_begin(Request *r) {
        _cleanup_free_ char *error = NULL, *message = NULL;
        GatewayConfig *c = r->manager->config;
        int k;

        r->began = true;
        if (!request_caller_allowed(r)) {
                request_log_refused(r);
                r->began = false;       /* nobody to account it to */
                return http_respond_error(r->connection, 403, "permission_error", "not_in_session",
                                          "The inference gateway serves OpenMono sessions only.");
        }
        if (r->too_large)
                return reject(r, 413, "invalid_request_error", "request_too_large",
                              "The request body is larger than the gateway accepts (MaxRequestSize=).");
        k = chat_request_parse(buffer_peek(&r->upload), buffer_length(&r->upload), &r->chat, &error);
        buffer_done(&r->upload);
        if (k == -ENOMEM)
                return MHD_NO;
        if (k < 0)
                return reject(r, 400, "invalid_request_error", "invalid_body", error);
        k = set_user(r);
        if (k < 0)
                return MHD_NO;
        sse_scanner_init(&r->sse, r->chat->stream && !r->chat->client_wants_usage);

        if (r->chat->model || c->default_model) {
                r->model = strdup(r->chat->model ?: c->default_model);
                if (!r->model)
                        return MHD_NO;
        }
        if (!any_upstream_serves(r)) {
                if (asprintf(&message, "The model '%s' does not exist or no upstream serves it.", strna(r->model)) < 0)
                        return MHD_NO;
                return reject(r, 404, "invalid_request_error", "model_not_found", message);
        }
        k = scheduler_enqueue(r->manager->scheduler, &r->job, r->identity->uid, r->identity->session);
        if (k == -EBUSY || k == -EXFULL) {
                if (asprintf(&message, "Too many requests: %u of %s are waiting already (%s).",
                             k == -EBUSY ? c->max_queued_per_user : c->max_queued_per_session,
                             k == -EBUSY ? "yours" : "this session's",
                             k == -EBUSY ? "MaxQueuedPerUser=" : "MaxQueuedPerSession=") < 0)
                        return MHD_NO;
                return reject(r, 429, "rate_limit_exceeded", "rate_limit_exceeded", message);
        }
        if (k < 0)
                return MHD_NO;
        request_suspend(r);
        manager_schedule_dispatch(r->manager);
        return MHD_YES;
}

enum MHD_Result request_handle_chat(Request *r) {
        if (r->cancelled)
                return MHD_NO;
        if (!r->began)
                return request_begin(r);
        if (r->error_json) {
                r->status_sent = r->error_status;
                return http_respond_json(r->connection, r->error_status, r->error_json);
        }
        if (r->answered)
                return queue_stream(r);
        /* Resumed with nothing to send yet. */
        request_suspend(r);
        return MHD_YES;
}

void request_abort(Request *r) {
        r->cancelled = true;
        r->result = r->result ?: "shutdown";
        request_stop_upstream(r);
        request_resume(r);
}
