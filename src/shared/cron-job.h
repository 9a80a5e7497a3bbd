/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Scheduled jobs: cron/NAME.job files that openmono-generator turns into a timer and a service
 * unit each. Administrators keep theirs in PKGSYSCONFDIR/cron/; jobs created through the
 * controller live in STATEDIR/cron/, which only root can write. A name is unique across both;
 * the administrator's file wins. The controller and the generator share this code, so the
 * generator links nothing but src/shared.
 *
 *         [Job]
 *         Project=app
 *         ProjectId=5e0c3a8d9b1f4c07a2d6e8f10b3c5d7e
 *         Owner=alice
 *         Schedule=daily
 *         Task=triage the new issues
 *         RandomizedDelaySec=10min
 *         Persistent=yes
 *         TimeLimitSec=1h
 *         Enabled=yes
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf-parser.h"

/* Longest schedule and task accepted; a unit file line must stay well below systemd's limits. */
#define CRON_SCHEDULE_MAX 256U
#define CRON_TASK_MAX 4096U

typedef enum CronScope {
        CRON_SCOPE_SYSTEM,              /* an administrator's file */
        CRON_SCOPE_USER,                /* created through the controller */
        _CRON_SCOPE_MAX,
        _CRON_SCOPE_INVALID = -EINVAL,
} CronScope;

typedef struct CronJob {
        char *name;
        CronScope scope;
        char *project;                  /* Project=, the project whose session runs */
        char *project_id;               /* ProjectId=, that project's id when the job was made:
                                         * a later project of the same name is not run */
        char *owner;                    /* Owner=, user name of whoever created it */
        char *schedule;                 /* Schedule= as written: OnCalendar= syntax or a shorthand */
        char *task;                     /* Task=, NULL = the project's own [Agent] Task= */
        uint64_t randomized_delay_usec; /* RandomizedDelaySec=, UINT64_MAX = unset */
        bool persistent;                /* Persistent= */
        uint64_t time_limit_usec;       /* TimeLimitSec=, per run, UINT64_MAX = unset */
        bool enabled;                   /* Enabled=, default yes */
        char *path;                     /* the file it was read from, if any */
} CronJob;

/* Where the two kinds of job files live. */
typedef struct CronDirs {
        char *system;
        char *user;
} CronDirs;

const char *cron_scope_to_string(CronScope s);
CronScope cron_scope_from_string(const char *s);

/* Returns a job with the defaults (enabled, nothing else set), or NULL when out of memory. */
CronJob *cron_job_new(const char *name);
CronJob *cron_job_free(CronJob *j);
DEFINE_PTR_CLEANUP(CronJob *, cron_job_free);

/* Sets d to root + PKGSYSCONFDIR/cron and state_dir/cron. root may be NULL. */
int cron_dirs_init(CronDirs *d, const char *root, const char *state_dir);
void cron_dirs_done(CronDirs *d);

bool cron_job_name_is_valid(const char *s);

/* Translates a shorthand ("every-30-minutes", "every-2-hours", "hourly", "daily", "weekly",
 * "monthly") into the OnCalendar= expression it stands for, or copies anything else. Returns 1
 * if s was a shorthand, 0 if copied, -EINVAL for an "every-" form that is not one. */
int cron_schedule_translate(const char *s, char **ret);
/* The light check the generator can make without systemd-analyze: printable ASCII, no '%' or
 * '\\' (specifiers and escapes have no place in a calendar expression), not too long. */
bool cron_schedule_is_plausible(const char *s);

/* Checks what every job must satisfy. Returns 0 or -EINVAL with a reason in *ret_why. */
int cron_job_validate(const CronJob *j, const char **ret_why);

/* Parses size bytes at buf as the job file called path into a new job named name (which is
 * not checked here). Returns 0, or -EINVAL with diag->error naming file, line and reason. */
int cron_job_parse_buffer(const char *name, const char *path, const void *buf, size_t size,
                          CronJob **ret, ConfigDiagnostics *diag);
/* Reads the job file at path as job name. */
int cron_job_load_file(const char *name, const char *path, CronJob **ret, ConfigDiagnostics *diag);
/* Reads job name from the system directory, else the user one. -ENOENT if neither has it. */
int cron_job_load(const CronDirs *d, const char *name, CronJob **ret, ConfigDiagnostics *diag);
/* The names of all job files in both directories, sorted and without duplicates. */
int cron_job_list_names(const CronDirs *d, char ***ret);

/* Renders j as a job file that cron_job_parse_buffer() reads back to the same job. */
int cron_job_format(const CronJob *j, char **ret);
/* Writes j to the user directory atomically, creating the directory (0700) if needed. */
int cron_job_save(const CronDirs *d, const CronJob *j);
/* Removes a user job's file; -ENOENT if there is none. */
int cron_job_remove(const CronDirs *d, const char *name);

/* Quotes s as one argument of an ExecStart= line (systemd.syntax(7), systemd.service(5)):
 * double quotes around it, '\\' and '"' escaped, '%' doubled against specifier expansion and
 * '$' doubled against variable expansion. Control characters (newlines included) are refused
 * with -EINVAL. */
int cron_exec_quote(const char *s, char **ret);

/* The unit names of job name: "openmono-cron-NAME.timer" / ".service". */
int cron_job_timer_name(const char *name, char **ret);
int cron_job_service_name(const char *name, char **ret);

/* The credential a job's service receives its job file as, for openmonoctl run --job-credential. */
#define CRON_JOB_CREDENTIAL "openmono-job"

/* The text of the timer and the service unit of j; bindir is where openmonoctl lives. A job
 * with a task needs a path. */
int cron_job_format_timer(const CronJob *j, char **ret);
int cron_job_format_service(const CronJob *j, const char *bindir, char **ret);

/* Writes j's units into dir and links the timer into dir/timers.target.wants/. */
int cron_job_generate(const CronJob *j, const char *bindir, const char *dir);

/* Generates the units of every enabled job into dir. A job that fails is reported through
 * report(path_or_name, message, userdata) and skipped, so one bad file never stops the others.
 * Returns the number of jobs that failed, or a negative errno if the directories could not be
 * listed at all. */
int cron_generate_all(const CronDirs *d, const char *bindir, const char *dir,
                      void (*report)(const char *where, const char *message, void *userdata),
                      void *userdata);
