/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Workspace checks. A workspace is bound read-write into a sandbox that runs as its owner, so
 * it must not be a place from which the sandbox could reach the host's or the owner's control
 * planes (a user's home holds ~/.config/systemd/user, /run/user holds their service manager). */

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "session-policy.h"
#include "user-util.h"
#include "workspace.h"

static const char *const forbidden_prefixes[] = {
        "/proc", "/sys", "/dev", "/run", "/etc", "/boot", "/usr", "/var/lib/openmono",
};

static bool path_is_prefix(const char *prefix, const char *path) {
        size_t n = strlen(prefix);

        return strncmp(prefix, path, n) == 0 && (path[n] == '/' || path[n] == 0);
}

/* A workspace must not be /, a forbidden tree, or the owner's home or one of its ancestors. */
static int check_location(const char *path, uid_t owner) {
        struct passwd *pw;

        if (streq(path, "/"))
                return -EBUSY;
        for (size_t i = 0; i < ELEMENTSOF(forbidden_prefixes); i++)
                if (path_is_prefix(forbidden_prefixes[i], path))
                        return -EBUSY;
        pw = getpwuid(owner);
        if (pw && pw->pw_dir && path_is_prefix(path, pw->pw_dir))
                return -EBUSY;
        return 0;
}

int workspace_verify_fd(int fd, uid_t owner, char **ret_path) {
        char proc[64], buf[PATH_MAX];
        struct stat st, st2;
        ssize_t n;
        int r;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        if (st.st_uid != owner)
                return -EPERM;

        snprintf(proc, sizeof proc, "/proc/self/fd/%i", fd);
        n = readlink(proc, buf, sizeof buf - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        if (buf[0] != '/' || strstr(buf, " (deleted)"))
                return -ESTALE;
        /* The path must still name the very directory the caller opened. */
        if (stat(buf, &st2) < 0 || st2.st_dev != st.st_dev || st2.st_ino != st.st_ino)
                return -ESTALE;
        r = check_location(buf, owner);
        if (r < 0)
                return r;
        *ret_path = strdup(buf);
        return *ret_path ? 0 : -ENOMEM;
}

const char *workspace_error_to_string(int r) {
        return r == -ENOTDIR ? "it is not a directory" :
               r == -EPERM ? "it does not belong to the user the sessions run as" :
               r == -EBUSY ? "it is a system location, a home directory or one of its parents" :
               r == -ESTALE ? "it was moved or removed while being checked" : strerror(-r);
}

int resolve_command(const char *name, char **ret) {
        static const char *const path[] = {
                "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin",
        };
        char *p;

        if (isempty(name))
                return -EINVAL;
        if (name[0] == '/')
                p = strdup(name);
        else if (strchr(name, '/')) {
                if (asprintf(&p, "%s/%s", SESSION_WORKSPACE_DIR, startswith(name, "./") ?: name) < 0)
                        p = NULL;
        } else {
                for (size_t i = 0; i < ELEMENTSOF(path); i++) {
                        char c[PATH_MAX];
                        snprintf(c, sizeof c, "%s/%s", path[i], name);
                        if (access(c, X_OK) >= 0) {
                                *ret = strdup(c);
                                return *ret ? 0 : -ENOMEM;
                        }
                }
                return -ENOENT;
        }
        if (!p)
                return -ENOMEM;
        *ret = p;
        return 0;
}

/* Empties and removes the directory name in dfd, staying on one file system and following no
 * symlink: the tree belongs to a dynamic user whose sessions wrote anything they liked. */
static int rm_rf_at(int dfd, const char *name, dev_t dev) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        struct stat st;
        int fd, r = 0;

        fd = openat(dfd, name, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
        if (fd < 0)
                return errno == ENOTDIR || errno == ELOOP ? NEG_ERRNO(unlinkat(dfd, name, 0)) : -errno;
        if (fstat(fd, &st) < 0 || st.st_dev != dev) {
                (void) close(fd);
                return -EXDEV;
        }
        d = fdopendir(fd);
        if (!d) {
                (void) close(fd);
                return -errno;
        }
        while (r >= 0 && (de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        r = de->d_type == DT_DIR || de->d_type == DT_UNKNOWN ?
                            rm_rf_at(dirfd(d), de->d_name, dev) : NEG_ERRNO(unlinkat(dirfd(d), de->d_name, 0));
        if (r < 0)
                return r;
        return NEG_ERRNO(unlinkat(dfd, name, AT_REMOVEDIR));
}

static int remove_tree(const char *root, const char *parent, const char *name) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int dfd = -EBADF;
        struct stat st;
        int r;

        if (asprintf(&path, "%s%s", root, parent) < 0)
                return -ENOMEM;
        dfd = open(path, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
        if (dfd < 0)
                return errno == ENOENT ? 0 : -errno;
        if (fstat(dfd, &st) < 0)
                return -errno;
        r = rm_rf_at(dfd, name, st.st_dev);
        return r == -ENOENT ? 0 : r;
}

int workspace_remove_state(const char *root, const char *name) {
        static const char *const parents[] = {
                "/var/lib/private/" SESSION_STATE_SUBDIR,
                "/var/lib/" SESSION_STATE_SUBDIR,
                "/var/lib/private/" SESSION_TRANSCRIPT_SUBDIR,
                "/var/lib/" SESSION_TRANSCRIPT_SUBDIR,
        };
        int r = 0;

        if (!project_name_is_valid(name))
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(parents); i++) {
                int k = remove_tree(root ?: "", parents[i], name);
                if (k < 0 && r == 0)
                        r = k;
        }
        return r;
}
