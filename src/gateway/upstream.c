/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Health checks. An upstream counts as up until a check or a request finds it unreachable, and
 * as up again as soon as one succeeds. Health only orders the candidates for a request (up ones
 * first); a down upstream is still tried last, because a check may be out of date. */

#include <inttypes.h>

#include "log.h"
#include "manager.h"
#include "message-ids.h"
#include "openai.h"
#include "strv.h"
#include "upstream.h"

/* A health check may take this long in all, on top of the connect timeout. */
#define HEALTH_CHECK_TIMEOUT_USEC (10ULL * 1000000)
#define HEALTH_BODY_MAX (1024U * 1024U)

static void upstream_schedule_check(Upstream *u, uint64_t delay);

Upstream *upstream_free(Upstream *u) {
        if (!u)
                return NULL;
        if (u->check) {
                curl_glue_remove(u->manager->curl, u->check);
                curl_easy_cleanup(u->check);
        }
        curl_slist_free_all(u->check_headers);
        buffer_done(&u->check_body);
        sd_event_source_disable_unref(u->timer);
        strv_free(u->models);
        free(u->reason);
        return mfree(u);
}

void upstream_set_healthy(Upstream *u, bool healthy, const char *reason) {
        _cleanup_strv_free_ char **fields = NULL;
        bool changed = u->healthy != healthy;
        int r;

        u->healthy = healthy;
        if (!healthy && reason && !streq_ptr(u->reason, reason)) {
                char *c = strdup(reason);
                if (c)
                        free_and_replace(u->reason, c);
        }
        if (healthy)
                u->reason = mfree(u->reason);
        if (!changed)
                return;

        r = strv_extendf(&fields, "MESSAGE_ID=%s", healthy ? OPENMONO_MESSAGE_GATEWAY_UPSTREAM_UP
                                                            : OPENMONO_MESSAGE_GATEWAY_UPSTREAM_DOWN);
        if (r >= 0)
                r = strv_extendf(&fields, "OPENMONO_EVENT=upstream-%s", healthy ? "up" : "down");
        if (r >= 0)
                r = strv_extendf(&fields, "OPENMONO_UPSTREAM=%s", u->config->name);
        if (r >= 0)
                r = strv_extendf(&fields, "MESSAGE=Upstream %s (%s) is %s%s%s", u->config->name, u->config->url,
                                 healthy ? "up" : "down", healthy ? "." : ": ", healthy ? "" : strna(reason));
        if (r < 0)
                return (void) log_oom();
        log_struct(healthy ? LOG_NOTICE : LOG_WARNING, 0, fields);
}

int upstream_setup_easy(const UpstreamConfig *c, CURL *easy, const char *path, struct curl_slist **headers) {
        _cleanup_free_ char *url = NULL, *auth = NULL;
        struct curl_slist *h;

        if (asprintf(&url, "%s%s", c->url, path) < 0)
                return -ENOMEM;
        /* An empty "Expect:" keeps curl from waiting for "100 Continue" on large bodies. */
        h = curl_slist_append(*headers, "Expect:");
        if (!h)
                return -ENOMEM;
        *headers = h;
        if (c->key) {
                if (asprintf(&auth, "Authorization: Bearer %s", c->key) < 0)
                        return -ENOMEM;
                h = curl_slist_append(*headers, auth);
                explicit_bzero(auth, strlen(auth));
                if (!h)
                        return -ENOMEM;
                *headers = h;
        }
        if (curl_easy_setopt(easy, CURLOPT_URL, url) != CURLE_OK ||
            curl_easy_setopt(easy, CURLOPT_HTTPHEADER, *headers) != CURLE_OK ||
            curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
            curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
            curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                             (long) MIN(c->connect_timeout_usec / 1000, (uint64_t) LONG_MAX)) != CURLE_OK)
                return -ENOMEM;
        /* Upstreams are servers of our own choosing: never follow a redirect elsewhere. */
        (void) curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
        return 0;
}

static size_t on_check_data(char *p, size_t size, size_t n, void *userdata) {
        Upstream *u = userdata;

        if (buffer_length(&u->check_body) + n > HEALTH_BODY_MAX)
                return 0;       /* makes curl fail the transfer: nobody lists that many models */
        return buffer_append(&u->check_body, p, n) < 0 ? 0 : n;
}

static void on_check_done(CURL *easy, CURLcode result, void *userdata) {
        _cleanup_free_ char *reason = NULL;
        Upstream *u = userdata;
        char **models = NULL;
        long code = 0;

        (void) curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
        if (result != CURLE_OK)
                (void) asprintf(&reason, "health check failed: %s", curl_easy_strerror(result));
        else if (code < 200 || code > 299)
                (void) asprintf(&reason, "health check answered HTTP %ld", code);
        else if (openai_parse_model_list(buffer_peek(&u->check_body), buffer_length(&u->check_body), &models) >= 0) {
                strv_free(u->models);
                u->models = models;
        }
        upstream_set_healthy(u, result == CURLE_OK && code >= 200 && code <= 299, reason ?: "health check failed");

        u->check = NULL;
        curl_easy_cleanup(easy);
        curl_slist_free_all(u->check_headers);
        u->check_headers = NULL;
        buffer_done(&u->check_body);
        upstream_schedule_check(u, u->manager->config->health_check_usec);
}

static int upstream_start_check(Upstream *u) {
        _cleanup_(curl_easy_cleanupp) CURL *easy = NULL;
        _cleanup_(curl_slist_free_allp) struct curl_slist *headers = NULL;
        uint64_t total = u->config->connect_timeout_usec + HEALTH_CHECK_TIMEOUT_USEC;
        int r;

        easy = curl_easy_init();
        if (!easy)
                return -ENOMEM;
        r = upstream_setup_easy(u->config, easy, u->config->health_path, &headers);
        if (r < 0)
                return r;
        if (curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_check_data) != CURLE_OK ||
            curl_easy_setopt(easy, CURLOPT_WRITEDATA, u) != CURLE_OK ||
            curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long) MIN(total / 1000, (uint64_t) LONG_MAX)) != CURLE_OK)
                return -ENOMEM;
        r = curl_glue_add(u->manager->curl, easy, on_check_done, u);
        if (r < 0)
                return r;
        /* curl uses the header list until the transfer ends. */
        u->check_headers = steal_ptr(headers);
        u->check = steal_ptr(easy);
        return 0;
}

static int on_check_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Upstream *u = userdata;
        int r;

        if (u->check)
                return 0;
        r = upstream_start_check(u);
        if (r < 0) {
                log_warning_errno(r, "Failed to start a health check of upstream %s, retrying later: %m",
                                  u->config->name);
                upstream_schedule_check(u, u->manager->config->health_check_usec);
        }
        return 0;
}

/* A delay of 0 disables the periodic checks (HealthCheckIntervalSec=0). */
static void upstream_schedule_check(Upstream *u, uint64_t delay) {
        uint64_t when = now(CLOCK_MONOTONIC) + delay;
        int r;

        if (delay == 0 || delay == UINT64_MAX)
                return;
        if (u->timer) {
                r = sd_event_source_set_time(u->timer, when);
                if (r >= 0)
                        r = sd_event_source_set_enabled(u->timer, SD_EVENT_ONESHOT);
        } else
                r = sd_event_add_time(u->manager->event, &u->timer, CLOCK_MONOTONIC, when, 0, on_check_timer, u);
        if (r < 0)
                log_warning_errno(r, "Failed to schedule a health check of upstream %s: %m", u->config->name);
}

int upstream_new(Manager *m, const UpstreamConfig *config, const Upstream *old, Upstream **ret) {
        _cleanup_(upstream_freep) Upstream *u = NULL;

        u = calloc(1, sizeof(*u));
        if (!u)
                return -ENOMEM;
        u->manager = m;
        u->config = config;
        u->healthy = true;
        if (old && streq(old->config->url, config->url)) {
                u->healthy = old->healthy;
                if (old->reason && !(u->reason = strdup(old->reason)))
                        return -ENOMEM;
                for (char **i = old->models; i && *i; i++)
                        if (strv_extend(&u->models, *i) < 0)
                                return -ENOMEM;
        }
        /* The first check right away, so /v1/models knows what the upstream serves. */
        if (m->config->health_check_usec > 0)
                upstream_schedule_check(u, 1);
        *ret = steal_ptr(u);
        return 0;
}
