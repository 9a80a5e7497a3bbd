/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The egress proxy's root object: the event loop, the listening socket, the settings, the
 * connections and how many of them each session holds. */

#include <systemd/sd-event.h>

#include "egress-config.h"
#include "egress-counts.h"
#include "egress-session-policy.h"
#include "log-budget.h"
#include "peer-identity.h"

typedef struct EgressConnection EgressConnection;
typedef struct SessionCount SessionCount;
typedef struct UserLog UserLog;

typedef struct EgressManager {
        sd_event *event;
        sd_event_source **listeners;    /* one per listening socket; each owns its fd */
        size_t n_listeners;
        char *bound_path;               /* the socket we bound ourselves, removed at exit */
        EgressConfig config;
        char **config_dirs;             /* NULL: the standard ones */
        PeerCache *peers;
        EgressConnection *connections;  /* a doubly linked list */
        unsigned n_connections;
        uint64_t host_addresses_read;   /* CLOCK_MONOTONIC of the last getifaddrs() */
        SessionCount *counts;           /* a list: sessions are few, connections many */
        EgressSessionPolicyCache *session_policies;
        char *counts_dir;               /* where each session's counts file is written */
        sd_event_source *counts_timer;  /* writes changed counts, at most once a second */
        uint64_t counts_written;        /* CLOCK_MONOTONIC of the last write */
        bool counts_write_failed;       /* warned already; said again once writing works */
        UserLog *user_logs;             /* each user's journal budget, while it is not full */
        LogBudget full_budget;          /* the warnings that MaxConnections= is reached */
} EgressManager;

int egress_manager_new(EgressManager **ret);
EgressManager *egress_manager_free(EgressManager *m);
DEFINE_PTR_CLEANUP(EgressManager *, egress_manager_free);

/* Loads the settings; on reload the old ones stay if the new ones do not parse. Returns 0 or a
 * negative errno (and logs). */
int egress_manager_load_config(EgressManager *m);

/* Takes every listening Unix socket systemd passed (a .socket unit's, or ones created inside a
 * session's namespace and handed over later), or else listens on path. Returns 0 or a negative
 * errno. */
int egress_manager_listen(EgressManager *m, const char *path);

int egress_manager_run(EgressManager *m);

/* Re-reads the host's own addresses into the policy if the copy is older than a few seconds.
 * Returns 0 or a negative errno (the old copy stays then). */
int egress_manager_refresh_host_addresses(EgressManager *m);

/* Counts a connection for key (a session ID if session, else "uid:N" outside sessions) and sets
 * *ret to the record it counts in. Returns 0, -EUSERS when key already holds
 * MaxConnectionsPerSession=, or -ENOMEM. */
int egress_manager_count_acquire(EgressManager *m, const char *key, bool session, SessionCount **ret);
/* The same for the user uid (a session's owner), in and outside sessions together, against
 * MaxConnectionsPerUser=. */
int egress_manager_user_acquire(EgressManager *m, uid_t uid, SessionCount **ret);
/* The connection is gone. The record goes once its counts are written too. */
void egress_manager_count_release(EgressManager *m, SessionCount *c);
/* Adds delta to what the record's session did; the counts file follows within a second. */
void egress_manager_count_add(EgressManager *m, SessionCount *c, const EgressCounts *delta);
/* Whether a decision of uid's may go to the journal now (at most LOG_BUDGET_BURST at once, then
 * one per LOG_BUDGET_INTERVAL_USEC). If so, *ret_held says how many were held back before it,
 * which that entry is to tell; the session's counts have them all. */
bool egress_manager_log_take(EgressManager *m, uid_t uid, uint64_t *ret_held);
/* Writes every changed counts file now, and forgets sessions that have no connections left. */
void egress_manager_counts_flush(EgressManager *m);
