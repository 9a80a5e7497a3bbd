/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds arbitrary bytes to the scheduled-job parser as one job file, as a local administrator or
 * a controller bug could write it, and every job that parses through the generator's unit
 * writers. Checks the absence of crashes and leaks, that errors name the file, that a job that
 * parses is written back to a file that parses to the same text, and that its units can be
 * written: validation must refuse anything the unit writers cannot represent. */

#include <stdint.h>

#include "cron-job.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned count_lines_starting(const char *text, const char *prefix) {
        unsigned n = 0;

        for (const char *p = text; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (startswith(p, prefix))
                        n++;
        return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics diag = {};
        _cleanup_(cron_job_freep) CronJob *j = NULL, *k = NULL;
        _cleanup_free_ char *a = NULL, *b = NULL, *timer = NULL, *service = NULL;
        int r;

        if (size > 64 * 1024)
                return 0;
        r = cron_job_parse_buffer("fuzz", "/etc/openmono/cron/fuzz.job", data, size, &j, &diag);
        if (r < 0) {
                if (diag.error && !startswith(diag.error, "/etc/openmono/cron/fuzz.job:"))
                        abort();
                return 0;
        }
        if (cron_job_format(j, &a) < 0)
                abort();
        config_diagnostics_done(&diag);
        if (cron_job_parse_buffer("fuzz", "/etc/openmono/cron/fuzz.job", a, strlen(a), &k, &diag) < 0)
                abort();
        if (cron_job_format(k, &b) < 0 || !streq(a, b))
                abort();
        if (cron_job_format_timer(j, &timer) < 0 || cron_job_format_service(j, "/usr/bin", &service) < 0)
                abort();
        /* One line per setting: nothing the job says may start a line of its own. */
        if (count_lines_starting(service, "ExecStart=") != 1 ||
            count_lines_starting(timer, "OnCalendar=") != 1 ||
            count_lines_starting(service, "LoadCredential=") > 1)
                abort();
        return 0;
}
