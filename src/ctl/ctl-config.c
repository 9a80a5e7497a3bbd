/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* openmonoctl config check: every configuration file checked by the programs that read it, as
 * systemd-analyze verify and nginx -t do, so what is checked is exactly what they would load. */

#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"

/* Runs one checker with the caller's stdout and stderr. Returns its exit status, or a negative
 * errno if it could not run. */
static int run_checker(const char *path, const char *root) {
        pid_t pid;
        int status;

        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                if (root)
                        execl(path, path, "--check-config", "--root", root, (char *) NULL);
                else
                        execl(path, path, "--check-config", (char *) NULL);
                log_error_errno(errno, "Failed to run %s: %m", path);
                _exit(127);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static int config_check(const char *root) {
        static const char *const checkers[] = {
                LIBEXECDIR "/openmono/openmonod",
                LIBEXECDIR "/openmono/openmono-gatewayd",
        };
        bool broken = false;

        for (size_t i = 0; i < ELEMENTSOF(checkers); i++) {
                int r;

                fflush(stdout);
                r = run_checker(checkers[i], root);
                if (r < 0)
                        return log_error_errno(r, "Failed to run %s: %m", checkers[i]);
                broken = broken || r != 0;
        }
        return broken ? CTL_EXIT_STATUS(1) : 0;
}

int verb_config(int argc, char *argv[]) {
        if (argc >= 2 && streq(argv[1], "check") && argc <= 3)
                return config_check(argc == 3 ? argv[2] : NULL);
        return log_error_errno(EINVAL, "Usage: openmonoctl config check [ROOT]");
}
