/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A session as the controller tracks it: one transient unit openmono-session-<id>.service. The
 * unit is the truth; this object only remembers who asked for it and who is waiting on it, and
 * follows its state through systemd's PropertiesChanged signals. */

#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>

#include "session-policy.h"
#include "varlink.h"

typedef struct Manager Manager;
typedef struct Session Session;
typedef struct SpawnFailureWait SpawnFailureWait;

/* Called once systemd has answered a StartTransientUnit sent on behalf of link: error is 0 when
 * it accepted the job, or a negative errno with systemd's message. It only replies on link; the
 * session is still registered either way and is freed right after a failure. */
typedef void (*SessionStartDone)(Session *s, Varlink *link, int error, const char *message);

typedef enum SessionState {
        SESSION_STARTING,
        SESSION_RUNNING,
        SESSION_STOPPING,
        SESSION_EXITED,                 /* the main process ended; see exit_code/exit_status */
        SESSION_FAILED,                 /* systemd could not start or run it */
        _SESSION_STATE_MAX,
        _SESSION_STATE_INVALID = -EINVAL,
} SessionState;

struct Session {
        Manager *manager;
        char *id;
        char *unit;
        char *unit_path;                /* D-Bus object path of the unit */
        uid_t uid;
        char *user;
        char *project;                  /* NULL for an ad-hoc session on a directory */
        char *workspace;
        NetworkPolicy network;
        bool egress;                    /* it has the relay to the egress proxy and a policy file */
        bool egress_default;            /* its names are the site's list, followed when that changes */
        bool egress_own;                /* egress_requested came from the request, not the project */
        char **egress_requested;        /* otherwise the names asked for, kept within the site's list */
        char **egress_domains;          /* the names its policy file holds now */
        uint64_t started_realtime;
        uint64_t ended_realtime;        /* set once the session has ended */
        SessionState state;
        char *result;                   /* systemd's Result= once the unit has ended */
        int exit_code;                  /* CLD_EXITED, CLD_KILLED... */
        int exit_status;
        bool referenced;                /* we hold a reference (AddRef=) on the unit */
        sd_bus_slot *properties_slot;
        sd_bus_slot *job_slot;
        sd_bus_slot *ref_slot;          /* RefUnit sent for a session found at startup */
        Varlink **watchers;             /* calls with "more" waiting for state changes */
        size_t n_watchers;
        char *active_state;             /* what systemd's PropertiesChanged last said of the unit */
        uint32_t unit_job;
        int32_t unit_exec_code, unit_exec_status;
        char *unit_result;
        uint64_t runtime_max_usec;      /* RuntimeMaxSec= of the unit, UINT64_MAX for none */
        int spawn_errno;                /* why systemd could not run the command, or 0 */
        char *spawn_executable;         /* what it tried to run then */
        SpawnFailureWait *spawn_wait;   /* the end is known, the journal not read yet */
        bool spawn_looked_up;           /* the journal was asked about this end */
        sd_bus_slot *start_slot;        /* the slice's totals or StartTransientUnit sent, no answer yet */
        sd_bus_message *start_call;     /* StartTransientUnit, sent once the slice has its totals */
        Varlink *start_link;            /* the call waiting for that answer */
        SessionStartDone start_done;
};

const char *session_state_to_string(SessionState s);
SessionState session_state_from_string(const char *s);
/* True once the session can no longer change state. */
static inline bool session_state_is_final(SessionState s) {
        return s == SESSION_EXITED || s == SESSION_FAILED;
}

/* Looks in the journal for why systemd could not run the command of s's unit: the errno and
 * the executable of its spawn failure entry go to s->spawn_errno and s->spawn_executable.
 * Returns 1 if the entry was there already, or 0 with *ret set: the wait for it goes on in the
 * event loop, and done(s) runs once it came or after a short while without it; the caller owns
 * *ret and frees it in done at the latest. A negative errno if the journal could not be read;
 * nothing is pending then. */
typedef void (*SpawnFailureDone)(Session *s);
int session_spawn_failure_wait(Session *s, SpawnFailureDone done, SpawnFailureWait **ret);
SpawnFailureWait *spawn_failure_wait_free(SpawnFailureWait *w);
DEFINE_PTR_CLEANUP(SpawnFailureWait *, spawn_failure_wait_free);

/* Creates a session object for id and registers it with m. */
int session_new(Manager *m, const char *id, Session **ret);
/* Unregisters and frees the session; watchers get a final reply first. */
Session *session_free(Session *s);
DEFINE_PTR_CLEANUP(Session *, session_free);

/* Asks systemd for the transient unit for policy, holding a reference on it so its exit status
 * can be read before systemd collects it. Does not wait: returns 0 once the request is sent, and
 * done runs with systemd's answer (link, if not NULL, is kept until then). On failure then the
 * session is audited as failed, its staged credentials removed and it is freed after done.
 * Returns a negative errno if the request could not be sent; nothing is pending then. */
int session_start(Session *s, const SessionPolicy *policy, Varlink *link, SessionStartDone done);
/* Asks systemd to stop the unit, without waiting. If link is not NULL it gets the reply: empty
 * once systemd queued the stop job, an error otherwise. */
int session_stop(Session *s, Varlink *link);
/* Starts following the unit's state (also used for sessions found at startup). */
int session_watch_unit(Session *s);
/* Adds a link that gets a "continues" reply on every state change and a final one at the end. */
int session_add_watcher(Session *s, Varlink *link);
/* Describes the session as JSON: id, unit, user, uid, project, state, ... */
int session_build_json(Session *s, bool with_accounting, json_object **ret);
/* The same wrapped as {"session": ...}, the reply of StartSession, GetSession and WatchSession. */
int session_build_reply(Session *s, bool with_accounting, json_object **ret);
/* Takes a new reference on the unit of a session found at startup (the one taken at start went
 * with the controller that took it), so its end can still be read. If the unit is gone already,
 * it ended meanwhile: the session is finished from the journal and freed. */
int session_ref_unit(Session *s);
/* Finishes a session whose unit systemd has already collected: how it ended comes from what
 * systemd logged about the unit. Records it in the history and the audit trail, then frees s. */
void session_finish_from_journal(Session *s);
/* Brings the session's policy file in line with site and project, the site's and the project's
 * AllowDomain= lists now (project NULL: it sets none): what is left of the names the session asked
 * for itself, else the project's list, else the site's (session_egress_effective()). Logs what
 * changed. With rewrite, the file is written even if the list stays. Returns 1 if the list
 * changed, 0 if not (or the session has no relay), or a negative errno if the file could not be
 * written. */
int session_apply_egress(Session *s, char *const *site, char *const *project, bool rewrite);
/* Saves/loads the metadata systemd does not keep, in RUNDIR/sessions/<id>.json. */
int session_save(Session *s);
int session_load(Session *s);
