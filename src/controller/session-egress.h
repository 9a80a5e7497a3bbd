/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the controller and openmono-egressd tell each other about a session: the controller writes
 * the names a session may reach to RUNDIR/egress/<ID>.conf (root:openmono-egress 0640), the proxy
 * writes what it let through and refused to /run/openmono-egress/<ID>. The formats are plain
 * text; formatting and parsing are pure, the rest does the file handling. */

#include <stdbool.h>
#include <stdint.h>

#include "egress-counts.h"

#define SESSION_EGRESS_SUBDIR "egress"
#define SESSION_EGRESS_GROUP "openmono-egress"
/* openmono-egressd's RuntimeDirectory=. */
#define SESSION_EGRESS_COUNTS_DIR EGRESS_COUNTS_DIR

/* The policy file of session id that allows domains (normalised patterns; none: nothing is
 * allowed). Returns 0 and a new string in *ret, or -ENOMEM. */
int session_egress_format(const char *id, char *const *domains, char **ret);
/* The names a running session reaches, from its layers as they are now: its own request (own;
 * NULL if it made none) within the project's list and the site's, else the project's list
 * (project; NULL if it sets none) within the site's, else the site's list itself. Within means
 * egress_pattern_list_clamp(): a widened layer never gives more than was asked for. Returns 0 and
 * the list in *ret (NULL or empty for no names), or -ENOMEM. */
int session_egress_effective(char *const *own, char *const *project, char *const *site, char ***ret);
/* Replaces RUNDIR/egress/<id>.conf atomically, readable by the proxy's group only. Returns 0,
 * -ESRCH if that group does not exist, or another negative errno. */
int session_egress_write(const char *runtime_dir, const char *id, char *const *domains);
/* Removes the session's policy file and, unless counts_dir is NULL, the proxy's counts of it.
 * Missing files are no error. */
int session_egress_remove(const char *runtime_dir, const char *counts_dir, const char *id);
/* Removes every policy file (and left-over temporary file) whose session keep() does not know.
 * Returns the number removed or a negative errno. */
int session_egress_sweep(const char *runtime_dir, bool (*keep)(const char *id, void *userdata), void *userdata);

/* Reads the counts of session id from counts_dir. Returns 0, -ENOENT if the proxy has none (no
 * request yet), or another negative errno. */
int session_egress_counts_read(const char *counts_dir, const char *id, EgressCounts *ret);
