/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "log.h"

static void test_log_returns_negative_errno(void **state) {
        log_set_target(LOG_TARGET_CONSOLE);
        assert_int_equal(log_debug_errno(EINVAL, "x: %m"), -EINVAL);
        assert_int_equal(log_debug_errno(-ENOENT, "x: %m"), -ENOENT);
        assert_int_equal(log_full_errno(LOG_DEBUG, 0, "no error"), 0);
}

static void test_log_keeps_errno(void **state) {
        errno = EPERM;
        log_set_max_level(LOG_DEBUG);
        log_debug("message");
        assert_int_equal(errno, EPERM);
        log_set_max_level(LOG_INFO);
}

static void test_log_target_round_trip(void **state) {
        for (LogTarget t = 0; t < _LOG_TARGET_MAX; t++)
                assert_int_equal(log_target_from_string(log_target_to_string(t)), t);
        assert_int_equal(log_target_from_string("syslog"), _LOG_TARGET_INVALID);
        assert_null(log_target_to_string(_LOG_TARGET_MAX));
}

static void test_log_level_from_string(void **state) {
        assert_int_equal(log_level_from_string("debug"), LOG_DEBUG);
        assert_int_equal(log_level_from_string("err"), LOG_ERR);
        assert_int_equal(log_level_from_string("loud"), -EINVAL);
        assert_int_equal(log_level_from_string(NULL), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_log_returns_negative_errno),
                cmocka_unit_test(test_log_keeps_errno),
                cmocka_unit_test(test_log_target_round_trip),
                cmocka_unit_test(test_log_level_from_string),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
