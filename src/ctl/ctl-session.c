/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* openmonoctl session list|show|stop|logs. */

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include <systemd/sd-journal.h>

#include "ctl.h"
#include "log.h"
#include "session-policy.h"

static const char *field(json_object *o, const char *key) {
        const char *s = NULL;

        (void) json_get_string(o, key, &s);
        return s ?: "-";
}

static const char *format_start(char *buf, size_t n, json_object *session) {
        uint64_t usec = 0;
        time_t t;

        if (json_get_uint64(session, "started_realtime_usec", &usec) < 0 || usec == 0)
                return "-";
        t = (time_t) (usec / 1000000U);
        strftime(buf, n, "%Y-%m-%d %H:%M:%S", localtime(&t));
        return buf;
}

static int session_list(void) {
        _cleanup_(varlink_unrefp) Varlink *link = NULL;
        json_object *reply, *list = NULL;
        size_t n;
        int r;

        r = ctl_connect(&link);
        if (r < 0)
                return r;
        r = ctl_call(link, "io.openmono.Manager.ListSessions", NULL, &reply);
        if (r < 0)
                return r;
        (void) json_get_array(reply, "sessions", &list);
        if (arg_json) {
                ctl_print_json(list);
                return 0;
        }
        n = list ? json_object_array_length(list) : 0;
        if (arg_legend)
                printf("%-16s %-10s %-12s %-9s %-9s %-19s %s\n",
                       "ID", "USER", "PROJECT", "STATE", "NETWORK", "STARTED", "WORKSPACE");
        for (size_t i = 0; i < n; i++) {
                json_object *s = json_object_array_get_idx(list, i);
                char buf[64];
                printf("%-16s %-10s %-12s %-9s %-9s %-19s %s\n", field(s, "id"), field(s, "user"),
                       field(s, "project"), field(s, "state"), field(s, "network"),
                       format_start(buf, sizeof buf, s), field(s, "workspace"));
        }
        if (arg_legend)
                printf("\n%zu session%s listed.\n", n, n == 1 ? "" : "s");
        return 0;
}

/* Calls a method that takes a session id and returns the reply (borrowed from link). */
static int call_with_id(Varlink **link, const char *method, const char *id, json_object **ret) {
        _cleanup_(json_object_putp) json_object *p = json_object_new_object();
        int r;

        if (!p || json_add_string(p, "id", id) < 0)
                return log_oom();
        r = ctl_connect(link);
        if (r < 0)
                return r;
        return ctl_call(*link, method, p, ret);
}

static void print_u64(const char *label, json_object *s, const char *key, const char *unit) {
        uint64_t v;

        if (json_get_uint64(s, key, &v) >= 0)
                printf("%12s: %" PRIu64 "%s\n", label, v, unit);
}

static int session_show(const char *id) {
        _cleanup_(varlink_unrefp) Varlink *link = NULL;
        json_object *reply, *s = NULL;
        char buf[64];
        int r;

        r = call_with_id(&link, "io.openmono.Manager.GetSession", id, &reply);
        if (r < 0)
                return r;
        (void) json_get_object(reply, "session", &s);
        if (arg_json) {
                ctl_print_json(s);
                return 0;
        }
        printf("%12s: %s\n%12s: %s\n%12s: %s\n%12s: %s\n%12s: %s\n%12s: %s\n%12s: %s\n",
               "Session", field(s, "id"), "Unit", field(s, "unit"), "User", field(s, "user"),
               "State", field(s, "state"), "Network", field(s, "network"), "Workspace", field(s, "workspace"),
               "Started", format_start(buf, sizeof buf, s));
        print_u64("Main PID", s, "main_pid", "");
        print_u64("CPU", s, "cpu_usage_nsec", " ns");
        print_u64("Memory", s, "memory_current_bytes", " bytes");
        print_u64("Tasks", s, "tasks_current", "");
        print_u64("IP in", s, "ip_ingress_bytes", " bytes");
        print_u64("IP out", s, "ip_egress_bytes", " bytes");
        return 0;
}

static int session_stop(const char *id) {
        _cleanup_(varlink_unrefp) Varlink *link = NULL;

        return call_with_id(&link, "io.openmono.Manager.StopSession", id, NULL);
}

/* Prints the entries of the session's unit. journald's file permissions decide what the caller
 * may read: a session running as the caller logs into the caller's own journal. */
static int session_logs(const char *id, bool follow) {
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        char match[128];
        int r;

        if (!session_id_is_valid(id))
                return log_error_errno(EINVAL, "Invalid session id '%s'.", id);
        r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0)
                return log_error_errno(r, "Failed to open the journal: %m");
        snprintf(match, sizeof match, "_SYSTEMD_UNIT=openmono-session-%s.service", id);
        r = sd_journal_add_match(j, match, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to filter the journal: %m");

        for (;;) {
                const void *data;
                size_t len;

                r = sd_journal_next(j);
                if (r < 0)
                        return log_error_errno(r, "Failed to read the journal: %m");
                if (r == 0) {
                        if (!follow)
                                return 0;
                        r = sd_journal_wait(j, UINT64_MAX);
                        if (r < 0)
                                return log_error_errno(r, "Failed to wait for the journal: %m");
                        continue;
                }
                if (sd_journal_get_data(j, "MESSAGE", &data, &len) >= 0 && len >= 8)
                        printf("%.*s\n", (int) (len - 8), (const char *) data + 8);
                fflush(stdout);
        }
}

int verb_session(int argc, char *argv[]) {
        const char *sub = argc > 1 ? argv[1] : "list";

        if (streq(sub, "list") && argc <= 2)
                return session_list();
        if (streq(sub, "show") && argc == 3)
                return session_show(argv[2]);
        if (streq(sub, "stop") && argc == 3)
                return session_stop(argv[2]);
        if (streq(sub, "logs") && argc == 3)
                return session_logs(argv[2], false);
        if (streq(sub, "logs") && argc == 4 && (streq(argv[2], "-f") || streq(argv[2], "--follow")))
                return session_logs(argv[3], true);
        return log_error_errno(EINVAL, "Usage: %s session list|show ID|stop ID|logs [-f] ID",
                               program_invocation_short_name);
}
