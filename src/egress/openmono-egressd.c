/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* openmono-egressd: parses options, builds the EgressManager and runs its event loop. */

#include <assert.h>
#include <getopt.h>

#include "egress-manager.h"
#include "log.h"
#include "strv.h"

static const char *arg_socket = EGRESS_SOCKET_PATH;
static char **arg_config_dirs = NULL;
static bool arg_check_config = false;

static void help(void) {
        printf("%s [OPTIONS...]\n\n"
               "The OpenMono egress proxy: lets sessions reach allowed names over HTTP and CONNECT.\n"
               "Normally started by openmono-egressd.socket.\n\n"
               "  -h --help             Show this help\n"
               "     --version          Show package version\n"
               "     --socket=PATH      Listen on PATH when not socket-activated\n"
               "                        (default: %s)\n"
               "     --config-dir=DIR   Read openmono.conf and egress.conf from DIR instead of\n"
               "                        the standard directories (may be repeated)\n"
               "     --check-config     Check the configuration and exit\n"
               "\nSee the openmono-egressd(8) man page for details.\n",
               program_invocation_short_name, EGRESS_SOCKET_PATH);
}

/* Returns 1 to go on, 0 to exit successfully, <0 on a usage error. */
static int parse_argv(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_SOCKET, ARG_CONFIG_DIR, ARG_CHECK_CONFIG };
        static const struct option options[] = {
                { "help",         no_argument,       NULL, 'h'              },
                { "version",      no_argument,       NULL, ARG_VERSION      },
                { "socket",       required_argument, NULL, ARG_SOCKET       },
                { "config-dir",   required_argument, NULL, ARG_CONFIG_DIR   },
                { "check-config", no_argument,       NULL, ARG_CHECK_CONFIG },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("openmono-egressd %s\n", PROJECT_VERSION);
                        return 0;
                case ARG_SOCKET:
                        arg_socket = optarg;
                        break;
                case ARG_CONFIG_DIR:
                        if (strv_extend(&arg_config_dirs, optarg) < 0)
                                return log_oom();
                        break;
                case ARG_CHECK_CONFIG:
                        arg_check_config = true;
                        break;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                log_error("%s takes no arguments.", program_invocation_short_name);
                return -EINVAL;
        }
        return 1;
}

static int run(int argc, char *argv[]) {
        _cleanup_(egress_manager_freep) EgressManager *m = NULL;
        int r;

        log_parse_environment();
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r;
        r = egress_manager_new(&m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up: %m");
        m->config_dirs = steal_ptr(arg_config_dirs);
        r = egress_manager_load_config(m);
        if (r < 0 || arg_check_config)
                return r;
        r = egress_manager_listen(m, arg_socket);
        if (r < 0)
                return r;
        return egress_manager_run(m);
}

int main(int argc, char *argv[]) {
        int r = run(argc, argv);

        strv_free(arg_config_dirs);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
