/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Replaces the file at path with size bytes of data, created with mode: written to a temporary
 * file next to it, flushed to disk, renamed over path, and the directory flushed too. A crash or
 * a full disk leaves either the old file or the new one, never a mix, and no temporary file.
 * Returns 0 or a negative errno (-ENOSPC when the disk is full). */
int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode);
/* The same, owned by uid and gid ((uid_t) -1 and (gid_t) -1 leave them as created) from before
 * the first byte is written. */
int write_file_atomic_full(const char *path, const void *data, size_t size, mode_t mode, uid_t uid, gid_t gid);

/* Sets *ret to the path of the service credential name in $CREDENTIALS_DIRECTORY. Returns 0,
 * -EINVAL for a name that is not a file name, -ENXIO when the variable is not set. */
int credential_path(const char *name, char **ret);

/* Sets *ret to the sorted NAMEs of the files NAME<suffix> in the directories dirs[0..n_dirs-1]
 * (configuration files: projects, cron jobs), each name once, leaving out names valid() refuses
 * and directories that do not exist. Returns 0 or a negative errno. */
int dirs_list_names(const char *const *dirs, size_t n_dirs, const char *suffix, bool (*valid)(const char *name),
                    char ***ret);
