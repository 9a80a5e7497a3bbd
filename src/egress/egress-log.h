/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One journal entry per decision of the egress proxy. */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct EgressDecision {
        const char *session;            /* NULL outside sessions */
        const char *user;
        uid_t uid;
        const char *name;               /* the host as normalised, or as sent if it did not parse */
        uint16_t port;
        const char *result;             /* egress_verdict_to_string(), or another short reason */
        const char *address;            /* the address connected to, or NULL */
        uint64_t bytes_out;             /* from the session */
        uint64_t bytes_in;              /* to the session */
        uint64_t held_back;             /* the user's decisions not logged since the last entry */
} EgressDecision;

void egress_log_decision(const EgressDecision *d, int level);

/* Says once per version of a session's policy file what it allows, or why it allows nothing
 * (error not NULL). */
void egress_log_session_policy(const char *session, const char *path, size_t n_patterns, const char *error);
