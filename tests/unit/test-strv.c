/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "strv.h"

static void test_strv_split(void **state) {
        _cleanup_strv_free_ char **l = NULL;

        assert_int_equal(strv_split("  a b\tc  ", " \t", &l), 0);
        assert_int_equal(strv_length(l), 3);
        assert_string_equal(l[0], "a");
        assert_string_equal(l[2], "c");
        assert_true(strv_contains(l, "b"));
        assert_false(strv_contains(l, "d"));
}

static void test_strv_split_empty(void **state) {
        _cleanup_strv_free_ char **l = NULL;

        assert_int_equal(strv_split("   ", " ", &l), 0);
        assert_non_null(l);
        assert_int_equal(strv_length(l), 0);
}

static void test_strv_extend(void **state) {
        _cleanup_strv_free_ char **l = NULL;

        assert_int_equal(strv_extend(&l, "x"), 0);
        assert_int_equal(strv_extendf(&l, "%s=%i", "k", 5), 0);
        assert_int_equal(strv_length(l), 2);
        assert_string_equal(l[1], "k=5");
        assert_int_equal(strv_consume(&l, NULL), -ENOMEM);
        assert_int_equal(strv_length(l), 2);
}

static void test_strv_copy(void **state) {
        _cleanup_strv_free_ char **a = NULL, **b = NULL, **empty = NULL;
        char *nothing[] = { NULL };

        assert_null(strv_copy(NULL));
        assert_int_equal(strv_split("x y", " ", &a), 0);
        b = strv_copy(a);
        assert_non_null(b);
        assert_int_equal(strv_length(b), 2);
        assert_ptr_not_equal(a[0], b[0]);
        assert_string_equal(b[1], "y");
        empty = strv_copy(nothing);
        assert_non_null(empty);
        assert_int_equal(strv_length(empty), 0);
        assert_int_equal(strv_extend_strv(&empty, a), 0);
        assert_int_equal(strv_length(empty), 2);
}

static void test_strv_join(void **state) {
        _cleanup_strv_free_ char **a = NULL;
        _cleanup_free_ char *j = NULL, *e = NULL;
        char *nothing[] = { NULL };

        assert_int_equal(strv_split("fix the tests", " ", &a), 0);
        j = strv_join(a, " ");
        assert_string_equal(j, "fix the tests");
        e = strv_join(nothing, ", ");
        assert_string_equal(e, "");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_strv_split),
                cmocka_unit_test(test_strv_split_empty),
                cmocka_unit_test(test_strv_extend),
                cmocka_unit_test(test_strv_copy),
                cmocka_unit_test(test_strv_join),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
