/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsing proxy request heads and rewriting them for the upstream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "egress-request.h"

static int parse(const char *s, EgressRequest *r) {
        return egress_request_parse(s, strlen(s), r);
}

static void test_connect(void **state) {
        _cleanup_(egress_request_done) EgressRequest r = {};
        const char *s = "CONNECT git.example.com:443 HTTP/1.1\r\nHost: git.example.com:443\r\n\r\n\x16\x03\x01";

        assert_int_equal(egress_request_parse(s, strlen(s), &r), (int) strlen(s) - 3);
        assert_true(r.connect);
        assert_string_equal(r.host, "git.example.com");
        assert_int_equal(r.port, 443);
        assert_null(r.forward);
}

static void test_connect_ipv6(void **state) {
        _cleanup_(egress_request_done) EgressRequest r = {};

        assert_true(parse("CONNECT [::ffff:127.0.0.1]:443 HTTP/1.1\r\n\r\n", &r) > 0);
        assert_string_equal(r.host, "[::ffff:127.0.0.1]");
        assert_int_equal(r.port, 443);
}

static void test_incomplete(void **state) {
        EgressRequest r = {};

        assert_int_equal(parse("", &r), 0);
        assert_int_equal(parse("CONNECT a.example:443 HTTP/1.1\r\n", &r), 0);
        assert_int_equal(parse("GET http://a.example/ HTTP/1.1\r\nHost: a\r\n\r", &r), 0);
        assert_null(r.host);
}

static void test_forward(void **state) {
        _cleanup_(egress_request_done) EgressRequest r = {};
        const char *s = "GET http://Files.Example.com:8080/simple/pkg/?x=1 HTTP/1.1\r\n"
                        "Host: attacker.invalid\r\n"
                        "User-Agent: pip\r\n"
                        "Proxy-Authorization: Basic Zm9vOmJhcg==\r\n"
                        "Proxy-Connection: keep-alive\r\n"
                        "connection: keep-alive\r\n"
                        "Accept: */*\r\n\r\n";

        assert_int_equal(parse(s, &r), (int) strlen(s));
        assert_false(r.connect);
        assert_string_equal(r.host, "Files.Example.com");
        assert_int_equal(r.port, 8080);
        assert_string_equal(r.forward,
                            "GET /simple/pkg/?x=1 HTTP/1.1\r\n"
                            "Host: Files.Example.com:8080\r\n"
                            "User-Agent: pip\r\n"
                            "Accept: */*\r\n"
                            "Connection: close\r\n\r\n");
        assert_int_equal(r.forward_len, strlen(r.forward));
}

static void test_forward_default_path(void **state) {
        _cleanup_(egress_request_done) EgressRequest r = {};

        assert_true(parse("HEAD http://a.example HTTP/1.0\r\n\r\n", &r) > 0);
        assert_int_equal(r.port, 80);
        assert_string_equal(r.forward, "HEAD / HTTP/1.0\r\nHost: a.example\r\nConnection: close\r\n\r\n");
        egress_request_done(&r);
        assert_true(parse("GET http://a.example?q HTTP/1.1\r\n\r\n", &r) > 0);
        assert_string_equal(r.forward, "GET /?q HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n");
}

static void test_malformed(void **state) {
        static const char *const bad[] = {
                "CONNECT a.example HTTP/1.1\r\n\r\n",                   /* no port */
                "CONNECT a.example:0 HTTP/1.1\r\n\r\n",
                "CONNECT a.example:65536 HTTP/1.1\r\n\r\n",
                "CONNECT a.example:44x HTTP/1.1\r\n\r\n",
                "CONNECT user@a.example:443 HTTP/1.1\r\n\r\n",
                "CONNECT ::1:443 HTTP/1.1\r\n\r\n",
                "CONNECT [::1:443 HTTP/1.1\r\n\r\n",
                "CONNECT [::1]x:443 HTTP/1.1\r\n\r\n",
                "CONNECT a.example:443 HTTP/2.0\r\n\r\n",
                "CONNECT a.example:443  HTTP/1.1\r\n\r\n",
                "CONNECT a.example:443 HTTP/1.1\n\r\n\r\n",
                "GET /relative HTTP/1.1\r\nHost: a.example\r\n\r\n",  /* not a proxy request */
                "GET http://user:pw@a.example/ HTTP/1.1\r\n\r\n",
                "GET http:///path HTTP/1.1\r\n\r\n",
                "GET ftp://a.example/ HTTP/1.1\r\n\r\n",
                "GET http://a.example/ HTTP/1.1\r\nBad Header: x\r\n\r\n",
                "GET http://a.example/ HTTP/1.1\r\nX: a\r\n folded\r\n\r\n",
                "GET http://a.example/ HTTP/1.1\r\nX: a\nY: b\r\n\r\n",
                "GET http://a.example/ HTTP/1.1\r\nX: a\x01\r\n\r\n",
                "GET http://a.example/\x7f HTTP/1.1\r\n\r\n",
                "G(T http://a.example/ HTTP/1.1\r\n\r\n",
                " GET http://a.example/ HTTP/1.1\r\n\r\n",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                EgressRequest r = {};

                print_message("%s\n", bad[i]);
                assert_int_equal(parse(bad[i], &r), -EBADMSG);
                assert_null(r.host);
        }
}

static void test_https_and_size(void **state) {
        EgressRequest r = {};
        char *big;

        assert_int_equal(parse("GET https://a.example/ HTTP/1.1\r\n\r\n", &r), -EPROTONOSUPPORT);
        big = malloc(EGRESS_REQUEST_HEAD_MAX + 10);
        assert_non_null(big);
        memset(big, 'a', EGRESS_REQUEST_HEAD_MAX + 10);
        memcpy(big, "GET http://a.example/", 21);
        assert_int_equal(egress_request_parse(big, EGRESS_REQUEST_HEAD_MAX + 10, &r), -E2BIG);
        assert_int_equal(egress_request_parse(big, EGRESS_REQUEST_HEAD_MAX - 1, &r), 0);
        free(big);
}

static void test_authority(void **state) {
        _cleanup_free_ char *h = NULL;
        uint16_t port;

        assert_int_equal(egress_authority_split("a.example", 9, 80, &h, &port), 0);
        assert_string_equal(h, "a.example");
        assert_int_equal(port, 80);
        h = mfree(h);
        assert_int_equal(egress_authority_split("[2001:db8::1]:8443", 18, 80, &h, &port), 0);
        assert_string_equal(h, "[2001:db8::1]");
        assert_int_equal(port, 8443);
        assert_int_equal(egress_authority_split("a.example:", 10, 80, &h, &port), -EBADMSG);
        assert_int_equal(egress_authority_split("", 0, 80, &h, &port), -EBADMSG);
        assert_int_equal(egress_authority_split(":443", 4, 80, &h, &port), -EBADMSG);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_connect),
                cmocka_unit_test(test_connect_ipv6),
                cmocka_unit_test(test_incomplete),
                cmocka_unit_test(test_forward),
                cmocka_unit_test(test_forward_default_path),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_https_and_size),
                cmocka_unit_test(test_authority),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
