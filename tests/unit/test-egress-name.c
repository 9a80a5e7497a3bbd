/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Host normalisation and AllowDomain= patterns: every spelling of a name or an address must come
 * out as the one spelling the rules are written for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <sys/socket.h>

#include "egress-name.h"
#include "strv.h"

static void check_name(const char *in, const char *expected) {
        EgressHost h;

        assert_int_equal(egress_host_normalize(in, strlen(in), &h), 0);
        assert_int_equal(h.kind, EGRESS_HOST_NAME);
        assert_string_equal(h.name, expected);
}

static void check_address(const char *in, int family, const char *expected) {
        EgressHost h;

        assert_int_equal(egress_host_normalize(in, strlen(in), &h), 0);
        assert_int_equal(h.kind, EGRESS_HOST_ADDRESS);
        assert_int_equal(h.family, family);
        assert_string_equal(h.name, expected);
}

static void check_invalid(const char *in, size_t n) {
        EgressHost h;

        assert_int_equal(egress_host_normalize(in, n, &h), -EINVAL);
}

static void test_names(void **state) {
        check_name("Example.COM", "example.com");
        check_name("example.com.", "example.com");
        check_name("registry.npmjs.org", "registry.npmjs.org");
        check_name("xn--bcher-kva.example", "xn--bcher-kva.example");
        check_name("_srv.a-b.example", "_srv.a-b.example");
        check_name("localhost", "localhost");
        check_name("a1.example", "a1.example");
}

static void test_invalid(void **state) {
        check_invalid("", 0);
        check_invalid(".", 1);
        check_invalid("example..com", 12);
        check_invalid(".example.com", 12);
        check_invalid("example.com..", 13);
        check_invalid("bücher.example", strlen("bücher.example"));
        check_invalid("exa mple.com", 12);
        check_invalid("exa%41mple.com", 14);
        check_invalid("user@example.com", 16);
        check_invalid("example.com\0.evil", 17);
        check_invalid("1.2.3.4.5", 9);
        check_invalid("foo.123", 7);
        check_invalid("0x7g.1", 6);
        check_invalid("::1", 3);
        check_invalid("[example.com]", 13);
        check_invalid("[1.2.3.4]", 9);
        check_invalid("[fe80::1%eth0]", 14);
        check_invalid("[::1", 4);
        /* 64 bytes in one label */
        check_invalid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", 68);
}

static void test_ipv4_spellings(void **state) {
        check_address("127.0.0.1", AF_INET, "127.0.0.1");
        check_address("2130706433", AF_INET, "127.0.0.1");
        check_address("0177.0.0.1", AF_INET, "127.0.0.1");
        check_address("0x7f.1", AF_INET, "127.0.0.1");
        check_address("0x7F000001", AF_INET, "127.0.0.1");
        check_address("127.1", AF_INET, "127.0.0.1");
        check_address("127.0.0.1.", AF_INET, "127.0.0.1");
        check_address("169.254.169.254", AF_INET, "169.254.169.254");
        check_address("0251.0376.0251.0376", AF_INET, "169.254.169.254");
}

static void test_ipv6_spellings(void **state) {
        check_address("[::1]", AF_INET6, "::1");
        check_address("[::ffff:127.0.0.1]", AF_INET, "127.0.0.1");
        check_address("[::FFFF:7f00:1]", AF_INET, "127.0.0.1");
        check_address("[::127.0.0.1]", AF_INET, "127.0.0.1");
        check_address("[64:ff9b::a9fe:a9fe]", AF_INET, "169.254.169.254");
        check_address("[2001:DB8::1]", AF_INET6, "2001:db8::1");
        check_address("[::]", AF_INET6, "::");
}

static void test_patterns(void **state) {
        _cleanup_free_ char *a = NULL, *b = NULL;
        char *p = NULL;

        assert_int_equal(egress_pattern_normalize("*.Example.COM.", &a), 0);
        assert_string_equal(a, "*.example.com");
        assert_int_equal(egress_pattern_normalize("PyPI.org", &b), 0);
        assert_string_equal(b, "pypi.org");
        assert_int_equal(egress_pattern_normalize("*", &p), -EINVAL);
        assert_int_equal(egress_pattern_normalize("*.", &p), -EINVAL);
        assert_int_equal(egress_pattern_normalize("a.*.example.com", &p), -EINVAL);
        assert_int_equal(egress_pattern_normalize("*example.com", &p), -EINVAL);
        assert_int_equal(egress_pattern_normalize("**.example.com", &p), -EINVAL);
        assert_int_equal(egress_pattern_normalize("10.0.0.1", &p), -EINVAL);
        assert_int_equal(egress_pattern_normalize("*.10.0.0.1", &p), -EINVAL);
        assert_int_equal(egress_pattern_normalize("[::1]", &p), -EINVAL);
        assert_int_equal(egress_pattern_normalize("", &p), -EINVAL);
        assert_null(p);
}

static void test_match(void **state) {
        char *l[] = { (char *) "*.example.com", (char *) "pypi.org", NULL };

        assert_true(egress_pattern_match("*.example.com", "a.example.com"));
        assert_true(egress_pattern_match("*.example.com", "a.b.example.com"));
        assert_false(egress_pattern_match("*.example.com", "example.com"));
        assert_false(egress_pattern_match("*.example.com", "badexample.com"));
        assert_false(egress_pattern_match("*.example.com", "example.com.evil"));
        assert_true(egress_pattern_match("pypi.org", "pypi.org"));
        assert_false(egress_pattern_match("pypi.org", "files.pypi.org"));
        assert_false(egress_pattern_match("pypi.org", "pypi.org.evil.example"));
        assert_true(egress_pattern_list_match(l, "pypi.org"));
        assert_true(egress_pattern_list_match(l, "x.example.com"));
        assert_false(egress_pattern_list_match(l, "evil.example"));
        assert_false(egress_pattern_list_match(NULL, "pypi.org"));
}

static void test_ceiling(void **state) {
        char *site[] = { (char *) "*.example.com", (char *) "pypi.org", NULL };
        char *narrower[] = { (char *) "git.example.com", (char *) "*.a.example.com", (char *) "*.example.com",
                             (char *) "pypi.org", NULL };
        char *wider1[] = { (char *) "example.com", NULL };
        char *wider2[] = { (char *) "*.pypi.org", NULL };
        char *wider3[] = { (char *) "pypi.org", (char *) "*.com", NULL };

        assert_true(egress_pattern_within("a.example.com", "*.example.com"));
        assert_true(egress_pattern_within("*.a.example.com", "*.example.com"));
        assert_true(egress_pattern_within("*.example.com", "*.example.com"));
        assert_false(egress_pattern_within("*.example.com", "*.a.example.com"));
        assert_false(egress_pattern_within("example.com", "*.example.com"));
        assert_false(egress_pattern_within("*.pypi.org", "pypi.org"));
        assert_false(egress_pattern_within("*.xexample.com", "*.example.com"));

        assert_null(egress_pattern_list_outside(narrower, site));
        assert_null(egress_pattern_list_outside(NULL, site));
        assert_string_equal(egress_pattern_list_outside(wider1, site), "example.com");
        assert_string_equal(egress_pattern_list_outside(wider2, site), "*.pypi.org");
        assert_string_equal(egress_pattern_list_outside(wider3, site), "*.com");
        assert_string_equal(egress_pattern_list_outside(wider3, NULL), "pypi.org");
}

static void check_clamp(char *const *requested, char *const *ceiling, const char *const *expected) {
        _cleanup_strv_free_ char **l = NULL;
        size_t i = 0;

        assert_int_equal(egress_pattern_list_clamp(requested, ceiling, &l), 0);
        for (; expected[i]; i++) {
                assert_non_null(l);
                assert_non_null(l[i]);
                assert_string_equal(l[i], expected[i]);
        }
        assert_true(i == 0 ? l == NULL : l[i] == NULL);
}

/* A new ceiling applied to a list accepted under an old one. */
static void test_clamp(void **state) {
        char *requested[] = { (char *) "*.example.com", (char *) "pypi.org", (char *) "npm.test", NULL };
        char *narrowed[] = { (char *) "git.example.com", (char *) "*.a.example.com", (char *) "pypi.org", NULL };
        char *wider[] = { (char *) "*.com", (char *) "*.org", (char *) "npm.test", (char *) "other.test", NULL };
        char *overlap[] = { (char *) "*.example.com", (char *) "git.example.com", (char *) "*.example.com", NULL };
        char *other[] = { (char *) "evil.test", (char *) "*.com.evil", NULL };

        /* Narrowed: each ceiling pattern within a request takes its place, the rest goes. */
        check_clamp(requested, narrowed, (const char *[]) { "git.example.com", "*.a.example.com", "pypi.org", NULL });
        /* Widened: the request stays as asked, nothing of the wider ceiling is added. */
        check_clamp(requested, wider, (const char *[]) { "*.example.com", "pypi.org", "npm.test", NULL });
        /* Unchanged is unchanged. */
        check_clamp(requested, requested, (const char *[]) { "*.example.com", "pypi.org", "npm.test", NULL });
        /* Nothing in common, or no ceiling at all: nothing left. */
        check_clamp(requested, other, (const char *[]) { NULL });
        check_clamp(requested, NULL, (const char *[]) { NULL });
        check_clamp(NULL, narrowed, (const char *[]) { NULL });
        /* No pattern twice, whichever way it got in. */
        check_clamp(overlap, narrowed, (const char *[]) { "git.example.com", "*.a.example.com", NULL });
        check_clamp(overlap, overlap, (const char *[]) { "*.example.com", "git.example.com", NULL });
        /* A wildcard never stands in for the name it is the suffix of, nor the other way round. */
        check_clamp((char *[]) { (char *) "example.com", NULL }, (char *[]) { (char *) "*.example.com", NULL },
                    (const char *[]) { NULL });
        check_clamp((char *[]) { (char *) "*.example.com", NULL }, (char *[]) { (char *) "example.com", NULL },
                    (const char *[]) { NULL });
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_invalid),
                cmocka_unit_test(test_ipv4_spellings),
                cmocka_unit_test(test_ipv6_spellings),
                cmocka_unit_test(test_patterns),
                cmocka_unit_test(test_match),
                cmocka_unit_test(test_ceiling),
                cmocka_unit_test(test_clamp),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
