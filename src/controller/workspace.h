/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Checking what a caller offers as a workspace, and where a session's command lives. */

#include <errno.h>
#include <sys/types.h>

/* Where a directory is, as a workspace. A workspace is bound read-write into a sandbox that runs
 * as its owner, so it must not be a place whose files the host or the owner's own programs run
 * or trust later, outside the sandbox. */
typedef enum WorkspaceLocation {
        WORKSPACE_LOCATION_OK,
        WORKSPACE_LOCATION_SYSTEM,      /* / or in a system tree (/etc, /usr, /run, ...) */
        WORKSPACE_LOCATION_RUN_USER,    /* at or below /run/user: users' service managers */
        WORKSPACE_LOCATION_HOME,        /* the owner's home or a directory above it */
        WORKSPACE_LOCATION_DOT_DIR,     /* at or below a dot-directory of the home (~/.config) */
        _WORKSPACE_LOCATION_MAX,
        _WORKSPACE_LOCATION_INVALID = -EINVAL,
} WorkspaceLocation;

/* The rule: judges path (absolute; repeated and trailing slashes do not count) for an owner whose
 * home is home (may be NULL). Pure: looks at the strings only, so path must already be canonical,
 * as readlink() of /proc/self/fd/N gives it; a path or home with "." or ".." components is
 * _WORKSPACE_LOCATION_INVALID, as is a relative one. */
WorkspaceLocation workspace_location_check(const char *path, const char *home);

/* Verifies that fd (opened by the caller, passed over the socket) is a directory owned by
 * owner that may serve as a workspace, and returns its path. The path is checked against the
 * fd, so a path swapped after the client opened it is refused. Returns 0, -ENOTDIR, -EPERM
 * (not the owner's), -ESTALE (moved), or for a refused location (workspace_location_check()):
 * -EBUSY (system), -EXDEV (/run/user), -EISDIR (the home or above) or -EACCES (dot-directory). */
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
