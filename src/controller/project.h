/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Projects: named, reusable session policies. Site projects are files an administrator keeps in
 * PKGSYSCONFDIR/projects/NAME.project (drop-ins in NAME.project.d/ work as for every config
 * file); projects users create through the controller live in STATEDIR/projects/NAME.project,
 * which only root can write. A name is unique across both; the site's file wins. */

#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <sys/types.h>

#include "conf-parser.h"
#include "session-policy.h"
#include "session-settings.h"

typedef enum ProjectScope {
        PROJECT_SCOPE_SYSTEM,           /* an administrator's file */
        PROJECT_SCOPE_USER,             /* created through the controller */
        _PROJECT_SCOPE_MAX,
        _PROJECT_SCOPE_INVALID = -EINVAL,
} ProjectScope;

typedef struct Project {
        char *name;
        char *id;                       /* [Project] Id=, random, set when created through the API */
        ProjectScope scope;
        char *description;
        SessionIdentity identity;
        char *owner;                    /* user name: manages it; sessions run as this user (owner identity) */
        char *workspace;                /* absolute path; owner identity only */
        char **users;                   /* may also start sessions (dynamic identity only) */
        char **groups;
        SessionSettings sandbox;        /* [Sandbox] */
        char *task;                     /* [Agent] Task=, what openmono@NAME.service runs */
        char *template;                 /* [Agent] Template=, the agent's instructions and model */
        char **grants;                  /* [Secrets] Grant=, secret names sessions receive */
} Project;

/* Where the two kinds of project files live, each below an optional root for tests. */
typedef struct ProjectDirs {
        char *system;
        char *user;
} ProjectDirs;

const char *project_scope_to_string(ProjectScope s);

Project *project_new(const char *name);
Project *project_free(Project *p);
DEFINE_PTR_CLEANUP(Project *, project_free);

int project_dirs_init(ProjectDirs *d, const char *root, const char *state_dir);
void project_dirs_done(ProjectDirs *d);

/* Checks what every project must satisfy: a valid name, an owner, an absolute workspace for the
 * owner identity and none for the dynamic one, CIDRs in Allow=. Returns 0 or -EINVAL with a
 * reason in *ret_why. */
int project_validate(const Project *p, const char **ret_why);

/* Reads project name. Returns -ENOENT if there is none, -EINVAL for a bad name, or the parse
 * error (diag->error names file and line). */
int project_load(const ProjectDirs *d, const char *name, Project **ret, ConfigDiagnostics *diag);
/* Calls f for every project that loads; broken files are logged and skipped, so one bad file
 * does not hide the others. */
int project_foreach(const ProjectDirs *d, int (*f)(Project *p, void *userdata), void *userdata);

/* Writes p as its file in the user directory, atomically: a crash leaves the old file or the
 * new one, never a part. */
int project_save(const ProjectDirs *d, const Project *p);
/* Removes a user project's file; -ENOENT if there is none. */
int project_remove(const ProjectDirs *d, const char *name);

/* Renders p in the file format that project_load() reads back to the same project. */
int project_format(const Project *p, char **ret);

/* A new random id for a project, 32 hex digits. Cron jobs remember it, so that a job outlives
 * neither its project nor a project re-created under the same name by someone else. */
int project_new_id(char **ret);
/* What identifies this project rather than its name: its Id=, else (files written before
 * projects had ids, and site projects) its scope and owner, which a re-created project of another
 * user or scope cannot share. Returns 0 or -ENOMEM. */
int project_instance_id(const Project *p, char **ret);

/* systemd's range for dynamic users (DynamicUser=): 61184…65519. */
#define DYNAMIC_UID_MIN ((uid_t) 61184)
#define DYNAMIC_UID_MAX ((uid_t) 65519)
bool uid_is_dynamic(uid_t uid);
/* DynamicUser= takes over an existing account of the same name instead of allocating one, so a
 * dynamic project's om-NAME must not name a static user or group. Given what NSS returned for
 * om-NAME (NULL: none), returns true if either is a static account; a dynamic user that systemd
 * allocated for a running session has an id in the dynamic range and is fine. */
bool project_account_is_static(const struct passwd *pw, const struct group *gr);
/* Looks up om-NAME and applies project_account_is_static(). Returns 1 if the name is taken by a
 * real account, 0 if not. */
int project_name_collides(const char *name);

/* Whether the user may start sessions of p, and whether they may change or remove it. Admins
 * may do both; system projects are changed by editing their files. */
bool project_may_use(const Project *p, uid_t uid);
/* Whether the project's owner let uid in: the owner, or one of Users=/Groups= of a dynamic
 * project. Unlike project_may_use(), administrators are not let in by their role. */
bool project_admits(const Project *p, uid_t uid);
bool project_may_manage(const Project *p, uid_t uid);
