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

/* Too many symlinks on the way: the kernel's limit. */
#define SYMLINKS_MAX 40

/* One step of the walk: the directory fds from the start down to where we are, so that ".."
 * goes back up without ever leaving the start directory. */
typedef struct Walk {
        int fds[256];
        size_t depth;
} Walk;

static void walk_done(Walk *w) {
        for (size_t i = 1; i <= w->depth; i++)
                safe_close(w->fds[i]);
}

/* Puts the components of target in front of rest; returns the new remaining path. */
static int splice_link(const char *target, const char *rest, char **ret) {
        if (target[0] == '/')
                return -EXDEV;  /* absolute symlinks point out of the tree by definition */
        return asprintf(ret, "%s%s%s", target, *rest ? "/" : "", rest) < 0 ? -ENOMEM : 0;
}

/* Reads the symlink name in dir. */
static int read_link(int dir, const char *name, char **ret) {
        char buf[4096];
        ssize_t n;

        n = readlinkat(dir, name, buf, sizeof buf - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

/* Handles one component: returns 1 when it was a directory entered (or "." or ".."), 2 when it
 * was a symlink whose target was spliced into *path, 0 when it is the last component and not a
 * symlink (the caller opens it), or a negative errno. */
static int walk_step(Walk *w, const char *name, bool last, char **path, const char *rest) {
        _cleanup_free_ char *target = NULL, *spliced = NULL;
        struct stat st;
        int fd, r;

        if (streq(name, "."))
                return 1;
        if (streq(name, "..")) {
                if (w->depth == 0)
                        return -EXDEV;
                safe_close(w->fds[w->depth]);
                w->depth--;
                return 1;
        }
        if (fstatat(w->fds[w->depth], name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return last && errno == ENOENT ? 0 : -errno;
        if (S_ISLNK(st.st_mode)) {
                r = read_link(w->fds[w->depth], name, &target);
                if (r >= 0)
                        r = splice_link(target, rest, &spliced);
                if (r < 0)
                        return r;
                free_and_replace(*path, spliced);
                return 2;
        }
        if (last)
                return 0;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        if (w->depth + 1 >= ELEMENTSOF(w->fds))
                return -ENAMETOOLONG;
        fd = NEG_ERRNO(openat(w->fds[w->depth], name, O_PATH|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC));
        if (fd < 0)
                return fd;
        w->fds[++w->depth] = fd;
        return 1;
}

int openat_beneath_emulated(int dir_fd, const char *path, int flags, mode_t mode) {
        _cleanup_free_ char *p = NULL;
        Walk w = { .fds = { dir_fd } };
        unsigned links = 0;
        int r = 0;

        if (path[0] == '/')
                return -EXDEV;
        p = strdup(path);
        if (!p)
                return -ENOMEM;

        /* Walk p component by component; a symlink replaces its component by its target. */
        for (char *cur = p; r >= 0;) {
                char *slash, *name;
                bool last;

                cur += strspn(cur, "/");
                if (!*cur) {
                        /* The path ended in a directory ("a/", "." or ".."). */
                        r = NEG_ERRNO(openat(w.fds[w.depth], ".", flags|O_CLOEXEC|O_NOFOLLOW, mode));
                        break;
                }
                slash = strchr(cur, '/');
                last = !slash || !slash[strspn(slash, "/")];
                name = cur;
                if (slash)
                        *slash = 0;
                r = walk_step(&w, name, last, &p, slash ? slash + 1 : "");
                if (r == 2) {
                        if (++links > SYMLINKS_MAX)
                                r = -ELOOP;
                        cur = p;        /* p now holds the target followed by the rest */
                        continue;
                }
                if (r == 0) {
                        /* O_NOFOLLOW: a symlink swapped in since the check is refused, not followed. */
                        r = NEG_ERRNO(openat(w.fds[w.depth], name, flags|O_CLOEXEC|O_NOFOLLOW, mode));
                        break;
                }
                cur = slash ? slash + 1 : cur + strlen(cur);
        }
        walk_done(&w);
        return r;
}

int openat_beneath(int dir_fd, const char *path, int flags, mode_t mode) {
        static bool have_openat2 = true;
        struct open_how how = {
                .flags = (uint64_t) (flags | O_CLOEXEC),
                .mode = (flags & (O_CREAT|O_TMPFILE)) ? mode : 0,
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
        };
        int fd;

        if (have_openat2) {
                fd = (int) syscall(SYS_openat2, dir_fd, path, &how, sizeof how);
                if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
                        return fd < 0 ? -errno : fd;
                /* A seccomp filter that predates openat2 (systemd 252's @system-service does)
                 * reports ENOSYS; walk the path ourselves instead. */
                have_openat2 = false;
        }
        return openat_beneath_emulated(dir_fd, path, flags, mode);
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
        _cleanup_free_ char *prefix = NULL;
        const char *rel;
        size_t n;
        int r;

        rel = workspace_relative(w, path);
        if (!rel)
                return -EXDEV;
        r = strv_split(rel, "/", &parts);
        if (r < 0)
                return r;
        prefix = strdup(".");
        if (!prefix)
                return -ENOMEM;

        /* Each missing directory is created by mkdirat() in its parent, and the parent is opened
         * from the workspace's top with RESOLVE_BENEATH, so neither a symlink nor ".." can move
         * the creation outside. The last component is the file itself. */
        n = strv_length(parts);
        for (size_t i = 0; i + 1 < n; i++) {
                _cleanup_close_ int parent = -EBADF;
                char *next;

                if (!streq(parts[i], ".") && !streq(parts[i], "..")) {
                        parent = openat_beneath(w->fd, prefix, O_PATH|O_DIRECTORY, 0);
                        if (parent < 0)
                                return parent;
                        if (mkdirat(parent, parts[i], 0755) < 0 && errno != EEXIST)
                                return -errno;
                }
                if (asprintf(&next, "%s/%s", prefix, parts[i]) < 0)
                        return -ENOMEM;
                free_and_replace(prefix, next);
        }
        /* The parent of the file must itself resolve beneath the workspace. */
        r = openat_beneath(w->fd, prefix, O_PATH|O_DIRECTORY, 0);
        if (r < 0)
                return r;
        safe_close(r);
        return 0;
}
