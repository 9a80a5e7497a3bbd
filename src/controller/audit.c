/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The audit trail: every decision about a session goes to the journal with a catalogued
 * MESSAGE_ID and the OPENMONO_* fields that queries filter on. */

#include <string.h>
#include <sys/wait.h>

#include "log.h"
#include "manager.h"
#include "message-ids.h"
#include "project.h"
#include "session.h"
#include "strv.h"
#include "user-util.h"

static const char *session_message_id(SessionState state) {
        switch (state) {
        case SESSION_STARTING:
        case SESSION_RUNNING:
                return OPENMONO_MESSAGE_SESSION_STARTED;
        case SESSION_FAILED:
                return OPENMONO_MESSAGE_SESSION_START_FAILED;
        default:
                return OPENMONO_MESSAGE_SESSION_STOPPED;
        }
}

void manager_audit_session(Manager *m, Session *s) {
        _cleanup_strv_free_ char **fields = NULL;
        const char *event = session_state_to_string(s->state);
        int r;

        r = strv_extendf(&fields, "MESSAGE_ID=%s", session_message_id(s->state));
        if (r >= 0)
                r = strv_extendf(&fields, "OPENMONO_EVENT=session-%s", event);
        if (r >= 0)
                r = strv_extendf(&fields, "OPENMONO_SESSION=%s", s->id);
        if (r >= 0)
                r = strv_extendf(&fields, "OPENMONO_USER=%s", strna(s->user));
        if (r >= 0)
                r = strv_extendf(&fields, "OPENMONO_UID=%u", (unsigned) s->uid);
        if (r >= 0 && s->project)
                r = strv_extendf(&fields, "OPENMONO_PROJECT=%s", s->project);
        if (r >= 0)
                r = strv_extendf(&fields, "OPENMONO_UNIT=%s", s->unit);
        /* A signal is no exit status: a session killed by SIGKILL did not "exit 9". */
        if (r >= 0 && session_state_is_final(s->state) && s->exit_code == CLD_EXITED)
                r = strv_extendf(&fields, "OPENMONO_EXIT_STATUS=%i", s->exit_status);
        if (r >= 0 && session_state_is_final(s->state) && (s->exit_code == CLD_KILLED || s->exit_code == CLD_DUMPED))
                r = strv_extendf(&fields, "OPENMONO_EXIT_SIGNAL=SIG%s", strna(sigabbrev_np(s->exit_status)));
        if (r >= 0 && session_state_is_final(s->state) && s->result)
                r = strv_extendf(&fields, "OPENMONO_RESULT=%s", s->result);
        if (r >= 0)
                r = strv_extendf(&fields, "MESSAGE=Session %s of %s is %s (network %s, workspace %s).", s->id,
                                 strna(s->user), event, strna(network_policy_to_string(s->network)),
                                 strna(s->workspace));
        if (r < 0) {
                log_oom();
                return;
        }
        log_struct(s->state == SESSION_FAILED ? LOG_WARNING : LOG_INFO, 0, fields);
}

static const char *project_message_id(const char *event) {
        if (streq(event, "project-added"))
                return OPENMONO_MESSAGE_PROJECT_ADDED;
        if (streq(event, "project-removed"))
                return OPENMONO_MESSAGE_PROJECT_REMOVED;
        return OPENMONO_MESSAGE_PROJECT_CHANGED;
}

void manager_audit_project(Manager *m, const Project *p, uid_t caller, const char *event) {
        _cleanup_strv_free_ char **fields = NULL;
        _cleanup_free_ char *user = NULL;
        int r;

        (void) uid_to_name(caller, &user);
        r = strv_extendf(&fields, "MESSAGE_ID=%s", project_message_id(event));
        if (r >= 0)
                r = strv_extendf(&fields, "OPENMONO_EVENT=%s", event);
        if (r >= 0)
                r = strv_extendf(&fields, "OPENMONO_PROJECT=%s", p->name);
        if (r >= 0)
                r = strv_extendf(&fields, "OPENMONO_USER=%s", strna(user));
        if (r >= 0)
                r = strv_extendf(&fields, "OPENMONO_UID=%u", (unsigned) caller);
        if (r >= 0)
                r = strv_extendf(&fields, "MESSAGE=Project %s: %s by %s (identity %s, network %s).", p->name,
                                 event, strna(user), session_identity_to_string(p->identity),
                                 p->sandbox.network >= 0 ? network_policy_to_string(p->sandbox.network) : "site default");
        if (r < 0) {
                log_oom();
                return;
        }
        log_struct(LOG_INFO, 0, fields);
}
