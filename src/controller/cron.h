/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The scheduled-job methods of io.openmono.Manager (cron-varlink.c) and the past runs of a job
 * (cron-history.c). The job files themselves are src/shared/cron-job.[ch], shared with
 * openmono-generator. */

#include "manager.h"

/* How many runs GetCronHistory returns without a limit, and at most. */
#define CRON_HISTORY_LIMIT_DEFAULT 20U
#define CRON_HISTORY_LIMIT_MAX 1000U

/* The cron methods' part of the IDL, and their bindings. */
const char *cron_varlink_idl(void);
int cron_varlink_bind(Manager *m);

/* Runs "systemd-analyze calendar -- expr". Returns 0 if systemd accepts it, -EINVAL with
 * systemd-analyze's complaint in *ret_error (may be NULL) if not, -ENOENT if systemd-analyze is
 * not installed, or another negative errno. */
int cron_check_calendar(const char *expr, char **ret_error);

/* Reads the last limit runs of job name from the system journal, newest first: the entries
 * with the catalogued "cron run finished" MESSAGE_ID that root logged for the job. Returns 0
 * and a new JSON array of CronRun objects (time_usec, result, exit_code, exit_status,
 * duration_usec; fields the entry lacks are left out) in *ret, or a negative errno. Needs the
 * permission to read the system journal. Does not log. */
int cron_history_read(const char *name, unsigned limit, json_object **ret);
