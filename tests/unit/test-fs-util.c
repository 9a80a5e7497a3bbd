/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dirs_list_names(), which lists projects and cron jobs: the names of NAME<suffix> files, sorted,
 * each once although both directories have it, without names the validator refuses, other
 * files, or an error for a directory that does not exist. Also strdup_pair(). */

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "fs-util.h"
#include "macro.h"
#include "string-util.h"
#include "strv.h"

static bool name_is_valid(const char *s) {
        return s[0] != '-';
}

static void touch(const char *dir, const char *name) {
        char path[PATH_MAX];
        int fd;

        snprintf(path, sizeof path, "%s/%s", dir, name);
        fd = open(path, O_WRONLY|O_CREAT|O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        close(fd);
}

static void test_dirs_list_names(void **state) {
        char a[] = "/tmp/test-fs-util-XXXXXX", b[] = "/tmp/test-fs-util-XXXXXX";
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_free_ char *joined = NULL;
        char cmd[128];

        assert_non_null(mkdtemp(a));
        assert_non_null(mkdtemp(b));
        touch(a, "web.project");
        touch(a, "api.project");
        touch(a, "notes.txt");
        touch(a, ".project");
        touch(b, "web.project");
        touch(b, "-bad.project");
        touch(b, "db.project");
        assert_int_equal(dirs_list_names((const char *const[]) { a, b, "/nonexistent" }, 3, ".project",
                                         name_is_valid, &names), 0);
        joined = strv_join(names, " ");
        assert_string_equal(joined, "api db web");
        snprintf(cmd, sizeof cmd, "rm -rf %s %s", a, b);
        assert_int_equal(system(cmd), 0);
}

static void test_strdup_pair(void **state) {
        _cleanup_free_ char *x = NULL, *y = NULL;

        assert_int_equal(strdup_pair("a", "bc", &x, &y), 0);
        assert_string_equal(x, "a");
        assert_string_equal(y, "bc");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dirs_list_names),
                cmocka_unit_test(test_strdup_pair),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
