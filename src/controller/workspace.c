/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Workspace checks. A workspace is bound read-write into a sandbox that runs as its owner, so
 * it must not be a place from which the sandbox could reach the host's or the owner's control
 * planes (a user's home holds ~/.config/systemd/user, /run/user holds their service manager). */

#include <pwd.h>
#include <sys/stat.h>

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
