/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The egress proxy's per-user journal budget: one user's flood of decisions is held back and
 * counted, and never takes another user's entries with it. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <unistd.h>

#include <cmocka.h>

#include "egress-manager.h"
#include "log-budget.h"

static void test_log_budget_per_user(void **state) {
        _cleanup_(egress_manager_freep) EgressManager *m = NULL;
        uint64_t held = 99;

        assert_int_equal(egress_manager_new(&m), 0);
        for (unsigned i = 0; i < LOG_BUDGET_BURST; i++) {
                assert_true(egress_manager_log_take(m, 1000, &held));
                assert_int_equal(held, 0);
        }
        for (unsigned i = 0; i < 5; i++)
                assert_false(egress_manager_log_take(m, 1000, &held));
        /* Another user's entries are their own. */
        assert_true(egress_manager_log_take(m, 1001, &held));
        assert_int_equal(held, 0);
        /* Once the budget has refilled a little, the next entry says what was held back. */
        assert_int_equal(usleep(LOG_BUDGET_INTERVAL_USEC + 10000), 0);
        assert_true(egress_manager_log_take(m, 1000, &held));
        assert_int_equal(held, 5);
        assert_false(egress_manager_log_take(m, 1000, &held));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_log_budget_per_user),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
