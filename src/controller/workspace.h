/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Checking what a caller offers as a workspace, and where a session's command lives. */

#include <sys/types.h>

/* Verifies that fd (opened by the caller, passed over the socket) is a directory owned by
 * owner that may serve as a workspace, and returns its path. The path is checked against the
 * fd, so a path swapped after the client opened it is refused. Returns 0, -ENOTDIR, -EPERM
 * (not the owner's), -EBUSY (a place that must never be a workspace) or -ESTALE (moved). */
int workspace_verify_fd(int fd, uid_t owner, char **ret_path);

/* Says for users what a workspace_verify_fd() error means. */
const char *workspace_error_to_string(int r);

/* Resolves argv[0] as the session will run it: absolute paths stay, paths with a slash are
 * relative to /workspace, bare names are searched in the standard PATH. Returns 0 and a new
 * absolute path, or -ENOENT. */
int resolve_command(const char *name, char **ret);

/* Removes everything systemd keeps for the dynamic project name below root (NULL: /): its
 * workspace (StateDirectory=) and the transcripts of each of its users, with the symlinks systemd
 * points at them from /var/lib. A project re-created under the same name, by anyone, then starts
 * empty. Symlinks inside are removed, never followed. Returns 0 or the first error. */
int workspace_remove_state(const char *root, const char *name);
