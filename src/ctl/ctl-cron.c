/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* openmonoctl cron: scheduled jobs (systemd timers) and their history through the controller,
 * and the "finished" hook that each job's service runs after a run. */

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-journal.h>

#include "cron-job.h"
#include "ctl.h"
#include "log.h"
#include "message-ids.h"
#include "parse-util.h"
#include "strv.h"

static const char *field(json_object *o, const char *key) {
        const char *s = NULL;

        (void) json_get_string(o, key, &s);
        return s ?: "-";
}

/* Formats realtime µs as local time; "-" for 0. */
static const char *format_time(char *buf, size_t n, uint64_t usec) {
        time_t t = (time_t) (usec / USEC_PER_SEC);
        struct tm tm;

        if (usec == 0 || !localtime_r(&t, &tm) || strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm) == 0)
                return "-";
        return buf;
}

static const char *time_field(char *buf, size_t n, json_object *o, const char *key) {
        uint64_t v = 0;

        (void) json_get_uint64(o, key, &v);
        return format_time(buf, n, v);
}

/* "success", "exit-code 3", or "-" when it never ran. */
static const char *result_field(char *buf, size_t n, json_object *o) {
        const char *result = NULL;
        int64_t status = 0;

        if (json_get_string(o, "last_result", &result) < 0)
                return "-";
        (void) json_get_int64(o, "last_exit_status", &status);
        if (streq(result, "success"))
                return result;
        snprintf(buf, n, "%s (%" PRIi64 ")", result, status);
        return buf;
}

static int cron_list(void) {
        _cleanup_(varlink_unrefp) Varlink *link = NULL;
        json_object *reply, *list = NULL;
        size_t n;
        int r;

        r = ctl_connect(&link);
        if (r >= 0)
                r = ctl_call(link, "io.openmono.Manager.ListCronJobs", NULL, &reply);
        if (r < 0)
                return r;
        (void) json_get_array(reply, "jobs", &list);
        if (arg_json) {
                ctl_print_json(list);
                return 0;
        }
        n = list ? json_object_array_length(list) : 0;
        if (arg_legend)
                printf("%-16s %-12s %-8s %-20s %-20s %-20s %s\n", "NAME", "PROJECT", "ENABLED", "SCHEDULE", "NEXT",
                       "LAST", "RESULT");
        for (size_t i = 0; i < n; i++) {
                json_object *j = json_object_array_get_idx(list, i);
                char next[64], last[64], result[64];
                bool enabled = false;

                (void) json_get_bool(j, "enabled", &enabled);
                printf("%-16s %-12s %-8s %-20s %-20s %-20s %s\n", field(j, "name"), field(j, "project"),
                       enabled ? "yes" : "no", field(j, "schedule"), time_field(next, sizeof next, j, "next_elapse_usec"),
                       time_field(last, sizeof last, j, "last_run_usec"), result_field(result, sizeof result, j));
        }
        if (arg_legend)
                printf("\n%zu scheduled job%s.\n", n, n == 1 ? "" : "s");
        return 0;
}

static void print_job(json_object *j) {
        char buf[64], span[FORMAT_TIMESPAN_MAX];
        bool b = false;
        uint64_t v;

        printf("Name: %s\nScope: %s\nProject: %s\nOwner: %s\nSchedule: %s\nCalendar: %s\nTask: %s\n",
               field(j, "name"), field(j, "scope"), field(j, "project"), field(j, "owner"), field(j, "schedule"),
               field(j, "calendar"), field(j, "task"));
        if (json_get_uint64(j, "randomized_delay_usec", &v) >= 0)
                printf("Randomized delay: %s\n", format_timespan(span, sizeof span, v));
        if (json_get_uint64(j, "time_limit_usec", &v) >= 0)
                printf("Time limit: %s\n", format_timespan(span, sizeof span, v));
        (void) json_get_bool(j, "persistent", &b);
        printf("Persistent: %s\n", b ? "yes" : "no");
        b = false;
        (void) json_get_bool(j, "enabled", &b);
        printf("Enabled: %s\nTimer: %s\n", b ? "yes" : "no", field(j, "timer"));
        printf("Next run: %s\n", time_field(buf, sizeof buf, j, "next_elapse_usec"));
        printf("Last run: %s\n", time_field(buf, sizeof buf, j, "last_run_usec"));
        printf("Last result: %s\n", result_field(buf, sizeof buf, j));
}

static int call_named(const char *method, const char *name, json_object *params) {
        _cleanup_(varlink_unrefp) Varlink *link = NULL;
        json_object *reply, *job = NULL;
        int r;

        if (json_add_string(params, "name", name) < 0)
                return log_oom();
        r = ctl_connect(&link);
        if (r >= 0)
                r = ctl_call(link, method, params, &reply);
        if (r < 0)
                return r;
        if (json_get_object(reply, "job", &job) >= 0) {
                if (arg_json)
                        ctl_print_json(job);
                else
                        print_job(job);
        } else if (arg_json)
                ctl_print_json(reply);
        else if (json_get_string(reply, "unit", &name) >= 0)
                printf("Started %s.\n", name);
        return 0;
}

/* --every: "hourly" etc. as they are, "30-minutes" as "every-30-minutes". */
static int every_to_schedule(const char *s, char **ret) {
        _cleanup_free_ char *schedule = NULL, *calendar = NULL;

        if (startswith(s, "every-") || strv_contains((char **) (const char *const[]) { "hourly", "daily", "weekly",
                                                                                        "monthly", NULL }, s))
                schedule = strdup(s);
        else if (asprintf(&schedule, "every-%s", s) < 0)
                schedule = NULL;
        if (!schedule)
                return -ENOMEM;
        if (cron_schedule_translate(schedule, &calendar) <= 0)
                return -EINVAL;
        *ret = steal_ptr(schedule);
        return 0;
}

static int add_timespan(json_object *params, const char *key, const char *option, const char *value) {
        uint64_t usec;
        int r = parse_timespan(value, &usec);

        if (r < 0)
                return ctl_bad_value(r, option, value);
        return json_add_uint64(params, key, usec);
}

static int check_job_name(const char *name) {
        if (cron_job_name_is_valid(name))
                return 0;
        return log_error_errno(EINVAL, "Invalid job name '%s': a name is 1 to 28 letters, digits, '_' or '-', "
                               "starting with a letter or digit.", name);
}

static int parse_add_options(int argc, char *argv[], json_object *params) {
        enum { ARG_CALENDAR = 0x100, ARG_EVERY, ARG_TASK, ARG_DELAY, ARG_PERSISTENT, ARG_LIMIT, ARG_DISABLED };
        static const struct option options[] = {
                { "project",          required_argument, NULL, 'p'            },
                { "on-calendar",      required_argument, NULL, ARG_CALENDAR   },
                { "every",            required_argument, NULL, ARG_EVERY      },
                { "task",             required_argument, NULL, ARG_TASK       },
                { "randomized-delay", required_argument, NULL, ARG_DELAY      },
                { "persistent",       no_argument,       NULL, ARG_PERSISTENT },
                { "time-limit",       required_argument, NULL, ARG_LIMIT      },
                { "disabled",         no_argument,       NULL, ARG_DISABLED   },
                {}
        };
        _cleanup_free_ char *schedule = NULL;
        bool have_project = false;
        int c, r = 0;

        optind = 0;
        while (r >= 0 && (c = getopt_long(argc, argv, "p:", options, NULL)) >= 0)
                switch (c) {
                case 'p':
                        if (ctl_check_project_name(optarg) < 0)
                                return -EINVAL;
                        have_project = true;
                        r = json_add_string(params, "project", optarg);
                        break;
                case ARG_CALENDAR:
                        r = free_and_strdup(&schedule, optarg);
                        break;
                case ARG_EVERY:
                        free(schedule);
                        r = every_to_schedule(optarg, &schedule);
                        if (r < 0)
                                return ctl_bad_value(r, "every", optarg);
                        break;
                case ARG_TASK:
                        r = json_add_string(params, "task", optarg);
                        break;
                case ARG_DELAY:
                        r = add_timespan(params, "randomized_delay_usec", "randomized-delay", optarg);
                        break;
                case ARG_PERSISTENT:
                        r = json_add_bool(params, "persistent", true);
                        break;
                case ARG_LIMIT:
                        r = add_timespan(params, "time_limit_usec", "time-limit", optarg);
                        break;
                case ARG_DISABLED:
                        r = json_add_bool(params, "enabled", false);
                        break;
                default:
                        return -EINVAL;
                }
        if (r < 0)
                return r;
        if (optind != argc - 1)
                return log_error_errno(EINVAL, "Give exactly one job name.");
        if (check_job_name(argv[optind]) < 0)
                return -EINVAL;
        if (!have_project || !schedule)
                return log_error_errno(EINVAL, "A job needs --project= and --on-calendar= or --every=.");
        return json_add_string(params, "schedule", schedule);
}

static int cron_add(int argc, char *argv[], json_object *params) {
        int r;

        r = parse_add_options(argc, argv, params);
        if (r < 0)
                return r;
        return call_named("io.openmono.Manager.AddCronJob", argv[argc - 1], params);
}

/* The job's past runs, newest first, which the controller reads from the journal for anyone who
 * may see the job. With --json, one JSON object per line (so that a reader can follow a long
 * history), as the controller sends them. */
static int cron_history(const char *name) {
        _cleanup_(json_object_putp) json_object *params = json_object_new_object();
        _cleanup_(varlink_unrefp) Varlink *link = NULL;
        json_object *reply, *runs = NULL;
        size_t n;
        int r;

        if (!params || json_add_string(params, "name", name) < 0)
                return log_oom();
        r = ctl_connect(&link);
        if (r >= 0)
                r = ctl_call(link, "io.openmono.Manager.GetCronHistory", params, &reply);
        if (r < 0)
                return r;
        (void) json_get_array(reply, "runs", &runs);
        n = runs ? json_object_array_length(runs) : 0;
        if (arg_legend && !arg_json)
                printf("%-20s %-14s %-6s %s\n", "TIME", "RESULT", "STATUS", "DURATION");
        for (size_t i = 0; i < n; i++) {
                json_object *run = json_object_array_get_idx(runs, i);
                char when[64], span[FORMAT_TIMESPAN_MAX];
                uint64_t d;

                if (arg_json) {
                        puts(json_object_to_json_string_ext(run, JSON_C_TO_STRING_PLAIN));
                        continue;
                }
                if (json_get_uint64(run, "duration_usec", &d) >= 0)
                        format_timespan(span, sizeof span, d);
                else
                        strcpy(span, "-");
                printf("%-20s %-14s %-6s %s\n", time_field(when, sizeof when, run, "time_usec"),
                       field(run, "result"), field(run, "exit_status"), span);
        }
        if (arg_legend && !arg_json)
                printf("\n%zu run%s.\n", n, n == 1 ? "" : "s");
        return 0;
}

/* The run's duration from systemd's timestamps of the service's main process. */
static int run_duration(const char *service, uint64_t *ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *path = NULL;
        uint64_t start = 0, end = 0;
        int r;

        r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", service, &path);
        if (r >= 0)
                r = sd_bus_get_property_trivial(bus, "org.freedesktop.systemd1", path, "org.freedesktop.systemd1.Service",
                                                "ExecMainStartTimestampMonotonic", NULL, 't', &start);
        if (r >= 0)
                r = sd_bus_get_property_trivial(bus, "org.freedesktop.systemd1", path, "org.freedesktop.systemd1.Service",
                                                "ExecMainExitTimestampMonotonic", NULL, 't', &end);
        if (r < 0)
                return r;
        if (start == 0 || end < start)
                return -ENODATA;
        *ret = end - start;
        return 0;
}

/* ExecStopPost= of openmono-cron-NAME.service: records the run that just ended. systemd passes
 * its outcome in $SERVICE_RESULT, $EXIT_CODE and $EXIT_STATUS. */
static int cron_finished(const char *name) {
        _cleanup_free_ char *service = NULL, *duration = NULL;
        const char *result = getenv("SERVICE_RESULT"), *code = getenv("EXIT_CODE"), *status = getenv("EXIT_STATUS");
        uint64_t usec;
        int r;

        if (!streq_ptr(getenv("OPENMONO_CRON_JOB"), name))
                return log_error_errno(EINVAL, "'cron finished' is run by the job's own service only.");
        r = cron_job_service_name(name, &service);
        if (r < 0)
                return log_error_errno(r, "Invalid job name '%s'.", name);
        if (run_duration(service, &usec) >= 0 && asprintf(&duration, "OPENMONO_DURATION_USEC=%" PRIu64, usec) < 0)
                return log_oom();
        r = sd_journal_send("MESSAGE_ID=" OPENMONO_MESSAGE_CRON_RUN_FINISHED,
                            "MESSAGE=Scheduled job %s finished: %s (%s %s).", name, result ?: "unknown",
                            code ?: "-", status ?: "-",
                            "PRIORITY=%i", result && streq(result, "success") ? LOG_INFO : LOG_WARNING,
                            "OPENMONO_EVENT=cron-run-finished",
                            "OPENMONO_CRON_JOB=%s", name,
                            "OPENMONO_RESULT=%s", result ?: "unknown",
                            "OPENMONO_EXIT_CODE=%s", code ?: "-",
                            "OPENMONO_EXIT_STATUS=%s", status ?: "-",
                            duration ?: "OPENMONO_DURATION_USEC=", NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to write to the journal: %m");
        return 0;
}

int verb_cron(int argc, char *argv[]) {
        const char *sub = argc > 1 ? argv[1] : "list";
        _cleanup_(json_object_putp) json_object *params = json_object_new_object();

        if (!params)
                return log_oom();
        if (streq(sub, "list") && argc <= 2)
                return cron_list();
        if (streq(sub, "add") && argc >= 3)
                return cron_add(argc - 1, argv + 1, params);
        if (argc == 3) {
                if (!streq(sub, "finished") && ctl_verb_find("cron", sub) && check_job_name(argv[2]) < 0)
                        return -EINVAL;
                if (streq(sub, "show"))
                        return call_named("io.openmono.Manager.GetCronJob", argv[2], params);
                if (streq(sub, "remove"))
                        return call_named("io.openmono.Manager.RemoveCronJob", argv[2], params);
                if (streq(sub, "enable"))
                        return call_named("io.openmono.Manager.EnableCronJob", argv[2], params);
                if (streq(sub, "disable"))
                        return call_named("io.openmono.Manager.DisableCronJob", argv[2], params);
                if (streq(sub, "run-now"))
                        return call_named("io.openmono.Manager.RunCronJob", argv[2], params);
                if (streq(sub, "history"))
                        return cron_history(argv[2]);
                if (streq(sub, "finished"))
                        return cron_finished(argv[2]);
        }
        return log_error_errno(EINVAL, "Usage: %s cron list|show|add|remove|enable|disable|run-now|history NAME",
                               program_invocation_short_name);
}
