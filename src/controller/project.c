/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Project files: reading, validating, writing and listing them, and who may use them. */

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-id128.h>

#include "fs-util.h"
#include "log.h"
#include "parse-util.h"
#include "project.h"
#include "strv.h"
#include "user-util.h"

#define PROJECT_SUFFIX ".project"

static const char *const project_scope_table[_PROJECT_SCOPE_MAX] = {
        [PROJECT_SCOPE_SYSTEM] = "system",
        [PROJECT_SCOPE_USER] = "user",
};

const char *project_scope_to_string(ProjectScope s) {
        return s >= 0 && s < _PROJECT_SCOPE_MAX ? project_scope_table[s] : NULL;
}

Project *project_new(const char *name) {
        Project *p = calloc(1, sizeof(Project));

        if (!p)
                return NULL;
        p->identity = SESSION_IDENTITY_OWNER;
        p->sandbox = SESSION_SETTINGS_UNSET;
        p->name = strdup(name);
        if (!p->name)
                return mfree(p);
        return p;
}

Project *project_free(Project *p) {
        if (!p)
                return NULL;
        free(p->name);
        free(p->id);
        free(p->description);
        free(p->owner);
        free(p->workspace);
        strv_free(p->users);
        strv_free(p->groups);
        session_settings_done(&p->sandbox);
        free(p->task);
        free(p->template);
        strv_free(p->grants);
        return mfree(p);
}

int project_dirs_init(ProjectDirs *d, const char *root, const char *state_dir) {
        root = root ?: "";
        if (asprintf(&d->system, "%s%s/projects", root, PKGSYSCONFDIR) < 0)
                return -ENOMEM;
        if (asprintf(&d->user, "%s/projects", state_dir) < 0)
                return -ENOMEM;
        return 0;
}

void project_dirs_done(ProjectDirs *d) {
        d->system = mfree(d->system);
        d->user = mfree(d->user);
}

static DEFINE_CONFIG_PARSE_ENUM(config_parse_identity, session_identity_from_string, SessionIdentity,
                                "identity");

static const ConfigItem project_items[] = {
        { "Project", "Id",          config_parse_string,   offsetof(Project, id) },
        { "Project", "Description", config_parse_string,   offsetof(Project, description) },
        { "Project", "Identity",    config_parse_identity, offsetof(Project, identity) },
        { "Project", "Owner",       config_parse_string,   offsetof(Project, owner) },
        { "Project", "Workspace",   config_parse_string,   offsetof(Project, workspace) },
        { "Project", "Users",       config_parse_strv,     offsetof(Project, users) },
        { "Project", "Groups",      config_parse_strv,     offsetof(Project, groups) },
        SESSION_SETTINGS_CONFIG_ITEMS("Sandbox", offsetof(Project, sandbox)),
        { "Agent",   "Task",        config_parse_string,   offsetof(Project, task) },
        { "Agent",   "Template",    config_parse_string,   offsetof(Project, template) },
        { "Secrets", "Grant",       config_parse_strv,     offsetof(Project, grants) },
        {}
};

int project_validate(const Project *p, const char **ret_why) {
        const char *bad;

        *ret_why = "invalid project name";
        if (!project_name_is_valid(p->name))
                return -EINVAL;
        *ret_why = "Id= must be 32 hexadecimal digits";
        if (p->id && (strlen(p->id) != 32 || strspn(p->id, "0123456789abcdef") != 32))
                return -EINVAL;
        *ret_why = "Owner= is missing";
        if (!p->owner)
                return -EINVAL;
        *ret_why = "Owner= must not be root: a sandbox running as root is no sandbox";
        if (streq(p->owner, "root"))
                return -EINVAL;
        if (p->identity == SESSION_IDENTITY_OWNER) {
                *ret_why = "Identity=owner needs an absolute Workspace=";
                if (!p->workspace || p->workspace[0] != '/')
                        return -EINVAL;
        } else {
                *ret_why = "Identity=dynamic uses a managed workspace; remove Workspace=";
                if (p->workspace)
                        return -EINVAL;
        }
        *ret_why = "Template= is not a valid template name";
        if (p->template && !project_name_is_valid(p->template))
                return -EINVAL;
        /* Credentials named openmono-* are OpenMono's own (openmono-template); a secret of that
         * name would collide with them in $CREDENTIALS_DIRECTORY. */
        *ret_why = "Grant= names beginning with 'openmono-' are reserved";
        STRV_FOREACH(g, p->grants)
                if (startswith(*g, "openmono-"))
                        return -EINVAL;
        *ret_why = "Allow= has an entry that is not a CIDR";
        return session_settings_validate(&p->sandbox, &bad);
}

/* Parses the file of one scope. -ENOENT if that scope has no such project. */
static int load_scope(const ProjectDirs *d, ProjectScope scope, const char *name, Project **ret,
                      ConfigDiagnostics *diag) {
        _cleanup_(project_freep) Project *p = project_new(name);
        _cleanup_free_ char *file = NULL, *path = NULL;
        const char *why;
        struct stat st;
        int r;

        if (!p || asprintf(&file, "%s" PROJECT_SUFFIX, name) < 0)
                return -ENOMEM;
        if (asprintf(&path, "%s/%s", scope == PROJECT_SCOPE_SYSTEM ? d->system : d->user, file) < 0)
                return -ENOMEM;
        if (stat(path, &st) < 0)
                return -errno;
        p->scope = scope;
        if (scope == PROJECT_SCOPE_SYSTEM) {
                const char *const dirs[] = { d->system, NULL };
                r = config_parse_standard(file, dirs, NULL, project_items, p, diag);
        } else
                r = config_parse_file(path, project_items, p, diag);
        if (r < 0)
                return r;
        if (project_validate(p, &why) < 0) {
                if (diag) {
                        free(diag->error);
                        diag->error = NULL;
                        (void) asprintf(&diag->error, "%s: %s", path, why);
                }
                return -EINVAL;
        }
        *ret = steal_ptr(p);
        return 0;
}

int project_load(const ProjectDirs *d, const char *name, Project **ret, ConfigDiagnostics *diag) {
        int r;

        if (!project_name_is_valid(name))
                return -EINVAL;
        r = load_scope(d, PROJECT_SCOPE_SYSTEM, name, ret, diag);
        if (r != -ENOENT)
                return r;
        return load_scope(d, PROJECT_SCOPE_USER, name, ret, diag);
}

int project_foreach(const ProjectDirs *d, int (*f)(Project *p, void *userdata), void *userdata) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        /* Files that are not NAME.project are ignored. */
        r = dirs_list_names((const char *const[]) { d->system, d->user }, 2, PROJECT_SUFFIX,
                            project_name_is_valid, &names);
        if (r < 0)
                return r;
        STRV_FOREACH(n, names) {
                _cleanup_(config_diagnostics_done) ConfigDiagnostics diag = {};
                _cleanup_(project_freep) Project *p = NULL;

                r = project_load(d, *n, &p, &diag);
                if (r < 0) {
                        log_warning("Skipping project %s: %s", *n, diag.error ?: strerror(-r));
                        continue;
                }
                r = f(p, userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void put_words(FILE *f, const char *key, char *const *words) {
        if (!words)
                return;
        fprintf(f, "%s=", key);
        STRV_FOREACH(w, words)
                fprintf(f, "%s%s", w == words ? "" : " ", *w);
        fputc('\n', f);
}

static void put_sandbox(FILE *f, const SessionSettings *s) {
        char buf[FORMAT_TIMESPAN_MAX];

        fputs("\n[Sandbox]\n", f);
        if (s->network >= 0)
                fprintf(f, "Network=%s\n", network_policy_to_string(s->network));
        put_words(f, "Allow", s->allow);
        /* One pattern per line, as openmono-egressd reads the site's list. */
        STRV_FOREACH(d, s->allow_domains)
                fprintf(f, "AllowDomain=%s\n", *d);
        if (s->memory_max != UINT64_MAX)
                fprintf(f, "MemoryMax=%" PRIu64 "\n", s->memory_max);
        if (s->tasks_max != UINT64_MAX)
                fprintf(f, "TasksMax=%" PRIu64 "\n", s->tasks_max);
        if (s->cpu_quota_percent > 0)
                fprintf(f, "CPUQuota=%u%%\n", s->cpu_quota_percent);
        if (s->runtime_max_usec != UINT64_MAX)
                fprintf(f, "RuntimeMaxSec=%s\n", format_timespan(buf, sizeof buf, s->runtime_max_usec));
}

int project_format(const Project *p, char **ret) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        fprintf(f, "# Project %s, written by openmonod. Change it with 'openmonoctl project set'.\n"
                   "[Project]\n", p->name);
        if (p->id)
                fprintf(f, "Id=%s\n", p->id);
        if (p->description)
                fprintf(f, "Description=%s\n", p->description);
        fprintf(f, "Identity=%s\nOwner=%s\n", session_identity_to_string(p->identity), p->owner);
        if (p->workspace)
                fprintf(f, "Workspace=%s\n", p->workspace);
        put_words(f, "Users", p->users);
        put_words(f, "Groups", p->groups);
        put_sandbox(f, &p->sandbox);
        if (p->task || p->template)
                fputs("\n[Agent]\n", f);
        if (p->task)
                fprintf(f, "Task=%s\n", p->task);
        if (p->template)
                fprintf(f, "Template=%s\n", p->template);
        if (p->grants) {
                fputs("\n[Secrets]\n", f);
                put_words(f, "Grant", p->grants);
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = steal_ptr(text);
        return 0;
}

int project_save(const ProjectDirs *d, const Project *p) {
        _cleanup_free_ char *text = NULL, *path = NULL;
        const char *why;
        int r;

        if (project_validate(p, &why) < 0)
                return -EINVAL;
        r = project_format(p, &text);
        if (r < 0)
                return r;
        r = NEG_ERRNO(mkdir(d->user, 0700));
        if (r < 0 && r != -EEXIST)
                return r;
        if (asprintf(&path, "%s/%s" PROJECT_SUFFIX, d->user, p->name) < 0)
                return -ENOMEM;
        return write_file_atomic(path, text, strlen(text), 0600);
}

int project_remove(const ProjectDirs *d, const char *name) {
        _cleanup_free_ char *path = NULL;

        if (!project_name_is_valid(name))
                return -EINVAL;
        if (asprintf(&path, "%s/%s" PROJECT_SUFFIX, d->user, name) < 0)
                return -ENOMEM;
        return NEG_ERRNO(unlink(path));
}

int project_new_id(char **ret) {
        char s[SD_ID128_STRING_MAX];
        sd_id128_t id;
        int r;

        r = sd_id128_randomize(&id);
        if (r < 0)
                return r;
        *ret = strdup(sd_id128_to_string(id, s));
        return *ret ? 0 : -ENOMEM;
}

int project_instance_id(const Project *p, char **ret) {
        if (p->id)
                *ret = strdup(p->id);
        else if (asprintf(ret, "%s:%s", project_scope_to_string(p->scope), p->owner) < 0)
                *ret = NULL;
        return *ret ? 0 : -ENOMEM;
}

bool uid_is_dynamic(uid_t uid) {
        return uid >= DYNAMIC_UID_MIN && uid <= DYNAMIC_UID_MAX;
}

bool project_account_is_static(const struct passwd *pw, const struct group *gr) {
        return (pw && !uid_is_dynamic(pw->pw_uid)) || (gr && !uid_is_dynamic((uid_t) gr->gr_gid));
}

int project_name_collides(const char *name) {
        _cleanup_free_ char *user = NULL;
        struct passwd *pw;
        struct group *gr;

        if (asprintf(&user, "om-%s", name) < 0)
                return -ENOMEM;
        pw = getpwnam(user);
        /* getpwnam() may reuse the buffer getgrnam() fills; decide on the user first. */
        if (pw && !uid_is_dynamic(pw->pw_uid))
                return 1;
        gr = getgrnam(user);
        return project_account_is_static(NULL, gr);
}

static bool is_owner(const Project *p, uid_t uid) {
        _cleanup_free_ char *name = NULL;

        return uid_to_name(uid, &name) >= 0 && streq(name, p->owner);
}

bool project_admits(const Project *p, uid_t uid) {
        _cleanup_free_ char *name = NULL;

        if (is_owner(p, uid))
                return true;
        /* Others run code as the owner with the owner identity; only dynamic projects share. */
        if (p->identity != SESSION_IDENTITY_DYNAMIC)
                return false;
        if (uid_to_name(uid, &name) >= 0 && strv_contains(p->users, name))
                return true;
        STRV_FOREACH(g, p->groups)
                if (uid_in_group(uid, *g) > 0)
                        return true;
        return false;
}

bool project_may_use(const Project *p, uid_t uid) {
        return uid_is_admin(uid) > 0 || project_admits(p, uid);
}

bool project_may_manage(const Project *p, uid_t uid) {
        if (uid_is_admin(uid) > 0)
                return true;
        return p->scope == PROJECT_SCOPE_USER && is_owner(p, uid);
}
