/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Path containment for the file tools. The kernel does the resolving (openat2 with
 * RESOLVE_BENEATH), so there is no window between checking a path and opening it. */

#include <assert.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "strv.h"
#include "workspace.h"

int openat_beneath(int dir_fd, const char *path, int flags, mode_t mode) {
        struct open_how how = {
                .flags = (uint64_t) (flags | O_CLOEXEC),
                .mode = (flags & (O_CREAT|O_TMPFILE)) ? mode : 0,
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
        };
        int fd;

        fd = (int) syscall(SYS_openat2, dir_fd, path, &how, sizeof how);
        return fd < 0 ? -errno : fd;
}

int workspace_open(const char *path, Workspace **ret) {
        _cleanup_(workspace_freep) Workspace *w = NULL;

        assert(path);
        assert(ret);

        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->fd = NEG_ERRNO(open(path, O_PATH|O_DIRECTORY|O_CLOEXEC));
        if (w->fd < 0)
                return w->fd;
        w->path = realpath(path, NULL);
        if (!w->path)
                return -errno;
        *ret = steal_ptr(w);
        return 0;
}

Workspace *workspace_free(Workspace *w) {
        if (!w)
                return NULL;
        safe_close(w->fd);
        free(w->path);
        return mfree(w);
}

/* Strips prefix from path if it is a whole leading path component sequence. */
static const char *strip_dir(const char *path, const char *prefix) {
        const char *rest = startswith(path, prefix);

        if (!rest || (*rest && *rest != '/' && !streq(prefix, "/")))
                return NULL;
        rest += strspn(rest, "/");
        return *rest ? rest : ".";
}

const char *workspace_relative(const Workspace *w, const char *path) {
        const char *rel;

        if (isempty(path))
                return ".";
        if (path[0] != '/')
                return path;
        rel = strip_dir(path, w->path);
        if (!rel && !streq(w->path, "/workspace"))
                /* Prompts call it /workspace, also when running standalone elsewhere. */
                rel = strip_dir(path, "/workspace");
        return rel;
}

int workspace_open_file(const Workspace *w, const char *path, int flags, mode_t mode) {
        const char *rel;
        int fd;

        assert(w);
        rel = path ? workspace_relative(w, path) : NULL;
        if (!rel)
                return -EXDEV;
        fd = openat_beneath(w->fd, rel, flags, mode);
        /* EAGAIN: a concurrent rename raced the lookup; one retry settles it. */
        if (fd == -EAGAIN)
                fd = openat_beneath(w->fd, rel, flags, mode);
        return fd;
}

int workspace_mkdir_parents(const Workspace *w, const char *path) {
        _cleanup_strv_free_ char **parts = NULL;
        _cleanup_close_ int dir = -EBADF;
        const char *rel;
        size_t n;
        int r;

        rel = workspace_relative(w, path);
        if (!rel)
                return -EXDEV;
        r = strv_split(rel, "/", &parts);
        if (r < 0)
                return r;
        dir = NEG_ERRNO(fcntl(w->fd, F_DUPFD_CLOEXEC, 3));
        if (dir < 0)
                return dir;

        /* Walk down one component at a time: each is created by mkdirat() in a parent that was
         * itself opened beneath the workspace, and opened beneath that parent, so a symlink
         * cannot redirect the walk. The last component is the file itself. */
        n = strv_length(parts);
        for (size_t i = 0; i + 1 < n; i++) {
                int next;

                if (mkdirat(dir, parts[i], 0755) < 0 && errno != EEXIST)
                        return -errno;
                next = openat_beneath(dir, parts[i], O_PATH|O_DIRECTORY, 0);
                if (next < 0)
                        return next;
                safe_close(dir);
                dir = next;
        }
        return 0;
}
