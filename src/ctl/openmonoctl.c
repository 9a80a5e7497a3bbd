/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* openmonoctl: global options and the verb table. Each verb lives in its own ctl-*.c file. */

#include <getopt.h>
#include <signal.h>
#include <stdio.h>

#include "ctl.h"
#include "log.h"

static void help(void) {
        printf("%s [OPTIONS...] COMMAND ...\n\n"
               "Run and manage sandboxed OpenMono agent sessions.\n\n"
               "Commands:\n", program_invocation_short_name);
        for (size_t i = 0; i < ctl_n_verbs; i++)
                if (!ctl_verbs[i].sub)
                        printf("  %-18s %s\n", ctl_verbs[i].verb, ctl_verbs[i].summary);
        printf("\nOptions:\n"
               "  -h --help           Show this help\n"
               "     --version        Show package version\n"
               "     --json           Print machine-readable JSON\n"
               "     --no-legend      Do not print column headers and footers\n"
               "\nExit status: 0 success, 1 failure, 2 usage error, 3 controller not reachable,\n"
               "4 permission denied. See openmonoctl(1).\n"
               "\n'%s COMMAND --help' shows a command's own help.\n", program_invocation_short_name);
}

/* Takes --json and --no-legend out of argv wherever they stand before a "--", so that both
 * "openmonoctl --json status" and "openmonoctl status --json" work. A command given to 'run'
 * after "--" keeps its own options. */
static void extract_output_options(int *argc, char *argv[]) {
        int n = 1;

        for (int i = 1; i < *argc; i++) {
                if (streq(argv[i], "--")) {
                        while (i < *argc)
                                argv[n++] = argv[i++];
                        break;
                }
                if (streq(argv[i], "--json"))
                        arg_json = true;
                else if (streq(argv[i], "--no-legend"))
                        arg_legend = false;
                else
                        argv[n++] = argv[i];
        }
        *argc = n;
        argv[n] = NULL;
}

/* Returns 1 to go on, 0 to exit successfully, <0 on a usage error. */
static int parse_argv(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100 };
        static const struct option options[] = {
                { "help",      no_argument, NULL, 'h'           },
                { "version",   no_argument, NULL, ARG_VERSION   },
                {}
        };
        int c;

        /* "+" stops at the verb, so verbs may take options of their own. */
        while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("openmonoctl %s\n", PROJECT_VERSION);
                        return 0;
                default:
                        return -EINVAL;
                }
        return 1;
}

static int dispatch_verb(int argc, char *argv[]) {
        const CtlVerb *v;

        if (argc <= 0)
                return log_error_errno(EINVAL, "No command given. See '%s --help'.", program_invocation_short_name);
        /* Help first: before a verb connects, checks its arguments or takes "--help" for a name. */
        if (ctl_verb_help(argc, argv) > 0)
                return 0;
        v = ctl_verb_find(argv[0], NULL);
        if (v)
                return v->run(argc, argv);
        return log_error_errno(EINVAL, "Unknown command '%s'. See '%s --help'.", argv[0],
                               program_invocation_short_name);
}

int main(int argc, char *argv[]) {
        int r;

        log_set_target(LOG_TARGET_CONSOLE);
        log_parse_environment();
        (void) signal(SIGPIPE, SIG_IGN);

        extract_output_options(&argc, argv);
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;
        r = dispatch_verb(argc - optind, argv + optind);
        return ctl_exit_code(r);
}
