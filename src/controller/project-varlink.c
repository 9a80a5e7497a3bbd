/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The project methods of io.openmono.Manager: AddProject, SetProject, RemoveProject, GetProject,
 * ListProjects. Users create projects of their own; administrators' projects are files they edit,
 * which the API shows but never writes. */

#include <pwd.h>

#include "json-util.h"
#include "log.h"
#include "manager.h"
#include "openmono-errors.h"
#include "project.h"
#include "session.h"
#include "session-ceiling.h"
#include "strv.h"
#include "user-util.h"
#include "workspace.h"

/* Leaves out what the project does not set, rather than writing an empty list. */
static int add_strv(json_object *o, const char *key, char *const *l) {
        return l ? json_add_strv(o, key, l) : 0;
}

static int add_sandbox(json_object *o, const SessionSettings *s) {
        int r = 0;

        if (s->network >= 0)
                r = json_add_string(o, "network", network_policy_to_string(s->network));
        if (r >= 0)
                r = add_strv(o, "allow", s->allow);
        if (r >= 0)
                r = add_strv(o, "allow_domains", s->allow_domains);
        if (r >= 0 && s->memory_max != UINT64_MAX)
                r = json_add_uint64(o, "memory_max", s->memory_max);
        if (r >= 0 && s->tasks_max != UINT64_MAX)
                r = json_add_uint64(o, "tasks_max", s->tasks_max);
        if (r >= 0 && s->cpu_quota_percent > 0)
                r = json_add_int64(o, "cpu_quota_percent", s->cpu_quota_percent);
        if (r >= 0 && s->runtime_max_usec != UINT64_MAX)
                r = json_add_uint64(o, "runtime_max_usec", s->runtime_max_usec);
        return r;
}

static int add_instance_id(json_object *o, const Project *p) {
        _cleanup_free_ char *id = NULL;
        int r = project_instance_id(p, &id);

        return r < 0 ? r : json_add_string(o, "id", id);
}

int project_build_json(const Project *p, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        int r;

        if (!o)
                return -ENOMEM;
        r = json_add_string(o, "name", p->name);
        if (r >= 0)
                r = add_instance_id(o, p);
        if (r >= 0)
                r = json_add_string(o, "scope", project_scope_to_string(p->scope));
        if (r >= 0 && p->description)
                r = json_add_string(o, "description", p->description);
        if (r >= 0)
                r = json_add_string(o, "identity", session_identity_to_string(p->identity));
        if (r >= 0)
                r = json_add_string(o, "owner", p->owner);
        if (r >= 0 && p->workspace)
                r = json_add_string(o, "workspace", p->workspace);
        if (r >= 0)
                r = add_strv(o, "users", p->users);
        if (r >= 0)
                r = add_strv(o, "groups", p->groups);
        if (r >= 0)
                r = add_sandbox(o, &p->sandbox);
        if (r >= 0 && p->task)
                r = json_add_string(o, "task", p->task);
        if (r >= 0 && p->template)
                r = json_add_string(o, "template", p->template);
        if (r >= 0)
                r = add_strv(o, "grant", p->grants);
        if (r < 0)
                return r;
        *ret = steal_ptr(o);
        return 0;
}

/* Loads the project named by params' "name" for the caller uid, replying with an error when that
 * fails. One the caller may not use gets the same answer as one that does not exist, and so does
 * a broken file, unless the caller is an administrator: owners and paths are not for everyone. */
static Project *lookup_project(Manager *m, Varlink *l, json_object *params, uid_t uid) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics diag = {};
        const char *name;
        Project *p = NULL;
        int r;

        if (json_get_string(params, "name", &name) < 0 || !project_name_is_valid(name)) {
                (void) varlink_error_invalid_parameter(l, "name");
                return NULL;
        }
        r = project_load(&m->project_dirs, name, &p, &diag);
        if (r == -ENOENT || (r < 0 && !uid_is_admin(uid)) || (r >= 0 && !project_may_use(p, uid))) {
                p = project_free(p);
                (void) varlink_errorf(l, OM_ERROR_NO_SUCH_PROJECT, "No project '%s'.", name);
        } else if (r < 0)
                (void) varlink_errorf(l, OM_ERROR_BAD_PROJECT, "Project '%s' is broken: %s", name,
                                      diag.error ?: strerror(-r));
        return p;
}

static bool string_is_single_line(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < ' ' || *s == 0x7f)
                        return false;
        return true;
}

static int get_line(json_object *params, const char *key, char **field) {
        const char *s;
        int r = json_get_string(params, key, &s);

        if (r == -ENOENT)
                return 0;
        if (r < 0 || !string_is_single_line(s))
                return -EINVAL;
        return free_and_strdup(field, s);
}

/* A template name, or "" to remove it. */
static int get_template(json_object *params, char **field) {
        const char *s;
        int r = json_get_string(params, "template", &s);

        if (r == -ENOENT)
                return 0;
        if (r < 0 || (*s && !project_name_is_valid(s)))
                return -EINVAL;
        if (!*s) {
                *field = mfree(*field);
                return 0;
        }
        return free_and_strdup(field, s);
}

static int get_words(json_object *params, const char *key, char ***field) {
        _cleanup_strv_free_ char **l = NULL;
        int r = json_get_strv(params, key, &l);

        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return -EINVAL;
        STRV_FOREACH(w, l)
                if (!**w || strpbrk(*w, " \t\n\r\\\"'") || !string_is_single_line(*w))
                        return -EINVAL;
        strv_free(*field);
        *field = steal_ptr(l);
        return 0;
}

/* Applies the settings present in params to p; absent ones stay. Names the bad one. */
static int apply_project_params(Project *p, json_object *params, const char **ret_bad) {
        const char *identity = NULL;
        int r;

        *ret_bad = "identity";
        r = json_get_string(params, "identity", &identity);
        if (r == -EINVAL || (identity && (p->identity = session_identity_from_string(identity)) < 0))
                return -EINVAL;
        if ((*ret_bad = "description", get_line(params, "description", &p->description)) < 0 ||
            (*ret_bad = "task", get_line(params, "task", &p->task)) < 0 ||
            (*ret_bad = "template", get_template(params, &p->template)) < 0 ||
            (*ret_bad = "users", get_words(params, "users", &p->users)) < 0 ||
            (*ret_bad = "groups", get_words(params, "groups", &p->groups)) < 0 ||
            (*ret_bad = "grant", get_words(params, "grant", &p->grants)) < 0)
                return -EINVAL;
        return session_settings_from_json(params, &p->sandbox, ret_bad);
}

/* Owner identity: the workspace comes as fd 0, opened by the caller, and must belong to the
 * owner; its path is taken from the fd, never from a string the caller sends. */
static int take_workspace(Varlink *l, Project *p, uid_t owner_uid) {
        _cleanup_close_ int fd = varlink_take_fd(l, 0);
        _cleanup_free_ char *path = NULL;
        int r;

        if (fd < 0)
                return -EBADF;
        r = workspace_verify_fd(fd, owner_uid, &path);
        if (r < 0)
                return r;
        return free_and_replace(p->workspace, path);
}

static int reply_project(Varlink *l, const Project *p) {
        _cleanup_(json_object_putp) json_object *reply = json_object_new_object();
        json_object *j;
        int r;

        if (!reply)
                return -ENOMEM;
        r = project_build_json(p, &j);
        if (r < 0)
                return r;
        r = json_add_take(reply, "project", j);
        return r < 0 ? r : varlink_reply(l, reply);
}

/* Checks and stores a project created or changed by uid. */
static int commit_project(Manager *m, Varlink *l, Project *p, uid_t uid, const char *event) {
        _cleanup_free_ char *message = NULL;
        const char *why;
        int r;

        if (p->sandbox.network == NETWORK_POLICY_INTERNET && !uid_is_admin(uid))
                return varlink_errorf(l, OM_ERROR_PERMISSION_DENIED,
                                      "Only administrators may give a project unrestricted internet access.");
        /* Refused now rather than at each session start; the rest of the ceiling is checked when
         * a session starts, against the configuration of that moment. */
        r = session_settings_check_forbidden(&p->sandbox, /* layer_name= */ NULL, &message);
        if (r == 0) {
                SessionCeiling site = {
                        .allow_domains = m->config.sessions.allow_domains,
                        .domains_origin = MANAGER_CONFIG_FILE,
                };
                r = session_ceiling_check_domains(&site, &p->sandbox, /* layer_name= */ NULL, &message);
        }
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return varlink_errorf(l, OM_ERROR_EXCEEDS_CEILING, "%s", message);
        if (project_validate(p, &why) < 0)
                return varlink_errorf(l, OM_ERROR_BAD_PROJECT, "Invalid project: %s.", why);
        /* Sessions of a dynamic project run as om-NAME, which DynamicUser= would resolve to an
         * existing account of that name. Refused for every project: identities can change. */
        if (project_name_collides(p->name) > 0)
                return varlink_errorf(l, OM_ERROR_BAD_PROJECT,
                                      "Invalid project: om-%s is an account of this system; choose another name.",
                                      p->name);
        r = project_save(&m->project_dirs, p);
        if (r < 0)
                return varlink_errorf(l, VARLINK_ERROR_SYSTEM, "Failed to save project '%s': %s", p->name,
                                      strerror(-r));
        manager_audit_project(m, p, uid, event);
        /* Its running sessions reach what the project allows now, like they do after a reload. */
        manager_apply_egress(m, /* rewrite= */ false);
        return reply_project(l, p);
}

static int reply_bad_workspace(Varlink *l, int r) {
        return varlink_errorf(l, OM_ERROR_BAD_WORKSPACE, "Cannot use this directory as a workspace: %s.",
                              workspace_error_to_string(r));
}

static int method_add_project(Varlink *l, json_object *params, VarlinkMethodFlags flags, void *userdata) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics diag = {};
        _cleanup_(project_freep) Project *p = NULL, *existing = NULL;
        Manager *m = userdata;
        const char *name, *bad;
        struct ucred u;
        int r;

        if (json_get_string(params, "name", &name) < 0 || !project_name_is_valid(name))
                return varlink_error_invalid_parameter(l, "name");
        p = project_new(name);
        if (!p)
                return -ENOMEM;
        p->scope = PROJECT_SCOPE_USER;
        if (apply_project_params(p, params, &bad) < 0)
                return varlink_error_invalid_parameter(l, bad);
        r = varlink_get_peer_ucred(l, &u);
        if (r < 0)
                return r;
        if (u.uid == 0)
                return varlink_errorf(l, OM_ERROR_PERMISSION_DENIED,
                                      "Projects belong to a user, and sessions never run as root; add it as that user.");
        r = uid_to_name(u.uid, &p->owner);
        if (r < 0)
                return r;
        if (p->identity == SESSION_IDENTITY_OWNER) {
                r = take_workspace(l, p, u.uid);
                if (r == -EBADF)
                        return varlink_errorf(l, OM_ERROR_BAD_WORKSPACE, "A project with identity 'owner' needs a workspace.");
                if (r < 0)
                        return reply_bad_workspace(l, r);
        }
        r = project_load(&m->project_dirs, name, &existing, &diag);
        if (r != -ENOENT)
                return varlink_errorf(l, OM_ERROR_PROJECT_EXISTS, "A project named '%s' exists already.", name);
        r = project_new_id(&p->id);
        if (r < 0)
                return r;
        /* No project has this name, so whatever systemd still keeps under it is an orphan (left
         * by a removal that failed, or by a version that did not remove state): never hand it on. */
        r = workspace_remove_state(/* root= */ NULL, name);
        if (r < 0)
                return varlink_errorf(l, VARLINK_ERROR_SYSTEM,
                                      "Cannot clear what an earlier project '%s' left behind: %s", name, strerror(-r));
        return commit_project(m, l, p, u.uid, "project-added");
}

/* Returns 1 if uid may change or remove p; otherwise replies with an error and returns what
 * sending it returned. System projects are files administrators edit; user projects belong to
 * their owner (and administrators). Only callers who may use p get here (lookup_project()), so
 * these answers tell nobody that a project exists. */
static int check_may_change(Manager *m, Varlink *l, const Project *p, uid_t uid, const char *file_action,
                            const char *verb) {
        if (p->scope == PROJECT_SCOPE_SYSTEM)
                return varlink_errorf(l, OM_ERROR_PERMISSION_DENIED, "Project '%s' is a system project; %s %s.",
                                      p->name, file_action, m->project_dirs.system);
        if (!project_may_manage(p, uid))
                return varlink_errorf(l, OM_ERROR_PERMISSION_DENIED, "Not allowed to %s project '%s'.", verb, p->name);
        return 1;
}

static int method_set_project(Varlink *l, json_object *params, VarlinkMethodFlags flags, void *userdata) {
        _cleanup_(project_freep) Project *p = NULL;
        Manager *m = userdata;
        struct passwd *pw;
        const char *bad;
        struct ucred u;
        int r;

        r = varlink_get_peer_ucred(l, &u);
        if (r < 0)
                return r;
        p = lookup_project(m, l, params, u.uid);
        if (!p)
                return 0;
        r = check_may_change(m, l, p, u.uid, "change its file in", "change");
        if (r <= 0)
                return r;
        if (apply_project_params(p, params, &bad) < 0)
                return varlink_error_invalid_parameter(l, bad);
        if (p->identity == SESSION_IDENTITY_DYNAMIC)
                p->workspace = mfree(p->workspace);
        /* A new workspace must belong to the project's owner, whoever asks. */
        pw = getpwnam(p->owner);
        if (!pw)
                return varlink_errorf(l, OM_ERROR_BAD_PROJECT, "The project's owner '%s' does not exist.", p->owner);
        r = take_workspace(l, p, pw->pw_uid);
        if (r < 0 && r != -EBADF)
                return reply_bad_workspace(l, r);
        return commit_project(m, l, p, u.uid, "project-changed");
}

/* Whether a session of project name has not ended yet. */
static bool project_has_sessions(Manager *m, const char *name) {
        for (size_t i = 0; i < m->n_sessions; i++)
                if (streq_ptr(m->sessions[i]->project, name) && !session_state_is_final(m->sessions[i]->state))
                        return true;
        return false;
}

/* Removing a project removes what systemd keeps for it: the next project of that name, whoever
 * creates it, must not inherit this one's workspace and transcripts. Deleted rather than kept
 * aside, since nothing could ever hand a kept copy back to its user safely. */
static int remove_project_state(Manager *m, Varlink *l, const Project *p) {
        int r;

        if (p->identity != SESSION_IDENTITY_DYNAMIC)
                return 1;
        r = workspace_remove_state(/* root= */ NULL, p->name);
        if (r < 0)
                return varlink_errorf(l, VARLINK_ERROR_SYSTEM,
                                      "Removed project '%s', but not all of its workspace and transcripts: %s",
                                      p->name, strerror(-r));
        return 1;
}

static int method_remove_project(Varlink *l, json_object *params, VarlinkMethodFlags flags, void *userdata) {
        _cleanup_(project_freep) Project *p = NULL;
        Manager *m = userdata;
        struct ucred u;
        int r;

        r = varlink_get_peer_ucred(l, &u);
        if (r < 0)
                return r;
        p = lookup_project(m, l, params, u.uid);
        if (!p)
                return 0;
        r = check_may_change(m, l, p, u.uid, "remove its file from", "remove");
        if (r <= 0)
                return r;
        if (project_has_sessions(m, p->name))
                return varlink_errorf(l, OM_ERROR_PERMISSION_DENIED,
                                      "Project '%s' has sessions running; stop them first.", p->name);
        r = project_remove(&m->project_dirs, p->name);
        if (r < 0)
                return varlink_errorf(l, VARLINK_ERROR_SYSTEM, "Failed to remove project '%s': %s", p->name, strerror(-r));
        manager_audit_project(m, p, u.uid, "project-removed");
        r = remove_project_state(m, l, p);
        return r <= 0 ? r : varlink_reply(l, NULL);
}

static int method_get_project(Varlink *l, json_object *params, VarlinkMethodFlags flags, void *userdata) {
        _cleanup_(project_freep) Project *p = NULL;
        Manager *m = userdata;
        struct ucred u;
        int r;

        r = varlink_get_peer_ucred(l, &u);
        if (r < 0)
                return r;
        p = lookup_project(m, l, params, u.uid);
        if (!p)
                return 0;
        return reply_project(l, p);
}

typedef struct ListContext {
        uid_t uid;
        json_object *list;
} ListContext;

static int list_one(Project *p, void *userdata) {
        ListContext *c = userdata;
        json_object *j;
        int r;

        if (!project_may_use(p, c->uid))
                return 0;
        r = project_build_json(p, &j);
        if (r < 0)
                return r;
        if (json_object_array_add(c->list, j) < 0) {
                json_object_put(j);
                return -ENOMEM;
        }
        return 0;
}

static int method_list_projects(Varlink *l, json_object *params, VarlinkMethodFlags flags, void *userdata) {
        _cleanup_(json_object_putp) json_object *reply = json_object_new_object();
        Manager *m = userdata;
        ListContext c = {};
        struct ucred u;
        int r;

        c.list = json_object_new_array();
        if (!reply || !c.list || json_add_take(reply, "projects", c.list) < 0) {
                json_object_put(c.list);
                return -ENOMEM;
        }
        r = varlink_get_peer_ucred(l, &u);
        if (r < 0)
                return r;
        c.uid = u.uid;
        r = project_foreach(&m->project_dirs, list_one, &c);
        return r < 0 ? r : varlink_reply(l, reply);
}

static const char project_interface_methods[] =
        "\n"
        "# A project: a named session policy. scope is \"system\" for files administrators keep in\n"
        "# /etc, \"user\" for projects created through this interface. Limits absent = site default.\n"
        "# id tells this project from a later one of the same name (cron jobs keep it).\n"
        "type Project (name: string, id: string, scope: string, description: ?string, identity: string,"
        " owner: string, workspace: ?string, users: ?[]string, groups: ?[]string, network: ?string,"
        " allow: ?[]string, allow_domains: ?[]string, memory_max: ?int, tasks_max: ?int, cpu_quota_percent: ?int,"
        " runtime_max_usec: ?int, task: ?string, template: ?string, grant: ?[]string)\n"
        "\n"
        "# Creates a project owned by the caller. With identity \"owner\" (the default) fd 0 is the\n"
        "# workspace, a directory the caller owns.\n"
        "method AddProject(name: string, identity: ?string, description: ?string, users: ?[]string,"
        " groups: ?[]string, network: ?string, allow: ?[]string, allow_domains: ?[]string, memory_max: ?int, tasks_max: ?int,"
        " cpu_quota_percent: ?int, runtime_max_usec: ?int, task: ?string, template: ?string, grant: ?[]string)"
        " -> (project: Project)\n"
        "# Changes the given settings of a user project; fd 0, if passed, is a new workspace.\n"
        "method SetProject(name: string, identity: ?string, description: ?string, users: ?[]string,"
        " groups: ?[]string, network: ?string, allow: ?[]string, allow_domains: ?[]string, memory_max: ?int, tasks_max: ?int,"
        " cpu_quota_percent: ?int, runtime_max_usec: ?int, task: ?string, template: ?string, grant: ?[]string)"
        " -> (project: Project)\n"
        "method RemoveProject(name: string) -> ()\n"
        "method GetProject(name: string) -> (project: Project)\n"
        "# The projects the caller may start sessions of.\n"
        "method ListProjects() -> (projects: []Project)\n";

const char *project_varlink_idl(void) {
        return project_interface_methods;
}

int project_varlink_bind(Manager *m) {
        static const VarlinkMethodBinding methods[] = {
                { "io.openmono.Manager.AddProject", method_add_project },
                { "io.openmono.Manager.SetProject", method_set_project },
                { "io.openmono.Manager.RemoveProject", method_remove_project },
                { "io.openmono.Manager.GetProject", method_get_project },
                { "io.openmono.Manager.ListProjects", method_list_projects },
        };

        return varlink_server_bind_methods(m->varlink, methods, ELEMENTSOF(methods));
}
