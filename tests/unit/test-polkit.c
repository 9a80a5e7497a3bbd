/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The part of the polkit check that runs without polkit: identifying the calling process. The
 * checks themselves are exercised against the real polkitd in the integration tests. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "polkit.h"

static void test_process_start_time(void **state) {
        uint64_t a = 0, b = 0;

        assert_int_equal(process_start_time(getpid(), &a), 0);
        assert_int_equal(process_start_time(getpid(), &b), 0);
        assert_true(a > 0);
        assert_true(a == b);
        assert_int_equal(process_start_time(1, &b), 0);
        assert_true(b <= a);
}

static void test_process_start_time_missing(void **state) {
        uint64_t t = 42;

        /* Above the kernel's pid_max, so it cannot exist. */
        assert_int_equal(process_start_time(1 << 23, &t), -ENOENT);
        assert_int_equal(t, 42);
}

static void test_registry_lifecycle(void **state) {
        _cleanup_(polkit_registry_freep) PolkitRegistry *r = NULL;

        assert_int_equal(polkit_registry_new(&r), 0);
        assert_non_null(r);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_process_start_time),
                cmocka_unit_test(test_process_start_time_missing),
                cmocka_unit_test(test_registry_lifecycle),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
