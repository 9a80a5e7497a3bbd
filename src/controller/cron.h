/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The scheduled-job methods of io.openmono.Manager (cron-varlink.c). The job files themselves
 * are src/shared/cron-job.[ch], shared with openmono-generator. */

#include "manager.h"

/* The cron methods' part of the IDL, and their bindings. */
const char *cron_varlink_idl(void);
int cron_varlink_bind(Manager *m);

/* Runs "systemd-analyze calendar -- expr". Returns 0 if systemd accepts it, -EINVAL with
 * systemd-analyze's complaint in *ret_error (may be NULL) if not, -ENOENT if systemd-analyze is
 * not installed, or another negative errno. */
int cron_check_calendar(const char *expr, char **ret_error);
