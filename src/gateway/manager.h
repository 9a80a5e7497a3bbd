/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The gateway's root object: it owns the event loop, the HTTP server on the inference socket,
 * the curl multi handle, the configuration in force, the upstreams' health, the scheduler and
 * the usage counters. Everything else hangs off it. */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "accounting.h"
#include "connection-table.h"
#include "curl-glue.h"
#include "gateway-config.h"
#include "http-server.h"
#include "peer-identity.h"
#include "macro.h"
#include "scheduler.h"

typedef struct Request Request;
typedef struct Upstream Upstream;

#define GATEWAY_SOCKET_PATH RUNDIR "/inference.sock"

typedef struct Manager {
        sd_event *event;
        HttpServer *http;
        CurlGlue *curl;
        Scheduler *scheduler;
        ConnectionTable *connections;   /* who holds how many connections */
        PeerCache *peers;               /* callers identified lately */
        Accounting *accounting;
        GatewayConfig *config;          /* the configuration in force */
        Upstream **upstreams;           /* runtime state, in the order of config->upstreams */
        size_t n_upstreams;
        Request *requests;              /* every request in progress, for shutdown */
        sd_event_source *dispatch_event;

        /* Where configuration comes from; tests and benchmarks point these elsewhere. */
        char **config_dirs;
        char *config_root;
        char *credentials_dir;
        bool fifo;                      /* benchmarks only: one queue for everybody */
        char *bound_path;               /* set when we bound the socket ourselves */
        uint64_t start_realtime;
        uint64_t refused_logged_usec;   /* when a refused connection was last logged */
        unsigned n_refused_unlogged;    /* refused since */
} Manager;

int manager_new(Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_PTR_CLEANUP(Manager *, manager_free);

/* Loads the configuration; at start a bad one is fatal. Logs what is wrong. */
int manager_load_config(Manager *m);
/* SIGHUP: loads the configuration again; if it is bad, logs why and keeps the old one. */
int manager_reload(Manager *m);

/* Takes the listening socket from systemd or binds fallback_path, and serves HTTP on it. */
int manager_listen(Manager *m, const char *fallback_path);
int manager_run(Manager *m);

/* Starts queued requests while the scheduler has free slots. Safe to call from anywhere in the
 * loop: the work happens from a deferred event. */
void manager_schedule_dispatch(Manager *m);

/* The runtime state of the upstream called name, or NULL after a reload removed it. */
Upstream *manager_find_upstream(Manager *m, const char *name);

void manager_add_request(Manager *m, Request *r);
void manager_remove_request(Manager *m, Request *r);
