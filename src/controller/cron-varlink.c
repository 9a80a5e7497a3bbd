/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The scheduled-job methods of io.openmono.Manager: AddCronJob, ListCronJobs, GetCronJob,
 * GetCronHistory, RemoveCronJob, EnableCronJob, DisableCronJob, RunCronJob.
 *
 * The controller only writes job files (STATEDIR/cron/NAME.job) and asks systemd to reload, so
 * that openmono-generator turns them into openmono-cron-NAME.timer/.service. systemd keeps the
 * schedule, fires the timers (also while the controller is not running) and remembers the last
 * run; this file reads that state back over D-Bus. Managing jobs needs the polkit action
 * io.openmono.cron.manage (administrators always have it); a user sees and manages only the
 * jobs they created. */

#include <fcntl.h>
#include <sys/wait.h>

#include "cron.h"
#include "cron-job.h"
#include "json-util.h"
#include "log.h"
#include "message-ids.h"
#include "openmono-errors.h"
#include "strv.h"
#include "user-util.h"

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"

static int get_property(sd_bus *bus, const char *unit, const char *iface, const char *prop, char type,
                        void *ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        r = sd_bus_path_encode(SYSTEMD_PATH "/unit", unit, &path);
        if (r < 0)
                return r;
        if (type == 's')
                return sd_bus_get_property_string(bus, SYSTEMD_DEST, path, iface, prop, &error, ret);
        return sd_bus_get_property_trivial(bus, SYSTEMD_DEST, path, iface, prop, &error, type, ret);
}

/* Adds what systemd knows about the job's units: the next and the last run and its result.
 * Nothing is added for what systemd cannot say (the job is disabled, or systemd is away). */
static int add_unit_state(Manager *m, const CronJob *j, json_object *o) {
        _cleanup_free_ char *timer = NULL, *service = NULL, *result = NULL, *state = NULL;
        uint64_t next = 0, last = 0, started = 0, exited = 0;
        int32_t status = 0;
        sd_bus *bus;
        int r;

        if (cron_job_timer_name(j->name, &timer) < 0 || cron_job_service_name(j->name, &service) < 0)
                return -ENOMEM;
        r = json_add_string(o, "timer", timer);
        if (r >= 0)
                r = json_add_string(o, "service", service);
        if (r < 0 || manager_get_bus(m, &bus) < 0)
                return r;
        /* 0 and "infinity" both mean there is no such time. */
        if (get_property(bus, timer, SYSTEMD_DEST ".Timer", "NextElapseUSecRealtime", 't', &next) >= 0 &&
            next > 0 && next != UINT64_MAX)
                r = json_add_uint64(o, "next_elapse_usec", next);
        if (r >= 0 && get_property(bus, timer, SYSTEMD_DEST ".Timer", "LastTriggerUSec", 't', &last) >= 0 &&
            last > 0 && last != UINT64_MAX)
                r = json_add_uint64(o, "last_trigger_usec", last);
        /* The last run may also have been started by hand (RunCronJob): the service knows. */
        if (r >= 0 && get_property(bus, service, SYSTEMD_DEST ".Service", "ExecMainStartTimestamp", 't', &started) >= 0 &&
            started > 0)
                r = json_add_uint64(o, "last_run_usec", MAX(started, last));
        else if (r >= 0 && last > 0 && last != UINT64_MAX)
                r = json_add_uint64(o, "last_run_usec", last);
        if (r >= 0 && get_property(bus, service, SYSTEMD_DEST ".Unit", "ActiveState", 's', &state) >= 0)
                r = json_add_string(o, "active_state", state);
        /* A service that has not finished a run since boot has no result worth showing. */
        if (get_property(bus, service, SYSTEMD_DEST ".Service", "ExecMainExitTimestamp", 't', &exited) < 0 || exited == 0)
                return r;
        if (r >= 0 && get_property(bus, service, SYSTEMD_DEST ".Service", "Result", 's', &result) >= 0)
                r = json_add_string(o, "last_result", result);
        if (r >= 0 && get_property(bus, service, SYSTEMD_DEST ".Service", "ExecMainStatus", 'i', &status) >= 0)
                r = json_add_int64(o, "last_exit_status", status);
        return r;
}

static int cron_job_build_json(Manager *m, const CronJob *j, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        _cleanup_free_ char *calendar = NULL;
        int r;

        if (!o)
                return -ENOMEM;
        r = cron_schedule_translate(j->schedule, &calendar);
        if (r < 0)
                return r;
        r = json_add_string(o, "name", j->name);
        if (r >= 0)
                r = json_add_string(o, "scope", cron_scope_to_string(j->scope));
        if (r >= 0)
                r = json_add_string(o, "project", j->project);
        if (r >= 0 && j->project_id)
                r = json_add_string(o, "project_id", j->project_id);
        if (r >= 0 && j->owner)
                r = json_add_string(o, "owner", j->owner);
        if (r >= 0)
                r = json_add_string(o, "schedule", j->schedule);
        if (r >= 0)
                r = json_add_string(o, "calendar", calendar);
        if (r >= 0 && j->task)
                r = json_add_string(o, "task", j->task);
        if (r >= 0 && j->randomized_delay_usec != UINT64_MAX)
                r = json_add_uint64(o, "randomized_delay_usec", j->randomized_delay_usec);
        if (r >= 0)
                r = json_add_bool(o, "persistent", j->persistent);
        if (r >= 0 && j->time_limit_usec != UINT64_MAX)
                r = json_add_uint64(o, "time_limit_usec", j->time_limit_usec);
        if (r >= 0)
                r = json_add_bool(o, "enabled", j->enabled);
        if (r >= 0)
                r = add_unit_state(m, j, o);
        if (r < 0)
                return r;
        *ret = steal_ptr(o);
        return 0;
}

static int reply_job(Manager *m, Varlink *l, const CronJob *j) {
        _cleanup_(json_object_putp) json_object *reply = json_object_new_object();
        json_object *o;
        int r;

        if (!reply)
                return -ENOMEM;
        r = cron_job_build_json(m, j, &o);
        if (r < 0)
                return r;
        r = json_add_take(reply, "job", o);
        return r < 0 ? r : varlink_reply(l, reply);
}

static const char *audit_message_id(const char *event) {
        if (streq(event, "cron-job-added"))
                return OPENMONO_MESSAGE_CRON_JOB_ADDED;
        if (streq(event, "cron-job-removed"))
                return OPENMONO_MESSAGE_CRON_JOB_REMOVED;
        return OPENMONO_MESSAGE_CRON_JOB_CHANGED;
}

static void audit_job(const CronJob *j, uid_t caller, const char *event) {
        _cleanup_strv_free_ char **fields = NULL;
        _cleanup_free_ char *user = NULL;
        int r;

        (void) uid_to_name(caller, &user);
        r = strv_extendf(&fields, "MESSAGE_ID=%s", audit_message_id(event));
        if (r >= 0)
                r = strv_extendf(&fields, "OPENMONO_EVENT=%s", event);
        if (r >= 0)
                r = strv_extendf(&fields, "OPENMONO_CRON_JOB=%s", j->name);
        if (r >= 0)
                r = strv_extendf(&fields, "OPENMONO_PROJECT=%s", j->project);
        if (r >= 0)
                r = strv_extendf(&fields, "OPENMONO_USER=%s", strna(user));
        if (r >= 0)
                r = strv_extendf(&fields, "OPENMONO_UID=%u", (unsigned) caller);
        if (r >= 0)
                r = strv_extendf(&fields, "MESSAGE=Scheduled job %s (project %s): %s by %s.", j->name, j->project,
                                 event, strna(user));
        if (r < 0) {
                log_oom();
                return;
        }
        log_struct(LOG_INFO, 0, fields);
}

/* Refuses the call when the site switched scheduled jobs off. */
static bool cron_refused(Manager *m, Varlink *l) {
        if (m->config.cron)
                return false;
        (void) varlink_errorf(l, OM_ERROR_CRON_DISABLED,
                              "Scheduled jobs are switched off on this host ([Features] Cron=no in openmono.conf).");
        return true;
}

/* Whether uid may see j: administrators see every job, users the ones they created. */
static bool may_see(const CronJob *j, uid_t uid) {
        _cleanup_free_ char *name = NULL;

        if (uid_is_admin(uid) > 0)
                return true;
        return uid_to_name(uid, &name) >= 0 && streq_ptr(name, j->owner);
}

/* Asks polkit whether the caller may manage scheduled jobs; administrators may. Returns >0
 * allowed, 0 pending (the handler runs again), <0 denied. */
static int authorize(Manager *m, Varlink *l, const char *verb, const char *job, VarlinkMethod method,
                     json_object *params) {
        struct ucred u;
        sd_bus *bus;
        int r;

        r = varlink_get_peer_ucred(l, &u);
        if (r < 0)
                return r;
        if (uid_is_admin(u.uid) > 0)
                return 1;
        r = manager_get_bus(m, &bus);
        if (r < 0)
                return r;
        return polkit_check(m->polkit, bus, l, "io.openmono.cron.manage",
                            (const char *const[]) { "verb", verb, "job", job, NULL }, method, params, m);
}

static int reply_denied(Varlink *l, const char *what, const char *name) {
        return varlink_errorf(l, OM_ERROR_PERMISSION_DENIED, "Not allowed to %s scheduled job '%s'.", what, name);
}

/* Loads the job named by params' "name" if the caller may see it; replies with an error and
 * returns NULL otherwise. */
static CronJob *lookup_job(Manager *m, Varlink *l, json_object *params, CronDirs *dirs) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics diag = {};
        _cleanup_(cron_job_freep) CronJob *j = NULL;
        const char *name;
        struct ucred u;
        int r;

        if (json_get_string(params, "name", &name) < 0 || !cron_job_name_is_valid(name)) {
                (void) varlink_error_invalid_parameter(l, "name");
                return NULL;
        }
        r = cron_dirs_init(dirs, m->config_root, m->state_dir);
        if (r >= 0)
                r = varlink_get_peer_ucred(l, &u);
        if (r < 0) {
                (void) varlink_error_errno(l, r);
                return NULL;
        }
        r = cron_job_load(dirs, name, &j, &diag);
        /* Jobs one may not see do not exist, as far as one can tell. */
        if (r == -ENOENT || (r >= 0 && !may_see(j, u.uid))) {
                (void) varlink_errorf(l, OM_ERROR_NO_SUCH_CRON_JOB, "No scheduled job '%s'.", name);
                return NULL;
        }
        if (r < 0) {
                (void) varlink_errorf(l, OM_ERROR_BAD_CRON_JOB, "Scheduled job '%s' is broken: %s", name,
                                      diag.error ?: strerror(-r));
                return NULL;
        }
        return steal_ptr(j);
}

static int get_timespan(json_object *params, const char *key, uint64_t *field) {
        int r = json_get_uint64(params, key, field);

        return r == -ENOENT ? 0 : r;
}

static int get_flag(json_object *params, const char *key, bool *field) {
        int r = json_get_bool(params, key, field);

        return r == -ENOENT ? 0 : r;
}

/* Fills a new job from AddCronJob's parameters. Names the bad parameter in *ret_bad. */
static int job_from_params(json_object *params, CronJob **ret, const char **ret_bad) {
        _cleanup_(cron_job_freep) CronJob *j = NULL;
        const char *name, *project, *schedule, *task = NULL;

        *ret_bad = "name";
        if (json_get_string(params, "name", &name) < 0 || !cron_job_name_is_valid(name))
                return -EINVAL;
        j = cron_job_new(name);
        if (!j)
                return -ENOMEM;
        if ((*ret_bad = "project", json_get_string(params, "project", &project)) < 0 ||
            (*ret_bad = "schedule", json_get_string(params, "schedule", &schedule)) < 0 ||
            (*ret_bad = "task", json_get_string(params, "task", &task)) == -EINVAL ||
            (*ret_bad = "randomized_delay_usec", get_timespan(params, *ret_bad, &j->randomized_delay_usec)) < 0 ||
            (*ret_bad = "time_limit_usec", get_timespan(params, *ret_bad, &j->time_limit_usec)) < 0 ||
            (*ret_bad = "persistent", get_flag(params, *ret_bad, &j->persistent)) < 0 ||
            (*ret_bad = "enabled", get_flag(params, *ret_bad, &j->enabled)) < 0)
                return -EINVAL;
        j->project = strdup(project);
        j->schedule = strdup(schedule);
        if (!j->project || !j->schedule || (task && !(j->task = strdup(task))))
                return -ENOMEM;
        *ret = steal_ptr(j);
        return 0;
}

/* systemd has the job's units now (or could not be asked, which the next reload mends): the
 * caller gets the job as systemd sees it. */
static void on_job_synced(Manager *m, Varlink *l, CronJob **j, int r, const char *why) {
        r = reply_job(m, l, *j);
        if (r < 0)
                (void) varlink_error_errno(l, r);
}

static void on_job_removed(Manager *m, Varlink *l, CronJob **j, int r, const char *why) {
        (void) varlink_reply(l, NULL);
}

static bool cron_job_exists(const CronDirs *dirs, const char *name) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics diag = {};
        _cleanup_(cron_job_freep) CronJob *j = NULL;

        return cron_job_load(dirs, name, &j, &diag) != -ENOENT;
}

/* The schedule passed systemd's own parser, which the generator cannot run: the job is saved
 * and its timer set up. */
static void on_schedule_checked(Manager *m, Varlink *l, CronJob **j, int r, const char *why) {
        _cleanup_(cron_dirs_done) CronDirs dirs = {};
        bool enabled = (*j)->enabled;
        struct ucred u;

        if (r == -ENOENT)
                log_warning("systemd-analyze is not installed, cannot check schedule '%s', accepting it.",
                            (*j)->schedule);
        else if (r < 0) {
                (void) varlink_errorf(l, OM_ERROR_BAD_CRON_JOB, "Invalid schedule '%s': %s", (*j)->schedule,
                                      why ?: strerror(-r));
                return;
        }
        r = cron_dirs_init(&dirs, m->config_root, m->state_dir);
        if (r >= 0)
                r = varlink_get_peer_ucred(l, &u);
        /* Another call may have added a job of that name while this one waited. */
        if (r >= 0 && cron_job_exists(&dirs, (*j)->name)) {
                (void) varlink_errorf(l, OM_ERROR_CRON_JOB_EXISTS, "A scheduled job named '%s' exists already.",
                                      (*j)->name);
                return;
        }
        if (r >= 0)
                r = cron_job_save(&dirs, *j);
        if (r < 0) {
                (void) varlink_errorf(l, VARLINK_ERROR_SYSTEM, "Failed to save scheduled job '%s': %s", (*j)->name,
                                      strerror(-r));
                return;
        }
        audit_job(*j, u.uid, "cron-job-added");
        cron_sync_systemd(m, l, steal_ptr(*j), enabled, on_job_synced);
}

static int method_add_cron_job(Varlink *l, json_object *params, VarlinkMethodFlags flags, void *userdata) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics diag = {};
        _cleanup_(cron_dirs_done) CronDirs dirs = {};
        _cleanup_(cron_job_freep) CronJob *j = NULL, *existing = NULL;
        _cleanup_(project_freep) Project *p = NULL;
        _cleanup_free_ char *calendar = NULL;
        Manager *m = userdata;
        const char *bad, *why;
        struct ucred u;
        int r;

        if (cron_refused(m, l))
                return 0;
        r = job_from_params(params, &j, &bad);
        if (r == -EINVAL)
                return varlink_error_invalid_parameter(l, bad);
        if (r < 0)
                return r;
        j->scope = CRON_SCOPE_USER;
        r = varlink_get_peer_ucred(l, &u);
        if (r >= 0)
                r = uid_to_name(u.uid, &j->owner);
        if (r < 0)
                return r;
        if (cron_job_validate(j, &why) < 0)
                return varlink_errorf(l, OM_ERROR_BAD_CRON_JOB, "Invalid scheduled job: %s.", why);
        r = authorize(m, l, "add", j->name, method_add_cron_job, params);
        if (r <= 0)
                return r == 0 ? 0 : reply_denied(l, "add", j->name);
        r = project_load(&m->project_dirs, j->project, &p, &diag);
        if (r < 0 || !project_may_use(p, u.uid))
                return varlink_errorf(l, OM_ERROR_NO_SUCH_PROJECT, "No project '%s'.", j->project);
        /* The job is bound to this project, not to its name, which may later be someone else's. */
        r = project_instance_id(p, &j->project_id);
        if (r < 0)
                return r;
        r = cron_dirs_init(&dirs, m->config_root, m->state_dir);
        if (r < 0)
                return r;
        config_diagnostics_done(&diag);
        r = cron_job_load(&dirs, j->name, &existing, &diag);
        if (r != -ENOENT)
                return varlink_errorf(l, OM_ERROR_CRON_JOB_EXISTS, "A scheduled job named '%s' exists already.", j->name);
        r = cron_schedule_translate(j->schedule, &calendar);
        if (r < 0)
                return r;
        /* Answered once systemd-analyze and systemd are done. */
        cron_check_calendar(m, l, steal_ptr(j), calendar, on_schedule_checked);
        return 0;
}

typedef enum ChangeKind {
        CHANGE_REMOVE,
        CHANGE_ENABLE,
        CHANGE_DISABLE,
        CHANGE_RUN,
} ChangeKind;

static const char *const change_verbs[] = {
        [CHANGE_REMOVE] = "remove",
        [CHANGE_ENABLE] = "enable",
        [CHANGE_DISABLE] = "disable",
        [CHANGE_RUN] = "run",
};

static void on_job_started(Manager *m, Varlink *l, CronJob **j, int r, const char *why) {
        _cleanup_(json_object_putp) json_object *reply = json_object_new_object();
        _cleanup_free_ char *service = NULL;

        if (r >= 0)
                r = reply && cron_job_service_name((*j)->name, &service) >= 0 ? 0 : -ENOMEM;
        if (r == -ENOMEM) {
                (void) varlink_error_errno(l, r);
                return;
        }
        if (r < 0) {
                (void) varlink_errorf(l, OM_ERROR_START_FAILED, "Failed to start the job's service: %s",
                                      why ?: strerror(-r));
                return;
        }
        r = json_add_string(reply, "unit", service);
        (void) (r < 0 ? varlink_error_errno(l, r) : varlink_reply(l, reply));
}

/* Takes j. */
static int start_job(Manager *m, Varlink *l, CronJob *job) {
        _cleanup_(cron_job_freep) CronJob *j = job;
        _cleanup_free_ char *service = NULL;
        int r;

        if (!j->enabled)
                return varlink_errorf(l, OM_ERROR_BAD_CRON_JOB, "Scheduled job '%s' is disabled; enable it first.",
                                      j->name);
        r = cron_job_service_name(j->name, &service);
        if (r < 0)
                return r;
        cron_start_unit(m, l, steal_ptr(j), service, on_job_started);
        return 0;
}

/* RemoveCronJob, EnableCronJob, DisableCronJob and RunCronJob: the same lookup and checks. */
static int change_job(Varlink *l, json_object *params, Manager *m, ChangeKind kind, VarlinkMethod method) {
        _cleanup_(cron_dirs_done) CronDirs dirs = {};
        _cleanup_(cron_job_freep) CronJob *j = NULL;
        struct ucred u;
        int r;

        if (cron_refused(m, l))
                return 0;
        j = lookup_job(m, l, params, &dirs);
        if (!j)
                return 0;
        r = authorize(m, l, change_verbs[kind], j->name, method, params);
        if (r <= 0)
                return r == 0 ? 0 : reply_denied(l, change_verbs[kind], j->name);
        if (kind == CHANGE_RUN)
                return start_job(m, l, steal_ptr(j));
        if (j->scope == CRON_SCOPE_SYSTEM)
                return varlink_errorf(l, OM_ERROR_PERMISSION_DENIED,
                                      "Scheduled job '%s' belongs to the administrator; change its file in %s.",
                                      j->name, dirs.system);
        r = varlink_get_peer_ucred(l, &u);
        if (r < 0)
                return r;
        if (kind == CHANGE_REMOVE)
                r = cron_job_remove(&dirs, j->name);
        else {
                j->enabled = kind == CHANGE_ENABLE;
                r = cron_job_save(&dirs, j);
        }
        if (r < 0)
                return varlink_errorf(l, VARLINK_ERROR_SYSTEM, "Failed to %s scheduled job '%s': %s",
                                      change_verbs[kind], j->name, strerror(-r));
        audit_job(j, u.uid, kind == CHANGE_REMOVE ? "cron-job-removed" :
                            kind == CHANGE_ENABLE ? "cron-job-enabled" : "cron-job-disabled");
        cron_sync_systemd(m, l, steal_ptr(j), kind == CHANGE_ENABLE, kind == CHANGE_REMOVE ? on_job_removed : on_job_synced);
        return 0;
}

static int method_remove_cron_job(Varlink *l, json_object *params, VarlinkMethodFlags flags, void *userdata) {
        return change_job(l, params, userdata, CHANGE_REMOVE, method_remove_cron_job);
}

static int method_enable_cron_job(Varlink *l, json_object *params, VarlinkMethodFlags flags, void *userdata) {
        return change_job(l, params, userdata, CHANGE_ENABLE, method_enable_cron_job);
}

static int method_disable_cron_job(Varlink *l, json_object *params, VarlinkMethodFlags flags, void *userdata) {
        return change_job(l, params, userdata, CHANGE_DISABLE, method_disable_cron_job);
}

static int method_run_cron_job(Varlink *l, json_object *params, VarlinkMethodFlags flags, void *userdata) {
        return change_job(l, params, userdata, CHANGE_RUN, method_run_cron_job);
}

static int method_get_cron_job(Varlink *l, json_object *params, VarlinkMethodFlags flags, void *userdata) {
        _cleanup_(cron_dirs_done) CronDirs dirs = {};
        _cleanup_(cron_job_freep) CronJob *j = NULL;
        Manager *m = userdata;

        if (cron_refused(m, l))
                return 0;
        j = lookup_job(m, l, params, &dirs);
        return j ? reply_job(m, l, j) : 0;
}

/* The job's past runs from the journal, which the controller reads as root: a job's owner need
 * not be allowed to read the system journal. Who may see the job may see its runs. */
static int method_get_cron_history(Varlink *l, json_object *params, VarlinkMethodFlags flags,
                                   void *userdata) {
        _cleanup_(json_object_putp) json_object *reply = json_object_new_object();
        _cleanup_(cron_dirs_done) CronDirs dirs = {};
        _cleanup_(cron_job_freep) CronJob *j = NULL;
        uint64_t limit = CRON_HISTORY_LIMIT_DEFAULT;
        Manager *m = userdata;
        json_object *runs;
        int r;

        if (!reply)
                return -ENOMEM;
        if (cron_refused(m, l))
                return 0;
        r = json_get_uint64(params, "limit", &limit);
        if ((r < 0 && r != -ENOENT) || limit == 0 || limit > CRON_HISTORY_LIMIT_MAX)
                return varlink_error_invalid_parameter(l, "limit");
        j = lookup_job(m, l, params, &dirs);
        if (!j)
                return 0;
        r = cron_history_read(j->name, (unsigned) limit, &runs);
        if (r < 0) {
                log_warning_errno(r, "Failed to read the history of scheduled job %s from the journal: %m",
                                  j->name);
                return varlink_errorf(l, VARLINK_ERROR_SYSTEM, "Failed to read the history of job '%s': %s", j->name,
                                      strerror(-r));
        }
        r = json_add_take(reply, "runs", runs);
        return r < 0 ? r : varlink_reply(l, reply);
}

static int method_list_cron_jobs(Varlink *l, json_object *params, VarlinkMethodFlags flags, void *userdata) {
        _cleanup_(json_object_putp) json_object *reply = json_object_new_object();
        _cleanup_(cron_dirs_done) CronDirs dirs = {};
        _cleanup_strv_free_ char **names = NULL;
        Manager *m = userdata;
        json_object *list;
        struct ucred u;
        int r;

        if (cron_refused(m, l))
                return 0;
        list = json_object_new_array();
        if (!reply || !list || json_add_take(reply, "jobs", list) < 0) {
                json_object_put(list);
                return -ENOMEM;
        }
        r = varlink_get_peer_ucred(l, &u);
        if (r >= 0)
                r = cron_dirs_init(&dirs, m->config_root, m->state_dir);
        if (r >= 0)
                r = cron_job_list_names(&dirs, &names);
        if (r < 0)
                return r;
        STRV_FOREACH(n, names) {
                _cleanup_(config_diagnostics_done) ConfigDiagnostics diag = {};
                _cleanup_(cron_job_freep) CronJob *j = NULL;
                json_object *o;

                r = cron_job_load(&dirs, *n, &j, &diag);
                if (r < 0) {
                        log_warning("Skipping scheduled job %s: %s", *n, diag.error ?: strerror(-r));
                        continue;
                }
                if (!may_see(j, u.uid))
                        continue;
                r = cron_job_build_json(m, j, &o);
                if (r < 0)
                        return r;
                if (json_object_array_add(list, o) < 0) {
                        json_object_put(o);
                        return -ENOMEM;
                }
        }
        return varlink_reply(l, reply);
}

static const char cron_interface_methods[] =
        "\n"
        "# A scheduled job: runs a session of project on a calendar schedule, as the systemd timer\n"
        "# openmono-cron-NAME.timer. schedule is as written (OnCalendar= syntax or a shorthand such as\n"
        "# \"daily\", \"every-30-minutes\"), calendar what systemd is given. The last fields are what\n"
        "# systemd reports: realtime µs of the next run, of the timer's last trigger and of the last\n"
        "# run (also one started by RunCronJob), and the result of the last run since boot.\n"
        "type CronJob (name: string, scope: string, project: string, project_id: ?string, owner: ?string, schedule: string,"
        " calendar: string, task: ?string, randomized_delay_usec: ?int, persistent: bool,"
        " time_limit_usec: ?int, enabled: bool, timer: string, service: string, next_elapse_usec: ?int,"
        " last_trigger_usec: ?int, last_run_usec: ?int, active_state: ?string, last_result: ?string,"
        " last_exit_status: ?int)\n"
        "\n"
        "# Creates a job owned by the caller for a project the caller may use. Needs the polkit action\n"
        "# io.openmono.cron.manage. The schedule is checked with systemd-analyze calendar.\n"
        "method AddCronJob(name: string, project: string, schedule: string, task: ?string,"
        " randomized_delay_usec: ?int, persistent: ?bool, time_limit_usec: ?int, enabled: ?bool)"
        " -> (job: CronJob)\n"
        "# The jobs the caller created (administrators: all jobs).\n"
        "method ListCronJobs() -> (jobs: []CronJob)\n"
        "method GetCronJob(name: string) -> (job: CronJob)\n"
        "\n"
        "# A finished run of a job, as its service logged it: realtime µs when the entry was written,\n"
        "# systemd's result (\"success\", \"exit-code\", \"timeout\", ...), how the main process ended\n"
        "# (\"exited\", \"killed\", ...) and its exit status or signal, and how long it ran.\n"
        "type CronRun (time_usec: int, result: ?string, exit_code: ?string, exit_status: ?string,"
        " duration_usec: ?int)\n"
        "\n"
        "# The last runs of a job the caller may see, newest first, from the system journal (which the\n"
        "# caller need not be allowed to read). limit: at most this many, 1 to 1000, default 20.\n"
        "method GetCronHistory(name: string, limit: ?int) -> (runs: []CronRun)\n"
        "method RemoveCronJob(name: string) -> ()\n"
        "method EnableCronJob(name: string) -> (job: CronJob)\n"
        "method DisableCronJob(name: string) -> (job: CronJob)\n"
        "# Starts a run now, whatever the schedule says; unit is the service that runs it.\n"
        "method RunCronJob(name: string) -> (unit: string)\n"
        "\n"
        "error NoSuchCronJob (message: string)\n"
        "error CronJobExists (message: string)\n"
        "error BadCronJob (message: string)\n"
        "error CronDisabled (message: string)\n";

const char *cron_varlink_idl(void) {
        return cron_interface_methods;
}

int cron_varlink_bind(Manager *m) {
        static const VarlinkMethodBinding methods[] = {
                { "io.openmono.Manager.AddCronJob", method_add_cron_job },
                { "io.openmono.Manager.ListCronJobs", method_list_cron_jobs },
                { "io.openmono.Manager.GetCronJob", method_get_cron_job },
                { "io.openmono.Manager.GetCronHistory", method_get_cron_history },
                { "io.openmono.Manager.RemoveCronJob", method_remove_cron_job },
                { "io.openmono.Manager.EnableCronJob", method_enable_cron_job },
                { "io.openmono.Manager.DisableCronJob", method_disable_cron_job },
                { "io.openmono.Manager.RunCronJob", method_run_cron_job },
        };

        return varlink_server_bind_methods(m->varlink, methods, ELEMENTSOF(methods));
}
