/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One HTTP request on the inference socket. For a chat completion it is the whole life of the
 * proxied call: reading the body, waiting for a slot, talking to upstreams (with failover while
 * nothing has reached a model), streaming the answer back, and the accounting at the end. */

#include <stdbool.h>

#include <curl/curl.h>
#include <microhttpd.h>
#include <systemd/sd-event.h>

#include "buffer.h"
#include "gateway-config.h"
#include "peer-identity.h"
#include "macro.h"
#include "openai.h"
#include "scheduler.h"
#include "sse-usage.h"

typedef struct Manager Manager;

typedef enum Route {
        ROUTE_CHAT,                     /* POST /v1/chat/completions */
        ROUTE_MODELS,                   /* GET /v1/models */
        ROUTE_HEALTH,                   /* GET /health */
        ROUTE_USAGE,                    /* GET /v1/openmono/usage */
        ROUTE_NOT_FOUND,
        ROUTE_BAD_METHOD,
        _ROUTE_MAX,
        _ROUTE_INVALID = -EINVAL,
} Route;

/* Finds the route of method and url (the path, a query string ignored). */
Route route_from_request(const char *method, const char *url);

typedef struct Request Request;
struct Request {
        Manager *manager;
        Request *prev, *next;           /* manager->requests */
        struct MHD_Connection *connection;
        const PeerIdentity *identity;   /* the connection's; NULL if the peer could not be identified */
        Route route;
        bool began;                     /* the body is in and the request was looked at */
        bool suspended;
        bool cancelled;                 /* the client went away */
        bool paused;                    /* the upstream transfer waits for the client to catch up */
        Buffer upload;
        bool too_large;

        ChatRequest *chat;
        char *model;                    /* what the client asked for, or DefaultModel= */
        SchedulerJob job;
        GatewayConfig *config;          /* the configuration the request was dispatched with */
        char **candidates;              /* upstream names, in the order to try them */
        size_t attempt;
        char *upstream;                 /* the one in use */
        char *upstream_model;

        CURL *easy;
        struct curl_slist *headers;
        char *body;                     /* what goes upstream */
        long status;                    /* the upstream's, once its headers are in */
        char curl_error[CURL_ERROR_SIZE];
        char *content_type;
        bool answered;                  /* a 2xx status and headers came: the body streams through */
        bool upstream_done;
        bool upstream_failed;           /* ended badly after the answer began */
        Buffer out;                     /* for the client */
        Buffer whole;                   /* a copy of a non-streamed body, for its usage */
        Buffer error_body;              /* a non-2xx answer */
        SseScanner sse;                 /* usage of a streamed answer */
        Usage usage;                    /* usage of a non-streamed one */

        char *error_json;               /* a complete answer of our own, to send */
        unsigned error_status;
        const char *result;             /* for the journal: ok, rejected, timeout, ... */
        unsigned status_sent;

        sd_event_source *timer;
        sd_event_source *hangup;
        sd_event_source *unpause;
        uint64_t t_arrive, t_dispatch, t_first_byte;
        uint64_t bytes_sent;
};

int request_new(Manager *m, struct MHD_Connection *c, const PeerIdentity *id, Route route, Request **ret);
/* Aborts what is still running, writes the journal entry of a chat request, frees. */
Request *request_free(Request *r);

/* Takes a piece of the request body. */
void request_upload(Request *r, const char *data, size_t n);

/* The access handler's last call for a chat request (the body is in): validates, queues and
 * suspends; on later calls, after a resume, sends what is ready. Returns what the access handler
 * returns. */
enum MHD_Result request_handle_chat(Request *r);

/* Called by the manager when the scheduler gave the request a slot. */
void request_start(Request *r);

/* Aborts the request from the gateway's side (shutdown): the upstream transfer stops and the
 * connection is closed. */
void request_abort(Request *r);
