/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The scheduled-job methods of io.openmono.Manager (cron-varlink.c) and the past runs of a job
 * (cron-history.c). The job files themselves are src/shared/cron-job.[ch], shared with
 * openmono-generator. */

#include "cron-job.h"
#include "manager.h"

/* How many runs GetCronHistory returns without a limit, and at most. */
#define CRON_HISTORY_LIMIT_DEFAULT 20U
#define CRON_HISTORY_LIMIT_MAX 1000U

/* The cron methods' part of the IDL, and their bindings. */
const char *cron_varlink_idl(void);
int cron_varlink_bind(Manager *m);

/* How an operation on systemd for a scheduled job ended: r is 0, or a negative errno with why
 * (may be NULL) saying what went wrong. It answers the call on link; *job is the job the
 * operation was given, which it may steal to keep (it is freed afterwards otherwise). */
typedef void (*CronDone)(Manager *m, Varlink *link, CronJob **job, int r, const char *why);

/* These do not wait: each takes the job, and done runs exactly once, from the event loop or
 * (if nothing could be sent) before the function returns. */

/* Runs "systemd-analyze calendar -- expr": r is 0 if systemd accepts it, -EINVAL with
 * systemd-analyze's complaint if not, -ENOENT if systemd-analyze is not installed. */
void cron_check_calendar(Manager *m, Varlink *link, CronJob *job, const char *expr, CronDone done);
/* Brings systemd in line with the job file: stops the timer if it is not active any more,
 * reloads (the generator makes the units), starts the timer if it is active. */
void cron_sync_systemd(Manager *m, Varlink *link, CronJob *job, bool active, CronDone done);
/* Asks systemd to start unit (a job's service, run by hand). */
void cron_start_unit(Manager *m, Varlink *link, CronJob *job, const char *unit, CronDone done);

/* Reads the last limit runs of job name from the system journal, newest first: the entries
 * with the catalogued "cron run finished" MESSAGE_ID that root logged for the job. Returns 0
 * and a new JSON array of CronRun objects (time_usec, result, exit_code, exit_status,
 * duration_usec; fields the entry lacks are left out) in *ret, or a negative errno. Needs the
 * permission to read the system journal. Does not log. */
int cron_history_read(const char *name, unsigned limit, json_object **ret);
