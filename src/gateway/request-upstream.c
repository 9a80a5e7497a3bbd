/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A request's upstream side: choosing the upstreams to try, the curl transfer, failover while
 * the request has not reached a model, the first-byte and idle timeouts, and turning what comes
 * back into what the client receives.
 *
 * A request is retried on the next upstream only if the previous one was never connected to:
 * once the body may have reached a server, a second try could run the same prompt twice. An
 * upstream's answer that is not 2xx is passed on with its status, wrapped into an OpenAI error
 * object if it is not one already. */

#include <strings.h>

#include "log.h"
#include "manager.h"
#include "parse-util.h"
#include "request-internal.h"
#include "strv.h"
#include "upstream.h"

/* What of an upstream's error answer is kept and quoted. */
#define ERROR_BODY_MAX (64U * 1024U)
#define ERROR_QUOTE_MAX 200
/* A non-streamed answer is copied up to this size to read its usage. */
#define WHOLE_BODY_MAX (16U * 1024U * 1024U)

static void request_attempt(Request *r);

static void release_transfer(Request *r) {
        if (r->easy) {
                curl_glue_remove(r->manager->curl, r->easy);
                curl_easy_cleanup(r->easy);
                r->easy = NULL;
        }
        curl_slist_free_all(r->headers);
        r->headers = NULL;
        r->body = mfree(r->body);
        r->paused = false;
}

void request_stop_upstream(Request *r) {
        release_transfer(r);
        (void) sd_event_source_set_enabled(r->timer, SD_EVENT_OFF);
        if (r->job.state != SCHEDULER_JOB_IDLE) {
                scheduler_remove(r->manager->scheduler, &r->job);
                manager_schedule_dispatch(r->manager);
        }
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Request *r = userdata;
        const UpstreamConfig *u = gateway_config_find_upstream(r->config, r->upstream);
        char span[FORMAT_TIMESPAN_MAX], *message = NULL;
        uint64_t t = !u ? 0 : r->answered ? u->idle_timeout_usec : u->first_byte_timeout_usec;

        if (asprintf(&message, "Upstream %s %s for %s (%s=).", r->upstream,
                     r->answered ? "sent nothing more" : "did not answer", format_timespan(span, sizeof span, t),
                     r->answered ? "IdleTimeoutSec" : "FirstByteTimeoutSec") < 0)
                message = NULL;
        log_debug("%s", strna(message));
        request_fail(r, 504, "timeout", "timeout", "upstream_timeout", message ?: "Upstream timeout.");
        free(message);
        return 0;
}

static void arm_timer(Request *r, uint64_t usec) {
        uint64_t when = usec == USEC_INFINITY ? USEC_INFINITY : now(CLOCK_MONOTONIC) + usec;
        int k;

        if (when == USEC_INFINITY || usec == 0) {
                (void) sd_event_source_set_enabled(r->timer, SD_EVENT_OFF);
                return;
        }
        if (r->timer) {
                k = sd_event_source_set_time(r->timer, when);
                if (k >= 0)
                        k = sd_event_source_set_enabled(r->timer, SD_EVENT_ONESHOT);
        } else
                k = sd_event_add_time(r->manager->event, &r->timer, CLOCK_MONOTONIC, when, 10 * 1000, on_timer, r);
        if (k < 0)
                log_warning_errno(k, "Failed to arm a request timeout, ignoring: %m");
}

static const UpstreamConfig *current_upstream(Request *r) {
        return gateway_config_find_upstream(r->config, r->upstream);
}

static void on_answer_begins(Request *r) {
        long code = 0;

        (void) curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
        if (code < 200)
                return;         /* an interim 1xx answer; the real one follows */
        r->status = code;
        r->t_first_byte = now(CLOCK_MONOTONIC);
        if (code < 300) {
                r->answered = true;
                arm_timer(r, current_upstream(r)->idle_timeout_usec);
                request_resume(r);
        }
}

static size_t on_header(char *p, size_t size, size_t n, void *userdata) {
        Request *r = userdata;
        const char *v;

        if (n >= 5 && strncasecmp(p, "HTTP/", 5) == 0)
                r->content_type = mfree(r->content_type);
        else if (n > 13 && strncasecmp(p, "Content-Type:", 13) == 0) {
                size_t len;

                for (v = p + 13; v < p + n && (*v == ' ' || *v == '\t'); v++)
                        ;
                for (len = (size_t) (p + n - v); len > 0 && strchr(" \t\r\n", v[len - 1]); len--)
                        ;
                free(r->content_type);
                r->content_type = strndup(v, len);
        } else if ((n == 2 && p[0] == '\r' && p[1] == '\n') || (n == 1 && p[0] == '\n'))
                on_answer_begins(r);
        return n;
}

static size_t on_data(char *p, size_t size, size_t n, void *userdata) {
        Request *r = userdata;
        int k;

        if (!r->answered) {
                size_t keep = MIN(n, ERROR_BODY_MAX - MIN(ERROR_BODY_MAX, buffer_length(&r->error_body)));
                return buffer_append(&r->error_body, p, keep) < 0 ? 0 : n;
        }
        if (request_out_full(r)) {
                r->paused = true;
                return CURL_WRITEFUNC_PAUSE;
        }
        arm_timer(r, current_upstream(r)->idle_timeout_usec);
        if (r->chat->stream)
                k = sse_scanner_feed(&r->sse, p, n, &r->out);
        else {
                k = buffer_append(&r->out, p, n);
                if (k >= 0 && buffer_length(&r->whole) + n <= WHOLE_BODY_MAX)
                        k = buffer_append(&r->whole, p, n);
        }
        if (k < 0)
                return 0;       /* out of memory: makes curl fail the transfer */
        if (buffer_length(&r->out) > 0)
                request_resume(r);
        return n;
}

/* The upstream's non-2xx answer, as an OpenAI error object for the client. */
static void fail_with_answer(Request *r) {
        _cleanup_free_ char *message = NULL;
        const char *body = buffer_peek(&r->error_body);
        size_t n = buffer_length(&r->error_body);
        unsigned status = r->status >= 400 && r->status <= 599 ? (unsigned) r->status : 502;

        request_stop_upstream(r);
        r->result = "upstream-error";
        r->error_status = status;
        if (openai_is_error_json(body, n)) {
                r->error_json = strndup(body, n);
        } else {
                if (asprintf(&message, "Upstream %s answered HTTP %ld: %.*s", r->upstream, r->status,
                             (int) MIN(n, (size_t) ERROR_QUOTE_MAX), body) < 0)
                        message = NULL;
                r->error_json = openai_error_json("upstream_error", "upstream_error", "%s",
                                                  message ?: "The upstream answered with an error.");
        }
        request_resume(r);
}

/* Whether the request cannot have reached the upstream: no connection, or not one byte of the
 * request sent on it. (The connect time does not tell: it is 0 on a reused connection.) */
static bool never_sent(CURLcode result, long request_size) {
        return result == CURLE_COULDNT_CONNECT || result == CURLE_COULDNT_RESOLVE_HOST ||
               result == CURLE_COULDNT_RESOLVE_PROXY || result == CURLE_SSL_CONNECT_ERROR || request_size == 0;
}

static void on_transfer_failed(Request *r, CURLcode result, long request_size) {
        _cleanup_free_ char *message = NULL;
        Upstream *up = manager_find_upstream(r->manager, r->upstream);
        const char *why = r->curl_error[0] ? r->curl_error : curl_easy_strerror(result);

        if (!r->answered && r->status == 0 && never_sent(result, request_size)) {
                if (up)
                        upstream_set_healthy(up, false, why);
                /* Nothing reached a model: the next upstream may take it. */
                if (++r->attempt < strv_length(r->candidates)) {
                        log_debug("Upstream %s unreachable (%s), trying %s.", r->upstream, why,
                                  r->candidates[r->attempt]);
                        request_attempt(r);
                        return;
                }
        }
        if (asprintf(&message, "Upstream %s failed: %s.", r->upstream, why) < 0)
                message = NULL;
        request_fail(r, 502, "upstream-error", "upstream_error", "upstream_unavailable",
                     message ?: "The upstream failed.");
}

static void on_done(CURL *easy, CURLcode result, void *userdata) {
        Request *r = userdata;
        Upstream *up = manager_find_upstream(r->manager, r->upstream);
        long request_size = 0;

        (void) curl_easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &request_size);
        /* The glue has let go of the handle already. */
        r->easy = NULL;
        curl_easy_cleanup(easy);
        release_transfer(r);

        if (result != CURLE_OK)
                return on_transfer_failed(r, result, request_size);
        if (up && r->status < 500)
                upstream_set_healthy(up, true, NULL);
        if (!r->answered)
                return fail_with_answer(r);

        if (r->chat->stream) {
                if (sse_scanner_finish(&r->sse, &r->out) < 0)
                        r->upstream_failed = true;
        } else
                (void) usage_from_body(buffer_peek(&r->whole), buffer_length(&r->whole), &r->usage);
        buffer_done(&r->whole);
        r->upstream_done = true;
        request_stop_upstream(r);
        request_resume(r);
}

static int setup_transfer(Request *r, const UpstreamConfig *u, const char *target) {
        struct curl_slist *h;
        int k;

        k = chat_request_build(r->chat, target, &r->body);
        if (k < 0)
                return k;
        r->easy = curl_easy_init();
        if (!r->easy)
                return -ENOMEM;
        /* Nothing the caller sent goes upstream but the body: no caller header, and the only
         * Authorization is the upstream's own key. */
        r->headers = curl_slist_append(NULL, "Content-Type: application/json");
        if (!r->headers)
                return -ENOMEM;
        h = curl_slist_append(r->headers, r->chat->stream ? "Accept: text/event-stream" : "Accept: application/json");
        if (!h)
                return -ENOMEM;
        k = upstream_setup_easy(u, r->easy, "/chat/completions", &r->headers);
        if (k < 0)
                return k;
        if (curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->body) != CURLE_OK ||
            curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) strlen(r->body)) != CURLE_OK ||
            curl_easy_setopt(r->easy, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK ||
            curl_easy_setopt(r->easy, CURLOPT_HEADERDATA, r) != CURLE_OK ||
            curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK ||
            curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r) != CURLE_OK ||
            curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->curl_error) != CURLE_OK)
                return -ENOMEM;
        return curl_glue_add(r->manager->curl, r->easy, on_done, r);
}

/* Sends the request to candidates[attempt]. */
static void request_attempt(Request *r) {
        const UpstreamConfig *u = gateway_config_find_upstream(r->config, r->candidates[r->attempt]);
        const char *target = NULL;
        int k;

        release_transfer(r);
        r->status = 0;
        r->curl_error[0] = 0;
        r->content_type = mfree(r->content_type);
        buffer_done(&r->error_body);
        if (!u || !upstream_config_map_model(u, r->model, &target))
                return request_fail(r, 500, "upstream-error", "server_error", NULL, "Upstream vanished.");
        free(r->upstream);
        free(r->upstream_model);
        r->upstream = strdup(u->name);
        r->upstream_model = target ? strdup(target) : NULL;
        if (!r->upstream || (target && !r->upstream_model))
                return request_fail(r, 500, "upstream-error", "server_error", NULL, "Out of memory.");
        k = setup_transfer(r, u, target);
        if (k < 0) {
                log_warning_errno(k, "Failed to start a transfer to upstream %s: %m", u->name);
                return request_fail(r, 500, "upstream-error", "server_error", NULL, "Cannot start the upstream transfer.");
        }
        /* Connecting is part of waiting for the first byte; curl bounds it on its own too. */
        arm_timer(r, u->first_byte_timeout_usec);
}

/* The upstreams serving the request's model, those believed up before those believed down. */
static int pick_candidates(Request *r) {
        const char *target;
        int k;

        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < r->config->n_upstreams; i++) {
                        const UpstreamConfig *u = r->config->upstreams[i];
                        Upstream *up = manager_find_upstream(r->manager, u->name);
                        bool healthy = !up || up->healthy;

                        if (healthy != (pass == 0) || !upstream_config_map_model(u, r->model, &target))
                                continue;
                        k = strv_extend(&r->candidates, u->name);
                        if (k < 0)
                                return k;
                }
        return (int) strv_length(r->candidates);
}

void request_start(Request *r) {
        int k;

        r->t_dispatch = now(CLOCK_MONOTONIC);
        r->config = gateway_config_ref(r->manager->config);
        k = pick_candidates(r);
        if (k < 0)
                return request_fail(r, 500, "upstream-error", "server_error", NULL, "Out of memory.");
        if (k == 0)
                return request_fail(r, 404, "no-upstream", "invalid_request_error", "model_not_found",
                                    "No upstream serves this model any more.");
        request_attempt(r);
}
