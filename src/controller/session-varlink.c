/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The session methods of io.openmono.Manager. Each handler parses, validates, authorizes, acts
 * and replies, in that order. A user acts on their own sessions; administrators on all;
 * polkit (io.openmono.session.manage-all) decides for everyone else. */

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>

#include <systemd/sd-id128.h>

#include "log.h"
#include "manager.h"
#include "openmono-errors.h"
#include "session.h"
#include "strv.h"
#include "user-util.h"
#include "workspace.h"

/* Decides whether the caller of l may act on a session owned by owner. Returns >0 if so, 0 if
 * polkit is still deciding (the handler runs again), <0 when denied. */
static int authorize_for(Manager *m, Varlink *l, uid_t owner, VarlinkMethod method, json_object *params) {
        struct ucred u;
        sd_bus *bus;
        int r;

        r = varlink_get_peer_ucred(l, &u);
        if (r < 0)
                return r;
        if (u.uid == owner || uid_is_admin(u.uid))
                return 1;
        r = manager_get_bus(m, &bus);
        if (r < 0)
                return r;
        return polkit_check(m->polkit, bus, l, "io.openmono.session.manage-all",
                            (const char *const[]) { "verb", "manage", NULL }, method, params, m);
}

static int reply_denied(Varlink *l, const char *what) {
        return varlink_errorf(l, OM_ERROR_PERMISSION_DENIED, "Not allowed to %s.", what);
}

/* Looks up the session named by the "id" parameter, replying with an error if there is none. */
static Session *lookup_session(Manager *m, Varlink *l, json_object *params) {
        const char *id;
        Session *s;

        if (json_get_string(params, "id", &id) < 0 || !session_id_is_valid(id)) {
                (void) varlink_error_invalid_parameter(l, "id");
                return NULL;
        }
        s = manager_find_session(m, id);
        if (!s)
                (void) varlink_errorf(l, OM_ERROR_NO_SUCH_SESSION, "No session '%s'.", id);
        return s;
}

static int method_get_session(Varlink *l, json_object *params, VarlinkMethodFlags flags, void *userdata) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        Manager *m = userdata;
        Session *s;
        int r;

        s = lookup_session(m, l, params);
        if (!s)
                return 0;
        r = authorize_for(m, l, s->uid, method_get_session, params);
        if (r <= 0)
                return r == 0 ? 0 : reply_denied(l, "see this session");
        r = session_build_reply(s, /* with_accounting= */ true, &j);
        return r < 0 ? r : varlink_reply(l, j);
}

static int method_stop_session(Varlink *l, json_object *params, VarlinkMethodFlags flags, void *userdata) {
        Manager *m = userdata;
        Session *s;
        int r;

        s = lookup_session(m, l, params);
        if (!s)
                return 0;
        r = authorize_for(m, l, s->uid, method_stop_session, params);
        if (r <= 0)
                return r == 0 ? 0 : reply_denied(l, "stop this session");
        r = session_stop(s);
        return r < 0 ? r : varlink_reply(l, NULL);
}

static int method_watch_session(Varlink *l, json_object *params, VarlinkMethodFlags flags, void *userdata) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        Manager *m = userdata;
        Session *s;
        int r;

        if (!(flags & VARLINK_METHOD_MORE))
                return varlink_error(l, VARLINK_ERROR_EXPECTED_MORE, NULL);
        s = lookup_session(m, l, params);
        if (!s)
                return 0;
        r = authorize_for(m, l, s->uid, method_watch_session, params);
        if (r <= 0)
                return r == 0 ? 0 : reply_denied(l, "watch this session");
        r = session_build_reply(s, /* with_accounting= */ false, &j);
        if (r >= 0)
                r = varlink_notify(l, j);
        if (r >= 0)
                r = session_add_watcher(s, l);
        return r;
}

static int method_list_sessions(Varlink *l, json_object *params, VarlinkMethodFlags flags, void *userdata) {
        _cleanup_(json_object_putp) json_object *reply = json_object_new_object();
        json_object *list = json_object_new_array();
        Manager *m = userdata;
        struct ucred u;
        bool all;
        int r;

        if (!reply || !list) {
                json_object_put(list);
                return -ENOMEM;
        }
        r = json_add_take(reply, "sessions", list);
        if (r < 0)
                return r;
        r = varlink_get_peer_ucred(l, &u);
        if (r < 0)
                return r;
        /* Others' sessions are simply not listed: their existence is not a secret worth a
         * polkit prompt, but their details are. */
        all = uid_is_admin(u.uid);
        for (size_t i = 0; i < m->n_sessions; i++) {
                json_object *j;
                if (!all && m->sessions[i]->uid != u.uid)
                        continue;
                r = session_build_json(m->sessions[i], /* with_accounting= */ false, &j);
                if (r < 0)
                        return r;
                if (json_object_array_add(list, j) < 0) {
                        json_object_put(j);
                        return -ENOMEM;
                }
        }
        return varlink_reply(l, reply);
}

/* Reads the optional limits; absent ones keep the policy's defaults. */
static int parse_limits(json_object *params, SessionPolicy *p, const char **ret_bad) {
        static const struct { const char *key; size_t offset; } limits[] = {
                { "memory_max", offsetof(SessionPolicy, memory_max) },
                { "tasks_max", offsetof(SessionPolicy, tasks_max) },
                { "runtime_max_usec", offsetof(SessionPolicy, runtime_max_usec) },
        };
        int64_t quota;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(limits); i++) {
                r = json_get_uint64(params, limits[i].key, (uint64_t *) ((uint8_t *) p + limits[i].offset));
                if (r < 0 && r != -ENOENT) {
                        *ret_bad = limits[i].key;
                        return -EINVAL;
                }
        }
        r = json_get_int64(params, "cpu_quota_percent", &quota);
        if (r == -ENOENT)
                return 0;
        if (r < 0 || quota < 1 || quota > 100 * 1024) {
                *ret_bad = "cpu_quota_percent";
                return -EINVAL;
        }
        p->cpu_quota_percent = (unsigned) quota;
        return 0;
}

static int parse_strv(json_object *params, const char *key, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        json_object *a;
        int r;

        r = json_get_array(params, key, &a);
        if (r < 0)
                return r;
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                json_object *e = json_object_array_get_idx(a, i);
                if (!json_object_is_type(e, json_type_string))
                        return -EINVAL;
                r = strv_extend(&l, json_object_get_string(e));
                if (r < 0)
                        return r;
        }
        *ret = steal_ptr(l);
        return 0;
}

/* Takes the caller's stdin, stdout and stderr, passed as fds 1, 2 and 3 after the workspace. */
static int take_stdio(Varlink *l, SessionPolicy *p) {
        for (unsigned i = 0; i < 3; i++) {
                int fd = varlink_take_fd(l, 1 + i);
                if (fd < 0)
                        return -EBADF;
                p->stdio_fds[i] = fd;
        }
        p->stdio = SESSION_STDIO_INHERIT;
        return 0;
}

static int new_session_id(char **ret) {
        sd_id128_t id;
        char s[SD_ID128_STRING_MAX];
        int r;

        r = sd_id128_randomize(&id);
        if (r < 0)
                return r;
        /* 64 random bits are plenty to keep ids unique and unguessable on one host. */
        *ret = strndup(sd_id128_to_string(id, s), 16);
        return *ret ? 0 : -ENOMEM;
}

/* A terminal type is passed on as $TERM: a short name, nothing a shell would interpret. */
static bool term_is_valid(const char *t) {
        size_t n = strlen(t);

        return n > 0 && n <= 64 && strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.+_-") == n;
}

/* Everything StartSession reads from its parameters and fds, into p. On a bad parameter,
 * returns -EINVAL and names it in *ret_bad. */
static int parse_start(Varlink *l, json_object *params, SessionPolicy *p, int *ret_workspace_fd,
                       const char **ret_bad) {
        const char *network = NULL, *stdio = "journal", *term = NULL;
        int r;

        *ret_bad = "command";
        if (parse_strv(params, "command", &p->argv) < 0 || strv_length(p->argv) == 0)
                return -EINVAL;
        *ret_bad = "network";
        r = json_get_string(params, "network", &network);
        if (r == -EINVAL || (network && (p->network = network_policy_from_string(network)) < 0))
                return -EINVAL;
        *ret_bad = "allow";
        r = parse_strv(params, "allow", &p->allowed_cidrs);
        if (r < 0 && r != -ENOENT)
                return -EINVAL;
        r = parse_limits(params, p, ret_bad);
        if (r < 0)
                return r;
        *ret_bad = "term";
        r = json_get_string(params, "term", &term);
        if (r == -EINVAL || (r >= 0 && (!term_is_valid(term) || strv_extendf(&p->environment, "TERM=%s", term) < 0)))
                return -EINVAL;
        *ret_bad = "stdio";
        if (json_get_string(params, "stdio", &stdio) == -EINVAL)
                return -EINVAL;
        if (streq(stdio, "inherit")) {
                if (take_stdio(l, p) < 0)
                        return -EINVAL;
        } else if (!streq(stdio, "journal"))
                return -EINVAL;
        *ret_bad = "workspace";
        *ret_workspace_fd = varlink_take_fd(l, 0);
        return *ret_workspace_fd < 0 ? -EINVAL : 0;
}

static int reply_bad_workspace(Varlink *l, int r) {
        const char *why =
                r == -ENOTDIR ? "it is not a directory" :
                r == -EPERM ? "you do not own it" :
                r == -EBUSY ? "it is a system location, your home directory or one of its parents" :
                r == -ESTALE ? "it was moved or removed while being checked" : strerror(-r);

        return varlink_errorf(l, OM_ERROR_BAD_WORKSPACE, "Cannot use this directory as a workspace: %s.", why);
}

/* An ad-hoc session on a directory is labelled with the directory's name, made into a valid
 * project name, so listings and the audit trail say what it works on. */
static int project_from_workspace(const char *path, char **ret) {
        const char *base = strrchr(path, '/');
        char name[PROJECT_NAME_MAX + 1];
        size_t n = 0;

        base = base && base[1] ? base + 1 : "workspace";
        for (; *base && n < PROJECT_NAME_MAX; base++)
                name[n++] = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", *base) ?
                            *base : '-';
        name[n] = 0;
        if (n == 0 || name[0] == '-' || name[0] == '_')
                name[0] = 'w';
        *ret = strdup(name);
        return *ret ? 0 : -ENOMEM;
}

/* Fills in who the session belongs to and where it keeps its files. */
static int prepare_identity(Manager *m, SessionPolicy *p, const struct ucred *u) {
        int r;

        r = new_session_id(&p->session_id);
        if (r < 0)
                return r;
        r = uid_to_name(u->uid, &p->owner_name);
        if (r < 0)
                return r;
        p->owner_uid = u->uid;
        p->owner_gid = u->gid;
        p->identity = SESSION_IDENTITY_OWNER;
        r = project_from_workspace(p->workspace, &p->project);
        if (r < 0)
                return r;
        /* The real home is hidden; tools that keep caches and settings under $HOME get the
         * persistent per-user storage instead. */
        r = strv_extend(&p->environment, "HOME=" SESSION_STORAGE_DIR);
        if (r < 0)
                return r;
        return manager_ensure_storage(m, u->uid, u->gid, &p->storage);
}

/* Registers the session and starts its unit; on failure nothing is left behind. */
static int launch(Manager *m, Varlink *l, SessionPolicy *p, Session **ret) {
        Session *s;
        int r;

        r = session_new(m, p->session_id, &s);
        if (r < 0)
                return r;
        s->uid = p->owner_uid;
        s->network = p->network;
        s->started_realtime = now(CLOCK_REALTIME);
        if (!(s->user = strdup(p->owner_name)) || !(s->workspace = strdup(p->workspace)) ||
            !(s->project = strdup(p->project))) {
                session_free(s);
                return -ENOMEM;
        }
        r = session_start(s, p);
        if (r < 0) {
                s->state = SESSION_FAILED;
                manager_audit_session(m, s);
                session_free(s);
                return r;
        }
        (void) session_save(s);
        manager_audit_session(m, s);
        *ret = s;
        return 0;
}

static int method_start_session(Varlink *l, json_object *params, VarlinkMethodFlags flags, void *userdata) {
        _cleanup_(session_policy_freep) SessionPolicy *p = session_policy_new();
        _cleanup_(json_object_putp) json_object *j = NULL;
        _cleanup_close_ int workspace_fd = -EBADF;
        _cleanup_free_ char *command = NULL;
        Manager *m = userdata;
        const char *bad = NULL;
        struct ucred u;
        Session *s;
        int r;

        if (!p)
                return -ENOMEM;
        r = parse_start(l, params, p, &workspace_fd, &bad);
        if (r < 0)
                return varlink_error_invalid_parameter(l, bad);
        r = varlink_get_peer_ucred(l, &u);
        if (r < 0)
                return r;
        /* A sandbox running as root is no sandbox: root works through projects with a dynamic
         * user instead. */
        if (u.uid == 0)
                return varlink_errorf(l, OM_ERROR_PERMISSION_DENIED,
                                      "Sessions cannot run as root; run as the user who owns the workspace.");
        r = workspace_verify_fd(workspace_fd, u.uid, &p->workspace);
        if (r < 0)
                return reply_bad_workspace(l, r);
        r = resolve_command(p->argv[0], &command);
        if (r < 0)
                return varlink_errorf(l, OM_ERROR_COMMAND_NOT_FOUND, "Command '%s' not found.", p->argv[0]);
        free_and_replace(p->argv[0], command);

        if (p->network == NETWORK_POLICY_INTERNET && !uid_is_admin(u.uid))
                return varlink_errorf(l, OM_ERROR_PERMISSION_DENIED,
                                      "Only administrators may give a session unrestricted internet access.");
        if (manager_count_user_sessions(m, u.uid) >= m->config.sessions_per_user_max)
                return varlink_errorf(l, OM_ERROR_TOO_MANY_SESSIONS,
                                      "You already have %u sessions running, the most allowed.",
                                      m->config.sessions_per_user_max);

        r = prepare_identity(m, p, &u);
        if (r < 0)
                return r;
        r = session_policy_validate(p);
        if (r < 0)
                return varlink_errorf(l, VARLINK_ERROR_INVALID_PARAMETER, "The session's policy is not valid.");
        r = launch(m, l, p, &s);
        if (r < 0)
                return varlink_errorf(l, OM_ERROR_START_FAILED, "systemd refused to start the session: %s",
                                      strerror(-r));

        r = session_build_reply(s, /* with_accounting= */ false, &j);
        if (r < 0)
                return r;
        if (!(flags & VARLINK_METHOD_MORE))
                return varlink_reply(l, j);
        r = varlink_notify(l, j);
        return r < 0 ? r : session_add_watcher(s, l);
}

static const char session_interface_methods[] =
        "\n"
        "# A session. exit and exit_status are set once it has ended; accounting fields (from\n"
        "# systemd) only in GetSession and only where systemd has them.\n"
        "type Session (id: string, unit: string, uid: int, user: ?string, project: ?string,"
        " workspace: ?string, network: ?string, state: string, started_realtime_usec: int,"
        " result: ?string, exit: ?string, exit_status: ?int, cpu_usage_nsec: ?int,"
        " memory_current_bytes: ?int, tasks_current: ?int, ip_ingress_bytes: ?int,"
        " ip_egress_bytes: ?int, main_pid: ?int)\n"
        "\n"
        "# Starts a command in a new sandboxed session on a directory the caller owns, passed as\n"
        "# fd 0. With stdio \"inherit\", fds 1-3 are its stdin, stdout and stderr; otherwise its\n"
        "# output goes to the journal. With \"more\", a reply follows every state change and the\n"
        "# last one carries the exit status.\n"
        "method StartSession(command: []string, network: ?string, allow: ?[]string, stdio: ?string,"
        " memory_max: ?int, tasks_max: ?int, cpu_quota_percent: ?int, runtime_max_usec: ?int, term: ?string)"
        " -> (session: Session)\n"
        "method ListSessions() -> (sessions: []Session)\n"
        "method GetSession(id: string) -> (session: Session)\n"
        "method StopSession(id: string) -> ()\n"
        "# Streams the session's state (requires \"more\") until it ends.\n"
        "method WatchSession(id: string) -> (session: Session)\n";

const char *session_varlink_idl(void) {
        return session_interface_methods;
}

int session_varlink_bind(Manager *m) {
        static const struct {
                const char *name;
                VarlinkMethod callback;
        } methods[] = {
                { "io.openmono.Manager.StartSession", method_start_session },
                { "io.openmono.Manager.ListSessions", method_list_sessions },
                { "io.openmono.Manager.GetSession", method_get_session },
                { "io.openmono.Manager.StopSession", method_stop_session },
                { "io.openmono.Manager.WatchSession", method_watch_session },
        };
        int r;

        for (size_t i = 0; i < ELEMENTSOF(methods); i++) {
                r = varlink_server_bind_method(m->varlink, methods[i].name, methods[i].callback);
                if (r < 0)
                        return r;
        }
        return 0;
}
