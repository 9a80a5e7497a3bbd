/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Scheduled job files: parsing, validating, writing them, and turning them into the timer and
 * service units that openmono-generator installs. Nothing here logs; callers report. */

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cron-job.h"
#include "fs-util.h"
#include "parse-util.h"
#include "session-policy.h"
#include "strv.h"

#define CRON_SUFFIX ".job"

static const char *const cron_scope_table[_CRON_SCOPE_MAX] = {
        [CRON_SCOPE_SYSTEM] = "system",
        [CRON_SCOPE_USER] = "user",
};

const char *cron_scope_to_string(CronScope s) {
        return s >= 0 && s < _CRON_SCOPE_MAX ? cron_scope_table[s] : NULL;
}

CronScope cron_scope_from_string(const char *s) {
        for (CronScope i = 0; s && i < _CRON_SCOPE_MAX; i++)
                if (streq(cron_scope_table[i], s))
                        return i;
        return _CRON_SCOPE_INVALID;
}

CronJob *cron_job_new(const char *name) {
        CronJob *j = calloc(1, sizeof(CronJob));

        if (!j)
                return NULL;
        j->randomized_delay_usec = UINT64_MAX;
        j->time_limit_usec = UINT64_MAX;
        j->enabled = true;
        j->name = strdup(name);
        if (!j->name)
                return mfree(j);
        return j;
}

CronJob *cron_job_free(CronJob *j) {
        if (!j)
                return NULL;
        free(j->name);
        free(j->project);
        free(j->project_id);
        free(j->owner);
        free(j->schedule);
        free(j->task);
        free(j->path);
        return mfree(j);
}

int cron_dirs_init(CronDirs *d, const char *root, const char *state_dir) {
        if (asprintf(&d->system, "%s%s/cron", root ?: "", PKGSYSCONFDIR) < 0)
                return -ENOMEM;
        if (asprintf(&d->user, "%s/cron", state_dir) < 0)
                return -ENOMEM;
        return 0;
}

void cron_dirs_done(CronDirs *d) {
        d->system = mfree(d->system);
        d->user = mfree(d->user);
}

bool cron_job_name_is_valid(const char *s) {
        /* The same rule as project names: the name becomes part of two unit names. */
        return project_name_is_valid(s);
}

int cron_schedule_translate(const char *s, char **ret) {
        static const struct {
                const char *shorthand;
                const char *calendar;
        } table[] = {
                { "hourly",  "*-*-* *:00:00" },
                { "daily",   "*-*-* 00:00:00" },
                { "weekly",  "Mon *-*-* 00:00:00" },
                { "monthly", "*-*-01 00:00:00" },
        };
        const char *rest;
        unsigned n;
        char unit[8];
        int k = 0;

        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (streq(s, table[i].shorthand))
                        return (*ret = strdup(table[i].calendar)) ? 1 : -ENOMEM;
        rest = startswith(s, "every-");
        if (!rest)
                return (*ret = strdup(s)) ? 0 : -ENOMEM;
        /* every-N-minutes (N divides an hour) and every-N-hours (N divides a day), so that the
         * runs are evenly spaced: "*:00/25" would run at :00, :25, :50 and again at :00. */
        if (sscanf(rest, "%u-%7[a-z]%n", &n, unit, &k) != 2 || rest[k] != 0 || n == 0 || !isdigit(rest[0]))
                return -EINVAL;
        if ((streq(unit, "minutes") || (n == 1 && streq(unit, "minute"))) && 60 % n == 0)
                return asprintf(ret, "*-*-* *:00/%u:00", n) < 0 ? -ENOMEM : 1;
        if ((streq(unit, "hours") || (n == 1 && streq(unit, "hour"))) && 24 % n == 0)
                return asprintf(ret, "*-*-* 00/%u:00:00", n) < 0 ? -ENOMEM : 1;
        return -EINVAL;
}

bool cron_schedule_is_plausible(const char *s) {
        size_t n = 0;

        if (isempty(s))
                return false;
        for (; s[n]; n++)
                if ((unsigned char) s[n] < ' ' || (unsigned char) s[n] >= 0x7f || s[n] == '%' || s[n] == '\\')
                        return false;
        return n <= CRON_SCHEDULE_MAX && !isspace((unsigned char) s[0]) && !isspace((unsigned char) s[n - 1]);
}

/* A user name as it appears in User=: no specifiers, quotes, escapes or whitespace. */
static bool owner_is_valid(const char *s) {
        if (isempty(s) || s[0] == '-' || strlen(s) > 256)
                return false;
        return s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-@")] == 0;
}

/* A task goes through the job file (one line, whitespace at either end is trimmed, a trailing
 * backslash would continue the line) and openmonoctl's command line (a leading '-' would be
 * taken for an option), so anything that would not come back the same is refused. */
static bool task_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > CRON_TASK_MAX || s[0] == '-' || s[n - 1] == '\\')
                return false;
        if (isspace((unsigned char) s[0]) || isspace((unsigned char) s[n - 1]))
                return false;
        for (; *s; s++)
                if ((unsigned char) *s < ' ' || *s == 0x7f)
                        return false;
        return true;
}

int cron_job_validate(const CronJob *j, const char **ret_why) {
        _cleanup_free_ char *calendar = NULL;

        *ret_why = "invalid job name";
        if (!cron_job_name_is_valid(j->name))
                return -EINVAL;
        *ret_why = "Project= is missing or not a valid project name";
        if (!project_name_is_valid(j->project))
                return -EINVAL;
        /* It goes on an ExecStart= line as is: no spaces, no specifiers, no variables. */
        *ret_why = "ProjectId= must be 1-64 characters of [A-Za-z0-9:._-]";
        if (j->project_id && (isempty(j->project_id) || strlen(j->project_id) > 64 || j->project_id[0] == '-' ||
                              strspn(j->project_id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                    "0123456789:._-") != strlen(j->project_id)))
                return -EINVAL;
        *ret_why = "Owner= is not a valid user name";
        if (j->owner && !owner_is_valid(j->owner))
                return -EINVAL;
        *ret_why = "Schedule= is missing";
        if (!j->schedule)
                return -EINVAL;
        *ret_why = "Schedule= is not a known shorthand (every-N-minutes, every-N-hours, hourly, daily, weekly, monthly)";
        if (cron_schedule_translate(j->schedule, &calendar) < 0)
                return -EINVAL;
        *ret_why = "Schedule= has characters a calendar expression never has";
        if (!cron_schedule_is_plausible(calendar))
                return -EINVAL;
        *ret_why = "Task= must be one line of printable text, not starting with '-'";
        if (j->task && !task_is_valid(j->task))
                return -EINVAL;
        return 0;
}

static const ConfigItem cron_job_items[] = {
        { "Job", "Project",            config_parse_string,   offsetof(CronJob, project) },
        { "Job", "ProjectId",          config_parse_string,   offsetof(CronJob, project_id) },
        { "Job", "Owner",              config_parse_string,   offsetof(CronJob, owner) },
        { "Job", "Schedule",           config_parse_string,   offsetof(CronJob, schedule) },
        { "Job", "Task",               config_parse_string,   offsetof(CronJob, task) },
        { "Job", "RandomizedDelaySec", config_parse_timespan, offsetof(CronJob, randomized_delay_usec) },
        { "Job", "Persistent",         config_parse_bool,     offsetof(CronJob, persistent) },
        { "Job", "TimeLimitSec",       config_parse_timespan, offsetof(CronJob, time_limit_usec) },
        { "Job", "Enabled",            config_parse_bool,     offsetof(CronJob, enabled) },
        {}
};

/* Replaces diag's error by "path: why". */
static void set_error(ConfigDiagnostics *diag, const char *path, const char *why) {
        if (!diag)
                return;
        diag->error = mfree(diag->error);
        if (asprintf(&diag->error, "%s: %s", path, why) < 0)
                diag->error = NULL;
}

int cron_job_parse_buffer(const char *name, const char *path, const void *buf, size_t size,
                          CronJob **ret, ConfigDiagnostics *diag) {
        _cleanup_(cron_job_freep) CronJob *j = cron_job_new(name);
        const char *why;
        int r;

        if (!j)
                return -ENOMEM;
        j->path = strdup(path);
        if (!j->path)
                return -ENOMEM;
        r = config_parse_buffer(path, buf, size, cron_job_items, j, diag);
        if (r < 0)
                return r;
        if (cron_job_validate(j, &why) < 0) {
                set_error(diag, path, why);
                return -EINVAL;
        }
        *ret = steal_ptr(j);
        return 0;
}

int cron_job_load_file(const char *name, const char *path, CronJob **ret, ConfigDiagnostics *diag) {
        _cleanup_free_ char *text = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        size_t n;

        f = fopen(path, "re");
        if (!f)
                return -errno;
        text = malloc(CONFIG_FILE_MAX + 1);
        if (!text)
                return -ENOMEM;
        n = fread(text, 1, CONFIG_FILE_MAX + 1, f);
        if (ferror(f))
                return -EIO;
        if (n > CONFIG_FILE_MAX) {
                set_error(diag, path, "file too large");
                return -EFBIG;
        }
        return cron_job_parse_buffer(name, path, text, n, ret, diag);
}

static int load_scope(const char *dir, CronScope scope, const char *name, CronJob **ret,
                      ConfigDiagnostics *diag) {
        _cleanup_free_ char *path = NULL;
        CronJob *j;
        int r;

        if (asprintf(&path, "%s/%s" CRON_SUFFIX, dir, name) < 0)
                return -ENOMEM;
        r = cron_job_load_file(name, path, &j, diag);
        if (r < 0)
                return r;
        j->scope = scope;
        *ret = j;
        return 0;
}

int cron_job_load(const CronDirs *d, const char *name, CronJob **ret, ConfigDiagnostics *diag) {
        int r;

        if (!cron_job_name_is_valid(name))
                return -EINVAL;
        r = load_scope(d->system, CRON_SCOPE_SYSTEM, name, ret, diag);
        if (r != -ENOENT)
                return r;
        return load_scope(d->user, CRON_SCOPE_USER, name, ret, diag);
}

int cron_job_list_names(const CronDirs *d, char ***ret) {
        return dirs_list_names((const char *const[]) { d->system, d->user }, 2, CRON_SUFFIX,
                               cron_job_name_is_valid, ret);
}

int cron_job_format(const CronJob *j, char **ret) {
        _cleanup_free_ char *text = NULL;
        char buf[FORMAT_TIMESPAN_MAX];
        size_t size = 0;
        FILE *f;

        f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        fprintf(f, "# Scheduled job %s, written by openmonod. Change it with 'openmonoctl cron'.\n"
                   "[Job]\nProject=%s\n", j->name, j->project);
        if (j->project_id)
                fprintf(f, "ProjectId=%s\n", j->project_id);
        if (j->owner)
                fprintf(f, "Owner=%s\n", j->owner);
        fprintf(f, "Schedule=%s\n", j->schedule);
        if (j->task)
                fprintf(f, "Task=%s\n", j->task);
        if (j->randomized_delay_usec != UINT64_MAX)
                fprintf(f, "RandomizedDelaySec=%s\n", format_timespan(buf, sizeof buf, j->randomized_delay_usec));
        fprintf(f, "Persistent=%s\n", j->persistent ? "yes" : "no");
        if (j->time_limit_usec != UINT64_MAX)
                fprintf(f, "TimeLimitSec=%s\n", format_timespan(buf, sizeof buf, j->time_limit_usec));
        fprintf(f, "Enabled=%s\n", j->enabled ? "yes" : "no");
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = steal_ptr(text);
        return 0;
}

int cron_job_save(const CronDirs *d, const CronJob *j) {
        _cleanup_free_ char *text = NULL, *path = NULL;
        int r;

        if (mkdir(d->user, 0700) < 0 && errno != EEXIST)
                return -errno;
        r = cron_job_format(j, &text);
        if (r < 0)
                return r;
        if (asprintf(&path, "%s/%s" CRON_SUFFIX, d->user, j->name) < 0)
                return -ENOMEM;
        return write_file_atomic(path, text, strlen(text), 0600);
}

int cron_job_remove(const CronDirs *d, const char *name) {
        _cleanup_free_ char *path = NULL;

        if (!cron_job_name_is_valid(name))
                return -EINVAL;
        if (asprintf(&path, "%s/%s" CRON_SUFFIX, d->user, name) < 0)
                return -ENOMEM;
        return NEG_ERRNO(unlink(path));
}

int cron_exec_quote(const char *s, char **ret) {
        _cleanup_free_ char *q = NULL;
        char *p;

        /* At worst every character doubles, plus the quotes and the NUL. */
        q = malloc(strlen(s) * 2 + 3);
        if (!q)
                return -ENOMEM;
        p = q;
        *p++ = '"';
        for (; *s; s++) {
                if ((unsigned char) *s < ' ' || *s == 0x7f)
                        return -EINVAL;
                if (*s == '\\' || *s == '"')
                        *p++ = '\\';
                else if (*s == '%' || *s == '$')
                        *p++ = *s;
                *p++ = *s;
        }
        *p++ = '"';
        *p = 0;
        *ret = steal_ptr(q);
        return 0;
}

int cron_job_timer_name(const char *name, char **ret) {
        if (!cron_job_name_is_valid(name))
                return -EINVAL;
        return asprintf(ret, "openmono-cron-%s.timer", name) < 0 ? -ENOMEM : 0;
}

int cron_job_service_name(const char *name, char **ret) {
        if (!cron_job_name_is_valid(name))
                return -EINVAL;
        return asprintf(ret, "openmono-cron-%s.service", name) < 0 ? -ENOMEM : 0;
}

static int finish_memstream(FILE *f, char **text, char **ret) {
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = steal_ptr(*text);
        return 0;
}

int cron_job_format_timer(const CronJob *j, char **ret) {
        _cleanup_free_ char *calendar = NULL, *service = NULL, *text = NULL;
        char buf[FORMAT_TIMESPAN_MAX];
        size_t size = 0;
        FILE *f;
        int r;

        r = cron_schedule_translate(j->schedule, &calendar);
        if (r < 0)
                return r;
        if (!cron_schedule_is_plausible(calendar))
                return -EINVAL;
        r = cron_job_service_name(j->name, &service);
        if (r < 0)
                return r;
        f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        fprintf(f, "# Generated by openmono-generator from %s\n"
                   "[Unit]\nDescription=OpenMono scheduled job %s\nDocumentation=man:openmono-generator(8)\n",
                strna(j->path), j->name);
        if (j->path)
                fprintf(f, "SourcePath=%s\n", j->path);
        /* AccuracySec=1s: a job starts when its schedule says, not up to a minute later (the
         * default); RandomizedDelaySec= is the way to spread jobs out. */
        fprintf(f, "\n[Timer]\nOnCalendar=%s\nAccuracySec=1s\nUnit=%s\nPersistent=%s\n", calendar, service,
                j->persistent ? "yes" : "no");
        if (j->randomized_delay_usec != UINT64_MAX)
                fprintf(f, "RandomizedDelaySec=%s\n", format_timespan(buf, sizeof buf, j->randomized_delay_usec));
        return finish_memstream(f, &text, ret);
}

/* The job file goes in as a credential, from which openmonoctl takes the task: every local user
 * can read a unit's ExecStart= and the command lines of its processes, and the job file is
 * root's. Its path is ours, but it lands in a unit file unquoted: nothing systemd would expand or
 * split. */
static bool credential_source_is_valid(const char *path) {
        return path && path[0] == '/' && !strpbrk(path, "%$\\\"' \t\n");
}

int cron_job_format_service(const CronJob *j, const char *bindir, char **ret) {
        _cleanup_free_ char *text = NULL;
        char buf[FORMAT_TIMESPAN_MAX];
        size_t size = 0;
        FILE *f;

        if (j->task && !credential_source_is_valid(j->path))
                return -EINVAL;
        f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        /* Like openmono@.service: this unit only asks the controller for a session of the project
         * and waits for it; the sandbox is the session's. Its exit status is the session's. It
         * asks as the job's owner, so the controller checks at every run that the owner may
         * still use the project (and a deleted owner's job fails), and --project-id that the project
         * is still the one the job was made for, not a later one of the same name. ExecStopPost= runs as root
         * ('+'), so that 'openmonoctl cron history' can trust the entry it logs. */
        fprintf(f, "# Generated by openmono-generator from %s\n"
                   "[Unit]\nDescription=OpenMono scheduled job %s (project %s)\n"
                   "Documentation=man:openmono-generator(8) man:openmonoctl(1)\n",
                strna(j->path), j->name, j->project);
        if (j->path)
                fprintf(f, "SourcePath=%s\n", j->path);
        fprintf(f, "Requires=openmonod.socket\nAfter=openmonod.socket network.target\n"
                   "\n[Service]\nType=exec\nEnvironment=OPENMONO_CRON_JOB=%s\n"
                   "ExecStart=%s/openmonoctl run --pipe --project=%s%s%s%s\n"
                   "ExecStopPost=-+%s/openmonoctl cron finished %s\n",
                j->name, bindir, j->project, j->project_id ? " --project-id=" : "", j->project_id ?: "",
                j->task ? " --job-credential=" CRON_JOB_CREDENTIAL : "", bindir, j->name);
        if (j->task)
                fprintf(f, "LoadCredential=" CRON_JOB_CREDENTIAL ":%s\n", j->path);
        if (j->owner && !streq(j->owner, "root"))
                fprintf(f, "User=%s\n", j->owner);
        if (j->time_limit_usec != UINT64_MAX)
                fprintf(f, "RuntimeMaxSec=%s\n", format_timespan(buf, sizeof buf, j->time_limit_usec));
        fputs("KillMode=mixed\nTimeoutStopSec=90s\nNoNewPrivileges=yes\nProtectSystem=strict\n"
              "ProtectHome=read-only\nPrivateTmp=yes\nPrivateNetwork=yes\nRestrictAddressFamilies=AF_UNIX\n", f);
        return finish_memstream(f, &text, ret);
}

static int write_unit(const char *dir, const char *name, const char *text) {
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        return write_file_atomic(path, text, strlen(text), 0644);
}

int cron_job_generate(const CronJob *j, const char *bindir, const char *dir) {
        _cleanup_free_ char *timer = NULL, *service = NULL, *timer_text = NULL, *service_text = NULL;
        _cleanup_free_ char *wants = NULL, *link = NULL, *target = NULL;
        int r;

        r = cron_job_timer_name(j->name, &timer);
        if (r >= 0)
                r = cron_job_service_name(j->name, &service);
        if (r >= 0)
                r = cron_job_format_timer(j, &timer_text);
        if (r >= 0)
                r = cron_job_format_service(j, bindir, &service_text);
        if (r >= 0)
                r = write_unit(dir, service, service_text);
        if (r >= 0)
                r = write_unit(dir, timer, timer_text);
        if (r < 0)
                return r;
        if (asprintf(&wants, "%s/timers.target.wants", dir) < 0 ||
            asprintf(&link, "%s/%s", wants, timer) < 0 || asprintf(&target, "../%s", timer) < 0)
                return -ENOMEM;
        if (mkdir(wants, 0755) < 0 && errno != EEXIST)
                return -errno;
        if (symlink(target, link) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int cron_generate_all(const CronDirs *d, const char *bindir, const char *dir,
                      void (*report)(const char *where, const char *message, void *userdata),
                      void *userdata) {
        _cleanup_strv_free_ char **names = NULL;
        int r, failed = 0;

        r = cron_job_list_names(d, &names);
        if (r < 0)
                return r;
        STRV_FOREACH(n, names) {
                _cleanup_(config_diagnostics_done) ConfigDiagnostics diag = {};
                _cleanup_(cron_job_freep) CronJob *j = NULL;
                _cleanup_free_ char *msg = NULL;

                r = cron_job_load(d, *n, &j, &diag);
                if (r >= 0 && !j->enabled)
                        continue;
                if (r >= 0)
                        r = cron_job_generate(j, bindir, dir);
                if (r >= 0)
                        continue;
                failed++;
                if (!report)
                        continue;
                if (diag.error)
                        report(*n, diag.error, userdata);
                else if (asprintf(&msg, "Failed to generate units for job %s: %s", *n, strerror(-r)) >= 0)
                        report(*n, msg, userdata);
        }
        return failed;
}
