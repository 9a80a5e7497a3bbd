/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The proxy's decisions: names and ports before resolution, each resolved address after it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <arpa/inet.h>

#include "egress-policy.h"
#include "strv.h"

static EgressPolicy policy;

static int setup(void **state) {
        Cidr c;

        policy = (EgressPolicy) { .ports = { 443, 80 }, .n_ports = 2 };
        assert_int_equal(strv_extend(&policy.allow_domains, "*.example.com"), 0);
        assert_int_equal(strv_extend(&policy.allow_domains, "pypi.org"), 0);
        assert_int_equal(cidr_from_string("203.0.113.7", &c), 0);       /* a model server */
        assert_int_equal(cidr_list_append(&policy.reserved, &c), 0);
        assert_int_equal(cidr_from_string("198.51.100.1", &c), 0);      /* the host itself */
        assert_int_equal(cidr_list_append(&policy.host, &c), 0);
        assert_int_equal(cidr_from_string("10.20.0.0/16", &c), 0);      /* an intranet mirror */
        assert_int_equal(cidr_list_append(&policy.allow_private, &c), 0);
        return 0;
}

static int teardown(void **state) {
        egress_policy_done(&policy);
        return 0;
}

static EgressVerdict request(const char *host, uint16_t port) {
        EgressHost h;

        assert_int_equal(egress_host_normalize(host, strlen(host), &h), 0);
        return egress_policy_check_request(&policy, &h, port);
}

static EgressVerdict address(const char *s) {
        uint8_t a[16];
        int family = strchr(s, ':') ? AF_INET6 : AF_INET;

        assert_int_equal(inet_pton(family, s, a), 1);
        return egress_policy_check_address(&policy, family, a);
}

static void test_requests(void **state) {
        assert_int_equal(request("git.example.com", 443), EGRESS_ALLOWED);
        assert_int_equal(request("GIT.Example.com.", 80), EGRESS_ALLOWED);
        assert_int_equal(request("pypi.org", 443), EGRESS_ALLOWED);
        assert_int_equal(request("example.com", 443), EGRESS_DENIED_NAME);
        assert_int_equal(request("files.pypi.org", 443), EGRESS_DENIED_NAME);
        assert_int_equal(request("evil.example", 443), EGRESS_DENIED_NAME);
        assert_int_equal(request("git.example.com", 22), EGRESS_DENIED_PORT);
        assert_int_equal(request("git.example.com", 8080), EGRESS_DENIED_PORT);
        assert_int_equal(request("93.184.216.34", 443), EGRESS_DENIED_LITERAL);
        assert_int_equal(request("2130706433", 80), EGRESS_DENIED_LITERAL);
        assert_int_equal(request("[::ffff:127.0.0.1]", 80), EGRESS_DENIED_LITERAL);
}

static void test_addresses(void **state) {
        assert_int_equal(address("93.184.216.34"), EGRESS_ALLOWED);
        assert_int_equal(address("2606:2800:220:1:248:1893:25c8:1946"), EGRESS_ALLOWED);
        assert_int_equal(address("10.20.3.4"), EGRESS_ALLOWED);

        assert_int_equal(address("127.0.0.1"), EGRESS_DENIED_FORBIDDEN);
        assert_int_equal(address("127.255.0.9"), EGRESS_DENIED_FORBIDDEN);
        assert_int_equal(address("::1"), EGRESS_DENIED_FORBIDDEN);
        assert_int_equal(address("::ffff:127.0.0.1"), EGRESS_DENIED_FORBIDDEN);
        assert_int_equal(address("0.0.0.0"), EGRESS_DENIED_FORBIDDEN);
        assert_int_equal(address("::"), EGRESS_DENIED_FORBIDDEN);
        assert_int_equal(address("169.254.169.254"), EGRESS_DENIED_FORBIDDEN);
        assert_int_equal(address("64:ff9b::a9fe:a9fe"), EGRESS_DENIED_FORBIDDEN);
        assert_int_equal(address("fe80::1"), EGRESS_DENIED_FORBIDDEN);
        assert_int_equal(address("fd00:ec2::254"), EGRESS_DENIED_FORBIDDEN);
        assert_int_equal(address("224.0.0.1"), EGRESS_DENIED_FORBIDDEN);

        assert_int_equal(address("203.0.113.7"), EGRESS_DENIED_RESERVED);
        assert_int_equal(address("::ffff:203.0.113.7"), EGRESS_DENIED_RESERVED);
        assert_int_equal(address("198.51.100.1"), EGRESS_DENIED_RESERVED);

        assert_int_equal(address("10.0.0.1"), EGRESS_DENIED_PRIVATE);
        assert_int_equal(address("::ffff:10.0.0.1"), EGRESS_DENIED_PRIVATE);
        assert_int_equal(address("172.16.0.1"), EGRESS_DENIED_PRIVATE);
        assert_int_equal(address("192.168.1.1"), EGRESS_DENIED_PRIVATE);
        assert_int_equal(address("100.64.0.1"), EGRESS_DENIED_PRIVATE);
        assert_int_equal(address("fd12:3456::1"), EGRESS_DENIED_PRIVATE);
}

static void test_verdict_strings(void **state) {
        for (EgressVerdict v = 0; v < _EGRESS_VERDICT_MAX; v++) {
                const char *s = egress_verdict_to_string(v);

                assert_non_null(s);
                assert_int_equal(egress_verdict_from_string(s), v);
        }
        assert_null(egress_verdict_to_string(_EGRESS_VERDICT_MAX));
        assert_int_equal(egress_verdict_from_string("maybe"), _EGRESS_VERDICT_INVALID);
        assert_int_equal(egress_verdict_from_string(NULL), _EGRESS_VERDICT_INVALID);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_requests, setup, teardown),
                cmocka_unit_test_setup_teardown(test_addresses, setup, teardown),
                cmocka_unit_test(test_verdict_strings),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
