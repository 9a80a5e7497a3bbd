/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Output capping, glob matching, and running commands: exit status, timeout, the process group
 * killed, output kept as head and tail, and the seccomp filter's refusals. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <fcntl.h>

#include <cmocka.h>

#include "glob-match.h"
#include "html-text.h"
#include "output-cap.h"
#include "spawn.h"

static void test_output_cap(void **state) {
        _cleanup_free_ char *s = NULL, *t = NULL, *u = NULL;
        OutputCap c;

        assert_int_equal(output_cap_init(&c, 90), 0);
        output_cap_add(&c, "short", 5);
        assert_int_equal(output_cap_finish(&c, &s), 0);
        assert_string_equal(s, "short");
        /* 60 head bytes, 30 tail bytes; everything between is counted. */
        for (int i = 0; i < 1000; i++)
                output_cap_add(&c, "0123456789", 10);
        output_cap_add(&c, "THE-END", 7);
        assert_int_equal(c.total, 10012);
        assert_int_equal(output_cap_dropped(&c), 10012 - 90);
        assert_int_equal(output_cap_finish(&c, &t), 0);
        assert_true(startswith(t, "short0123456789"));
        assert_non_null(strstr(t, "[... 9922 bytes of output omitted ...]"));
        assert_true(strlen(t) > 7 && streq(t + strlen(t) - 7, "THE-END"));
        output_cap_done(&c);

        assert_int_equal(output_cap_string("abc", 100, &u), 0);
        assert_string_equal(u, "abc");
}

static void test_glob(void **state) {
        assert_true(glob_match("*.c", "a.c"));
        assert_false(glob_match("*.c", "src/a.c"));
        assert_true(glob_match("src/**/*.c", "src/a.c"));
        assert_true(glob_match("src/**/*.c", "src/x/y/a.c"));
        assert_false(glob_match("src/**/*.c", "lib/a.c"));
        assert_true(glob_match("**", "a/b/c"));
        assert_true(glob_match("**/Makefile", "Makefile"));
        assert_true(glob_match("file?.[ch]", "file1.h"));
        assert_false(glob_match("file?.[!ch]", "file1.h"));
        assert_true(glob_match("a\\*b", "a*b"));
        assert_false(glob_match("[", "x"));
}

static void test_html(void **state) {
        _cleanup_free_ char *t = NULL;
        const char *html = "<html><head><title>T</title><script>var x;</script></head><body><h1>Head</h1>"
                           "<p>Some   <b>bold</b>\ntext <a href=\"https://e.x/\">link</a>.</p><ul><li>one</li>"
                           "<li>two</li></ul><style>p{}</style></body></html>";

        assert_int_equal(html_to_text(html, strlen(html), &t), 0);
        assert_string_equal(t, "# Head\n\nSome bold text link <https://e.x/>.\n\n- one\n- two");
}

static int run(const char *cmd, uint64_t timeout, size_t cap, bool seccomp, SpawnResult *res) {
        char *argv[] = { (char *) "/bin/sh", (char *) "-c", (char *) cmd, NULL };

        return spawn_run(&(SpawnOptions) { .argv = argv, .cwd_fd = AT_FDCWD, .timeout_usec = timeout,
                                           .output_cap = cap, .seccomp = seccomp }, res);
}

static void test_spawn(void **state) {
        SpawnResult res = {};

        assert_int_equal(run("echo out; echo err >&2; exit 7", 0, 1000, true, &res), 0);
        assert_int_equal(res.exit_status, 7);
        assert_string_equal(res.output, "out\nerr\n");
        spawn_result_done(&res);

        /* A background child holding the pipe must not make us wait for it. */
        assert_int_equal(run("sleep 30 & echo started", 10000000, 1000, true, &res), 0);
        assert_int_equal(res.exit_status, 0);
        assert_true(res.duration_usec < 5000000);
        spawn_result_done(&res);

        assert_int_equal(run("sleep 30", 300000, 1000, true, &res), 0);
        assert_true(res.timed_out);
        assert_int_equal(res.exit_status, 128 + 15);
        spawn_result_done(&res);

        assert_int_equal(run("seq 1 100000", 0, 200, true, &res), 0);
        assert_int_equal(res.bytes, 588895);
        assert_true(startswith(res.output, "1\n2\n"));
        assert_non_null(strstr(res.output, "omitted"));
        assert_true(strlen(res.output) < 300);
        spawn_result_done(&res);

        assert_int_equal(run("kill -9 $$", 0, 100, true, &res), 0);
        assert_int_equal(res.exit_status, 128 + 9);
        spawn_result_done(&res);
}

static void test_seccomp(void **state) {
        SpawnResult res = {};

        if (access("/usr/bin/unshare", X_OK) < 0)
                skip();
        assert_int_equal(run("unshare -U true 2>&1; echo rc=$?", 0, 1000, true, &res), 0);
        assert_non_null(strstr(res.output, "Operation not permitted"));
        assert_non_null(strstr(res.output, "rc=1"));
        spawn_result_done(&res);
        /* Forking still works under the filter. */
        assert_int_equal(run("(echo sub) | cat", 0, 1000, true, &res), 0);
        assert_string_equal(res.output, "sub\n");
        spawn_result_done(&res);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_output_cap),
                cmocka_unit_test(test_glob),
                cmocka_unit_test(test_html),
                cmocka_unit_test(test_spawn),
                cmocka_unit_test(test_seccomp),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
