/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Checking every file the controller reads, without starting it: what `openmonod --check-config`
 * prints for ExecReload= and `openmonoctl config check`. */

#include <stdbool.h>
#include <stdio.h>

/* Counts of what a check found. */
typedef struct ConfigCheckResult {
        unsigned errors;
        unsigned warnings;
} ConfigCheckResult;

/* The NAME of a directory entry that is NAME.suffix (or its drop-in directory NAME.suffix.d)
 * with a name valid says is good: returns 1 and the name in *ret, 0 if the entry is no such
 * file, -ENOMEM. */
int config_check_entry_name(const char *entry, const char *suffix, bool (*valid)(const char *name), char **ret);

/* Checks openmono.conf and its drop-ins, every project, template and scheduled job file below
 * root (NULL for /) and state_dir, printing "error: file:line: [Section] Key=: what" and
 * "warning: ..." lines to out. Returns 0 with the counts in *ret, or a negative errno if the
 * check itself could not run. */
int config_check_all(const char *root, const char *state_dir, FILE *out, ConfigCheckResult *ret);
