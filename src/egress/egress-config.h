/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The egress proxy's settings: the site's AllowDomain= list from [Sessions] in openmono.conf
 * (the ceiling for every session) and the proxy's own [Egress] section in egress.conf. */

#include "conf-parser.h"
#include "egress-policy.h"

#define EGRESS_SOCKET_PATH RUNDIR "/egress.sock"

typedef struct EgressConfig {
        EgressPolicy policy;
        unsigned max_connections;               /* all sessions together */
        unsigned max_connections_per_session;   /* per session, or per user outside sessions */
        unsigned max_connections_per_user;      /* per user, in and outside sessions together */
        unsigned max_lookups;                   /* name lookups in flight, all users together */
        unsigned max_lookups_per_user;          /* the same per user, even after their connections closed */
        uint64_t header_timeout_usec;           /* from accept to a complete request head */
        uint64_t connect_timeout_usec;          /* resolution and connect() together */
        uint64_t idle_timeout_usec;             /* no byte either way */
        bool allow_non_session;                 /* serve local processes outside any session */
} EgressConfig;

void egress_config_init(EgressConfig *c);
void egress_config_done(EgressConfig *c);

/* Loads openmono.conf and egress.conf from dirs (CONFIG_DIRS_STANDARD if NULL) below root (if not
 * NULL) into a fresh config and swaps it into *ret on success. Returns 0 or a negative errno. */
int egress_config_load(const char *root, const char *const *dirs, EgressConfig *ret,
                       ConfigDiagnostics *diag);
