/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* File system helpers. */

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-util.h"
#include "macro.h"
#include "strv.h"

static int write_all(int fd, const void *data, size_t size) {
        const char *p = data;

        while (size > 0) {
                ssize_t k = write(fd, p, size);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += k;
                size -= (size_t) k;
        }
        return 0;
}

static int fsync_parent(const char *path) {
        _cleanup_free_ char *dir = strdup(path);
        _cleanup_close_ int fd = -EBADF;
        char *slash;

        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (!slash)
                strcpy(dir, ".");
        else if (slash == dir)
                slash[1] = 0;
        else
                *slash = 0;
        fd = NEG_ERRNO(open(dir, O_RDONLY|O_DIRECTORY|O_CLOEXEC));
        if (fd < 0)
                return fd;
        return NEG_ERRNO(fsync(fd));
}

int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode) {
        return write_file_atomic_full(path, data, size, mode, (uid_t) -1, (gid_t) -1);
}

int write_file_atomic_full(const char *path, const void *data, size_t size, mode_t mode, uid_t uid, gid_t gid) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (asprintf(&tmp, "%s.#XXXXXX", path) < 0)
                return -ENOMEM;
        fd = NEG_ERRNO(mkostemp(tmp, O_CLOEXEC));
        if (fd < 0)
                return fd;
        /* Owner and mode before the first byte, so nobody else ever reads it. */
        r = uid != (uid_t) -1 || gid != (gid_t) -1 ? NEG_ERRNO(fchown(fd, uid, gid)) : 0;
        if (r >= 0)
                r = NEG_ERRNO(fchmod(fd, mode));
        if (r >= 0)
                r = write_all(fd, data, size);
        if (r >= 0)
                r = NEG_ERRNO(fsync(fd));
        if (r >= 0)
                r = NEG_ERRNO(rename(tmp, path));
        if (r < 0) {
                (void) unlink(tmp);
                return r;
        }
        return fsync_parent(path);
}

int credential_path(const char *name, char **ret) {
        const char *dir = getenv("CREDENTIALS_DIRECTORY");

        if (!name || !*name || strchr(name, '/') || streq(name, ".") || streq(name, ".."))
                return -EINVAL;
        if (!dir)
                return -ENXIO;
        return asprintf(ret, "%s/%s", dir, name) < 0 ? -ENOMEM : 0;
}

/* Adds the names of one directory to *names. */
static int dir_list_names(const char *dir, const char *suffix, bool (*valid)(const char *name), char ***names) {
        _cleanup_(closedirp) DIR *dp = opendir(dir);
        size_t s = strlen(suffix);
        struct dirent *de;

        if (!dp)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(dp))) {
                size_t n = strlen(de->d_name);
                _cleanup_free_ char *name = NULL;

                if (n <= s || !streq(de->d_name + n - s, suffix))
                        continue;
                name = strndup(de->d_name, n - s);
                if (!name)
                        return -ENOMEM;
                if (!valid(name) || strv_contains(*names, name))
                        continue;
                if (strv_consume(names, steal_ptr(name)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int dirs_list_names(const char *const *dirs, size_t n_dirs, const char *suffix, bool (*valid)(const char *name),
                    char ***ret) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        for (size_t i = 0; i < n_dirs; i++) {
                r = dir_list_names(dirs[i], suffix, valid, &names);
                if (r < 0)
                        return r;
        }
        if (names)
                qsort(names, strv_length(names), sizeof(char *), compare_strings);
        *ret = steal_ptr(names);
        return 0;
}
