/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* An upstream's state at run time: whether it is up, which models it reported, and its
 * periodic health check (GET <URL><HealthCheckPath>). Rebuilt on every reload, taking over
 * what the previous object of the same name and URL knew. */

#include <stdbool.h>

#include <curl/curl.h>
#include <systemd/sd-event.h>

#include "buffer.h"
#include "gateway-config.h"
#include "macro.h"

typedef struct Manager Manager;

typedef struct Upstream {
        Manager *manager;
        const UpstreamConfig *config;   /* owned by manager->config */
        bool healthy;                   /* assumed until something fails */
        char *reason;                   /* why it is down */
        char **models;                  /* as its last health check listed them */
        CURL *check;                    /* the health check in flight */
        struct curl_slist *check_headers;
        Buffer check_body;
        sd_event_source *timer;
} Upstream;

/* Creates the runtime state for config, taking over health and models from old if that is the
 * same upstream (name and URL), and starts health checks. Returns 0 or a negative errno. */
int upstream_new(Manager *m, const UpstreamConfig *config, const Upstream *old, Upstream **ret);
Upstream *upstream_free(Upstream *u);
DEFINE_PTR_CLEANUP(Upstream *, upstream_free);

/* Records what a request or a check found; logs a change of state with its MESSAGE_ID. */
void upstream_set_healthy(Upstream *u, bool healthy, const char *reason);

/* Sets the options every transfer to this upstream shares: URL (base URL + path), timeouts,
 * protocols, and the headers in *headers (with the key, if any). Returns 0 or -ENOMEM. */
int upstream_setup_easy(const UpstreamConfig *c, CURL *easy, const char *path, struct curl_slist **headers);
