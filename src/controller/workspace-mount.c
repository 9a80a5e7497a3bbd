/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pins of sessions' workspaces and storage: detached mounts cloned from verified directories
 * and attached below <runtime_dir>/mounts/, which only root can enter. This file owns that
 * directory and everything below it.
 *
 * The mounts are made in the host's mount namespace (the controller has none of its own; see
 * openmonod.service) because that is where systemd resolves BindPaths= for a new unit. */

#include <assert.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "macro.h"
#include "session-policy.h"
#include "workspace-mount.h"

#define MOUNTS_SUBDIR "mounts"

/* Creates dir root-only, or checks that what is there is a root-owned directory nobody else
 * may enter. lstat(): a symlink in its place is refused, never followed. */
static int make_private_dir(const char *dir) {
        struct stat st;
        int r;

        r = NEG_ERRNO(mkdir(dir, 0700));
        if (r < 0 && r != -EEXIST)
                return r;
        if (lstat(dir, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 0077) != 0)
                return -EPERM;
        return 0;
}

/* Makes <runtime_dir>/mounts a mount point of its own, unbindable (hence private), once. Pins
 * attached below it then do not propagate into the mount namespaces of the services and sessions
 * already running, which all have /run as a slave of the host's and would list every pin (with
 * the path of its directory) in their /proc/self/mountinfo; nor does a recursive bind of /run take
 * them along. A namespace created while a pin exists still gets a copy; removing the directory the
 * pin is attached to detaches those copies too (see unpin_one()). */
static int mounts_dir_setup(const char *dir) {
        struct mount_attr attr = {
                .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
                .propagation = MS_PRIVATE,
        };
        struct mount_attr unbindable = { .propagation = MS_UNBINDABLE };
        _cleanup_close_ int tree = -EBADF;
        struct statx stx;
        int r;

        r = make_private_dir(dir);
        if (r < 0)
                return r;
        if (statx(AT_FDCWD, dir, AT_SYMLINK_NOFOLLOW, 0, &stx) < 0)
                return -errno;
        if (stx.stx_attributes_mask & stx.stx_attributes & STATX_ATTR_MOUNT_ROOT)
                return 0;
        tree = NEG_ERRNO(open_tree(AT_FDCWD, dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW));
        if (tree < 0)
                return tree;
        r = NEG_ERRNO(mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof attr));
        if (r < 0)
                return r;
        r = NEG_ERRNO(move_mount(tree, "", AT_FDCWD, dir, MOVE_MOUNT_F_EMPTY_PATH));
        if (r < 0)
                return r;
        /* Only once attached: the kernel moves no unbindable mount below a shared one (/run). */
        return NEG_ERRNO(mount_setattr(AT_FDCWD, dir, AT_SYMLINK_NOFOLLOW, &unbindable, sizeof unbindable));
}

/* Clones the mount of the directory fd (st) into a detached one. Not AT_RECURSIVE: what the owner
 * mounted below the directory (FUSE) stays out. */
static int clone_tree(int fd, const char *path, const struct stat *st) {
        _cleanup_close_ int alt = -EBADF;
        struct stat st2;
        int tree;

        tree = NEG_ERRNO(open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH));
        if (tree != -EINVAL || !path)
                return tree;
        /* fd is on a mount of another mount namespace, which the kernel does not clone: the
         * client runs in a unit with a namespace of its own (ProtectSystem=, as cron jobs do), or
         * made one (unshare -Urm). Take the directory at the same path in ours, reached without
         * following a symlink, and only if it is the very same inode. */
        alt = open_directory_nofollow(path);
        if (alt < 0)
                return alt;
        if (fstat(alt, &st2) < 0)
                return -errno;
        if (st2.st_dev != st->st_dev || st2.st_ino != st->st_ino)
                return -ESTALE;
        return NEG_ERRNO(open_tree(alt, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH));
}

/* Clones the directory fd, checks the clone is what fd names and belongs to owner, and attaches it
 * at target. */
static int attach_clone(int fd, const char *path, uid_t owner, const char *target) {
        struct mount_attr attr = {
                .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
                .propagation = MS_PRIVATE,
        };
        _cleanup_close_ int tree = -EBADF;
        struct stat a, b;
        int r;

        if (fstat(fd, &a) < 0)
                return -errno;
        tree = clone_tree(fd, path, &a);
        if (tree < 0)
                return tree;
        if (fstat(tree, &b) < 0)
                return -errno;
        if (b.st_dev != a.st_dev || b.st_ino != a.st_ino)
                return -ESTALE;
        if (!S_ISDIR(b.st_mode))
                return -ENOTDIR;
        if (b.st_uid != owner)
                return -EPERM;
        /* Private: the clone would otherwise be a peer of the mount it came from (usually /), and
         * mounts made below either would show up in the other. */
        r = NEG_ERRNO(mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof attr));
        if (r < 0)
                return r;
        return NEG_ERRNO(move_mount(tree, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH));
}

int workspace_mount_pin(const char *runtime_dir, const char *id, const char *name, int fd, const char *path,
                        uid_t owner, char **ret_path) {
        _cleanup_free_ char *mounts = NULL, *dir = NULL, *target = NULL;
        int r;

        assert(runtime_dir && name && ret_path);
        if (!session_id_is_valid(id) || fd < 0)
                return -EINVAL;
        if (asprintf(&mounts, "%s/" MOUNTS_SUBDIR, runtime_dir) < 0 ||
            asprintf(&dir, "%s/%s", mounts, id) < 0 || asprintf(&target, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        r = mounts_dir_setup(mounts);
        if (r >= 0)
                r = make_private_dir(dir);
        if (r >= 0)
                r = make_private_dir(target);
        if (r >= 0)
                r = attach_clone(fd, path, owner, target);
        if (r < 0) {
                (void) rmdir(target);
                (void) rmdir(dir);
                return r;
        }
        *ret_path = steal_ptr(target);
        return 0;
}

/* Detaches the pin at path and removes the directory it was attached to. Removing the directory
 * is what also detaches the copies in mount namespaces that were created while the pin existed
 * (the session's own, concurrent ones): the kernel detaches mounts of other namespaces from a
 * directory that goes. The session's /workspace is a bind on another directory and stays. */
static int unpin_one(const char *path) {
        int r;

        r = NEG_ERRNO(umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW));
        if (r < 0 && r != -EINVAL && r != -ENOENT)
                return r;
        r = NEG_ERRNO(rmdir(path));
        return r == -ENOENT ? 0 : r;
}

int workspace_mount_unpin(const char *runtime_dir, const char *id) {
        static const char *const names[] = { WORKSPACE_MOUNT_WORKSPACE, WORKSPACE_MOUNT_STORAGE };
        char path[PATH_MAX];
        int r = 0;

        if (!session_id_is_valid(id))
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                snprintf(path, sizeof path, "%s/" MOUNTS_SUBDIR "/%s/%s", runtime_dir, id, names[i]);
                int k = unpin_one(path);
                if (k < 0 && r == 0)
                        r = k;
        }
        snprintf(path, sizeof path, "%s/" MOUNTS_SUBDIR "/%s", runtime_dir, id);
        if (rmdir(path) < 0 && errno != ENOENT && r == 0)
                r = -errno;
        return r;
}

int workspace_mount_unpin_all(const char *runtime_dir) {
        _cleanup_(closedirp) DIR *d = NULL;
        char path[PATH_MAX];
        struct dirent *de;
        int r = 0, n = 0;

        snprintf(path, sizeof path, "%s/" MOUNTS_SUBDIR, runtime_dir);
        d = opendir(path);
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d))) {
                if (!session_id_is_valid(de->d_name))
                        continue;
                int k = workspace_mount_unpin(runtime_dir, de->d_name);
                if (k < 0 && r == 0)
                        r = k;
                else if (k >= 0)
                        n++;
        }
        return r < 0 ? r : n;
}

/* The fallback for kernels before 5.6: one component at a time, each opened with O_NOFOLLOW
 * relative to the one before, so no symlink is followed anywhere. */
static int open_components_nofollow(const char *path) {
        _cleanup_close_ int fd = NEG_ERRNO(open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        char name[NAME_MAX + 1];

        for (const char *c = path; fd >= 0 && *(c += strspn(c, "/")); ) {
                size_t n = strcspn(c, "/");
                if (n > NAME_MAX)
                        return -ENAMETOOLONG;
                memcpy(name, c, n);
                name[n] = 0;
                c += n;
                int next = NEG_ERRNO(openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
                safe_close(fd);
                fd = next;
        }
        return fd < 0 ? fd : steal_fd(fd);
}

int open_directory_nofollow(const char *path) {
        struct open_how how = {
                .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
                .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        int fd;

        if (!path || path[0] != '/')
                return -EINVAL;
        fd = NEG_ERRNO(syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how));
        return fd == -ENOSYS ? open_components_nofollow(path) : fd;
}
