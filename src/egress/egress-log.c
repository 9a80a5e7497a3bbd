/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Journal entries for the egress proxy's decisions. The fields are fixed, so an operator can
 * ask "journalctl OPENMONO_SESSION=ID OPENMONO_EGRESS_RESULT=name-not-allowed". */

#include <assert.h>
#include <inttypes.h>
#include <systemd/sd-journal.h>

#include "egress-log.h"
#include "log.h"
#include "message-ids.h"

void egress_log_decision(const EgressDecision *d, int level) {
        bool allowed = streq(d->result, "allowed");
        char held[80] = "";

        if (level > log_get_max_level())
                return;
        if (d->held_back > 0)
                (void) snprintf(held, sizeof(held), " (%" PRIu64 " earlier decisions of this user not logged)",
                                d->held_back);
        (void) sd_journal_send(
                "MESSAGE=%s %s%s%s%s to %s:%u: %s, %" PRIu64 " bytes out, %" PRIu64 " bytes in%s.",
                allowed ? "Relayed" : "Denied",
                d->session ? "session " : "user ", d->session ?: d->user,
                d->session ? " of " : "", d->session ? d->user : "",
                d->name ?: "-", (unsigned) d->port, d->result, d->bytes_out, d->bytes_in,
                held,
                "MESSAGE_ID=%s", allowed ? OPENMONO_MESSAGE_EGRESS_ALLOWED : OPENMONO_MESSAGE_EGRESS_DENIED,
                "PRIORITY=%i", level,
                "OPENMONO_EVENT=%s", allowed ? "egress-allowed" : "egress-denied",
                "OPENMONO_SESSION=%s", d->session ?: "",
                "OPENMONO_USER=%s", d->user ?: "",
                "OPENMONO_UID=%u", (unsigned) d->uid,
                "OPENMONO_EGRESS_NAME=%s", d->name ?: "",
                "OPENMONO_EGRESS_PORT=%u", (unsigned) d->port,
                "OPENMONO_EGRESS_RESULT=%s", d->result,
                "OPENMONO_EGRESS_ADDRESS=%s", d->address ?: "",
                "OPENMONO_EGRESS_BYTES_OUT=%" PRIu64, d->bytes_out,
                "OPENMONO_EGRESS_BYTES_IN=%" PRIu64, d->bytes_in,
                "OPENMONO_EGRESS_HELD_BACK=%" PRIu64, d->held_back,
                NULL);
}

void egress_log_session_policy(const char *session, const char *path, size_t n_patterns, const char *error) {
        int level = error ? LOG_WARNING : LOG_DEBUG;

        if (level > log_get_max_level())
                return;
        if (error)
                (void) sd_journal_send(
                        "MESSAGE=Session %s: denying every request, its list of allowed names is not usable: %s",
                        session, error,
                        "PRIORITY=%i", level,
                        "OPENMONO_EVENT=egress-session-policy",
                        "OPENMONO_SESSION=%s", session,
                        "OPENMONO_EGRESS_POLICY=%s", path,
                        "OPENMONO_EGRESS_POLICY_ERROR=%s", error,
                        NULL);
        else
                (void) sd_journal_send(
                        "MESSAGE=Session %s: read %zu AllowDomain= patterns from %s.", session, n_patterns, path,
                        "PRIORITY=%i", level,
                        "OPENMONO_EVENT=egress-session-policy",
                        "OPENMONO_SESSION=%s", session,
                        "OPENMONO_EGRESS_POLICY=%s", path,
                        NULL);
}
