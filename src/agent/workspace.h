/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The directory the agent works in, and the only way its file tools open paths: openat2() with
 * RESOLVE_BENEATH|RESOLVE_NO_MAGICLINKS on the workspace's directory fd, so that "..", absolute
 * symlinks and /proc magic links cannot lead outside it, whatever the model asks for. */

#include <stdbool.h>
#include <sys/types.h>

#include "macro.h"

typedef struct Workspace {
        int fd;                 /* O_PATH|O_DIRECTORY */
        char *path;             /* absolute, as opened; used to accept absolute paths inside it */
} Workspace;

/* Opens the workspace directory. Returns 0 and a new object in *ret, or a negative errno. */
int workspace_open(const char *path, Workspace **ret);
Workspace *workspace_free(Workspace *w);
DEFINE_PTR_CLEANUP(Workspace *, workspace_free);

/* Turns a path the model gave into one relative to the workspace: an absolute path inside
 * the workspace loses that prefix, "" and "/workspace-path" become ".". Returns a pointer into
 * path, or NULL for an absolute path elsewhere. */
const char *workspace_relative(const Workspace *w, const char *path);

/* Opens path beneath the workspace with open(2) flags and mode. Returns the fd, -EXDEV for a
 * path that resolves outside the workspace (also through a symlink), or another negative errno. */
int workspace_open_file(const Workspace *w, const char *path, int flags, mode_t mode);

/* Creates the missing parent directories of path beneath the workspace (mode 0755).
 * Returns 0 or a negative errno, -EXDEV as above. */
int workspace_mkdir_parents(const Workspace *w, const char *path);

/* The openat2() call itself, for a directory fd that is not a Workspace. Where a seccomp filter
 * refuses openat2() with ENOSYS, falls back to openat_beneath_emulated(). */
int openat_beneath(int dir_fd, const char *path, int flags, mode_t mode);

/* The same containment in user space: walks path one component at a time with O_NOFOLLOW,
 * resolving relative symlinks itself and refusing absolute ones and any ".." above dir_fd with
 * -EXDEV, at most 40 symlinks deep (-ELOOP). A symlink as the last component is followed the
 * same way; O_NOFOLLOW on the final open refuses one swapped in meanwhile. */
int openat_beneath_emulated(int dir_fd, const char *path, int flags, mode_t mode);
