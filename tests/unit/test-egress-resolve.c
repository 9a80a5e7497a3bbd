/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Counting the name lookups in flight, per user and in total. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cmocka.h>

#include "egress-resolve.h"

static void test_per_user(void **state) {
        EgressLookupCounts c = {};

        for (unsigned i = 0; i < 3; i++)
                assert_int_equal(egress_lookup_counts_acquire(&c, 1000, 3, 10), 0);
        assert_int_equal(egress_lookup_counts_acquire(&c, 1000, 3, 10), -EDQUOT);
        /* Another user is not held back by the first one's lookups. */
        assert_int_equal(egress_lookup_counts_acquire(&c, 1001, 3, 10), 0);
        assert_int_equal(egress_lookup_counts_get(&c, 1000), 3);
        assert_int_equal(egress_lookup_counts_get(&c, 1001), 1);
        assert_int_equal(egress_lookup_counts_get(&c, 1002), 0);
        assert_int_equal(c.total, 4);

        /* A finished lookup makes room for exactly one more. */
        egress_lookup_counts_release(&c, 1000);
        assert_int_equal(egress_lookup_counts_acquire(&c, 1000, 3, 10), 0);
        assert_int_equal(egress_lookup_counts_acquire(&c, 1000, 3, 10), -EDQUOT);
        assert_int_equal(c.total, 4);

        /* A user without any lookup left is forgotten. */
        egress_lookup_counts_release(&c, 1001);
        assert_int_equal(c.n_users, 1);
        assert_int_equal(egress_lookup_counts_acquire(&c, 1000, 0, 10), -EDQUOT);
        assert_int_equal(egress_lookup_counts_acquire(&c, 1002, 0, 10), -EDQUOT);
        egress_lookup_counts_done(&c);
}

static void test_total(void **state) {
        EgressLookupCounts c = {};

        /* Many users with a few lookups each fill the total, then nobody gets one. */
        for (uid_t u = 0; u < 20; u++)
                for (unsigned i = 0; i < 5; i++)
                        assert_int_equal(egress_lookup_counts_acquire(&c, u, 5, 100), 0);
        assert_int_equal(c.total, 100);
        assert_int_equal(c.n_users, 20);
        assert_int_equal(egress_lookup_counts_acquire(&c, 99, 5, 100), -EBUSY);
        /* The user's own limit is told first. */
        assert_int_equal(egress_lookup_counts_acquire(&c, 0, 5, 100), -EDQUOT);
        egress_lookup_counts_release(&c, 7);
        assert_int_equal(egress_lookup_counts_acquire(&c, 99, 5, 100), 0);
        assert_int_equal(egress_lookup_counts_acquire(&c, 98, 5, 100), -EBUSY);

        for (uid_t u = 0; u < 20; u++)
                for (unsigned i = 0; i < (u == 7 ? 4U : 5U); i++)
                        egress_lookup_counts_release(&c, u);
        egress_lookup_counts_release(&c, 99);
        assert_int_equal(c.total, 0);
        assert_int_equal(c.n_users, 0);
        egress_lookup_counts_done(&c);
}

/* The count drops when the lookup's thread is done, also when nobody reads its answer. */
static void test_start(void **state) {
        struct pollfd p = { .events = POLLIN };
        EgressAddresses a;
        unsigned total;
        int fd, orphan;

        assert_int_equal(egress_resolve_in_flight(4242, &total), 0);
        assert_int_equal(total, 0);
        /* Refused lookups leave nothing counted. */
        assert_int_equal(egress_resolve_start("127.0.0.1", 4242, 0, 10), -EDQUOT);
        assert_int_equal(egress_resolve_start("127.0.0.1", 4242, 2, 0), -EBUSY);
        assert_int_equal(egress_resolve_in_flight(4242, &total), 0);
        assert_int_equal(total, 0);

        fd = egress_resolve_start("127.0.0.1", 4242, 2, 10);
        assert_true(fd >= 0);
        orphan = egress_resolve_start("127.0.0.2", 4242, 2, 10);
        assert_true(orphan >= 0);
        (void) close(orphan);

        p.fd = fd;
        assert_int_equal(poll(&p, 1, 10000), 1);
        assert_int_equal(egress_resolve_read(fd, &a), 0);
        assert_int_equal(a.error, 0);
        assert_int_equal(a.n, 1);
        (void) close(fd);

        for (unsigned i = 0; i < 1000 && egress_resolve_in_flight(4242, NULL) > 0; i++)
                (void) usleep(10000);
        assert_int_equal(egress_resolve_in_flight(4242, &total), 0);
        assert_int_equal(total, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_per_user),
                cmocka_unit_test(test_total),
                cmocka_unit_test(test_start),
        };

        /* As in the proxy: an abandoned lookup's write must fail, not kill. */
        (void) signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
