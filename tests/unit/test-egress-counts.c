/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The per-session counts file, both ways. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "egress-counts.h"

static void test_round_trip(void **state) {
        const EgressCounts c = { .allowed = 3, .denied = 2, .bytes_sent = 1234, .bytes_received = UINT64_MAX };
        char text[EGRESS_COUNTS_TEXT_MAX];
        EgressCounts d;
        size_t n;

        n = egress_counts_format(&c, text, sizeof(text));
        assert_int_equal(n, strlen(text));
        assert_string_equal(text, "allowed=3\ndenied=2\nbytes_sent=1234\nbytes_received=18446744073709551615\n");
        assert_int_equal(egress_counts_parse(text, n, &d), 0);
        assert_memory_equal(&c, &d, sizeof(c));
}

static void test_parse(void **state) {
        static const char text[] = "denied=7\nfuture=x\n\nallowed=1";
        EgressCounts d = { .allowed = 99 };

        assert_int_equal(egress_counts_parse(text, strlen(text), &d), 0);
        assert_int_equal(d.allowed, 1);
        assert_int_equal(d.denied, 7);
        assert_int_equal(d.bytes_sent, 0);
        assert_int_equal(egress_counts_parse("", 0, &d), 0);
        assert_int_equal(d.allowed, 0);

        d.allowed = 5;
        assert_int_equal(egress_counts_parse("allowed=-1\n", 11, &d), -EBADMSG);
        assert_int_equal(egress_counts_parse("allowed=\n", 9, &d), -EBADMSG);
        assert_int_equal(egress_counts_parse("allowed=123456789012345678901\n", 30, &d), -EBADMSG);
        assert_int_equal(egress_counts_parse("allowed=18446744073709551616\n", 29, &d), -EBADMSG);
        assert_int_equal(d.allowed, 5);         /* untouched on failure */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_parse),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
