/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* openmono.conf: what the site configures about the controller and its sessions. */

#include <stdbool.h>
#include <stdint.h>

#include "conf-parser.h"
#include "session-netns.h"
#include "session-settings.h"

#define MANAGER_IDLE_TIMEOUT_DEFAULT_USEC (60ULL * 1000000ULL)
#define MANAGER_SESSIONS_PER_USER_DEFAULT 16U
#define MANAGER_USER_TASKS_MAX_DEFAULT 4096U

/* Where administrators set what the messages about ceilings point them to. */
#define MANAGER_CONFIG_FILE PKGSYSCONFDIR "/openmono.conf"

/* [UserSlice]: the totals of one user's sessions, set on openmono-u<UID>.slice. */
typedef struct UserSliceLimits {
        uint64_t memory_max;            /* bytes, UINT64_MAX = none */
        uint64_t tasks_max;             /* UINT64_MAX = none */
        unsigned cpu_quota_percent;     /* 0 = none */
} UserSliceLimits;

typedef struct ManagerConfig {
        uint64_t idle_timeout_usec;     /* [Controller] IdleTimeoutSec=, 0 = never exit when idle */
        int log_level;                  /* [Controller] LogLevel=, -1 = unset */
        unsigned sessions_per_user_max; /* [Sessions] MaxSessionsPerUser= */
        SessionSettings sessions;       /* [Sessions] site defaults for every session */
        SessionSettings ceiling;        /* [Sessions] *Ceiling=: the most a non-administrator may ask
                                         * for (unset: the default is the ceiling); allow is AllowCeiling= */
        UserSliceLimits user_slice;     /* [UserSlice] */
        char *mail_domain;              /* [Sessions] MailDomain=, for git identities; NULL = host name */
        bool cron;                      /* [Features] Cron=, scheduled jobs through the API */
        SessionNetnsPools network;      /* [Network] session address pools: used by openmono-netns,
                                         * checked here so that a bad one fails check and reload */
        char **upstream_cidrs;          /* gateway.conf's upstream servers, resolved: no session
                                         * reaches them but through the gateway */
        char **upstream_unresolved;     /* their hosts that did not resolve, for a warning */
} ManagerConfig;

/* Sets c to the compiled-in defaults. */
void manager_config_init(ManagerConfig *c);
void manager_config_done(ManagerConfig *c);

/* Reads openmono.conf and its drop-ins from CONFIG_DIRS_STANDARD (below root, if not NULL)
 * into a fresh config. On failure *ret is untouched and diag->error names file, line and key;
 * warnings (unknown keys) are in diag->warnings either way. */
int manager_config_load(const char *root, ManagerConfig *ret, ConfigDiagnostics *diag);
