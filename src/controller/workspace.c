/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Workspace checks. A workspace is bound read-write into a sandbox that runs as its owner, so
 * it must not be a place from which the sandbox could reach the host's or the owner's control
 * planes (a user's home holds ~/.config/systemd/user, /run/user holds their service manager).
 * A directory is judged where it is when the session starts: an owner who moves ~/.config into a
 * workspace and back does by hand what the rule keeps sessions from doing, and gains nothing
 * their own account could not. */

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
        "/proc", "/sys", "/dev", "/run", "/etc", "/boot", "/usr", STATEDIR,
};

/* Like systemd's path_startswith(), component by component: if path is prefix or below it,
 * returns the rest of path without leading slashes ("" for prefix itself), otherwise NULL.
 * Repeated and trailing slashes do not count. */
static const char *path_startswith_components(const char *path, const char *prefix) {
        for (;;) {
                size_t a, b;

                path += strspn(path, "/");
                prefix += strspn(prefix, "/");
                if (*prefix == 0)
                        return path;
                a = strcspn(path, "/");
                b = strcspn(prefix, "/");
                if (a != b || strncmp(path, prefix, a) != 0)
                        return NULL;
                path += a;
                prefix += b;
        }
}

/* An absolute path without "." and ".." components, which the rules could not judge by name. */
static bool path_is_plain(const char *path) {
        if (!path || path[0] != '/')
                return false;
        for (const char *c = path; *(c += strspn(c, "/")); c += strcspn(c, "/")) {
                size_t n = strcspn(c, "/");
                if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
        }
        return true;
}

WorkspaceLocation workspace_location_check(const char *path, const char *home) {
        const char *rest;

        if (!path_is_plain(path) || (home && !path_is_plain(home)))
                return _WORKSPACE_LOCATION_INVALID;
        if (isempty(path_startswith_components(path, "/")))
                return WORKSPACE_LOCATION_SYSTEM;
        /* Before the system trees, of which /run is one, so that the refusal says why. */
        if (path_startswith_components(path, "/run/user"))
                return WORKSPACE_LOCATION_RUN_USER;
        for (size_t i = 0; i < ELEMENTSOF(forbidden_prefixes); i++)
                if (path_startswith_components(path, forbidden_prefixes[i]))
                        return WORKSPACE_LOCATION_SYSTEM;
        if (!home)
                return WORKSPACE_LOCATION_OK;
        /* The home holds the owner's control files (~/.bashrc, ~/.profile), and a directory above
         * it holds the home. */
        if (path_startswith_components(home, path))
                return WORKSPACE_LOCATION_HOME;
        /* Dot-directories are where programs keep what they read and run later, outside the
         * sandbox: ~/.config/systemd/user and ~/.local/share/systemd/user (units the user's
         * manager starts), ~/.ssh (authorized_keys), ~/.gnupg, shell and editor startup files.
         * Their names are not a closed list, so every one is refused. */
        rest = path_startswith_components(path, home);
        if (rest && rest[0] == '.')
                return WORKSPACE_LOCATION_DOT_DIR;
        return WORKSPACE_LOCATION_OK;
}

/* Judges path for owner, both by the home passwd names and by where that really is (/home may be
 * a symlink, while path is canonical). Returns 0 or the errno of workspace_verify_fd(). */
static int check_location(const char *path, uid_t owner) {
        static const int errors[_WORKSPACE_LOCATION_MAX] = {
                [WORKSPACE_LOCATION_SYSTEM] = -EBUSY,
                [WORKSPACE_LOCATION_RUN_USER] = -EXDEV,
                [WORKSPACE_LOCATION_HOME] = -EISDIR,
                [WORKSPACE_LOCATION_DOT_DIR] = -EACCES,
        };
        _cleanup_free_ char *real_home = NULL;
        WorkspaceLocation l;
        struct passwd *pw;

        pw = getpwuid(owner);
        if (pw && !isempty(pw->pw_dir))
                real_home = realpath(pw->pw_dir, NULL);
        l = workspace_location_check(path, pw && !isempty(pw->pw_dir) ? pw->pw_dir : NULL);
        if (l == WORKSPACE_LOCATION_OK && real_home)
                l = workspace_location_check(path, real_home);
        if (l < 0)
                return -ESTALE;
        return errors[l];
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
               r == -EBUSY ? "it is / or inside a system tree (/etc, /usr, /run, /proc, /sys, /dev, /boot, "
                             "OpenMono's state), which sessions must not write" :
               r == -EXDEV ? "it is below /run/user/, where users' service managers and runtime files live" :
               r == -EISDIR ? "it is the home directory or a directory above it, which holds the home's "
                              "startup files" :
               r == -EACCES ? "it is at or below a dot-directory of the home (such as ~/.config, ~/.local "
                              "or ~/.ssh), whose files programs run outside the sandbox" :
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
