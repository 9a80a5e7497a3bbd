/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How openmonoctl's exit status follows from an ended session (run, shell and session wait share
 * ctl_session_exit_code()) and from a verb's error (ctl_exit_code()), checked against the EXIT
 * STATUS list of openmonoctl(1) (read as text from OPENMONOCTL_MAN): every status the page lists
 * is one the code gives, and every status the code gives that is not the command's own is one
 * the page lists. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "ctl.h"
#include "json-util.h"
#include "macro.h"

#define SIGNAL_BASE 128         /* the page's "128+N" */

typedef struct ExitCase {
        const char *session;    /* the controller's "session" object, as JSON */
        int code;
        bool own;               /* the command's own status, which the page does not list */
} ExitCase;

static const ExitCase session_cases[] = {
        { "{\"exit\":\"exited\",\"result\":\"success\",\"exit_status\":0}", 0, true },
        { "{\"exit\":\"exited\",\"result\":\"exit-code\",\"exit_status\":7}", 7, true },
        { "{\"exit\":\"exited\",\"result\":\"exit-code\",\"exit_status\":8}", 8, true },
        /* One of systemd's own statuses without an entry saying a step failed: the command's. */
        { "{\"exit\":\"exited\",\"result\":\"exit-code\",\"exit_status\":200}", 200, true },
        { "{\"exit\":\"exited\",\"result\":\"timeout\",\"exit_status\":0,\"runtime_max_usec\":2000000}", 124 },
        { "{\"exit\":\"killed\",\"result\":\"timeout\",\"exit_status\":15}", 124 },
        { "{\"exit\":\"exited\",\"result\":\"exit-code\",\"exit_status\":226,\"spawn_errno\":1,"
          "\"unit\":\"openmono-session-0123456789abcdef.service\"}", 125 },
        { "{\"exit\":\"exited\",\"result\":\"exit-code\",\"exit_status\":203,\"spawn_errno\":13,"
          "\"spawn_executable\":\"/workspace/x\"}", 126 },
        { "{\"exit\":\"exited\",\"result\":\"exit-code\",\"exit_status\":203,\"spawn_errno\":2,"
          "\"spawn_executable\":\"/nonexistent/cmd\"}", 127 },
        /* exec failed, and the journal did not say why. */
        { "{\"exit\":\"exited\",\"result\":\"exit-code\",\"exit_status\":203}", 127 },
        { "{\"exit\":\"killed\",\"result\":\"signal\",\"exit_status\":15}", SIGNAL_BASE + 15 },
        { "{\"exit\":\"killed\",\"result\":\"oom-kill\",\"exit_status\":9}", SIGNAL_BASE + 9 },
        { "{\"exit\":\"none\",\"result\":\"resources\",\"exit_status\":0}", 1 },
        { "{}", 1 },
};

/* Verb results: success, a failure, and the errnos with statuses of their own. */
static const struct {
        int r;
        int code;
} error_cases[] = {
        { 0, 0 }, { -EIO, 1 }, { -EINVAL, 2 }, { -EHOSTDOWN, 3 }, { -EACCES, 4 }, { -EPERM, 4 },
        { CTL_EXIT_STATUS(7), 7 },
};

static int session_exit_code_of(const char *text) {
        _cleanup_(json_object_putp) json_object *j = NULL;

        assert_int_equal(json_parse(text, strlen(text), &j), 0);
        return ctl_session_exit_code(j, "cmd");
}

static void test_session_exit_codes(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(session_cases); i++) {
                print_message("%s -> %d\n", session_cases[i].session, session_cases[i].code);
                assert_int_equal(session_exit_code_of(session_cases[i].session), session_cases[i].code);
        }
}

static void test_error_exit_codes(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(error_cases); i++)
                assert_int_equal(ctl_exit_code(error_cases[i].r), error_cases[i].code);
}

/* Reads the statuses the page's EXIT STATUS section lists ("*124*" lines; "*128*+_N_" becomes
 * SIGNAL_BASE) into documented[]. Returns how many there are. */
static size_t read_documented(int documented[], size_t max) {
        _cleanup_fclose_ FILE *f = fopen(OPENMONOCTL_MAN, "re");
        char line[512];
        bool in_section = false;
        size_t n = 0;

        assert_non_null(f);
        while (fgets(line, sizeof line, f)) {
                char *end;
                long v;

                if (line[0] == '#' && line[1] == ' ') {
                        in_section = startswith(line, "# EXIT STATUS") != NULL;
                        continue;
                }
                if (!in_section || line[0] != '*')
                        continue;
                v = strtol(line + 1, &end, 10);
                if (end == line + 1 || *end != '*')
                        continue;
                assert_true(n < max);
                documented[n++] = (int) v;
        }
        return n;
}

static bool is_documented(const int documented[], size_t n, int code) {
        for (size_t i = 0; i < n; i++)
                if (documented[i] == code || (documented[i] == SIGNAL_BASE && code > SIGNAL_BASE && code < 256))
                        return true;
        return false;
}

static bool is_given(int code) {
        for (size_t i = 0; i < ELEMENTSOF(session_cases); i++)
                if (!session_cases[i].own && (session_cases[i].code == code ||
                                              (code == SIGNAL_BASE && session_cases[i].code > SIGNAL_BASE)))
                        return true;
        for (size_t i = 0; i < ELEMENTSOF(error_cases); i++)
                if (error_cases[i].code == code)
                        return true;
        return false;
}

static void test_codes_match_the_man_page(void **state) {
        int documented[32];
        size_t n = read_documented(documented, ELEMENTSOF(documented));

        assert_true(n >= 10);
        for (size_t i = 0; i < n; i++) {
                print_message("documented: %d%s\n", documented[i], documented[i] == SIGNAL_BASE ? "+N" : "");
                assert_true(is_given(documented[i]));
        }
        for (size_t i = 0; i < ELEMENTSOF(session_cases); i++)
                if (!session_cases[i].own)
                        assert_true(is_documented(documented, n, session_cases[i].code));
        for (size_t i = 0; i < ELEMENTSOF(error_cases); i++)
                if (error_cases[i].r < CTL_EXIT_BASE)
                        assert_true(is_documented(documented, n, error_cases[i].code));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_session_exit_codes),
                cmocka_unit_test(test_error_exit_codes),
                cmocka_unit_test(test_codes_match_the_man_page),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
