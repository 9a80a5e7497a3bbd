/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Directory walking with O_NOFOLLOW at every level. */

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "macro.h"
#include "walk.h"

static int compare_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static void free_names(char **names, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
}

/* Reads the names in dir_fd (without "." and ".."), sorted. The fd stays open. */
static int read_names(int dir_fd, char ***ret, size_t *ret_n) {
        _cleanup_(closedirp) DIR *d = NULL;
        char **names = NULL, **t;
        struct dirent *de;
        size_t n = 0;
        int fd;

        fd = NEG_ERRNO(openat(dir_fd, ".", O_RDONLY|O_DIRECTORY|O_CLOEXEC));
        if (fd < 0)
                return fd;
        d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return -errno;
        }
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                t = reallocarray(names, n + 1, sizeof(char *));
                if (!t || !(t[n] = strdup(de->d_name))) {
                        free_names(t ?: names, n);
                        return -ENOMEM;
                }
                names = t;
                n++;
        }
        if (n > 0)
                qsort(names, n, sizeof(char *), compare_names);
        *ret = names;
        *ret_n = n;
        return 0;
}

static int walk_entry(int dir_fd, const char *name, const char *path, unsigned depth, WalkFunc func, void *userdata);

static int walk_dir(int dir_fd, const char *prefix, unsigned depth, WalkFunc func, void *userdata) {
        char **names = NULL;
        size_t n = 0;
        int r;

        if (depth == 0 || read_names(dir_fd, &names, &n) < 0)
                return 0;
        r = 0;
        for (size_t i = 0; i < n && r >= 0; i++) {
                _cleanup_free_ char *path = NULL;

                if (asprintf(&path, "%s%s%s", prefix, *prefix ? "/" : "", names[i]) < 0)
                        r = -ENOMEM;
                else
                        r = walk_entry(dir_fd, names[i], path, depth, func, userdata);
        }
        free_names(names, n);
        return r;
}

static int walk_entry(int dir_fd, const char *name, const char *path, unsigned depth, WalkFunc func, void *userdata) {
        _cleanup_close_ int sub = -EBADF;
        struct stat st;
        bool is_dir;
        int r;

        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return 0;
        is_dir = S_ISDIR(st.st_mode);
        r = func(dir_fd, name, path, is_dir, userdata);
        if (r != 0 || !is_dir || streq(name, ".git"))
                return r < 0 ? r : 0;
        sub = openat(dir_fd, name, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
        if (sub < 0)
                return 0;
        return walk_dir(sub, path, depth - 1, func, userdata);
}

int walk_tree(int dir_fd, const char *prefix, unsigned max_depth, WalkFunc func, void *userdata) {
        return walk_dir(dir_fd, prefix ?: "", max_depth, func, userdata);
}
