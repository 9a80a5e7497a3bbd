/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The connection table: per-session, per-user and outside-session caps, and that one user can
 * never take the connections the others need. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "connection-table.h"

#define ALICE 1000
#define BOB 1001

static ConnectionTable *table(unsigned total, unsigned user, unsigned session, unsigned outside) {
        ConnectionTable *t;

        assert_int_equal(connection_table_new(&t), 0);
        connection_table_set_limits(t, total, user, session, outside);
        return t;
}

static void test_session_cap(void **state) {
        _cleanup_(connection_table_freep) ConnectionTable *t = table(100, 10, 3, 0);
        ConnectionSlot a[4] = {}, other = {};
        unsigned nu, ns;

        for (size_t i = 0; i < 3; i++)
                assert_int_equal(connection_table_admit(t, ALICE, "s1", &a[i]), CONNECTION_ADMITTED);
        assert_int_equal(connection_table_admit(t, ALICE, "s1", &a[3]), CONNECTION_SESSION_FULL);
        assert_null(a[3].user);
        /* Another session of the same user has its own share. */
        assert_int_equal(connection_table_admit(t, ALICE, "s2", &other), CONNECTION_ADMITTED);
        connection_table_counts(t, ALICE, "s1", &nu, &ns);
        assert_int_equal(nu, 4);
        assert_int_equal(ns, 3);
        /* Closing one makes room again. */
        connection_table_release(t, &a[0]);
        assert_null(a[0].user);
        assert_int_equal(connection_table_admit(t, ALICE, "s1", &a[3]), CONNECTION_ADMITTED);
}

static void test_user_cap(void **state) {
        _cleanup_(connection_table_freep) ConnectionTable *t = table(100, 4, 3, 0);
        ConnectionSlot a[5] = {}, b = {};

        assert_int_equal(connection_table_admit(t, ALICE, "s1", &a[0]), CONNECTION_ADMITTED);
        assert_int_equal(connection_table_admit(t, ALICE, "s2", &a[1]), CONNECTION_ADMITTED);
        assert_int_equal(connection_table_admit(t, ALICE, "s3", &a[2]), CONNECTION_ADMITTED);
        assert_int_equal(connection_table_admit(t, ALICE, NULL, &a[3]), CONNECTION_ADMITTED);
        /* Sessions and outside together: a fifth in a new session or outside is refused. */
        assert_int_equal(connection_table_admit(t, ALICE, "s4", &a[4]), CONNECTION_USER_FULL);
        assert_int_equal(connection_table_admit(t, ALICE, NULL, &a[4]), CONNECTION_USER_FULL);
        assert_int_equal(connection_table_admit(t, BOB, "b1", &b), CONNECTION_ADMITTED);
}

static void test_outside_cap(void **state) {
        _cleanup_(connection_table_freep) ConnectionTable *t = table(100, 10, 3, 2);
        ConnectionSlot a[4] = {};

        assert_int_equal(connection_table_admit(t, ALICE, NULL, &a[0]), CONNECTION_ADMITTED);
        assert_int_equal(connection_table_admit(t, ALICE, NULL, &a[1]), CONNECTION_ADMITTED);
        assert_int_equal(connection_table_admit(t, ALICE, NULL, &a[2]), CONNECTION_OUTSIDE_FULL);
        /* Her sessions are not held back by what she opened outside them. */
        assert_int_equal(connection_table_admit(t, ALICE, "s1", &a[3]), CONNECTION_ADMITTED);
        /* Without the outside cap only the per-user one counts. */
        connection_table_set_limits(t, 100, 10, 3, 0);
        assert_int_equal(connection_table_admit(t, ALICE, NULL, &a[2]), CONNECTION_ADMITTED);
}

/* The attack of the issue: one user opens far more than the gateway holds. Everyone else
 * still gets in. */
static void test_flood_leaves_room(void **state) {
        _cleanup_(connection_table_freep) ConnectionTable *t = table(1024, 128, 64, 4);
        static ConnectionSlot flood[1100];
        ConnectionSlot b = {};
        unsigned admitted = 0;

        for (size_t i = 0; i < 1100; i++)
                admitted += connection_table_admit(t, ALICE, i % 2 ? NULL : "s1", &flood[i]) ==
                            CONNECTION_ADMITTED;
        assert_int_equal(admitted, 64 + 4);
        assert_int_equal(t->n_total, 68);
        assert_int_equal(connection_table_admit(t, BOB, "b1", &b), CONNECTION_ADMITTED);
        for (size_t i = 0; i < 1100; i++)
                connection_table_release(t, &flood[i]);
        connection_table_release(t, &b);
        assert_int_equal(t->n_total, 0);
        assert_null(t->users);
}

static void test_gateway_cap(void **state) {
        _cleanup_(connection_table_freep) ConnectionTable *t = table(3, 2, 2, 0);
        ConnectionSlot a[2] = {}, b[2] = {};

        assert_int_equal(connection_table_admit(t, ALICE, "s1", &a[0]), CONNECTION_ADMITTED);
        assert_int_equal(connection_table_admit(t, ALICE, "s1", &a[1]), CONNECTION_ADMITTED);
        assert_int_equal(connection_table_admit(t, BOB, "b1", &b[0]), CONNECTION_ADMITTED);
        assert_int_equal(connection_table_admit(t, BOB, "b1", &b[1]), CONNECTION_GATEWAY_FULL);
        /* The user's own cap is named first when both apply. */
        assert_int_equal(connection_table_admit(t, ALICE, "s1", &a[1]), CONNECTION_SESSION_FULL);
        connection_table_release(t, &a[0]);
        connection_table_release(t, &a[0]);     /* twice: no effect */
        assert_int_equal(t->n_total, 2);
        assert_int_equal(connection_table_admit(t, BOB, "b1", &b[1]), CONNECTION_ADMITTED);
}

static void test_verdict_strings(void **state) {
        for (ConnectionVerdict v = 0; v < _CONNECTION_VERDICT_MAX; v++)
                assert_int_equal(connection_verdict_from_string(connection_verdict_to_string(v)), v);
        assert_int_equal(connection_verdict_from_string("nope"), _CONNECTION_VERDICT_INVALID);
        assert_null(connection_verdict_to_string(_CONNECTION_VERDICT_MAX));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_session_cap),
                cmocka_unit_test(test_user_cap),
                cmocka_unit_test(test_outside_cap),
                cmocka_unit_test(test_flood_leaves_room),
                cmocka_unit_test(test_gateway_cap),
                cmocka_unit_test(test_verdict_strings),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
