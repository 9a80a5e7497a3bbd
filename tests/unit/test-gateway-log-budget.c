/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "log-budget.h"

#define SEC (UINT64_C(1000) * 1000)

/* A flood gets the burst, then nothing more while it keeps up, and every held-back entry is
 * counted. */
static void test_burst_then_held_back(void **state) {
        LogBudget b = {};
        unsigned written = 0;

        for (unsigned i = 0; i < 10000; i++)
                written += log_budget_take(&b, 100 * SEC);
        assert_int_equal(written, LOG_BUDGET_BURST);
        assert_int_equal(b.suppressed, 10000 - LOG_BUDGET_BURST);
}

/* Over a long flood the rate is one entry per interval, whatever the flood's own rate. */
static void test_steady_rate(void **state) {
        LogBudget b = {};
        unsigned written = 0;

        /* 60 s of 1000 requests a second. */
        for (uint64_t t = 0; t < 60 * SEC; t += 1000)
                written += log_budget_take(&b, 100 * SEC + t);
        assert_int_equal(written, LOG_BUDGET_BURST + 60 * SEC / LOG_BUDGET_INTERVAL_USEC - 1);
}

/* A user who fails now and then never loses an entry. */
static void test_quiet_user_loses_nothing(void **state) {
        LogBudget b = {};

        for (unsigned i = 0; i < 1000; i++)
                assert_true(log_budget_take(&b, SEC + i * LOG_BUDGET_INTERVAL_USEC));
        assert_int_equal(b.suppressed, 0);
}

/* A clock that goes back (it does not, but a wrong caller might) earns no credit. */
static void test_time_going_back(void **state) {
        LogBudget b = {};

        for (unsigned i = 0; i < LOG_BUDGET_BURST; i++)
                assert_true(log_budget_take(&b, 50 * SEC));
        assert_false(log_budget_take(&b, 10 * SEC));
        assert_false(log_budget_take(&b, 10 * SEC + LOG_BUDGET_INTERVAL_USEC / 2));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_burst_then_held_back),
                cmocka_unit_test(test_steady_rate),
                cmocka_unit_test(test_quiet_user_loses_nothing),
                cmocka_unit_test(test_time_going_back),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
