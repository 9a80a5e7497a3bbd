/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The table of openmonoctl's verbs and sub-verbs, with what --help says of each. It is the one
 * place help lives: main() answers -h/--help from it before a verb sees its arguments, so no verb
 * can take "--help" for a name, connect first, or print another verb's text. */

#include <stdio.h>

#include "ctl.h"

#define LIMIT_OPTIONS                                                                           \
        "     --memory-max=BYTES   Memory limit (K, M, G suffixes: 512M)\n"                    \
        "     --tasks-max=N        Process/thread limit\n"                                     \
        "     --cpu-quota=PERCENT  CPU limit (100% = one CPU)\n"                               \
        "     --runtime-max=TIME   Stop the session after this long (90s, 2h 30min)\n"

#define NETWORK_OPTIONS                                                                         \
        "     --network=POLICY     none, proxy, intranet (default), allowlist, internet (admins)\n" \
        "     --allow=CIDR         Extra network to allow (repeatable; allowlist needs one)\n"   \
        "     --allow-domain=NAME  Reach NAME or *.SUFFIX through the egress proxy, within the\n" \
        "                          site's AllowDomain= (repeatable)\n"

#define RUN_OPTIONS                                                                             \
        "  -w --workspace=DIR      Directory to work in (must be yours)\n"                     \
        "  -p --project=PROJECT    Run a session of PROJECT (see 'openmonoctl project')\n"     \
        NETWORK_OPTIONS                                                                         \
        "     --grant=SECRET       Hand this session your own secret (repeatable)\n"           \
        "     --project-id=ID      Run PROJECT only if it is still the project with this id\n" \
        LIMIT_OPTIONS                                                                           \
        "  -P --pipe               Pass stdin/stdout/stderr even on a terminal\n"

#define PROJECT_OPTIONS                                                                          \
        "Options:\n"                                                                             \
        "  -w --workspace=DIR       The project's workspace (identity 'owner'; must be yours)\n" \
        "     --identity=ID         owner (run as you on the workspace; default) or dynamic\n"   \
        "                           (run as om-NAME on a workspace managed by OpenMono)\n"       \
        "     --description=TEXT    What the project is\n"                                       \
        "     --task=TEXT           The agent task openmono@NAME.service runs\n"                 \
        "     --template=NAME       The agent's instructions and model from\n"                   \
        "                           templates/NAME.template (\"\" removes it)\n"                 \
        NETWORK_OPTIONS                                                                          \
        LIMIT_OPTIONS                                                                            \
        "     --user=USER --group=GROUP\n"                                                       \
        "                           Who else may start sessions (identity 'dynamic' only;\n"     \
        "                           repeatable)\n"                                               \
        "     --grant=SECRET        A secret its sessions receive as a credential\n"             \
        "                           (repeatable; see 'secret')\n\n"                              \
        "NAME is 1 to 28 letters, digits, '_' or '-', starting with a letter or digit.\n"

#define SECRET_OPTIONS                                                                          \
        "Options:\n"                                                                            \
        "     --user=USER           Act on USER's secrets (administrators)\n"                   \
        "     --default             Act on the defaults every user receives unless they\n"      \
        "                           set their own (administrators)\n"

#define TRANSCRIPT_OPTIONS                                                                      \
        "The controller reads them for you from your storage and your dynamic projects' state.\n\n" \
        "Options:\n"                                                                            \
        "     --user=USER           Another user's transcripts (administrators)\n"

#define EXIT_STATUS_RUN                                                                          \
        "\nExit status: the command's own; 128+N if killed by signal N; 124 if stopped by a\n"   \
        "runtime limit; 125 if the sandbox could not be set up; 126 if the command cannot be\n"  \
        "executed; 127 if it does not exist. Before the session starts: 1 failure, 2 usage\n"    \
        "error, 3 controller not reachable, 4 permission denied. See openmonoctl(1).\n"

const CtlVerb ctl_verbs[] = {
        { "status", NULL, verb_status, "Show the controller's state and who you are to it", "",
          "Show whether the controller is reachable, its version, uptime, sessions and\n"
          "connections, who you are to it, and whether its configuration loaded.\n" },

        { "run", NULL, verb_run, "Run an agent task or a command in a sandboxed session",
          "[OPTIONS...] -w DIR|-p PROJECT [\"TASK\" | -- COMMAND [ARGS...]]",
          "Run the agent on TASK, or COMMAND, in a sandboxed session that sees DIR (or the\n"
          "project's workspace) at /workspace. Without either, runs the project's own task.\n\n"
          RUN_OPTIONS
          "  -d --detach             Do not wait; output goes to the journal\n"
          "     --job-credential=NAME  The task of the scheduled job whose file is the\n"
          "                          service credential NAME (openmono-cron-*.service)\n"
          "  -h --help               Show this help\n"
          EXIT_STATUS_RUN },

        { "shell", NULL, verb_shell, "Open an interactive shell in a sandboxed session",
          "[OPTIONS...] -w DIR|-p PROJECT",
          "Open an interactive login shell (bash, or sh) in a sandboxed session that sees DIR\n"
          "(or the project's workspace) at /workspace.\n\n"
          RUN_OPTIONS
          "  -h --help               Show this help\n"
          EXIT_STATUS_RUN },

        { "session", NULL, verb_session, "List, show, stop sessions and read their logs", "COMMAND", NULL },
        { "session", "list", NULL, "List your sessions (all sessions for administrators)", "[OPTIONS...]",
          "  -a --all                 Also the sessions that ended recently (7 days, 500 at most)\n"
          "     --user=USER           Only USER's sessions\n"
          "     --project=PROJECT     Only sessions of PROJECT ('-': sessions without a project)\n"
          "     --state=STATE         Only sessions in STATE (running, exited, failed...)\n" },
        { "session", "show", NULL, "Show a session's state, how it ended and its resource use", "ID", NULL },
        { "session", "status", NULL, "Show a session's state and its last lines of output", "ID", NULL },
        { "session", "stop", NULL, "Stop a session", "ID", NULL },
        { "session", "wait", NULL, "Wait for a session to end, and exit with its exit status", "ID", NULL },
        { "session", "logs", NULL, "Show (and follow) a session's output in the journal", "[-f] ID",
          "  -f --follow              Keep printing new output until the session ends\n" },

        { "project", NULL, verb_project, "Add, list, show, change and remove projects", "COMMAND", NULL },
        { "project", "list", NULL, "List the projects you may start sessions of", "", NULL },
        { "project", "show", NULL, "Show a project's settings", "NAME", NULL },
        { "project", "add", NULL, "Create a project of your own", "NAME [OPTIONS...]", PROJECT_OPTIONS },
        { "project", "set", NULL, "Change settings of your project", "NAME [OPTIONS...]", PROJECT_OPTIONS },
        { "project", "remove", NULL, "Remove your project", "NAME", NULL },

        { "cron", NULL, verb_cron, "Schedule agent runs as systemd timers", "COMMAND", NULL },
        { "cron", "list", NULL, "List scheduled jobs with their next and last run", "", NULL },
        { "cron", "show", NULL, "Show a job", "NAME", NULL },
        { "cron", "add", NULL, "Schedule a session of a project", "NAME [OPTIONS...]",
          "Options:\n"
          "  -p --project=PROJECT     The project whose session runs (required)\n"
          "     --on-calendar=EXPR    When, in systemd's OnCalendar= syntax\n"
          "     --every=WHEN          Or: hourly, daily, weekly, monthly, N-minutes, N-hours\n"
          "     --task=TEXT           The agent's task (default: the project's own task)\n"
          "     --randomized-delay=TIME  Spread the start over this long\n"
          "     --persistent          Catch up on a run missed while the machine was off\n"
          "     --time-limit=TIME     Stop a run after this long\n"
          "     --disabled            Add the job without enabling its timer\n" },
        { "cron", "remove", NULL, "Remove a job", "NAME", NULL },
        { "cron", "enable", NULL, "Let a job's timer fire again", "NAME", NULL },
        { "cron", "disable", NULL, "Stop a job's timer, keeping the job", "NAME", NULL },
        { "cron", "run-now", NULL, "Start a run now", "NAME", NULL },
        { "cron", "history", NULL, "Last runs, newest first: time, result, exit status, duration", "NAME", NULL },
        { "cron", "finished", NULL, "Record a finished run (run by the job's own service only)", "NAME", NULL },

        { "secret", NULL, verb_secret, "Set, list and remove secrets sessions receive", "[OPTIONS...] COMMAND",
          SECRET_OPTIONS },
        { "secret", "list", NULL, "List your secrets and the defaults (never values)", "[OPTIONS...]",
          SECRET_OPTIONS },
        { "secret", "set", NULL, "Store a secret", "[OPTIONS...] NAME",
          "The value is read from standard input, or asked for without echo on a terminal.\n\n"
          SECRET_OPTIONS },
        { "secret", "rm", NULL, "Remove a secret", "[OPTIONS...] NAME", SECRET_OPTIONS },
        { "secret", "rotate-key", NULL, "Replace the master key, re-encrypting every secret (administrators)",
          "", NULL },

        { "transcript", NULL, verb_transcript, "List and show the agent's transcripts", "[OPTIONS...] COMMAND",
          TRANSCRIPT_OPTIONS },
        { "transcript", "list", NULL, "List your agent runs' transcripts, oldest first", "[OPTIONS...]",
          TRANSCRIPT_OPTIONS "     --all                 Every user's transcripts (administrators)\n" },
        { "transcript", "show", NULL, "Print one transcript (JSON lines)", "[OPTIONS...] ID", TRANSCRIPT_OPTIONS },

        { "usage", NULL, verb_usage, "Show model requests and tokens per user (from the gateway)", "",
          "Show model requests and tokens per user since the inference gateway started\n"
          "(administrators: every user; others: their own).\n" },

        { "config", NULL, verb_config, "Check the configuration files ('config check')", "COMMAND", NULL },
        { "config", "check", NULL, "Check every configuration file as the programs reading it would",
          "[ROOT]", "ROOT checks the files below another root directory.\n" },
};

const size_t ctl_n_verbs = ELEMENTSOF(ctl_verbs);

const CtlVerb *ctl_verb_find(const char *verb, const char *sub) {
        for (size_t i = 0; i < ctl_n_verbs; i++)
                if (streq(ctl_verbs[i].verb, verb) && streq_ptr(ctl_verbs[i].sub, sub))
                        return &ctl_verbs[i];
        return NULL;
}

/* The sub-verb argv names: the first word after the verb that is one of its sub-verbs, so that
 * options before it ("secret --default list") do not hide it. */
static const CtlVerb *find_sub(int argc, char *argv[]) {
        for (int i = 1; i < argc && !streq(argv[i], "--"); i++) {
                const CtlVerb *v;

                if (argv[i][0] == '-')
                        continue;
                v = ctl_verb_find(argv[0], argv[i]);
                if (v)
                        return v;
        }
        return NULL;
}

void ctl_verb_print_help(const CtlVerb *v) {
        printf("%s %s%s%s%s%s\n\n%s.\n", program_invocation_short_name, v->verb, v->sub ? " " : "",
               v->sub ?: "", isempty(v->synopsis) ? "" : " ", v->synopsis, v->summary);
        if (v->help)
                printf("\n%s", v->help);
        if (v->sub)
                return;
        for (size_t i = 0, n = 0; i < ctl_n_verbs; i++) {
                const CtlVerb *s = &ctl_verbs[i];

                if (!streq(s->verb, v->verb) || !s->sub)
                        continue;
                if (n++ == 0)
                        printf("\nCommands:\n");
                printf("  %-10s %-18s %s\n", s->sub, s->synopsis, s->summary);
        }
}

int ctl_verb_help(int argc, char *argv[]) {
        const CtlVerb *v;

        if (argc <= 0)
                return 0;
        for (int i = 1; i < argc && !streq(argv[i], "--"); i++) {
                if (!streq(argv[i], "-h") && !streq(argv[i], "--help"))
                        continue;
                v = find_sub(argc, argv) ?: ctl_verb_find(argv[0], NULL);
                if (!v)
                        return 0;       /* an unknown verb: the dispatcher says so */
                ctl_verb_print_help(v);
                return 1;
        }
        return 0;
}
