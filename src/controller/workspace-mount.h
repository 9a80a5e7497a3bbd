/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Pinning what a session binds. systemd resolves a BindPaths= source when the unit starts, as
 * root and following symlinks, so a source path that passes through a directory its user controls
 * can be swapped (renameat2(RENAME_EXCHANGE) with a symlink) between our check and systemd's mount.
 * Instead, the controller clones the very directory it checked into a detached mount and attaches
 * it at a root-only place of its own, <runtime_dir>/mounts/<session-id>/<name>, and systemd binds
 * that. The pin is only needed until the session's mount namespace holds its own bind: it goes
 * once the unit is past starting (Type=exec), when it fails to start, and at the controller's
 * start-up (what a crashed controller left behind). */

#include <stdbool.h>
#include <sys/types.h>

/* Names of the pins below a session's directory. */
#define WORKSPACE_MOUNT_WORKSPACE "workspace"
#define WORKSPACE_MOUNT_STORAGE "storage"

/* Attaches a clone of the directory fd refers to (that mount only, not what is mounted below
 * it), nosuid, nodev and with private propagation, at <runtime_dir>/mounts/<id>/<name>. Checks on
 * the clone itself that it is the inode of fd, a directory, and owned by owner. When fd is on a
 * mount of another mount namespace, the directory at path (may be NULL) in the controller's is
 * taken instead if it is the same inode. Returns 0 and the pin's path in *ret_path; -EINVAL if fd
 * is in another mount namespace and path is NULL, -ESTALE if path is not the same inode, -EPERM
 * for another owner, -ENOTDIR, or what the mount calls fail with. */
int workspace_mount_pin(const char *runtime_dir, const char *id, const char *name, int fd, const char *path,
                        uid_t owner, char **ret_path);

/* Detaches the pins of session id and removes its directory. Returns 0, also when there was
 * nothing, or the first error. */
int workspace_mount_unpin(const char *runtime_dir, const char *id);

/* Unpins every session below <runtime_dir>/mounts. Returns the number removed or the first error. */
int workspace_mount_unpin_all(const char *runtime_dir);

/* Opens the directory at the absolute path without following a symlink in any component
 * (openat2() with RESOLVE_NO_SYMLINKS, or one component at a time with O_NOFOLLOW where the kernel
 * lacks it). Returns the fd (O_DIRECTORY|O_CLOEXEC) or a negative errno, -ELOOP for a symlink. */
int open_directory_nofollow(const char *path);
