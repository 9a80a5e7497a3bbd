/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The session methods of io.openmono.Manager. Each handler parses, validates, authorizes, acts
 * and replies, in that order. A user acts on their own sessions; administrators on all;
 * polkit (io.openmono.session.manage-all) decides for everyone else. */

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-id128.h>

#include "cidr.h"
#include "git-identity.h"
#include "log.h"
#include "manager.h"
#include "openmono-errors.h"
#include "project.h"
#include "secret-store.h"
#include "session-ceiling.h"
#include "session-egress.h"
#include "session-history.h"
#include "session-settings.h"
#include "session.h"
#include "strv.h"
#include "template.h"
#include "user-util.h"
#include "workspace-mount.h"
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

/* Looks up the session named by the "id" parameter: a running one in *ret, or one that has ended
 * and is still in the history in *ret_ended (a new reference). Returns 1 if found, 0 when it
 * replied with an error. */
static int lookup_session(Manager *m, Varlink *l, json_object *params, Session **ret, json_object **ret_ended) {
        const char *id;

        *ret = NULL;
        *ret_ended = NULL;
        if (json_get_string(params, "id", &id) < 0 || !session_id_is_valid(id)) {
                (void) varlink_error_invalid_parameter(l, "id");
                return 0;
        }
        *ret = manager_find_session(m, id);
        if (*ret || session_history_get(m->state_dir, id, ret_ended) >= 0)
                return 1;
        (void) varlink_errorf(l, OM_ERROR_NO_SUCH_SESSION, "No session '%s'.", id);
        return 0;
}

/* The owner of a session found by lookup_session(). */
static uid_t session_owner(Session *s, json_object *ended) {
        int64_t uid = -1;

        if (s)
                return s->uid;
        (void) json_get_int64(ended, "uid", &uid);
        return uid < 0 || uid > UINT32_MAX - 1 ? (uid_t) 0 : (uid_t) uid;
}

/* Replies {"session": ended}, which takes ended. */
static int reply_ended(Varlink *l, json_object *ended) {
        _cleanup_(json_object_putp) json_object *j = json_object_new_object();
        int r;

        if (!j) {
                json_object_put(ended);
                return -ENOMEM;
        }
        r = json_add_take(j, "session", ended);
        return r < 0 ? r : varlink_reply(l, j);
}

static int method_get_session(Varlink *l, json_object *params, VarlinkMethodFlags flags, void *userdata) {
        _cleanup_(json_object_putp) json_object *j = NULL, *ended = NULL;
        Manager *m = userdata;
        Session *s;
        int r;

        if (!lookup_session(m, l, params, &s, &ended))
                return 0;
        r = authorize_for(m, l, session_owner(s, ended), method_get_session, params);
        if (r <= 0)
                return r == 0 ? 0 : reply_denied(l, "see this session");
        if (!s)
                return reply_ended(l, steal_ptr(ended));
        r = session_build_reply(s, /* with_accounting= */ true, &j);
        return r < 0 ? r : varlink_reply(l, j);
}

static int method_stop_session(Varlink *l, json_object *params, VarlinkMethodFlags flags, void *userdata) {
        _cleanup_(json_object_putp) json_object *ended = NULL;
        Manager *m = userdata;
        Session *s;
        int r;

        if (!lookup_session(m, l, params, &s, &ended))
                return 0;
        r = authorize_for(m, l, session_owner(s, ended), method_stop_session, params);
        if (r <= 0)
                return r == 0 ? 0 : reply_denied(l, "stop this session");
        /* Like systemctl stop of a unit that is not running: nothing to do is no error. */
        if (!s)
                return varlink_reply(l, NULL);
        /* Replied to once systemd has queued the stop job. */
        return session_stop(s, l);
}

static int method_watch_session(Varlink *l, json_object *params, VarlinkMethodFlags flags, void *userdata) {
        _cleanup_(json_object_putp) json_object *j = NULL, *ended = NULL;
        Manager *m = userdata;
        Session *s;
        int r;

        if (!(flags & VARLINK_METHOD_MORE))
                return varlink_error(l, VARLINK_ERROR_EXPECTED_MORE, NULL);
        if (!lookup_session(m, l, params, &s, &ended))
                return 0;
        r = authorize_for(m, l, session_owner(s, ended), method_watch_session, params);
        if (r <= 0)
                return r == 0 ? 0 : reply_denied(l, "watch this session");
        /* An ended session (one that ended while a client reconnected, say) gets its end at once. */
        if (!s)
                return reply_ended(l, steal_ptr(ended));
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
        bool all, ended = false;
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
        if (json_get_bool(params, "all", &ended) == -EINVAL)
                return varlink_error_invalid_parameter(l, "all");
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
        /* With "all", the ended sessions the history still keeps follow the running ones. */
        if (ended) {
                r = session_history_list(m->state_dir, all ? SESSION_HISTORY_ALL_USERS : u.uid, list);
                if (r < 0)
                        return r;
        }
        return varlink_reply(l, reply);
}

/* Takes the caller's stdin, stdout and stderr, passed as the last three fds. */
static int take_stdio(Varlink *l, SessionPolicy *p) {
        unsigned n = varlink_n_received_fds(l);

        if (n < 3)
                return -EBADF;
        for (unsigned i = 0; i < 3; i++) {
                int fd = varlink_take_fd(l, n - 3 + i);
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

/* What a StartSession call asks for, before the controller decides. */
typedef struct StartRequest {
        const char *project;            /* NULL: an ad-hoc session on the workspace fd */
        const char *task;               /* an agent task instead of a command */
        SessionSettings settings;       /* the caller's overrides */
        char **grants;                  /* secrets the caller hands over for this run */
        const char *project_id;         /* the project must still be this one (cron jobs) */
        int workspace_fd;
} StartRequest;

static void start_request_done(StartRequest *r) {
        session_settings_done(&r->settings);
        r->grants = strv_free(r->grants);
        r->workspace_fd = safe_close(r->workspace_fd);
}

/* Everything StartSession reads from its parameters and fds. On a bad parameter, returns
 * -EINVAL and names it in *ret_bad. */
static int parse_start(Varlink *l, json_object *params, SessionPolicy *p, StartRequest *req,
                       const char **ret_bad) {
        const char *stdio = "journal", *term = NULL;
        int r;

        *ret_bad = "command";
        r = json_get_strv(params, "command", &p->argv);
        if (r == -EINVAL || (r >= 0 && strv_length(p->argv) == 0))
                return -EINVAL;
        *ret_bad = "task";
        if (json_get_string(params, "task", &req->task) == -EINVAL || (req->task && p->argv))
                return -EINVAL;
        *ret_bad = "project";
        r = json_get_string(params, "project", &req->project);
        if (r == -EINVAL || (req->project && !project_name_is_valid(req->project)))
                return -EINVAL;
        *ret_bad = "grant";
        r = json_get_strv(params, "grant", &req->grants);
        if (r == -EINVAL || (req->grants && !req->project))
                return -EINVAL;
        STRV_FOREACH(g, req->grants)
                if (!secret_name_is_valid(*g))
                        return -EINVAL;
        *ret_bad = "project_id";
        r = json_get_string(params, "project_id", &req->project_id);
        if (r == -EINVAL || (req->project_id && !req->project))
                return -EINVAL;
        r = session_settings_from_json(params, &req->settings, ret_bad);
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
                /* Before the workspace: the stdio fds are counted from the end. */
                if (take_stdio(l, p) < 0)
                        return -EINVAL;
        } else if (!streq(stdio, "journal"))
                return -EINVAL;
        /* The workspace fd, first if passed, is needed for ad-hoc sessions; a project may do
         * without. */
        *ret_bad = "workspace";
        if (varlink_n_received_fds(l) > (p->stdio == SESSION_STDIO_INHERIT ? 3U : 0U))
                req->workspace_fd = varlink_take_fd(l, 0);
        return req->workspace_fd < 0 && !req->project ? -EINVAL : 0;
}

static int reply_bad_workspace(Varlink *l, int r) {
        return varlink_errorf(l, OM_ERROR_BAD_WORKSPACE, "Cannot use this directory as a workspace: %s.",
                              workspace_error_to_string(r));
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

/* Sets who the session belongs to; the owner identity also gets the owner's persistent storage,
 * which takes the place of the hidden home directory for tools that keep caches under $HOME.
 * Returns 1 to go on, 0 when it replied with an error. */
static int set_owner(Manager *m, Varlink *l, SessionPolicy *p, uid_t uid, gid_t gid) {
        int r;

        r = uid_to_name(uid, &p->owner_name);
        if (r < 0)
                return r;
        p->owner_uid = uid;
        p->owner_gid = gid;
        if (p->identity == SESSION_IDENTITY_DYNAMIC)
                return strv_extend(&p->environment, "HOME=" SESSION_WORKSPACE_DIR) < 0 ? -ENOMEM : 1;
        r = strv_extend(&p->environment, "HOME=" SESSION_STORAGE_DIR);
        if (r < 0)
                return r;
        r = manager_ensure_storage(m, uid, gid, &p->storage);
        /* Most likely an install whose state directory is missing (tmpfiles.d not applied): say
         * where, or the caller and the journal see only a bare errno. */
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                log_error_errno(r, "Cannot prepare the storage %s/storage/%u of %s: %m",
                                m->state_dir, (unsigned) uid, p->owner_name);
                return varlink_errorf(l, OM_ERROR_START_FAILED, "Cannot prepare the storage %s/storage/%u: %s.",
                                      m->state_dir, (unsigned) uid, strerror(-r));
        }
        return 1;
}

/* An ad-hoc session: the caller's own directory, passed as an fd, run as the caller. Returns 1 to
 * go on, 0 when it replied with an error, <0 on failure. */
static int identity_from_workspace(Manager *m, Varlink *l, StartRequest *req, const struct ucred *u,
                                   SessionPolicy *p) {
        int r;

        /* A sandbox running as root is no sandbox: root starts projects, which run as their
         * owner or a dynamic user. */
        if (u->uid == 0)
                return varlink_errorf(l, OM_ERROR_PERMISSION_DENIED,
                                      "Sessions cannot run as root; run as the user who owns the workspace, "
                                      "or start a project.");
        r = workspace_verify_fd(req->workspace_fd, u->uid, &p->workspace);
        if (r < 0)
                return reply_bad_workspace(l, r);
        r = project_from_workspace(p->workspace, &p->project);
        if (r >= 0)
                r = set_owner(m, l, p, u->uid, u->gid);
        return r;
}

/* A project with the owner identity runs as its owner on its workspace. The owner passes the
 * workspace as an fd like for any session; an administrator (or openmono@.service) may leave that
 * to the controller, which opens the configured path itself. Either way the directory must still
 * belong to the owner. */
static int identity_from_owner_project(Manager *m, Varlink *l, const Project *proj, StartRequest *req,
                                       const struct ucred *u, SessionPolicy *p) {
        struct passwd *pw = getpwnam(proj->owner);
        int r;

        if (!pw)
                return varlink_errorf(l, OM_ERROR_BAD_PROJECT, "The owner '%s' of project '%s' does not exist.",
                                      proj->owner, proj->name);
        if (u->uid != pw->pw_uid && !uid_is_admin(u->uid))
                return varlink_errorf(l, OM_ERROR_PERMISSION_DENIED,
                                      "Sessions of project '%s' run as %s; only %s and administrators may start them.",
                                      proj->name, proj->owner, proj->owner);
        p->identity = SESSION_IDENTITY_OWNER;
        /* No symlink in any component: the owner controls directories on the way. */
        if (req->workspace_fd < 0 && uid_is_admin(u->uid))
                req->workspace_fd = open_directory_nofollow(proj->workspace);
        if (req->workspace_fd < 0)
                return varlink_errorf(l, OM_ERROR_BAD_WORKSPACE, "Cannot open the workspace %s of project '%s'.",
                                      proj->workspace, proj->name);
        r = workspace_verify_fd(req->workspace_fd, pw->pw_uid, &p->workspace);
        if (r < 0)
                return reply_bad_workspace(l, r);
        if (!streq(p->workspace, proj->workspace))
                return varlink_errorf(l, OM_ERROR_BAD_WORKSPACE, "The directory passed is not the workspace %s of project '%s'.",
                                      proj->workspace, proj->name);
        r = free_and_strdup(&p->project, proj->name);
        if (r >= 0)
                r = set_owner(m, l, p, pw->pw_uid, pw->pw_gid);
        return r;
}

/* A dynamic project runs as om-<project> on its managed workspace; the caller's slice and
 * session cap account for it, and the caller's transcripts go to a directory of the caller's
 * own that no other user's session of the project sees. root (openmono@NAME.service) runs it for
 * the project's owner. Returns 1 to go on, 0 when it replied with an error. */
static int identity_from_dynamic_project(Manager *m, Varlink *l, const Project *proj, const struct ucred *u,
                                         SessionPolicy *p) {
        uid_t uid = u->uid;
        gid_t gid = u->gid;
        int r;

        /* DynamicUser= would take over a real account of that name and run as it. */
        if (project_name_collides(proj->name) > 0)
                return varlink_errorf(l, OM_ERROR_BAD_PROJECT,
                                      "Project '%s' cannot run: om-%s is an account of this system. "
                                      "Remove the project and choose another name.", proj->name, proj->name);
        if (uid == 0) {
                struct passwd *pw = getpwnam(proj->owner);
                if (!pw)
                        return varlink_errorf(l, OM_ERROR_BAD_PROJECT, "The owner '%s' of project '%s' does not exist.",
                                              proj->owner, proj->name);
                uid = pw->pw_uid;
                gid = pw->pw_gid;
        }
        p->identity = SESSION_IDENTITY_DYNAMIC;
        r = free_and_strdup(&p->project, proj->name);
        if (r >= 0 && asprintf(&p->transcripts, SESSION_TRANSCRIPT_SUBDIR "/%s/%u", proj->name, (unsigned) uid) < 0)
                r = -ENOMEM;
        if (r >= 0)
                r = strv_extendf(&p->environment, "OPENMONO_STATE_DIRECTORY=/var/lib/%s", p->transcripts);
        if (r >= 0)
                r = set_owner(m, l, p, uid, gid);
        return r;
}

/* A request that makes no sense as asked is refused as such, not quietly taken for something else.
 * Returns 1 to go on, 0 when it replied. */
static int check_request_usage(Varlink *l, const SessionSettings *s) {
        _cleanup_(json_object_putp) json_object *e = json_object_new_object();
        const char *message = NULL;

        if (s->network == NETWORK_POLICY_NONE && s->allow)
                message = "Network 'none' reaches no addresses; drop the allow list or choose another network.";
        else if (s->network == NETWORK_POLICY_PROXY && s->allow)
                message = "Network 'proxy' reaches names through the egress proxy only, no addresses; "
                          "drop the allow list or choose another network.";
        else if (s->network == NETWORK_POLICY_ALLOWLIST && strv_length(s->allow) == 0)
                message = "Network 'allowlist' needs at least one address to allow.";
        if (!message && s->allow_domains && (s->network == NETWORK_POLICY_NONE || s->network == NETWORK_POLICY_INTERNET))
                message = s->network == NETWORK_POLICY_NONE ?
                          "Network 'none' reaches no names; drop the domain list or choose another network." :
                          "Network 'internet' reaches every name directly; drop the domain list.";
        if (!message)
                return 1;
        if (!e || json_add_string(e, "parameter", s->allow_domains && !s->allow ? "allow_domains" : "allow") < 0 ||
            json_add_string(e, "message", message) < 0)
                return -ENOMEM;
        return varlink_error(l, VARLINK_ERROR_INVALID_PARAMETER, e);
}

/* Whether an administrator wrote the project's settings: a file in the site's directory, or a
 * project an administrator created. */
static bool project_is_trusted(const Project *proj) {
        struct passwd *pw;

        if (proj->scope == PROJECT_SCOPE_SYSTEM)
                return true;
        pw = getpwnam(proj->owner);
        return pw && uid_is_admin(pw->pw_uid) > 0;
}

/* Checks one layer of settings and applies it. No allow list that someone asks for holds a
 * forbidden range, no domain list goes beyond the site's; a layer an administrator did not write
 * stays within the ceiling. Returns 1 to go on, 0 when it replied with an error. */
static int apply_layer(Varlink *l, const SessionCeiling *c, const SessionSettings *s, const char *name,
                       bool trusted, SessionPolicy *p) {
        _cleanup_free_ char *message = NULL;
        int r;

        r = session_settings_check_forbidden(s, name, &message);
        if (r == 0)
                r = session_ceiling_check_domains(c, s, name, &message);
        if (r == 0 && !trusted)
                r = session_ceiling_check(c, s, name, &message);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return varlink_errorf(l, OM_ERROR_EXCEEDS_CEILING, "%s", message);
        if (s->allow_domains)
                p->allowed_domains_default = false;
        return session_settings_apply(s, p) < 0 ? -ENOMEM : 1;
}

/* Whatever an administrator's files list, the forbidden ranges are cut out of the final allow
 * list: IPAddressAllow= beats IPAddressDeny=, so denying them would not do. */
static int subtract_forbidden(SessionPolicy *p) {
        _cleanup_free_ Cidr *list = NULL;
        char **left = NULL;
        const Cidr *f;
        size_t nf;
        int n, r;

        n = cidr_list_parse(p->allowed_cidrs, &list, NULL);
        if (n <= 0)
                return n == -ENOMEM ? n : 0;       /* a bad entry fails validation later */
        f = cidr_forbidden_ranges(&nf);
        r = cidr_list_subtract_format(list, (size_t) n, f, nf, &left);
        if (r < 0)
                return r;
        strv_free(p->allowed_cidrs);
        p->allowed_cidrs = left;
        return 0;
}

/* Layers the sandbox settings: compiled-in defaults, the site's [Sessions], the project, then
 * the caller's overrides. Each layer an administrator did not write may only narrow what the
 * layers before it allow (session-ceiling.h). Returns 1 to go on, 0 when it replied with an error. */
static int apply_settings(Manager *m, Varlink *l, const Project *proj, const StartRequest *req, uid_t uid,
                          SessionPolicy *p) {
        _cleanup_free_ char *project_name = NULL;
        bool admin = uid_is_admin(uid) > 0;
        long n_cpus = sysconf(_SC_NPROCESSORS_ONLN);
        SessionCeiling c;
        int r;

        r = check_request_usage(l, &req->settings);
        if (r <= 0)
                return r;
        if (session_settings_apply(&m->config.sessions, p) < 0)
                return -ENOMEM;
        p->allowed_domains_default = true;
        session_ceiling_init_site(&c, &m->config.ceiling, p, n_cpus > 0 ? (unsigned) n_cpus : 1,
                                  MANAGER_CONFIG_FILE);
        if (proj) {
                if (asprintf(&project_name, "project '%s'", proj->name) < 0)
                        return -ENOMEM;
                r = apply_layer(l, &c, &proj->sandbox, project_name, project_is_trusted(proj), p);
                if (r <= 0)
                        return r;
                session_ceiling_narrow(&c, &proj->sandbox, project_name);
        }
        r = apply_layer(l, &c, &req->settings, /* name= */ NULL, admin, p);
        if (r <= 0)
                return r;
        p->allowed_domains_own = req->settings.allow_domains != NULL;
        r = subtract_forbidden(p);
        if (r < 0)
                return r;
        if (m->config.upstream_cidrs) {
                p->unreachable_cidrs = strv_copy(m->config.upstream_cidrs);
                if (!p->unreachable_cidrs)
                        return -ENOMEM;
        }
        /* The user's totals go on the slice when the session starts (session_start()). */
        return 1;
}

/* Appends the NULL-terminated words to argv. */
static int extend_argv(char ***argv, const char *const *words) {
        int r = 0;

        for (; r >= 0 && *words; words++)
                r = strv_extend(argv, *words);
        return r;
}

/* The credentials the agent reads a template's instructions and its task from. */
#define TEMPLATE_CREDENTIAL "openmono-template"
#define TASK_CREDENTIAL "openmono-task"

/* Loads the project's template for its agent and passes on what the agent needs to know of it:
 * the instructions as a credential (staged later, once the session has an id), the model by
 * name. Returns 1 and the template (NULL if the project has none), 0 when it replied. */
static int apply_template(Varlink *l, const Project *proj, SessionPolicy *p, Template **ret) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics diag = {};
        _cleanup_(template_freep) Template *t = NULL;
        int r;

        if (!proj || !proj->template)
                return 1;
        r = template_load(proj->template, /* root= */ NULL, &t, &diag);
        STRV_FOREACH(w, diag.warnings)
                log_warning("%s", *w);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return varlink_errorf(l, OM_ERROR_BAD_PROJECT,
                                      "The template '%s' of project '%s' is broken: %s",
                                      proj->template, proj->name, diag.error ?: strerror(-r));
        if (t->instructions)
                r = extend_argv(&p->argv, (const char *const[]) {
                                        "--system-prompt-credential", TEMPLATE_CREDENTIAL, NULL });
        if (r >= 0 && t->model)
                r = extend_argv(&p->argv, (const char *const[]) { "--model", t->model, NULL });
        if (r < 0)
                return r;
        *ret = steal_ptr(t);
        return 1;
}

/* The command: as given, or the agent working on the task given or the project's default one,
 * told what the project's template says. The task is not in the command line, which every local
 * user can read (systemctl show, ps): it goes in as a credential, staged once the session has an
 * id; *ret_task is then the task, borrowed from req or proj. */
static int choose_command(Varlink *l, const Project *proj, const StartRequest *req, SessionPolicy *p,
                          Template **ret_template, const char **ret_task) {
        _cleanup_free_ char *command = NULL;
        const char *task = req->task ?: (proj ? proj->task : NULL);
        int r;

        if (!p->argv) {
                if (!task)
                        return varlink_errorf(l, VARLINK_ERROR_INVALID_PARAMETER,
                                              "Give a command or a task%s.",
                                              proj ? "; the project has no [Agent] Task=" : "");
                r = extend_argv(&p->argv, (const char *const[]) {
                                        SESSION_AGENT_PATH, "--task-credential", TASK_CREDENTIAL, NULL });
                if (r < 0)
                        return r;
                r = apply_template(l, proj, p, ret_template);
                if (r <= 0)
                        return r;
                *ret_task = task;
        }
        r = resolve_command(p->argv[0], &command);
        if (r < 0)
                return varlink_errorf(l, OM_ERROR_COMMAND_NOT_FOUND, "Command '%s' not found.", p->argv[0]);
        free_and_replace(p->argv[0], command);
        return 1;
}

/* Whether p is still the project the request was made for: a cron job names the project it
 * was created on by its instance id, so a project re-created under that name is not it. */
static bool project_is_requested(const Project *p, const StartRequest *req) {
        _cleanup_free_ char *id = NULL;

        if (!req->project_id)
                return true;
        return project_instance_id(p, &id) >= 0 && streq(id, req->project_id);
}

/* Loads the project asked for and checks the caller may use it. Returns 1 and the project (or
 * NULL for none asked), 0 when it replied with an error. A project the caller may not use gets
 * the same answer as one that does not exist, broken ones too (but for administrators). */
static int load_project(Manager *m, Varlink *l, const StartRequest *req, uid_t uid, Project **ret) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics diag = {};
        int r;

        *ret = NULL;
        if (!req->project)
                return 1;
        r = project_load(&m->project_dirs, req->project, ret, &diag);
        STRV_FOREACH(w, diag.warnings)
                log_warning("%s", *w);
        if (r == -ENOENT || (r < 0 && !uid_is_admin(uid)) ||
            (r >= 0 && (!project_may_use(*ret, uid) || !project_is_requested(*ret, req)))) {
                *ret = project_free(*ret);
                return varlink_errorf(l, OM_ERROR_NO_SUCH_PROJECT, "No project '%s'.", req->project);
        }
        if (r < 0)
                return varlink_errorf(l, OM_ERROR_BAD_PROJECT, "Project '%s' is broken: %s", req->project,
                                      diag.error ?: strerror(-r));
        return 1;
}

/* systemd's answer to the start: the caller learns the session, and with "more" follows it. */
static void on_session_started(Session *s, Varlink *l, int error, const char *message) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        int r;

        if (error < 0) {
                (void) varlink_errorf(l, OM_ERROR_START_FAILED, "systemd refused to start the session: %s",
                                      message ?: strerror(-error));
                return;
        }
        r = session_build_reply(s, /* with_accounting= */ false, &j);
        if (r >= 0 && !varlink_call_wants_more(l))
                r = varlink_reply(l, j);
        else if (r >= 0) {
                r = varlink_notify(l, j);
                if (r >= 0)
                        r = session_add_watcher(s, l);
        }
        if (r < 0 && varlink_has_pending_call(l))
                (void) varlink_error_errno(l, r);
}

/* What a reload needs to bring the session's egress policy up to date (session_apply_egress()):
 * its names, and whether they were the site's default, the project's or asked for. */
static int remember_egress(Session *s, const SessionPolicy *p) {
        s->egress = session_policy_has_egress_relay(p);
        s->egress_default = p->allowed_domains_default;
        s->egress_own = p->allowed_domains_own;
        if (!s->egress || !p->allowed_domains)
                return 0;
        s->egress_domains = strv_copy(p->allowed_domains);
        if (!s->egress_default)
                s->egress_requested = strv_copy(p->allowed_domains);
        return s->egress_domains && (s->egress_default || s->egress_requested) ? 0 : -ENOMEM;
}

/* Registers the session and asks systemd for its unit; the call is answered when systemd has.
 * If the request cannot be sent, nothing is left behind. An ad-hoc session (adhoc) has no
 * project: the label made from its directory stays in the unit's description, and listings
 * and the audit trail say it has none. */
static int launch(Manager *m, Varlink *l, SessionPolicy *p, bool adhoc) {
        Session *s;
        int r;

        r = session_new(m, p->session_id, &s);
        if (r < 0)
                return r;
        s->uid = p->owner_uid;
        s->network = p->network;
        s->started_realtime = now(CLOCK_REALTIME);
        if (!(s->user = strdup(p->owner_name)) || (p->workspace && !(s->workspace = strdup(p->workspace))) ||
            (!adhoc && !(s->project = strdup(p->project))) || remember_egress(s, p) < 0) {
                session_free(s);
                return -ENOMEM;
        }
        r = session_start(s, p, l, on_session_started);
        if (r < 0) {
                s->state = SESSION_FAILED;
                manager_audit_session(m, s);
                session_free(s);
                return r;
        }
        return 0;
}

/* Stages text where LoadCredential= picks it up as credential name; like secrets, it is root's
 * until systemd copies it into the session's credentials, and removed after start. what names
 * it in the error. */
static int stage_text(Manager *m, Varlink *l, const char *name, const char *text, const char *what,
                      SessionPolicy *p) {
        _cleanup_free_ char *path = NULL;
        SecretValue v;
        int r;

        if (!text)
                return 1;
        v = (SecretValue) { .size = strlen(text), .data = (uint8_t *) text };
        r = secret_stage(m->runtime_dir, p->session_id, name, &v, &path);
        if (r >= 0)
                r = session_policy_add_credential(p, name, path);
        if (r < 0) {
                (void) secret_unstage(m->runtime_dir, p->session_id);
                return varlink_errorf(l, OM_ERROR_START_FAILED,
                                      "Failed to hand the session its %s: %s", what, strerror(-r));
        }
        return 1;
}

/* Hands the session a default git identity, the owner's (for a dynamic project: the caller's),
 * as a credential that git reads in place of /etc/gitconfig. It is only a default: the user's
 * own ~/.gitconfig wins, so anyone who configured git keeps their identity. */
static int stage_git_identity(Manager *m, Varlink *l, SessionPolicy *p) {
        _cleanup_free_ char *text = NULL, *unit = NULL;
        int r;

        r = git_identity_for_uid(p->owner_uid, m->config.mail_domain, &text);
        if (r < 0) {
                log_warning_errno(r, "No git identity for %s: %m, ignoring", p->owner_name);
                return 1;
        }
        r = session_unit_name(p->session_id, &unit);
        if (r >= 0)
                r = strv_extendf(&p->environment, "GIT_CONFIG_SYSTEM=/run/credentials/%s/%s", unit,
                                 GIT_IDENTITY_CREDENTIAL);
        if (r < 0) {
                (void) secret_unstage(m->runtime_dir, p->session_id);
                return r;
        }
        return stage_text(m, l, GIT_IDENTITY_CREDENTIAL, text, "git identity", p);
}

/* Decides everything about the session: project, identity, settings, command. Returns 1 to
 * go on, 0 when it replied with an error. */
static int decide(Manager *m, Varlink *l, StartRequest *req, const struct ucred *u, SessionPolicy *p) {
        _cleanup_(project_freep) Project *proj = NULL;
        _cleanup_(template_freep) Template *tmpl = NULL;
        const char *task = NULL;
        int r;

        r = load_project(m, l, req, u->uid, &proj);
        if (r <= 0)
                return r;
        if (!proj)
                r = identity_from_workspace(m, l, req, u, p);
        else if (proj->identity == SESSION_IDENTITY_OWNER)
                r = identity_from_owner_project(m, l, proj, req, u, p);
        else
                r = identity_from_dynamic_project(m, l, proj, u, p);
        if (r > 0)
                r = apply_settings(m, l, proj, req, u->uid, p);
        if (r > 0)
                r = choose_command(l, proj, req, p, &tmpl, &task);
        if (r > 0 && manager_count_user_sessions(m, p->owner_uid) >= m->config.sessions_per_user_max)
                r = varlink_errorf(l, OM_ERROR_TOO_MANY_SESSIONS,
                                   "%s already has %u sessions running, the most allowed.",
                                   p->owner_name, m->config.sessions_per_user_max);
        if (r > 0)
                r = new_session_id(&p->session_id) < 0 ? -ENOMEM : 1;
        /* Last, so nothing is staged for a session that is refused. */
        if (r > 0 && proj)
                r = manager_stage_secrets(m, l, proj, u->uid, req->grants, p);
        if (r > 0)
                r = stage_text(m, l, TEMPLATE_CREDENTIAL, tmpl ? tmpl->instructions : NULL, "template", p);
        if (r > 0)
                r = stage_text(m, l, TASK_CREDENTIAL, task, "task", p);
        if (r > 0)
                r = stage_git_identity(m, l, p);
        return r;
}

/* Pins what the session binds: the workspace directory that was verified (the caller's fd, or the
 * one the controller opened for an owner project) and the owner's storage. systemd is given the
 * pins' root-only paths, never a path through a directory a user controls. Returns 1 to go on, 0
 * when it replied with an error. */
static int pin_mounts(Manager *m, Varlink *l, const StartRequest *req, SessionPolicy *p) {
        _cleanup_free_ char *storage = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r = 0;

        if (p->workspace)
                r = workspace_mount_pin(m->runtime_dir, p->session_id, WORKSPACE_MOUNT_WORKSPACE,
                                        req->workspace_fd, p->workspace, p->owner_uid, &p->workspace_mount);
        if (r >= 0 && p->storage) {
                r = fd = open_directory_nofollow(p->storage);
                if (r >= 0)
                        r = workspace_mount_pin(m->runtime_dir, p->session_id, WORKSPACE_MOUNT_STORAGE, fd,
                                                /* path= */ NULL, p->owner_uid, &storage);
                if (r >= 0)
                        free_and_replace(p->storage, storage);
        }
        if (r < 0) {
                (void) workspace_mount_unpin(m->runtime_dir, p->session_id);
                (void) secret_unstage(m->runtime_dir, p->session_id);
                return varlink_errorf(l, OM_ERROR_BAD_WORKSPACE, "Cannot pin the session's %s: %s.",
                                      p->workspace_mount || !p->workspace ? "storage" : "workspace",
                                      r == -ESTALE ? "it is not the same directory in the host's mount namespace" :
                                      strerror(-r));
        }
        return 1;
}

/* Tells the egress proxy what the session may reach, before the session can ask: without the
 * file the proxy would refuse it everything. Returns 1 to go on, 0 when it replied with an error. */
static int write_egress_policy(Manager *m, Varlink *l, const SessionPolicy *p) {
        int r;

        if (!session_policy_has_egress_relay(p))
                return 1;
        r = session_egress_write(m->runtime_dir, p->session_id, p->allowed_domains);
        if (r < 0)
                return varlink_errorf(l, OM_ERROR_START_FAILED, "Cannot hand the egress proxy the session's policy: %s",
                                      r == -ESRCH ? "the group " SESSION_EGRESS_GROUP " does not exist" : strerror(-r));
        return 1;
}

/* Undoes what was staged for a session that does not start. */
static void unstage(Manager *m, const SessionPolicy *p) {
        (void) secret_unstage(m->runtime_dir, p->session_id);
        (void) workspace_mount_unpin(m->runtime_dir, p->session_id);
        (void) session_egress_remove(m->runtime_dir, SESSION_EGRESS_COUNTS_DIR, p->session_id);
}

static int method_start_session(Varlink *l, json_object *params, VarlinkMethodFlags flags, void *userdata) {
        _cleanup_(session_policy_freep) SessionPolicy *p = session_policy_new();
        _cleanup_(start_request_done) StartRequest req = {
                .settings = SESSION_SETTINGS_UNSET,
                .workspace_fd = -EBADF,
        };
        Manager *m = userdata;
        const char *bad = NULL;
        struct ucred u;
        int r;

        if (!p)
                return -ENOMEM;
        r = parse_start(l, params, p, &req, &bad);
        if (r < 0)
                return varlink_error_invalid_parameter(l, bad);
        r = varlink_get_peer_ucred(l, &u);
        if (r < 0)
                return r;
        /* Fail closed: no session on settings the administrator did not write. */
        if (m->config_error)
                return varlink_errorf(l, OM_ERROR_CONFIG_BROKEN,
                                      "The configuration is broken, no sessions start until it is fixed: %s",
                                      m->config_error);
        r = decide(m, l, &req, &u, p);
        if (r > 0)
                r = pin_mounts(m, l, &req, p);
        if (r <= 0)
                return r;
        r = session_policy_validate(p);
        if (r < 0) {
                unstage(m, p);
                return varlink_errorf(l, VARLINK_ERROR_INVALID_PARAMETER, "The session's policy is not valid.");
        }
        r = write_egress_policy(m, l, p);
        if (r <= 0) {
                unstage(m, p);
                return r;
        }
        r = launch(m, l, p, /* adhoc= */ !req.project);
        if (r < 0) {
                unstage(m, p);
                return varlink_errorf(l, OM_ERROR_START_FAILED, "systemd refused to start the session: %s",
                                      strerror(-r));
        }
        return 0;
}

static const char session_interface_methods[] =
        "\n"
        "# A session. exit and exit_status are set once it has ended (exit_status is the signal's\n"
        "# number when exit is \"killed\", and signal names it); accounting fields (from systemd)\n"
        "# only in GetSession and only where systemd has them. A session without a project has\n"
        "# none. Ended sessions stay visible for a while (ListSessions all, GetSession).\n"
        "# spawn_errno and spawn_executable say why systemd could not run the command;\n"
        "# runtime_max_usec is the limit after which a session ends with result \"timeout\".\n"
        "# allow_domains are the names it reaches through the egress proxy, if it has one;\n"
        "# egress_* count what the proxy let through and refused, and the bytes either way.\n"
        "type Session (id: string, unit: string, uid: int, user: ?string, project: ?string,"
        " workspace: ?string, network: ?string, state: string, started_realtime_usec: int,"
        " result: ?string, exit: ?string, exit_status: ?int, cpu_usage_nsec: ?int,"
        " memory_current_bytes: ?int, tasks_current: ?int, ip_ingress_bytes: ?int,"
        " ip_egress_bytes: ?int, main_pid: ?int, signal: ?string, ended_realtime_usec: ?int,"
        " spawn_errno: ?int, spawn_executable: ?string, runtime_max_usec: ?int, allow_domains: ?[]string,"
        " egress_allowed: ?int, egress_denied: ?int, egress_bytes_sent: ?int, egress_bytes_received: ?int)\n"
        "\n"
        "# Starts a sandboxed session running command, or the agent on task (default: the\n"
        "# project's task). Without a project it works on a directory the caller owns, passed as\n"
        "# the first fd; a project names its own workspace. With stdio \"inherit\", the last three\n"
        "# fds are its stdin, stdout and stderr; otherwise its output goes to the journal. With\n"
        "# \"more\", a reply follows every state change and the last one carries the exit status.\n"
        "# grant names secrets of the caller's own that this run of a project receives; project_id\n"
        "# refuses to start anything but that very project (see GetProject's id). allow_domains\n"
        "# narrows the names the session reaches through the egress proxy (NAME or *.SUFFIX).\n"
        "method StartSession(command: ?[]string, task: ?string, project: ?string, network: ?string,"
        " allow: ?[]string, allow_domains: ?[]string, stdio: ?string,"
        " memory_max: ?int, tasks_max: ?int, cpu_quota_percent: ?int, runtime_max_usec: ?int, term: ?string,"
        " grant: ?[]string, project_id: ?string)"
        " -> (session: Session)\n"
        "# With all, sessions that have ended and are still kept follow the running ones.\n"
        "method ListSessions(all: ?bool) -> (sessions: []Session)\n"
        "method GetSession(id: string) -> (session: Session)\n"
        "method StopSession(id: string) -> ()\n"
        "# Streams the session's state (requires \"more\") until it ends.\n"
        "method WatchSession(id: string) -> (session: Session)\n";

const char *session_varlink_idl(void) {
        return session_interface_methods;
}

int session_varlink_bind(Manager *m) {
        static const VarlinkMethodBinding methods[] = {
                { "io.openmono.Manager.StartSession", method_start_session },
                { "io.openmono.Manager.ListSessions", method_list_sessions },
                { "io.openmono.Manager.GetSession", method_get_session },
                { "io.openmono.Manager.StopSession", method_stop_session },
                { "io.openmono.Manager.WatchSession", method_watch_session },
        };

        return varlink_server_bind_methods(m->varlink, methods, ELEMENTSOF(methods));
}
