/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The files between the controller and the egress proxy: the policy text, the counts the proxy
 * writes back, and which files a sweep removes. */

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "macro.h"
#include "session-egress.h"
#include "strv.h"

static void test_format(void **state) {
        _cleanup_free_ char *text = NULL, *empty = NULL;

        assert_int_equal(session_egress_format("s1", (char *[]) { (char *) "*.allowed.test", (char *) "pypi.test",
                                                                   NULL }, &text), 0);
        assert_string_equal(text, "# openmono: egress policy of session s1\n[Session]\n"
                                  "AllowDomain=*.allowed.test\nAllowDomain=pypi.test\n");
        /* No names: the section alone, which the proxy reads as "nothing is allowed". */
        assert_int_equal(session_egress_format("s1", NULL, &empty), 0);
        assert_string_equal(empty, "# openmono: egress policy of session s1\n[Session]\n");
}

static void touch(const char *dir, const char *name, const char *text) {
        char path[PATH_MAX];
        FILE *f;

        snprintf(path, sizeof path, "%s/%s", dir, name);
        f = fopen(path, "we");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static bool exists(const char *dir, const char *name) {
        char path[PATH_MAX];

        snprintf(path, sizeof path, "%s/%s", dir, name);
        return access(path, F_OK) == 0;
}

static bool keep_a(const char *id, void *userdata) {
        return streq(id, "a");
}

/* The sweep removes the files of sessions that are gone and temporary files, nothing else; a
 * session's end removes its policy and its counts. */
static void test_files(void **state) {
        char root[] = "/tmp/test-session-egress-XXXXXX", dir[256], counts[256];
        _cleanup_close_ int dfd = -EBADF;
        EgressCounts c;

        assert_non_null(mkdtemp(root));
        snprintf(dir, sizeof dir, "%s/" SESSION_EGRESS_SUBDIR, root);
        snprintf(counts, sizeof counts, "%s/counts", root);
        assert_int_equal(session_egress_sweep(root, keep_a, NULL), 0);
        assert_int_equal(mkdir(dir, 0750), 0);
        assert_int_equal(mkdir(counts, 0700), 0);
        touch(dir, "a.conf", "[Session]\n");
        touch(dir, "b.conf", "[Session]\n");
        touch(dir, "a.conf.#x1y2z3", "[Ses");
        touch(dir, "README", "not ours");
        assert_int_equal(session_egress_sweep(root, keep_a, NULL), 2);
        assert_true(exists(dir, "a.conf"));
        assert_false(exists(dir, "b.conf"));
        assert_false(exists(dir, "a.conf.#x1y2z3"));
        assert_true(exists(dir, "README"));

        assert_int_equal(session_egress_counts_read(counts, "a", &c), -ENOENT);
        touch(counts, "a", "allowed=5\ndenied=0\nbytes_sent=1\nbytes_received=2\n");
        assert_int_equal(session_egress_counts_read(counts, "a", &c), 0);
        assert_true(c.allowed == 5 && c.bytes_received == 2);
        assert_int_equal(session_egress_counts_read(counts, "../a", &c), -EINVAL);
        /* Without a counts directory, the counts stay. */
        touch(dir, "a.conf", "[Session]\n");
        assert_int_equal(session_egress_remove(root, NULL, "a"), 0);
        assert_false(exists(dir, "a.conf"));
        assert_true(exists(counts, "a"));
        assert_int_equal(session_egress_remove(root, counts, "a"), 0);
        assert_false(exists(dir, "a.conf"));
        assert_false(exists(counts, "a"));
        assert_int_equal(session_egress_remove(root, counts, "a"), 0);
        assert_int_equal(session_egress_remove(root, counts, "../a"), -EINVAL);

        dfd = open(dir, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
        assert_int_equal(unlinkat(dfd, "README", 0), 0);
        assert_int_equal(rmdir(dir), 0);
        assert_int_equal(rmdir(counts), 0);
        assert_int_equal(rmdir(root), 0);
}

static void assert_effective(char *const *own, char *const *project, char *const *site, const char *expected) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *joined = NULL;

        assert_int_equal(session_egress_effective(own, project, site, &l), 0);
        joined = strv_join(l ?: (char *[]) { NULL }, " ");
        assert_non_null(joined);
        assert_string_equal(joined, expected);
}

static void test_effective(void **state) {
        char *site[] = { (char *) "*.allowed.test", (char *) "pypi.test", NULL };
        char *project[] = { (char *) "www.allowed.test", (char *) "git.allowed.test", NULL };
        char *wide[] = { (char *) "*.allowed.test", (char *) "denied.test", NULL };
        char *git[] = { (char *) "git.allowed.test", NULL };
        char *none[] = { NULL };

        /* Nobody asked: the site's list; a project's list within it. */
        assert_effective(NULL, NULL, site, "*.allowed.test pypi.test");
        assert_effective(NULL, NULL, NULL, "");
        assert_effective(NULL, project, site, "www.allowed.test git.allowed.test");
        assert_effective(NULL, wide, site, "*.allowed.test");
        assert_effective(NULL, none, site, "");
        /* Asked on the command line: never more than asked, within the project's list now. */
        assert_effective(git, project, site, "git.allowed.test");
        assert_effective(git, wide, site, "git.allowed.test");
        assert_effective(git, (char *[]) { (char *) "www.allowed.test", NULL }, site, "");
        assert_effective(site, project, site, "www.allowed.test git.allowed.test");
        assert_effective(git, NULL, site, "git.allowed.test");
        assert_effective(git, NULL, (char *[]) { (char *) "pypi.test", NULL }, "");
        assert_effective(none, project, site, "");
        /* ... and within the site's, whatever the project's file says. */
        assert_effective(git, git, (char *[]) { (char *) "pypi.test", NULL }, "");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_format),
                cmocka_unit_test(test_files),
                cmocka_unit_test(test_effective),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
