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
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (asprintf(&tmp, "%s.#XXXXXX", path) < 0)
                return -ENOMEM;
        fd = NEG_ERRNO(mkostemp(tmp, O_CLOEXEC));
        if (fd < 0)
                return fd;
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
