/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* openmonoctl session list|show|status|stop|wait|logs. */

#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "ctl.h"
#include "log.h"
#include "session-policy.h"
#include "strv.h"

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

/* Formats CPU time the way systemctl status does: "51ms", "1.2s", "2min 3s". */
static const char *format_cpu(char *buf, size_t n, uint64_t nsec) {
        if (nsec < 1000000U)
                snprintf(buf, n, "%" PRIu64 "us", nsec / 1000U);
        else if (nsec < 1000000000U)
                snprintf(buf, n, "%" PRIu64 "ms", nsec / 1000000U);
        else
                return ctl_format_duration(buf, n, nsec / 1000U);
        return buf;
}

/* Formats a size the way systemd does: "512B", "1.2M", "3.0G". */
static const char *format_bytes(char *buf, size_t n, uint64_t bytes) {
        static const char suffixes[] = "KMGTPE";
        double v = (double) bytes;
        size_t i = 0;

        if (bytes < 1024) {
                snprintf(buf, n, "%" PRIu64 "B", bytes);
                return buf;
        }
        for (v /= 1024; v >= 1024 && i + 1 < sizeof suffixes - 1; i++)
                v /= 1024;
        snprintf(buf, n, "%.1f%c", v, suffixes[i]);
        return buf;
}

/* How a session ended, in a few words: "exit 7", "SIGKILL", "failed (resources)"; "-" while
 * it runs. */
static const char *format_end(char *buf, size_t n, json_object *s) {
        const char *exit = NULL, *sig = NULL, *result = NULL;
        int64_t status = 0;

        (void) json_get_string(s, "exit", &exit);
        (void) json_get_string(s, "signal", &sig);
        (void) json_get_string(s, "result", &result);
        (void) json_get_int64(s, "exit_status", &status);
        if (streq_ptr(exit, "exited"))
                snprintf(buf, n, "exit %" PRIi64, status);
        else if (streq_ptr(exit, "killed") && sig)
                snprintf(buf, n, "%s", sig);
        else if (streq_ptr(exit, "killed"))
                snprintf(buf, n, "signal %" PRIi64, status);
        else if (result)
                snprintf(buf, n, "%s", result);
        else
                return "-";
        return buf;
}

typedef struct ListFilter {
        bool all;
        const char *user, *project, *state;
} ListFilter;

static bool list_filter_match(const ListFilter *f, json_object *s) {
        return (!f->user || streq(field(s, "user"), f->user)) &&
               (!f->project || streq(field(s, "project"), f->project)) &&
               (!f->state || streq(field(s, "state"), f->state));
}

static int parse_list_argv(int argc, char *argv[], ListFilter *f) {
        enum { ARG_USER = 0x100, ARG_PROJECT, ARG_STATE };
        static const struct option options[] = {
                { "all",     no_argument,       NULL, 'a'         },
                { "user",    required_argument, NULL, ARG_USER    },
                { "project", required_argument, NULL, ARG_PROJECT },
                { "state",   required_argument, NULL, ARG_STATE   },
                {}
        };
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "+a", options, NULL)) >= 0)
                switch (c) {
                case 'a':
                        f->all = true;
                        break;
                case ARG_USER:
                        f->user = optarg;
                        break;
                case ARG_PROJECT:
                        f->project = optarg;
                        break;
                case ARG_STATE:
                        f->state = optarg;
                        break;
                default:
                        return -EINVAL;
                }
        if (optind < argc)
                return log_error_errno(EINVAL, "'session list' takes no arguments, only options.");
        /* Only running sessions are listed without --all: asking for ended ones implies it. */
        if (f->state && !strv_contains((char *const[]) { (char *) "starting", (char *) "running", (char *) "stopping",
                                                        (char *) "exited", (char *) "failed", NULL }, f->state))
                return log_error_errno(EINVAL, "Unknown state '%s': starting, running, stopping, exited or failed.",
                                       f->state);
        if (f->state && (streq(f->state, "exited") || streq(f->state, "failed")))
                f->all = true;
        return 0;
}

static json_object *list_params(bool all) {
        json_object *p = json_object_new_object();

        if (p && all && json_add_bool(p, "all", true) < 0)
                p = (json_object_put(p), NULL);
        return p;
}

static void print_list(json_object *list, const ListFilter *f) {
        size_t n = list ? json_object_array_length(list) : 0, shown = 0;

        if (arg_legend)
                printf("%-16s %-10s %-12s %-9s %-10s %-9s %-19s %s\n",
                       "ID", "USER", "PROJECT", "STATE", "END", "NETWORK", "STARTED", "WORKSPACE");
        for (size_t i = 0; i < n; i++) {
                json_object *s = json_object_array_get_idx(list, i);
                char buf[64], end[64];
                if (!list_filter_match(f, s))
                        continue;
                printf("%-16s %-10s %-12s %-9s %-10s %-9s %-19s %s\n", field(s, "id"), field(s, "user"),
                       field(s, "project"), field(s, "state"), format_end(end, sizeof end, s), field(s, "network"),
                       format_start(buf, sizeof buf, s), field(s, "workspace"));
                shown++;
        }
        if (arg_legend)
                printf("\n%zu session%s listed.\n", shown, shown == 1 ? "" : "s");
}

static int session_list(int argc, char *argv[]) {
        _cleanup_(varlink_unrefp) Varlink *link = NULL;
        _cleanup_(json_object_putp) json_object *params = NULL, *shown = NULL;
        ListFilter f = {};
        json_object *reply, *list = NULL;
        int r;

        r = parse_list_argv(argc, argv, &f);
        if (r < 0)
                return r;
        params = list_params(f.all);
        if (!params)
                return log_oom();
        r = ctl_connect(&link);
        if (r < 0)
                return r;
        r = ctl_call(link, "io.openmono.Manager.ListSessions", params, &reply);
        if (r < 0)
                return r;
        (void) json_get_array(reply, "sessions", &list);
        if (!arg_json) {
                print_list(list, &f);
                return 0;
        }
        shown = json_object_new_array();
        if (!shown)
                return log_oom();
        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                json_object *s = json_object_array_get_idx(list, i);
                if (list_filter_match(&f, s) && json_object_array_add(shown, json_object_get(s)) < 0)
                        return log_oom();
        }
        ctl_print_json(shown);
        return 0;
}

/* Calls a method that takes a session id and returns the reply (borrowed from link). */
static int call_with_id(Varlink **link, const char *method, const char *id, json_object **ret) {
        _cleanup_(json_object_putp) json_object *p = json_object_new_object();
        int r;

        if (!session_id_is_valid(id))
                return log_error_errno(EINVAL, "Invalid session ID: '%s'.", id);
        if (!p || json_add_string(p, "id", id) < 0)
                return log_oom();
        r = ctl_connect(link);
        if (r < 0)
                return r;
        return ctl_call(*link, method, p, ret);
}

static const char *format_number(char *buf, size_t n, uint64_t v) {
        snprintf(buf, n, "%" PRIu64, v);
        return buf;
}

static void print_value(const char *label, json_object *s, const char *key,
                        const char *(*format)(char *buf, size_t n, uint64_t v)) {
        char buf[64];
        uint64_t v;

        if (json_get_uint64(s, key, &v) >= 0)
                printf("%12s: %s\n", label, format(buf, sizeof buf, v));
}

/* How long it ran, or runs so far. */
static void print_runtime(json_object *s) {
        uint64_t start = 0, end = 0;
        char buf[64], when[64];

        if (json_get_uint64(s, "started_realtime_usec", &start) < 0 || start == 0)
                return;
        if (json_get_uint64(s, "ended_realtime_usec", &end) >= 0 && end >= start) {
                time_t t = (time_t) (end / 1000000U);
                strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime(&t));
                printf("%12s: %s\n%12s: %s\n", "Ended", when, "Runtime", ctl_format_duration(buf, sizeof buf, end - start));
        } else if (now(CLOCK_REALTIME) >= start)
                printf("%12s: %s\n", "Running for", ctl_format_duration(buf, sizeof buf, now(CLOCK_REALTIME) - start));
}

/* The names the session reaches through the egress proxy, and what the proxy did for it: counts
 * appear with its first request. */
static void print_egress(json_object *s) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *names = NULL;
        uint64_t allowed = 0, denied = 0, sent = 0, received = 0;
        char a_buf[64], b_buf[64];

        if (json_get_strv(s, "allow_domains", &l) < 0)
                return;
        names = strv_join(l, " ");
        if (!names)
                return (void) log_oom();
        printf("%12s: %s\n", "Domains", isempty(names) ? "none" : names);
        if (json_get_uint64(s, "egress_allowed", &allowed) < 0)
                return;
        (void) json_get_uint64(s, "egress_denied", &denied);
        (void) json_get_uint64(s, "egress_bytes_sent", &sent);
        (void) json_get_uint64(s, "egress_bytes_received", &received);
        printf("%12s: %" PRIu64 " allowed, %" PRIu64 " denied, %s sent, %s received\n", "Egress", allowed, denied,
               format_bytes(a_buf, sizeof a_buf, sent), format_bytes(b_buf, sizeof b_buf, received));
}

static void print_session(json_object *s) {
        const char *exit = NULL;
        char buf[64];

        printf("%12s: %s\n%12s: %s\n%12s: %s\n%12s: %s\n%12s: %s\n%12s: %s\n%12s: %s\n%12s: %s\n",
               "Session", field(s, "id"), "Unit", field(s, "unit"), "User", field(s, "user"),
               "Project", field(s, "project"), "State", field(s, "state"), "Network", field(s, "network"),
               "Workspace", field(s, "workspace"), "Started", format_start(buf, sizeof buf, s));
        if (json_get_string(s, "exit", &exit) >= 0 && exit)
                printf("%12s: %s (result: %s)\n", "Ended with", format_end(buf, sizeof buf, s), field(s, "result"));
        print_runtime(s);
        print_value("Main PID", s, "main_pid", format_number);
        print_value("CPU", s, "cpu_usage_nsec", format_cpu);
        print_value("Memory", s, "memory_current_bytes", format_bytes);
        print_value("Tasks", s, "tasks_current", format_number);
        print_value("IP in", s, "ip_ingress_bytes", format_bytes);
        print_value("IP out", s, "ip_egress_bytes", format_bytes);
        print_egress(s);
}

static int session_show(const char *id) {
        _cleanup_(varlink_unrefp) Varlink *link = NULL;
        json_object *reply, *s = NULL;
        int r;

        r = call_with_id(&link, "io.openmono.Manager.GetSession", id, &reply);
        if (r < 0)
                return r;
        (void) json_get_object(reply, "session", &s);
        if (arg_json)
                ctl_print_json(s);
        else
                print_session(s);
        return 0;
}

static int session_stop(const char *id) {
        _cleanup_(varlink_unrefp) Varlink *link = NULL;

        return call_with_id(&link, "io.openmono.Manager.StopSession", id, NULL);
}

/* Whether the caller reads other users' journal entries, by the same rule as journalctl's hint:
 * root and the groups the journal files are shared with. */
static bool may_read_all_journals(void) {
        gid_t groups[NGROUPS_MAX];
        int n = getgroups(ELEMENTSOF(groups), groups);

        if (geteuid() == 0)
                return true;
        for (size_t k = 0; k < 3; k++) {
                struct group *g = getgrnam((const char *const[]) { "systemd-journal", "adm", "wheel" }[k]);
                if (!g)
                        continue;
                if (g->gr_gid == getegid())
                        return true;
                for (int i = 0; i < n; i++)
                        if (groups[i] == g->gr_gid)
                                return true;
        }
        return false;
}

/* Learns whose session id is and whether it still runs, quietly: the caller reports. Returns
 * 1 if it has ended, 0 if it runs, <0 on error (the controller's message printed). */
static int session_lookup(const char *id, uid_t *ret_uid, char **ret_user, char **ret_namespace) {
        _cleanup_(varlink_unrefp) Varlink *link = NULL;
        json_object *reply, *s = NULL;
        const char *user = NULL, *ns = NULL;
        int64_t uid = -1;
        int r;

        r = call_with_id(&link, "io.openmono.Manager.GetSession", id, &reply);
        if (r < 0)
                return r;
        (void) json_get_object(reply, "session", &s);
        (void) json_get_int64(s, "uid", &uid);
        (void) json_get_string(s, "user", &user);
        if (ret_uid)
                *ret_uid = (uid_t) uid;
        if (ret_user && !(*ret_user = strdup(user ?: "?")))
                return log_oom();
        /* Sessions may log to a journal namespace of their own. */
        if (ret_namespace && json_get_string(s, "log_namespace", &ns) >= 0 && ns && !(*ret_namespace = strdup(ns)))
                return log_oom();
        return !strv_contains((char *const[]) { (char *) "starting", (char *) "running", (char *) "stopping", NULL },
                             field(s, "state"));
}

/* A session logs into the journal namespace of all sessions (unless the controller names another);
 * the system journal is read too, for what systemd itself logged in the unit before the session
 * ran (why it failed to start). */
static int open_session_journal(const char *id, const char *ns, sd_journal **ret) {
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        char match[128];
        int r;

        r = sd_journal_open_namespace(&j, ns ?: SESSION_LOG_NAMESPACE,
                                      SD_JOURNAL_LOCAL_ONLY|SD_JOURNAL_INCLUDE_DEFAULT_NAMESPACE);
        if (r < 0)
                return log_error_errno(r, "Failed to open the journal: %m");
        snprintf(match, sizeof match, "_SYSTEMD_UNIT=openmono-session-%s.service", id);
        r = sd_journal_add_match(j, match, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to filter the journal: %m");
        *ret = steal_ptr(j);
        return 0;
}

static void print_entry(sd_journal *j) {
        const void *data;
        size_t len;

        if (sd_journal_get_data(j, "MESSAGE", &data, &len) >= 0 && len >= 8)
                printf("%.*s\n", (int) (len - 8), (const char *) data + 8);
}

/* Prints the entries not printed yet. Returns how many, or a negative errno. */
static int print_entries(sd_journal *j) {
        int r, n = 0;

        while ((r = sd_journal_next(j)) > 0) {
                print_entry(j);
                n++;
        }
        fflush(stdout);
        return r < 0 ? log_error_errno(r, "Failed to read the journal: %m") : n;
}

/* Prints the session's entries and, following, new ones until the session has ended, like
 * systemd-run --wait. journald's file permissions decide what the caller may read: a session
 * running as the caller logs into the caller's own journal; others' need root or a journal
 * group, and without them we say so rather than print nothing. */
static int session_logs(const char *id, bool follow, unsigned tail) {
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        _cleanup_free_ char *user = NULL, *ns = NULL;
        uid_t uid = (uid_t) -1;
        int r, ended;

        ended = session_lookup(id, &uid, &user, &ns);
        if (ended < 0)
                return ended;
        if (uid != getuid() && !may_read_all_journals())
                return log_error_errno(EACCES, "The output of session %s is in %s's journal, which only %s, root and "
                                       "members of the groups systemd-journal and adm may read.", id, user, user);
        r = open_session_journal(id, ns, &j);
        if (r < 0)
                return r;
        if (tail > 0) {
                /* Lands on the first of the last entries, which next() would step over. */
                r = sd_journal_seek_tail(j);
                if (r >= 0)
                        r = sd_journal_previous_skip(j, tail);
                if (r < 0)
                        return log_error_errno(r, "Failed to read the journal: %m");
                if (r > 0)
                        print_entry(j);
        }
        for (;;) {
                r = print_entries(j);
                if (r < 0 || !follow || ended)
                        return r < 0 ? r : 0;
                r = sd_journal_wait(j, 500 * 1000);
                if (r < 0)
                        return log_error_errno(r, "Failed to wait for the journal: %m");
                if (r != SD_JOURNAL_NOP)
                        continue;
                /* Quiet for a while: has it ended? Then one last look for what journald had
                 * not written yet. */
                ended = session_lookup(id, NULL, NULL, NULL);
                if (ended < 0)
                        return ended;
                if (ended)
                        (void) sd_journal_wait(j, 300 * 1000);
        }
}

/* systemctl status for a session: what "show" says, then its last lines of output. */
static int session_status(const char *id) {
        int r;

        r = session_show(id);
        if (r < 0 || arg_json)
                return r;
        putchar('\n');
        fflush(stdout);
        /* A journal we may not read is a note here, not a failure of the status. */
        (void) session_logs(id, /* follow= */ false, /* tail= */ 10);
        return 0;
}

typedef struct WaitState {
        json_object *session;           /* the last state heard */
        const char *error_id;
        bool lost;                      /* the controller went away */
} WaitState;

static int on_wait_reply(Varlink *link, json_object *params, const char *error_id, bool continues, void *userdata) {
        WaitState *w = userdata;
        json_object *s = NULL;
        const char *message = NULL;

        if (error_id) {
                if (streq(error_id, VARLINK_ERROR_DISCONNECTED)) {
                        w->lost = true;
                        return 0;
                }
                (void) json_get_string(params, "message", &message);
                log_error("%s", message ?: error_id);
                w->error_id = streq(error_id, "io.openmono.Manager.PermissionDenied") ? "denied" : "failed";
                return 0;
        }
        if (json_get_object(params, "session", &s) >= 0) {
                json_object_put(w->session);
                w->session = json_object_get(s);
        }
        return 0;
}

/* Waits until the session has ended and exits with its exit status. Outlives restarts of the
 * controller: the session runs on under systemd, and the controller comes back on the next
 * connection. */
static int session_wait(const char *id) {
        _cleanup_(json_object_putp) json_object *p = json_object_new_object();
        WaitState w = {};
        char end[64];
        uint64_t delay = 100 * 1000;
        int r = 0;

        if (!session_id_is_valid(id))
                return log_error_errno(EINVAL, "Invalid session ID: '%s'.", id);
        if (!p || json_add_string(p, "id", id) < 0)
                return log_oom();
        for (unsigned attempt = 0; attempt < 30; attempt++) {
                _cleanup_(varlink_unrefp) Varlink *link = NULL;
                w.lost = false;
                if (attempt > 0) {
                        (void) usleep(delay);
                        delay = MIN(delay * 2, 2000000ULL);
                }
                if (varlink_connect_address(getenv("OPENMONO_SOCKET") ?: RUNDIR "/io.openmono.Manager", &link) < 0)
                        continue;
                varlink_set_timeout(link, 0);
                r = varlink_call_more(link, "io.openmono.Manager.WatchSession", p, on_wait_reply, &w);
                if (w.error_id)
                        break;
                if (r >= 0 && !w.lost && w.session)
                        break;
        }
        if (w.error_id)
                r = streq(w.error_id, "denied") ? -EACCES : -EREMOTEIO;
        else if (!w.session || w.lost || r < 0)
                r = log_error_errno(EHOSTDOWN, "Lost the controller while waiting for session %s.", id);
        else {
                if (!arg_json && arg_legend)
                        printf("Session %s ended: %s.\n", id, format_end(end, sizeof end, w.session));
                if (arg_json)
                        ctl_print_json(w.session);
                r = ctl_session_exit_code(w.session, /* command= */ NULL);
                r = r == 0 ? 0 : CTL_EXIT_STATUS(r);
        }
        json_object_put(w.session);
        return r;
}

int verb_session(int argc, char *argv[]) {
        const char *sub = argc > 1 ? argv[1] : "list";

        if (streq(sub, "list"))
                return session_list(argc - 1, argv + 1);
        if (streq(sub, "show") && argc == 3)
                return session_show(argv[2]);
        if (streq(sub, "status") && argc == 3)
                return session_status(argv[2]);
        if (streq(sub, "wait") && argc == 3)
                return session_wait(argv[2]);
        if (streq(sub, "stop") && argc == 3)
                return session_stop(argv[2]);
        if (streq(sub, "logs") && argc == 3)
                return session_logs(argv[2], false, 0);
        if (streq(sub, "logs") && argc == 4 && (streq(argv[2], "-f") || streq(argv[2], "--follow")))
                return session_logs(argv[3], true, 0);
        return log_error_errno(EINVAL, "Usage: %s session list [--all]|show ID|status ID|stop ID|wait ID|logs [-f] ID",
                               program_invocation_short_name);
}
