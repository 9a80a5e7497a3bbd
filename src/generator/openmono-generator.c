/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* openmono-generator: turns every enabled cron/NAME.job file into openmono-cron-NAME.timer and
 * openmono-cron-NAME.service in the generator's normal directory, with the timer linked into
 * timers.target.wants/. systemd runs it at boot and on every daemon-reload.
 *
 * A generator must not fail the boot, so a broken job file is reported and skipped and the
 * others are still generated. Schedules are only checked for plausibility here (systemd-analyze
 * cannot run from a generator); the controller checks them properly when a job is added, and a
 * schedule systemd does not understand makes the timer unit fail to load, which
 * "systemctl status openmono-cron-NAME.timer" shows. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "cron-job.h"

/* The journal is not always there: at boot generators run before journald. Then the message
 * goes to the kernel log, where journald picks it up later, or to stderr as a last resort. */
static void report(const char *where, const char *message, void *userdata) {
        char line[1024];
        int fd, n;

        if (sd_journal_send("MESSAGE=%s", message, "PRIORITY=%i", LOG_ERR,
                            "SYSLOG_IDENTIFIER=openmono-generator", "OPENMONO_CRON_JOB=%s", where, NULL) >= 0)
                return;
        n = snprintf(line, sizeof line, "<%i>openmono-generator: %s\n", LOG_ERR, message);
        fd = open("/dev/kmsg", O_WRONLY|O_NOCTTY|O_CLOEXEC);
        if (fd >= 0 && n > 0 && write(fd, line, MIN((size_t) n, sizeof line - 1)) >= 0) {
                (void) close(fd);
                return;
        }
        if (fd >= 0)
                (void) close(fd);
        fprintf(stderr, "openmono-generator: %s\n", message);
}

int main(int argc, char *argv[]) {
        _cleanup_(cron_dirs_done) CronDirs dirs = {};
        const char *root = getenv("OPENMONO_GENERATOR_ROOT");  /* for tests: a prefix for all dirs */
        _cleanup_free_ char *state = NULL;
        int r;

        if (argc != 2 && argc != 4) {
                fprintf(stderr, "Usage: %s NORMAL-DIR [EARLY-DIR LATE-DIR]\n", program_invocation_short_name);
                return 1;
        }
        umask(0022);
        if (asprintf(&state, "%s%s", root ?: "", STATEDIR) < 0)
                return 1;
        r = cron_dirs_init(&dirs, root, state);
        if (r < 0)
                return 1;
        r = cron_generate_all(&dirs, BINDIR, argv[1], report, NULL);
        if (r < 0) {
                char msg[256];

                snprintf(msg, sizeof msg, "Failed to list scheduled jobs: %s", strerror(-r));
                report("", msg, NULL);
                return 1;
        }
        /* Bad files were reported; the good ones are generated, and that is not a failure. */
        return 0;
}
