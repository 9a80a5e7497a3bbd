/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The controller's root object: it owns the event loop, the connection to systemd, the Varlink
 * server and the idle timer. Everything else the controller keeps hangs off it. */

#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "manager-config.h"
#include "project.h"
#include "polkit.h"
#include "varlink.h"

typedef struct SecretStore SecretStore;
typedef struct Session Session;
typedef struct Project Project;

#define MANAGER_SOCKET_PATH RUNDIR "/io.openmono.Manager"

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;                    /* system bus, connected on first use */
        VarlinkServer *varlink;
        sd_event_source *idle_timer;
        ManagerConfig config;
        char *config_error;             /* why openmono.conf did not load: no session starts meanwhile */
        char **config_warnings;         /* what the last load warned about (unknown keys...) */
        ProjectDirs project_dirs;
        char *config_root;              /* prefix for the config directories, for tests; NULL = / */
        sd_event_source *sighup;
        uint64_t start_monotonic;
        uint64_t start_realtime;
        char *bound_path;               /* set when we bound the socket ourselves */
        char *runtime_dir;              /* RUNDIR, or another directory for tests */
        char *state_dir;                /* STATEDIR, likewise */
        PolkitRegistry *polkit;
        SecretStore *secrets;           /* opened on first use (secret-varlink.c) */
        Session **sessions;             /* sessions not yet ended, in start order */
        size_t n_sessions;
} Manager;

int manager_new(Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_PTR_CLEANUP(Manager *, manager_free);

/* Takes the listening socket from systemd (socket activation); without one, binds
 * fallback_path itself (for running by hand). Returns the number of sockets served. */
int manager_listen(Manager *m, const char *fallback_path);
/* SIGTERM/SIGINT end the event loop, SIGHUP reloads the config. */
int manager_handle_signals(Manager *m);
/* (Re)reads openmono.conf. On error logs file, line and key, keeps the current config for the
 * controller's own settings and sets config_error, which refuses new sessions until a load
 * succeeds: sessions never run on settings the administrator did not write. */
int manager_load_config(Manager *m);
/* Runs the event loop until SIGTERM/SIGINT or the idle timeout. Returns the exit code. */
int manager_run(Manager *m);

/* Connects to the system bus on first use. */
int manager_get_bus(Manager *m, sd_bus **ret);
/* Counts session units systemd has loaded and active. Returns the count or a negative errno. */
int manager_count_sessions(Manager *m);

/* The session registry. add/remove are called by session_new()/session_free(). */
int manager_add_session(Manager *m, Session *s);
void manager_remove_session(Manager *m, Session *s);
Session *manager_find_session(Manager *m, const char *id);
unsigned manager_count_user_sessions(Manager *m, uid_t uid);
unsigned manager_count_active_sessions(Manager *m);
/* Rebuilds the registry from the session units systemd has, after a restart or crash. */
int manager_recover_sessions(Manager *m);
/* Applies the site's and each session's project's AllowDomain= lists as they are now to every
 * running session's egress policy (session_apply_egress()); with rewrite, every policy file is
 * written again. At start-up this also removes the files of sessions that no longer run. */
void manager_apply_egress(Manager *m, bool rewrite);
/* Writes a session's state change to the journal as an audit event. */
void manager_audit_session(Manager *m, Session *s);
/* Writes a project change made by caller (event "project-added", -changed, -removed). */
void manager_audit_project(Manager *m, const Project *p, uid_t caller, const char *event);

/* Makes sure the per-user storage directory exists and belongs to uid; *ret is its path. */
int manager_ensure_storage(Manager *m, uid_t uid, gid_t gid, char **ret);

/* Registers the io.openmono.Manager interface on m->varlink. */
int manager_varlink_setup(Manager *m);
/* The session methods' part of the IDL, and their bindings (session-varlink.c). */
const char *session_varlink_idl(void);
int session_varlink_bind(Manager *m);
/* The same for the project methods (project-varlink.c). */
const char *project_varlink_idl(void);
int project_varlink_bind(Manager *m);
int project_build_json(const Project *p, json_object **ret);
/* The same for the transcript methods (transcript-varlink.c). */
const char *transcript_varlink_idl(void);
int transcript_varlink_bind(Manager *m);
/* The same for the secret methods (secret-varlink.c). */
const char *secret_varlink_idl(void);
int secret_varlink_bind(Manager *m);
/* Stages the secrets a session of proj receives when caller asks for it, caller_grants being the
 * names the caller hands over for this run (secret-trust.c decides whose value each name gives),
 * adding a LoadCredential= for each to p. Returns 1 to go on, 0 when it replied with an error
 * on l; staged files are removed again on failure. */
int manager_stage_secrets(Manager *m, Varlink *l, const Project *proj, uid_t caller, char **caller_grants,
                          SessionPolicy *p);