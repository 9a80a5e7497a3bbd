/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where a workspace may be: the location rule judged on its own, on paths spelt every way the
 * kernel and passwd give them, and the verification of a real directory fd. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "macro.h"
#include "workspace-mount.h"
#include "workspace.h"

#define HOME "/home/alice"

static void assert_location(const char *path, const char *home, WorkspaceLocation expected) {
        WorkspaceLocation l = workspace_location_check(path, home);

        if (l != expected)
                fail_msg("'%s' (home '%s'): got %d, expected %d", strna(path), strna(home), l, expected);
}

static void test_ordinary_workspaces(void **state) {
        assert_location("/home/alice/src/app", HOME, WORKSPACE_LOCATION_OK);
        assert_location("/home/alice/app", HOME, WORKSPACE_LOCATION_OK);
        assert_location("/srv/build/alice", HOME, WORKSPACE_LOCATION_OK);
        assert_location("/var/lib/openmonox", HOME, WORKSPACE_LOCATION_OK);  /* a prefix, not a parent */
        assert_location("/home/alicex/.config", HOME, WORKSPACE_LOCATION_OK);   /* not alice's home */
        assert_location("/home/alice/src/.git", HOME, WORKSPACE_LOCATION_OK);   /* dots only right below ~ */
        assert_location("/home/alice/src/app", NULL, WORKSPACE_LOCATION_OK);
        assert_location("/tmp/.hidden", HOME, WORKSPACE_LOCATION_OK);
}

static void test_home_and_parents(void **state) {
        assert_location("/home/alice", HOME, WORKSPACE_LOCATION_HOME);
        assert_location("/home/alice/", HOME, WORKSPACE_LOCATION_HOME);
        assert_location("/home//alice//", HOME, WORKSPACE_LOCATION_HOME);
        assert_location("/home", HOME, WORKSPACE_LOCATION_HOME);
        assert_location("/home/", HOME, WORKSPACE_LOCATION_HOME);
        /* passwd may spell the home with a trailing or doubled slash as well. */
        assert_location("/home/alice", "/home/alice/", WORKSPACE_LOCATION_HOME);
        assert_location("/home", "//home//alice", WORKSPACE_LOCATION_HOME);
        assert_location("/", HOME, WORKSPACE_LOCATION_SYSTEM);
        assert_location("//", HOME, WORKSPACE_LOCATION_SYSTEM);
        assert_location("/", NULL, WORKSPACE_LOCATION_SYSTEM);
}

static void test_dot_directories(void **state) {
        static const char *const refused[] = {
                "/home/alice/.config",
                "/home/alice/.config/",
                "/home/alice//.config",
                "/home/alice/.config/systemd/user",
                "/home/alice/.local/share/systemd/user",
                "/home/alice/.local/share/systemd/user/",
                "/home//alice/.local//share/systemd/user",
                "/home/alice/.ssh",
                "/home/alice/.gnupg",
                "/home/alice/.X",
                "/home/alice/.bashrc.d",
                "/home/alice/.a/b/c/d/e/f",
                "/home/alice/...",
        };

        for (size_t i = 0; i < ELEMENTSOF(refused); i++) {
                assert_location(refused[i], HOME, WORKSPACE_LOCATION_DOT_DIR);
                assert_location(refused[i], HOME "/", WORKSPACE_LOCATION_DOT_DIR);
        }
        /* A home of "/" makes every top-level dot-directory the home's. */
        assert_location("/.config", "/", WORKSPACE_LOCATION_DOT_DIR);
}

static void test_system_trees(void **state) {
        static const char *const refused[] = {
                "/etc", "/etc/", "/etc/systemd", "/usr/local/src", "/proc/1", "/sys", "/dev/shm",
                "/boot", "/run", "/run/openmono", "/var/lib/openmono", "/var/lib/openmono/storage/1000",
                "//etc//x",
        };

        for (size_t i = 0; i < ELEMENTSOF(refused); i++)
                assert_location(refused[i], HOME, WORKSPACE_LOCATION_SYSTEM);
        assert_location("/run/user", HOME, WORKSPACE_LOCATION_RUN_USER);
        assert_location("/run/user/1000", HOME, WORKSPACE_LOCATION_RUN_USER);
        assert_location("/run/user/1000/systemd/", HOME, WORKSPACE_LOCATION_RUN_USER);
        assert_location("/run//user/1000", HOME, WORKSPACE_LOCATION_RUN_USER);
        assert_location("/run/userx", HOME, WORKSPACE_LOCATION_SYSTEM);
        /* A home below a system tree does not make the tree acceptable. */
        assert_location("/run/user/1000/x", "/run/user/1000", WORKSPACE_LOCATION_RUN_USER);
}

static void test_not_canonical(void **state) {
        static const char *const bad[] = {
                "home/alice/app", "", "/home/alice/app/..", "/home/alice/../bob", "/home/alice/./app",
                "/.", "/..", "./app",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_location(bad[i], HOME, _WORKSPACE_LOCATION_INVALID);
        assert_location(NULL, HOME, _WORKSPACE_LOCATION_INVALID);
        assert_location("/home/alice/app", "/home/alice/..", _WORKSPACE_LOCATION_INVALID);
        assert_location("/home/alice/app", "home/alice", _WORKSPACE_LOCATION_INVALID);
        /* Names that merely begin with dots are names. */
        assert_location("/srv/..x", HOME, WORKSPACE_LOCATION_OK);
        assert_location("/srv/.x.", HOME, WORKSPACE_LOCATION_OK);
}

/* The path workspace_verify_fd() judges is the kernel's: readlink() of /proc/self/fd/N, which is
 * canonical whatever the caller typed. */
static void test_verify_fd(void **state) {
        char dir[] = "/tmp/test-workspace-XXXXXX", sub[PATH_MAX], typed[PATH_MAX];
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;

        assert_non_null(mkdtemp(dir));
        snprintf(sub, sizeof sub, "%s/app", dir);
        assert_int_equal(mkdir(sub, 0755), 0);
        snprintf(typed, sizeof typed, "%s//app/../app/", dir);
        fd = open(typed, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(workspace_verify_fd(fd, getuid(), &path), 0);
        assert_string_equal(path, sub);
        assert_int_equal(workspace_verify_fd(fd, getuid() + 1, &path), -EPERM);
        fd = safe_close(fd);

        /* The controller opens project workspaces without following any symlink. */
        snprintf(typed, sizeof typed, "%s/link", dir);
        assert_int_equal(symlink("app", typed), 0);
        assert_int_equal(open_directory_nofollow(typed), -ELOOP);
        snprintf(typed, sizeof typed, "%s/link/", dir);
        assert_true(open_directory_nofollow(typed) < 0);
        fd = open_directory_nofollow(sub);
        assert_true(fd >= 0);
        assert_int_equal(open_directory_nofollow("relative/path"), -EINVAL);

        snprintf(typed, sizeof typed, "%s/link", dir);
        (void) unlink(typed);
        (void) rmdir(sub);
        (void) rmdir(dir);
}

static void test_error_messages(void **state) {
        assert_non_null(strstr(workspace_error_to_string(-EACCES), "dot-directory"));
        assert_non_null(strstr(workspace_error_to_string(-EISDIR), "home directory"));
        assert_non_null(strstr(workspace_error_to_string(-EXDEV), "/run/user/"));
        assert_non_null(strstr(workspace_error_to_string(-EBUSY), "system tree"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ordinary_workspaces),
                cmocka_unit_test(test_home_and_parents),
                cmocka_unit_test(test_dot_directories),
                cmocka_unit_test(test_system_trees),
                cmocka_unit_test(test_not_canonical),
                cmocka_unit_test(test_verify_fd),
                cmocka_unit_test(test_error_messages),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
