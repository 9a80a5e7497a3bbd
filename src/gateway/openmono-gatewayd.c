/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* openmono-gatewayd: parses options, builds the Manager and runs its event loop. */

#include <getopt.h>
#include <signal.h>

#include <curl/curl.h>

#include "gateway-config.h"
#include "log.h"
#include "manager.h"
#include "strv.h"

static const char *arg_socket = NULL;
static char **arg_config_dirs = NULL;
static bool arg_fifo = false;
static bool arg_check_config = false;
static const char *arg_root = NULL;

static void help(void) {
        printf("%s [OPTIONS...]\n\n"
               "The OpenMono inference gateway. Normally started by openmono-gatewayd.socket.\n\n"
               "  -h --help             Show this help\n"
               "     --version          Show package version\n"
               "     --socket=PATH      Listen on PATH when not socket-activated\n"
               "                        (default: %s)\n"
               "     --config-dir=DIR   Read gateway.conf from DIR instead of the standard\n"
               "                        directories (may be repeated, later ones win)\n"
               "     --fifo             Debugging and benchmarks: serve requests first come,\n"
               "                        first served, with no fairness between users\n"
               "     --check-config     Check gateway.conf, print what is wrong and exit\n"
               "                        non-zero on errors (ExecReload= runs it)\n"
               "     --root=PATH        With --check-config, check the files below PATH\n"
               "\nSee the openmono-gatewayd(8) man page for details.\n",
               program_invocation_short_name, GATEWAY_SOCKET_PATH);
}

/* Returns 1 to go on, 0 to exit successfully, <0 on a usage error. */
static int parse_argv(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_SOCKET, ARG_CONFIG_DIR, ARG_FIFO, ARG_CHECK_CONFIG, ARG_ROOT };
        static const struct option options[] = {
                { "help",       no_argument,       NULL, 'h'            },
                { "version",    no_argument,       NULL, ARG_VERSION    },
                { "socket",     required_argument, NULL, ARG_SOCKET     },
                { "config-dir", required_argument, NULL, ARG_CONFIG_DIR },
                { "fifo",         no_argument,       NULL, ARG_FIFO         },
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
                        printf("openmono-gatewayd %s\n", PROJECT_VERSION);
                        return 0;
                case ARG_SOCKET:
                        arg_socket = optarg;
                        break;
                case ARG_CONFIG_DIR:
                        if (strv_extend(&arg_config_dirs, optarg) < 0)
                                return log_oom();
                        break;
                case ARG_FIFO:
                        arg_fifo = true;
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

/* Prints what is wrong with gateway.conf, one line per problem naming file, line and key (the
 * upstreams' keys are credentials of the running service and are not read). Exits 1 on errors. */
static int check_config(void) {
        _cleanup_(gateway_config_unrefp) GatewayConfig *c = NULL;
        _cleanup_(config_diagnostics_done) ConfigDiagnostics d = {};
        int r;

        r = gateway_config_load(arg_config_dirs ? (const char *const *) arg_config_dirs : CONFIG_DIRS_STANDARD,
                                arg_root, /* credentials_dir= */ NULL, &c, &d);
        STRV_FOREACH(w, d.warnings)
                printf("warning: %s\n", *w);
        if (r < 0)
                printf("error: %s\n", d.error ?: strerror(-r));
        fflush(stdout);
        fprintf(stderr, "gateway.conf: %s, %zu warning(s).\n", r < 0 ? "broken" : "good", strv_length(d.warnings));
        return r < 0 ? 1 : 0;
}

static int run(int argc, char *argv[]) {
        _cleanup_(manager_freep) Manager *m = NULL;
        sigset_t mask;
        int r;

        log_parse_environment();
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        if (arg_check_config)
                return check_config();

        /* sd-event takes these as signals only when they are blocked. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        (void) signal(SIGPIPE, SIG_IGN);

        r = manager_new(&m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the gateway: %m"), 1;
        if (arg_config_dirs) {
                strv_free(m->config_dirs);
                m->config_dirs = steal_ptr(arg_config_dirs);
        }
        m->fifo = arg_fifo;
        r = sd_event_set_signal_exit(m->event, true);
        if (r < 0)
                return log_error_errno(r, "Failed to handle SIGTERM/SIGINT: %m"), 1;
        r = manager_load_config(m);
        if (r < 0)
                return 1;
        r = manager_listen(m, arg_socket ?: GATEWAY_SOCKET_PATH);
        if (r < 0)
                return 1;
        log_info("OpenMono inference gateway %s started.", PROJECT_VERSION);
        r = manager_run(m);
        return r < 0 ? 1 : 0;
}

int main(int argc, char *argv[]) {
        int r;

        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                log_error("Failed to initialize libcurl.");
                return 1;
        }
        r = run(argc, argv);
        curl_global_cleanup();
        strv_free(arg_config_dirs);
        return r;
}
