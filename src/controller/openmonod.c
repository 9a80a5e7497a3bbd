/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* openmonod: parses options, builds the Manager and runs its event loop. */

#include <getopt.h>
#include <signal.h>

#include "config-check.h"
#include "log.h"
#include "manager.h"
#include "secret-store.h"
#include "workspace-mount.h"

static const char *arg_socket = NULL;
static bool arg_check_config = false;
static const char *arg_root = NULL;

static void help(void) {
        printf("%s [OPTIONS...]\n\n"
               "The OpenMono controller. Normally started by openmonod.socket.\n\n"
               "  -h --help           Show this help\n"
               "     --version        Show package version\n"
               "     --socket=PATH    Listen on PATH when not socket-activated\n"
               "                      (default: %s)\n"
               "     --check-config   Check every configuration file, print what is wrong\n"
               "                      and exit non-zero on errors (ExecReload= runs it)\n"
               "     --root=PATH      With --check-config, check the files below PATH\n"
               "\nSee the openmonod(8) man page for details.\n",
               program_invocation_short_name, MANAGER_SOCKET_PATH);
}

/* Returns 1 to go on, 0 to exit successfully, <0 on a usage error. */
static int parse_argv(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_SOCKET, ARG_CHECK_CONFIG, ARG_ROOT };
        static const struct option options[] = {
                { "help",         no_argument,       NULL, 'h'              },
                { "version",      no_argument,       NULL, ARG_VERSION      },
                { "socket",       required_argument, NULL, ARG_SOCKET       },
                { "check-config", no_argument,       NULL, ARG_CHECK_CONFIG },
                { "root",         required_argument, NULL, ARG_ROOT         },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("openmonod %s\n", PROJECT_VERSION);
                        return 0;
                case ARG_SOCKET:
                        arg_socket = optarg;
                        break;
                case ARG_CHECK_CONFIG:
                        arg_check_config = true;
                        break;
                case ARG_ROOT:
                        arg_root = optarg;
                        break;
                default:
                        return -EINVAL;
                }
        if (optind < argc)
                return log_error_errno(EINVAL, "%s takes no arguments.", program_invocation_short_name);
        return 1;
}

/* Like nginx -t: what is wrong goes to stdout, one line per problem naming file, line and key;
 * the exit status is 1 if anything would keep sessions from starting. */
static int check_config(void) {
        _cleanup_free_ char *state_dir = NULL;
        ConfigCheckResult res;
        int r;

        if (asprintf(&state_dir, "%s%s", arg_root ?: "", STATEDIR) < 0)
                return log_oom(), 1;
        r = config_check_all(arg_root, state_dir, stdout, &res);
        if (r < 0)
                return log_error_errno(r, "Failed to check the configuration: %m"), 1;
        fflush(stdout);
        fprintf(stderr, "Controller configuration: %s, %u error(s), %u warning(s).\n",
                res.errors > 0 ? "broken" : "good", res.errors, res.warnings);
        return res.errors > 0 ? 1 : 0;
}

int main(int argc, char *argv[]) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        log_parse_environment();
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        if (arg_check_config)
                return check_config();

        (void) signal(SIGPIPE, SIG_IGN);

        r = manager_new(&m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the controller: %m"), 1;
        r = manager_handle_signals(m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up signal handling: %m"), 1;
        /* A broken config is logged and refuses new sessions, but the controller serves: every
         * user gets an answer saying why, status shows it, and sessions already running do not
         * depend on it. */
        (void) manager_load_config(m);
        r = manager_listen(m, arg_socket ?: MANAGER_SOCKET_PATH);
        if (r < 0)
                return 1;
        /* Secrets staged for sessions that started while an earlier controller ran have been
         * copied by systemd or are of no use any more. */
        r = secret_unstage_all(m->runtime_dir);
        if (r < 0)
                log_warning_errno(r, "Failed to remove staged credentials, ignoring: %m");
        /* The same for pinned workspaces: running sessions hold binds of their own. */
        r = workspace_mount_unpin_all(m->runtime_dir);
        if (r < 0)
                log_warning_errno(r, "Failed to remove pinned workspaces, ignoring: %m");
        r = manager_recover_sessions(m);
        if (r < 0)
                log_warning_errno(r, "Failed to look for running sessions, continuing without: %m");
        else if (r > 0)
                log_info("Recovered %d running session(s).", r);
        /* The site's list may have changed while no controller ran, and files of sessions that
         * ended meanwhile are of no use any more. */
        manager_apply_egress(m, /* rewrite= */ true);
        log_info("OpenMono controller %s started.", PROJECT_VERSION);
        r = manager_run(m);
        return r < 0 ? 1 : 0;
}
