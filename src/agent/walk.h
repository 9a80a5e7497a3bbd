/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A depth-first walk of a directory tree below a directory fd that never follows symlinks, so
 * it stays inside the tree it started in. ".git" directories are skipped: models only get lost
 * in them. */

#include <stdbool.h>
#include <sys/types.h>

/* Called for each entry with its path relative to the walk's start and its parent's fd.
 * Returns 0 to go on, 1 to go on without descending (directories only), or a negative errno
 * (or other negative value) to stop the walk and make walk_tree() return it. */
typedef int (*WalkFunc)(int parent_fd, const char *name, const char *path, bool is_dir, void *userdata);

/* Walks dir_fd to max_depth levels (1 = only its entries), entries sorted by name, with path
 * prefix prefix ("" or "src"). Unreadable directories are skipped. Returns 0 or what the
 * callback stopped with. */
int walk_tree(int dir_fd, const char *prefix, unsigned max_depth, WalkFunc func, void *userdata);
