/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Path globbing as models know it from shells and editors: "*" and "?" stay within one path
 * component, "**" spans any number of components (none included, so a pattern of "src", "**",
 * "*.c" joined by slashes matches src/a.c as well as src/x/y/a.c), and "[...]" classes are
 * fnmatch()'s. */

#include <stdbool.h>

/* Returns true if the relative path matches pattern. */
bool glob_match(const char *pattern, const char *path);
