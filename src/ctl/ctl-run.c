/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* openmonoctl run: starts a command in a sandboxed session on a directory and, unless detached,
 * passes our stdin/stdout/stderr to it and waits, so its exit status becomes ours (like
 * systemd-run --pipe --wait). Ctrl-C or SIGTERM stops the session. */

#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <systemd/sd-daemon.h>

#include "cron-job.h"
#include "ctl.h"
#include "fs-util.h"
#include "log.h"
#include "openmono-errors.h"
#include "parse-util.h"
#include "pty-forward.h"
#include "session-policy.h"
#include "strv.h"

typedef struct RunArgs {
        const char *workspace;
        const char *project;
        char *task;                     /* words given without "--": a task for the agent */
        const char *job_credential;     /* or the task of the job file in this credential */
        const char *network;
        const char *project_id;
        char **allow;
        char **allow_domains;
        char **grant;
        uint64_t memory_max, tasks_max, runtime_max_usec;
        int64_t cpu_quota;
        bool detach;
        bool pipe;                      /* pass our fds even on a terminal */
        bool to_journal;                /* our output is a journal stream: the session logs itself */
        char **command;
} RunArgs;

typedef struct RunState {
        char *id;
        int pty_master;                 /* -EBADF when stdio is passed as it is */
        int exit_code;                  /* what openmonoctl exits with */
        json_object *params;            /* borrowed: what StartSession was sent */
        const char *command;            /* borrowed: argv[0] of the command, if one was given */
        char *unit;                     /* the session's unit, for journalctl hints */
        bool done;
        bool lost;                      /* the controller went away while we waited */
} RunState;

static void run_args_done(RunArgs *a) {
        free(a->task);
        strv_free(a->allow);
        strv_free(a->allow_domains);
        strv_free(a->grant);
        strv_free(a->command);
}

/* A network policy that the addresses asked for make no sense with is a usage error. */
static int check_network_args(const RunArgs *a) {
        if (streq_ptr(a->network, "none") && a->allow)
                return log_error_errno(EINVAL, "--network=none reaches no addresses: drop --allow or choose another network.");
        if (streq_ptr(a->network, "proxy") && a->allow)
                return log_error_errno(EINVAL, "--network=proxy reaches names through the egress proxy only: "
                                       "drop --allow or choose another network.");
        if ((streq_ptr(a->network, "none") || streq_ptr(a->network, "internet")) && a->allow_domains)
                return log_error_errno(EINVAL, "--network=%s takes no --allow-domain: %s.", a->network,
                                       streq(a->network, "none") ? "it reaches no names" :
                                       "it reaches every name directly");
        if (streq_ptr(a->network, "allowlist") && !a->allow)
                return log_error_errno(EINVAL, "--network=allowlist needs at least one --allow=CIDR.");
        return 0;
}

/* What the controller would refuse anyway, said in the options' words. */
static int check_run_args(const RunArgs *a) {
        int r;

        if (!a->workspace && !a->project)
                return log_error_errno(EINVAL, "Give a workspace (-w DIR) or a project (-p PROJECT).");
        if (a->workspace && a->project)
                return log_error_errno(EINVAL, "Give a workspace (-w DIR) or a project (-p PROJECT), not both.");
        if (a->project && ctl_check_project_name(a->project) < 0)
                return -EINVAL;
        r = check_network_args(a);
        return r < 0 ? r : 1;
}

static int parse_run_argv(int argc, char *argv[], RunArgs *a) {
        enum {
                ARG_NETWORK = 0x100, ARG_ALLOW, ARG_ALLOW_DOMAIN, ARG_MEMORY, ARG_TASKS, ARG_CPU, ARG_RUNTIME, ARG_GRANT,
                ARG_PROJECT_ID, ARG_JOB_CREDENTIAL,
        };
        static const struct option options[] = {
                { "workspace",   required_argument, NULL, 'w'         },
                { "project",     required_argument, NULL, 'p'         },
                { "detach",      no_argument,       NULL, 'd'         },
                { "pipe",        no_argument,       NULL, 'P'         },
                { "network",     required_argument, NULL, ARG_NETWORK },
                { "allow",       required_argument, NULL, ARG_ALLOW   },
                { "allow-domain", required_argument, NULL, ARG_ALLOW_DOMAIN },
                { "memory-max",  required_argument, NULL, ARG_MEMORY  },
                { "tasks-max",   required_argument, NULL, ARG_TASKS   },
                { "cpu-quota",   required_argument, NULL, ARG_CPU     },
                { "runtime-max", required_argument, NULL, ARG_RUNTIME },
                { "grant",       required_argument, NULL, ARG_GRANT   },
                { "project-id",  required_argument, NULL, ARG_PROJECT_ID },
                { "job-credential", required_argument, NULL, ARG_JOB_CREDENTIAL },
                {}
        };
        int c, r = 0;

        optind = 0;
        while (r >= 0 && (c = getopt_long(argc, argv, "+w:p:dP", options, NULL)) >= 0)
                switch (c) {
                case 'w':
                        a->workspace = optarg;
                        break;
                case 'p':
                        a->project = optarg;
                        break;
                case 'd':
                        a->detach = true;
                        break;
                case 'P':
                        a->pipe = true;
                        break;
                case ARG_NETWORK:
                        a->network = optarg;
                        if (ctl_check_network(optarg) < 0)
                                return -EINVAL;
                        break;
                case ARG_JOB_CREDENTIAL:
                        a->job_credential = optarg;
                        break;
                case ARG_ALLOW:
                        if (ctl_check_allow(optarg) < 0)
                                return -EINVAL;
                        r = strv_extend(&a->allow, optarg);
                        break;
                case ARG_ALLOW_DOMAIN:
                        if (ctl_check_allow_domain(optarg) < 0)
                                return -EINVAL;
                        r = strv_extend(&a->allow_domains, optarg);
                        break;
                case ARG_GRANT:
                        r = strv_extend(&a->grant, optarg);
                        break;
                case ARG_PROJECT_ID:
                        a->project_id = optarg;
                        break;
                case ARG_MEMORY:
                        r = ctl_parse_limit("memory-max", optarg, parse_size, &a->memory_max);
                        break;
                case ARG_TASKS:
                        r = ctl_parse_limit("tasks-max", optarg, parse_uint64, &a->tasks_max);
                        break;
                case ARG_CPU:
                        r = ctl_parse_cpu_quota(optarg, &a->cpu_quota);
                        if (r < 0)
                                return ctl_bad_value(r, "cpu-quota", optarg);
                        break;
                case ARG_RUNTIME:
                        r = ctl_parse_limit("runtime-max", optarg, parse_timespan, &a->runtime_max_usec);
                        break;
                default:
                        return -EINVAL;
                }
        if (r < 0)
                return r;
        /* Words after "--" are a command; words without it are a task for the agent. */
        if (optind > 0 && optind <= argc && streq(argv[optind - 1], "--")) {
                for (int i = optind; i < argc; i++)
                        if (strv_extend(&a->command, argv[i]) < 0)
                                return log_oom();
                if (!a->command)
                        return log_error_errno(EINVAL, "No command after '--'.");
        } else if (optind < argc) {
                a->task = strv_join(argv + optind, " ");
                if (!a->task)
                        return log_oom();
        }
        if (a->job_credential && (a->task || a->command))
                return log_error_errno(EINVAL, "--job-credential takes neither a task nor a command.");
        return check_run_args(a);
}

/* A scheduled job's service gets the job file as a credential rather than the task on its command
 * line, which every local user can read; the task is sent to the controller from here. */
static int read_job_task(RunArgs *a) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics diag = {};
        _cleanup_(cron_job_freep) CronJob *j = NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        if (!a->job_credential)
                return 0;
        r = credential_path(a->job_credential, &path);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0)
                return log_error_errno(r, "Cannot find the credential '%s'%s.", a->job_credential,
                                       r == -ENXIO ? ": $CREDENTIALS_DIRECTORY is not set" : "");
        r = cron_job_load_file("job", path, &j, &diag);
        if (r < 0)
                return log_error_errno(r, "Cannot read the job in %s: %s", path, diag.error ?: strerror(-r));
        if (j->task && !(a->task = strdup(j->task)))
                return log_oom();
        return 0;
}

static int add_words(json_object *o, const char *key, char **words) {
        json_object *a = json_object_new_array();

        if (!a)
                return -ENOMEM;
        STRV_FOREACH(w, words)
                if (json_object_array_add(a, json_object_new_string(*w)) < 0) {
                        json_object_put(a);
                        return -ENOMEM;
                }
        return json_add_take(o, key, a);
}

static int build_start_parameters(const RunArgs *a, json_object **ret) {
        _cleanup_(json_object_putp) json_object *p = json_object_new_object();
        json_object *cmd = json_object_new_array(), *allow = json_object_new_array();
        int r;

        if (!p || !cmd || !allow) {
                json_object_put(cmd);
                json_object_put(allow);
                return -ENOMEM;
        }
        STRV_FOREACH(s, a->command)
                json_object_array_add(cmd, json_object_new_string(*s));
        STRV_FOREACH(s, a->allow)
                json_object_array_add(allow, json_object_new_string(*s));
        r = a->command ? json_add_take(p, "command", cmd) : (json_object_put(cmd), 0);
        if (r >= 0)
                r = a->allow ? json_add_take(p, "allow", allow) : (json_object_put(allow), 0);
        if (r >= 0 && a->project)
                r = json_add_string(p, "project", a->project);
        if (r >= 0 && a->project_id)
                r = json_add_string(p, "project_id", a->project_id);
        if (r >= 0 && a->grant)
                r = add_words(p, "grant", a->grant);
        if (r >= 0 && a->allow_domains)
                r = add_words(p, "allow_domains", a->allow_domains);
        if (r >= 0 && a->task)
                r = json_add_string(p, "task", a->task);
        if (r >= 0 && a->network)
                r = json_add_string(p, "network", a->network);
        if (r >= 0)
                r = json_add_string(p, "stdio", a->detach || a->to_journal ? "journal" : "inherit");
        if (r >= 0 && a->memory_max > 0)
                r = json_add_uint64(p, "memory_max", a->memory_max);
        if (r >= 0 && a->tasks_max > 0)
                r = json_add_uint64(p, "tasks_max", a->tasks_max);
        if (r >= 0 && a->cpu_quota > 0)
                r = json_add_int64(p, "cpu_quota_percent", a->cpu_quota);
        if (r >= 0 && a->runtime_max_usec > 0)
                r = json_add_uint64(p, "runtime_max_usec", a->runtime_max_usec);
        if (r >= 0 && getenv("TERM") && isatty(STDOUT_FILENO))
                r = json_add_string(p, "term", getenv("TERM"));
        if (r < 0)
                return r;
        *ret = steal_ptr(p);
        return 0;
}

/* A project's workspace, opened when it is ours to pass: the controller checks ownership on an
 * fd, never on a path string. Another user's project (as an administrator sees it) or a dynamic
 * one needs none. Returns the fd or -EBADF. */
static int open_project_workspace(Varlink *link, const char *project) {
        _cleanup_(json_object_putp) json_object *p = json_object_new_object();
        json_object *reply, *proj = NULL;
        const char *path = NULL, *error = NULL;
        struct stat st;
        int fd;

        if (!p || json_add_string(p, "name", project) < 0)
                return -EBADF;
        /* Errors (no such project...) are reported by StartSession with the same words. */
        if (varlink_call(link, "io.openmono.Manager.GetProject", p, &reply, &error) < 0 || error ||
            json_get_object(reply, "project", &proj) < 0 || json_get_string(proj, "workspace", &path) < 0)
                return -EBADF;
        fd = open(path, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0 || st.st_uid != getuid())
                return safe_close(fd);
        return fd;
}

/* Passes the workspace (the call's first fd) and, when attached, our stdio (the last three). */
static int push_fds(Varlink *link, const RunArgs *a, RunState *st) {
        _cleanup_close_ int peer = -EBADF;
        int fd, r = 0;

        if (a->workspace) {
                fd = open(a->workspace, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
                if (fd < 0)
                        return log_error_errno(errno, "Cannot open workspace '%s': %m", a->workspace);
        } else
                fd = open_project_workspace(link, a->project);
        if (fd >= 0)
                r = varlink_push_fd(link, fd);
        if (r < 0 || a->detach || a->to_journal)
                return r;
        /* On a terminal the session gets a pty of its own, as with systemd-run --pty. */
        if (!a->pipe && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
                r = pty_open(&st->pty_master, &peer);
                if (r < 0)
                        return log_error_errno(r, "Failed to allocate a terminal: %m");
        }
        for (int i = 0; r >= 0 && i < 3; i++) {
                fd = fcntl(peer >= 0 ? peer : i, F_DUPFD_CLOEXEC, 3);
                r = fd < 0 ? log_error_errno(errno, "Cannot pass fd %i: %m", i) : varlink_push_fd(link, fd);
        }
        return r;
}

static int on_start_reply(Varlink *link, json_object *params, const char *error_id, bool continues,
                          void *userdata) {
        RunState *st = userdata;
        json_object *session = NULL;
        const char *id, *state = NULL, *result = NULL;

        /* A controller that stops (a restart, an upgrade) lets the session run on: follow it
         * again once the controller is back (or, if it never named the session, say so). */
        if (error_id && streq(error_id, VARLINK_ERROR_DISCONNECTED)) {
                st->lost = true;
                return 0;
        }
        if (error_id) {
                st->exit_code = ctl_exit_code(ctl_handle_error("io.openmono.Manager.StartSession", error_id,
                                                               params, st->params));
                /* Found nowhere on the sandbox's PATH: as a shell says it. */
                if (streq(error_id, OM_ERROR_COMMAND_NOT_FOUND))
                        st->exit_code = EXIT_NOT_FOUND;
                st->done = true;
                return 0;
        }
        (void) json_get_object(params, "session", &session);
        if (!st->id && json_get_string(session, "id", &id) >= 0) {
                st->id = strdup(id);
                /* Under systemd (openmono@.service, Type=notify), started means the session is;
                 * and since journald credits the session's output to the session's unit, this
                 * unit's journal says where to look. */
                if (getenv("NOTIFY_SOCKET")) {
                        log_info("Started session %s; its output: journalctl --namespace=" SESSION_LOG_NAMESPACE
                                 " -u openmono-session-%s.service", id, id);
                        (void) sd_notifyf(/* unset_environment= */ false, "READY=1\nSTATUS=Session %s started.", id);
                }
        }
        if (!st->unit && json_get_string(session, "unit", &id) >= 0)
                st->unit = strdup(id);
        (void) json_get_string(session, "state", &state);
        if (continues)
                return 0;

        st->done = true;
        st->exit_code = ctl_session_exit_code(session, st->command);
        (void) json_get_string(session, "result", &result);
        if (streq_ptr(state, "failed"))
                log_error("Session %s failed to start (%s); see: openmonoctl session logs %s",
                          strna(st->id), strna(result), strna(st->id));
        return 0;
}

/* Asks the controller, on a second connection, to stop the session we are waiting for. */
static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        _cleanup_(varlink_unrefp) Varlink *link = NULL;
        _cleanup_(json_object_putp) json_object *p = json_object_new_object();
        RunState *st = userdata;

        if (!st->id || !p || ctl_connect(&link) < 0)
                return sd_event_exit(sd_event_source_get_event(s), 0);
        (void) json_add_string(p, "id", st->id);
        log_info("Stopping session %s...", st->id);
        (void) ctl_call(link, "io.openmono.Manager.StopSession", p, NULL);
        return 0;
}

/* Follows the session again on a new connection after the controller went away; connecting
 * starts it again through its socket. Waits a little longer before each try, forwarding the
 * terminal meanwhile. Returns 0 once it follows the session, or a negative errno. */
static int rewatch_session(sd_event *e, Varlink **link, RunState *st) {
        _cleanup_(json_object_putp) json_object *p = json_object_new_object();
        const char *path = getenv("OPENMONO_SOCKET") ?: RUNDIR "/io.openmono.Manager";
        uint64_t delay = 50 * 1000;
        int r;

        if (!p || json_add_string(p, "id", st->id) < 0)
                return -ENOMEM;
        for (unsigned attempt = 0; attempt < 25; attempt++) {
                uint64_t until = now(CLOCK_MONOTONIC) + delay;
                while (now(CLOCK_MONOTONIC) < until) {
                        r = sd_event_run(e, until - now(CLOCK_MONOTONIC));
                        if (r < 0)
                                return r;
                }
                delay = MIN(delay * 2, 2000000ULL);
                *link = varlink_unref(*link);
                if (varlink_connect_address(path, link) < 0)
                        continue;
                r = varlink_attach_event(*link, e, 0);
                if (r >= 0)
                        r = varlink_invoke(*link, "io.openmono.Manager.WatchSession", p, true, on_start_reply, st);
                if (r >= 0)
                        return 0;
        }
        return -EHOSTDOWN;
}

static int wait_for_session(Varlink **link, json_object *params, RunState *st) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(pty_forward_freep) PtyForward *pty = NULL;
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        r = sd_event_new(&e);
        if (r >= 0)
                r = sd_event_add_signal(e, NULL, SIGINT, on_signal, st);
        if (r >= 0)
                r = sd_event_add_signal(e, NULL, SIGTERM, on_signal, st);
        if (r >= 0 && st->pty_master >= 0)
                r = pty_forward_new(e, steal_fd(st->pty_master), &pty);
        if (r >= 0)
                r = varlink_attach_event(*link, e, 0);
        st->params = params;
        if (r >= 0)
                r = varlink_invoke(*link, "io.openmono.Manager.StartSession", params, true, on_start_reply, st);
        if (r < 0)
                return log_error_errno(r, "Failed to wait for the session: %m");

        while (!st->done) {
                if (st->lost || !varlink_is_connected(*link)) {
                        /* Before the controller named the session there is nothing to follow. */
                        if (!st->id)
                                break;
                        log_debug("Lost the controller, following session %s again.", st->id);
                        st->lost = false;
                        r = rewatch_session(e, link, st);
                        if (r < 0)
                                return log_error_errno(r, "Lost the controller and could not reach it again; "
                                                       "session %s may still run (see: openmonoctl session wait %s).",
                                                       st->id, st->id);
                        continue;
                }
                r = sd_event_run(e, UINT64_MAX);
                if (r < 0)
                        return log_error_errno(r, "Event loop failed: %m");
        }
        if (!st->done)
                return log_error_errno(ECONNRESET, "Lost the connection to the controller before the session started; "
                                       "see: openmonoctl session list");
        return 0;
}

/* Runs a's command in a session and waits for it unless detached. */
static int run_session(RunArgs *a) {
        _cleanup_(varlink_unrefp) Varlink *link = NULL;
        _cleanup_(json_object_putp) json_object *params = NULL;
        RunState st = { .exit_code = EXIT_FAILURE, .pty_master = -EBADF,
                        .command = a->command ? a->command[0] : NULL };
        json_object *reply, *session = NULL;
        const char *id = NULL;
        int r;

        /* Our output is the journal stream of a service (openmono@.service, a cron job's):
         * passed on, the session's output would land in the system journal as ours, past the
         * session's journal namespace and its rate limit. The session logs into its namespace
         * by itself instead, and we only wait for it. */
        a->to_journal = fd_is_journal_stream(STDOUT_FILENO);
        r = build_start_parameters(a, &params);
        if (r < 0)
                return log_oom();
        r = ctl_connect(&link);
        if (r < 0)
                return r;
        r = push_fds(link, a, &st);
        if (r < 0) {
                safe_close(st.pty_master);
                return r;
        }

        if (a->detach) {
                r = ctl_call(link, "io.openmono.Manager.StartSession", params, &reply);
                if (r < 0)
                        return r;
                (void) json_get_object(reply, "session", &session);
                (void) json_get_string(session, "id", &id);
                if (arg_json)
                        ctl_print_json(session);
                else
                        printf("%s\n", strna(id));
                return 0;
        }

        r = wait_for_session(&link, params, &st);
        free(st.id);
        free(st.unit);
        safe_close(st.pty_master);
        if (r < 0)
                return r;
        /* The command's own exit status is ours; negative values would be taken for errors. */
        return st.exit_code == 0 ? 0 : CTL_EXIT_STATUS(st.exit_code);
}

int verb_run(int argc, char *argv[]) {
        _cleanup_(run_args_done) RunArgs a = {};
        int r;

        r = parse_run_argv(argc, argv, &a);
        if (r <= 0)
                return r;
        r = read_job_task(&a);
        if (r < 0)
                return r;
        if (!a.command && !a.task && !a.project)
                return log_error_errno(EINVAL, "Nothing to run: give a task, or a command after '--'.");
        return run_session(&a);
}

/* openmonoctl shell: an interactive login shell in a session. */
int verb_shell(int argc, char *argv[]) {
        _cleanup_(run_args_done) RunArgs a = {};
        int r;

        r = parse_run_argv(argc, argv, &a);
        if (r <= 0)
                return r;
        if (a.command || a.task)
                return log_error_errno(EINVAL, "'shell' takes no command; use 'run' for that.");
        if (a.detach)
                return log_error_errno(EINVAL, "An interactive shell cannot be detached.");
        r = strv_extend(&a.command, access("/bin/bash", X_OK) >= 0 ? "/bin/bash" : "/bin/sh");
        if (r < 0)
                return log_oom();
        return run_session(&a);
}
