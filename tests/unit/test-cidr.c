/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* CIDR arithmetic behind the network ceilings: spellings, containment, subtraction, and the
 * forbidden ranges in every form an attacker could write them. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "cidr.h"
#include "strv.h"

static Cidr parse(const char *s) {
        Cidr c;

        assert_int_equal(cidr_from_string(s, &c), 0);
        return c;
}

static void assert_cidr(const char *in, const char *out) {
        char buf[CIDR_STRING_MAX];
        Cidr c = parse(in);

        assert_string_equal(cidr_to_string(&c, buf), out);
}

static void test_spellings(void **state) {
        Cidr c;

        assert_cidr("10.0.0.0/8", "10.0.0.0/8");
        assert_cidr("10.1.2.3", "10.1.2.3/32");
        assert_cidr("fc00::/7", "fc00::/7");
        assert_cidr("::1", "::1/128");
        assert_cidr("::", "::/128");
        assert_cidr("0.0.0.0/0", "0.0.0.0/0");
        assert_cidr("::/0", "::/0");
        /* IPv4-mapped addresses travel as IPv4 and are judged as IPv4. */
        assert_cidr("::ffff:127.0.0.1", "127.0.0.1/32");
        assert_cidr("::ffff:7f00:1", "127.0.0.1/32");
        assert_cidr("::FFFF:10.0.0.0/104", "10.0.0.0/8");
        assert_cidr("::ffff:0.0.0.0/96", "0.0.0.0/0");
        /* Shorter than the mapped prefix: stays IPv6. */
        assert_cidr("::fffe:0:0/95", "::fffe:0:0/95");
        /* IPv4-compatible addresses stay IPv6 (the kernel does not send them as IPv4). */
        assert_cidr("::127.0.0.1", "::127.0.0.1/128");
        assert_int_equal(cidr_from_string("10.0.0.1/8", &c), -EINVAL);
        assert_int_equal(cidr_from_string("::ffff:127.0.0.1/97", &c), -EINVAL);
        assert_int_equal(cidr_from_string("127.1", &c), -EINVAL);
        assert_int_equal(cidr_from_string("0x7f.0.0.1", &c), -EINVAL);
        assert_int_equal(cidr_from_string("2130706433", &c), -EINVAL);
        assert_int_equal(cidr_from_string("10.0.0.0/33", &c), -EINVAL);
        assert_int_equal(cidr_from_string("", &c), -EINVAL);
}

static void test_contains(void **state) {
        Cidr a = parse("10.0.0.0/8"), b = parse("10.255.255.255"), c = parse("11.0.0.0/8"),
             all = parse("0.0.0.0/0"), v6all = parse("::/0"), ula = parse("fc00::/7"), fd = parse("fd12::/16");

        assert_true(cidr_contains(&a, &b));
        assert_false(cidr_contains(&b, &a));
        assert_true(cidr_overlaps(&b, &a));
        assert_false(cidr_overlaps(&a, &c));
        assert_true(cidr_contains(&a, &a));
        assert_true(cidr_contains(&all, &a));
        assert_true(cidr_contains(&all, &c));
        /* Families never contain each other. */
        assert_false(cidr_contains(&v6all, &a));
        assert_false(cidr_overlaps(&all, &ula));
        assert_true(cidr_contains(&ula, &fd));
        assert_false(cidr_contains(&fd, &ula));
}

static char **subtract(const char *a, const char *const *minus) {
        _cleanup_strv_free_ char **m = strv_copy((char *const *) minus);
        _cleanup_free_ Cidr *ml = NULL;
        char **out = NULL;
        Cidr x = parse(a);
        int n;

        n = cidr_list_parse(m, &ml, NULL);
        assert_true(n >= 0);
        assert_int_equal(cidr_list_subtract_format(&x, 1, ml, (size_t) n, &out), 0);
        return out;
}

static void assert_strv(char **l, const char *const *expected) {
        size_t i = 0;

        for (; expected[i]; i++) {
                assert_non_null(l);
                assert_non_null(l[i]);
                assert_string_equal(l[i], expected[i]);
        }
        assert_true(!l || !l[i]);
}

static void test_subtract(void **state) {
        _cleanup_strv_free_ char **a = subtract("10.0.0.0/8", (const char *[]) { "10.0.0.0/9", NULL });
        _cleanup_strv_free_ char **b = subtract("10.0.0.0/8", (const char *[]) { "10.0.0.0/8", NULL });
        _cleanup_strv_free_ char **c = subtract("10.0.0.0/8", (const char *[]) { "0.0.0.0/0", NULL });
        _cleanup_strv_free_ char **d = subtract("10.0.0.0/8", (const char *[]) { "11.0.0.0/8", "fc00::/7", NULL });
        _cleanup_strv_free_ char **e = subtract("10.0.0.0/30", (const char *[]) { "10.0.0.1", NULL });
        _cleanup_strv_free_ char **f = subtract("10.0.0.0/30", (const char *[]) { "10.0.0.1", "10.0.0.2/31", NULL });
        _cleanup_strv_free_ char **g = subtract("0.0.0.0/0", (const char *[]) { "128.0.0.0/1", NULL });
        _cleanup_strv_free_ char **h = subtract("10.1.2.3", (const char *[]) { "10.1.2.3", NULL });

        assert_strv(a, (const char *[]) { "10.128.0.0/9", NULL });
        assert_null(b);
        assert_null(c);
        assert_strv(d, (const char *[]) { "10.0.0.0/8", NULL });
        assert_strv(e, (const char *[]) { "10.0.0.2/31", "10.0.0.0/32", NULL });
        assert_strv(f, (const char *[]) { "10.0.0.0/32", NULL });
        assert_strv(g, (const char *[]) { "0.0.0.0/1", NULL });
        assert_null(h);
}

/* fc00::/7 minus the one metadata address is 121 prefixes that cover everything else. */
static void test_subtract_ipv6(void **state) {
        _cleanup_strv_free_ char **l = subtract("fc00::/7", (const char *[]) { "fd00:ec2::254", NULL });
        _cleanup_free_ Cidr *left = NULL;
        Cidr meta = parse("fd00:ec2::254"), near = parse("fd00:ec2::255"), ula = parse("fc00::/7");
        int n;

        assert_int_equal(strv_length(l), 121);
        n = cidr_list_parse(l, &left, NULL);
        assert_int_equal(n, 121);
        assert_int_equal(cidr_covered_by(&meta, left, (size_t) n), 0);
        assert_int_equal(cidr_covered_by(&near, left, (size_t) n), 1);
        for (int i = 0; i < n; i++) {
                assert_true(cidr_contains(&ula, &left[i]));
                assert_false(cidr_overlaps(&left[i], &meta));
                for (int j = i + 1; j < n; j++)
                        assert_false(cidr_overlaps(&left[i], &left[j]));
        }
}

static void test_covered(void **state) {
        Cidr halves[] = { parse("10.0.0.0/9"), parse("10.128.0.0/9") }, ten = parse("10.0.0.0/8"),
             big = parse("10.0.0.0/7"), one = parse("10.200.0.1"), other = parse("192.168.1.1");

        /* Covered by the union, not by either half alone. */
        assert_int_equal(cidr_covered_by(&ten, halves, 2), 1);
        assert_int_equal(cidr_covered_by(&one, halves, 2), 1);
        /* Partly outside. */
        assert_int_equal(cidr_covered_by(&big, halves, 2), 0);
        assert_int_equal(cidr_covered_by(&other, halves, 2), 0);
        assert_int_equal(cidr_covered_by(&other, NULL, 0), 0);
}

static void assert_forbidden(const char *s, const char *why) {
        const char *w = NULL;
        Cidr c = parse(s);

        assert_non_null(cidr_forbidden_overlap(&c, &w));
        assert_non_null(w);
        if (why)
                assert_string_equal(w, why);
}

static void assert_not_forbidden(const char *s) {
        Cidr c = parse(s);

        assert_null(cidr_forbidden_overlap(&c, NULL));
}

static void test_forbidden(void **state) {
        assert_forbidden("127.0.0.0/8", "loopback addresses");
        assert_forbidden("127.0.0.1", "loopback addresses");
        assert_forbidden("127.255.255.254/31", "loopback addresses");
        assert_forbidden("::1", NULL);
        assert_forbidden("::", NULL);
        assert_forbidden("::ffff:127.0.0.1", "loopback addresses");
        assert_forbidden("::ffff:127.0.0.0/104", "loopback addresses");
        assert_forbidden("::ffff:0:0/96", NULL);
        assert_forbidden("::fffe:0:0/95", NULL);
        assert_forbidden("::127.0.0.1", "loopback addresses");
        assert_forbidden("::/96", NULL);
        assert_forbidden("0.0.0.0", NULL);
        assert_forbidden("0.1.2.3", NULL);
        assert_forbidden("169.254.169.254", "link-local and cloud metadata addresses");
        assert_forbidden("::ffff:169.254.169.254", "link-local and cloud metadata addresses");
        assert_forbidden("fe80::1", "link-local addresses");
        assert_forbidden("febf::/16", "link-local addresses");
        assert_forbidden("fd00:ec2::254", "the cloud metadata address");
        assert_forbidden("fd00::/8", "the cloud metadata address");
        assert_forbidden("fc00::/7", "the cloud metadata address");
        assert_forbidden("224.0.0.1", "multicast addresses");
        assert_forbidden("239.255.255.250", "multicast addresses");
        assert_forbidden("ff02::1", "multicast addresses");
        assert_forbidden("255.255.255.255", "the broadcast address");
        /* Wide ranges that include any of them. */
        assert_forbidden("0.0.0.0/0", NULL);
        assert_forbidden("::/0", NULL);
        assert_forbidden("64.0.0.0/2", NULL);
        assert_forbidden("96.0.0.0/3", "loopback addresses");
        assert_forbidden("160.0.0.0/4", NULL);
        assert_forbidden("fe00::/7", NULL);

        assert_not_forbidden("10.0.0.0/8");
        assert_not_forbidden("172.16.0.0/12");
        assert_not_forbidden("192.168.0.0/16");
        assert_not_forbidden("fd12:3456::/32");
        assert_not_forbidden("fd00:ec2::253");
        assert_not_forbidden("::ffff:10.1.2.3");
        assert_not_forbidden("128.0.0.0/3");
        assert_not_forbidden("126.255.255.255");
        assert_not_forbidden("128.0.0.0");
        assert_not_forbidden("169.253.255.255");
        assert_not_forbidden("169.255.0.0");
        assert_not_forbidden("223.255.255.255");
        assert_not_forbidden("240.0.0.0/5");
        assert_not_forbidden("2001:db8::/32");
        assert_not_forbidden("fec0::/10");
        assert_not_forbidden("::2:0:0/96");
        assert_not_forbidden("::1:0:0:0/80");
        /* ::0.1.0.0 is the compatible spelling of 0.1.0.0, inside 0.0.0.0/8. */
        assert_forbidden("::1:0/112", NULL);
}

/* Subtracting the forbidden ranges from the whole space leaves nothing forbidden and keeps the
 * rest. */
static void test_forbidden_subtracted(void **state) {
        _cleanup_free_ Cidr *left4 = NULL, *left6 = NULL;
        Cidr all4 = parse("0.0.0.0/0"), all6 = parse("::/0"), pub = parse("8.8.8.8"), ula = parse("fd12::1");
        size_t nf;
        const Cidr *f = cidr_forbidden_ranges(&nf);
        int n4, n6;

        n4 = cidr_subtract(&all4, f, nf, &left4);
        n6 = cidr_subtract(&all6, f, nf, &left6);
        assert_true(n4 > 0);
        assert_true(n6 > 0);
        for (int i = 0; i < n4; i++)
                assert_null(cidr_forbidden_overlap(&left4[i], NULL));
        for (int i = 0; i < n6; i++)
                assert_null(cidr_forbidden_overlap(&left6[i], NULL));
        assert_int_equal(cidr_covered_by(&pub, left4, (size_t) n4), 1);
        assert_int_equal(cidr_covered_by(&ula, left6, (size_t) n6), 1);
}

static void test_list_parse(void **state) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ Cidr *a = NULL;
        const char *bad = NULL;

        assert_int_equal(cidr_list_parse(NULL, &a, NULL), 0);
        assert_null(a);
        assert_int_equal(strv_extend(&l, "10.0.0.0/8"), 0);
        assert_int_equal(strv_extend(&l, "::ffff:1.2.3.4"), 0);
        assert_int_equal(cidr_list_parse(l, &a, NULL), 2);
        assert_int_equal(a[1].family, AF_INET);
        assert_int_equal(a[1].prefixlen, 32);
        a = mfree(a);
        assert_int_equal(strv_extend(&l, "nope"), 0);
        assert_int_equal(cidr_list_parse(l, &a, &bad), -EINVAL);
        assert_string_equal(bad, "nope");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_spellings),
                cmocka_unit_test(test_contains),
                cmocka_unit_test(test_subtract),
                cmocka_unit_test(test_subtract_ipv6),
                cmocka_unit_test(test_covered),
                cmocka_unit_test(test_forbidden),
                cmocka_unit_test(test_forbidden_subtracted),
                cmocka_unit_test(test_list_parse),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
