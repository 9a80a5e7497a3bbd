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

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_format),
                cmocka_unit_test(test_files),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
