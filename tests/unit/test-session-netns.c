/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "session-netns.h"
#include "session-policy.h"
#include "strv.h"
#include "unit-props.h"

static void test_pool_pick(void **state) {
        uint32_t got = 99;

        assert_int_equal(session_netns_pool_pick(NULL, 0, &got), 0);
        assert_int_equal(got, 0);
        /* Unsorted, with duplicates: the lowest gap wins. */
        assert_int_equal(session_netns_pool_pick((uint32_t[]) { 3, 0, 1, 1, 5 }, 5, &got), 0);
        assert_int_equal(got, 2);
        assert_int_equal(session_netns_pool_pick((uint32_t[]) { 2, 1, 0 }, 3, &got), 0);
        assert_int_equal(got, 3);
        assert_int_equal(session_netns_pool_pick((uint32_t[]) { 7 }, 1, &got), 0);
        assert_int_equal(got, 0);
}

static void test_pool_full(void **state) {
        _cleanup_free_ uint32_t *all = calloc(SESSION_NETNS_POOL_SIZE, sizeof(uint32_t));
        uint32_t got = 42;

        assert_non_null(all);
        for (uint32_t i = 0; i < SESSION_NETNS_POOL_SIZE; i++)
                all[i] = SESSION_NETNS_POOL_SIZE - 1 - i;
        assert_int_equal(session_netns_pool_pick(all, SESSION_NETNS_POOL_SIZE, &got), -ENOSPC);
        assert_int_equal(got, 42);
        all[17] = 0;    /* index SIZE-18 is free again */
        assert_int_equal(session_netns_pool_pick(all, SESSION_NETNS_POOL_SIZE, &got), 0);
        assert_int_equal(got, SESSION_NETNS_POOL_SIZE - 18);
}

static void test_pool_addresses(void **state) {
        char host[16], session[16];

        assert_int_equal(session_netns_pool_addresses(0, host, session), 0);
        assert_string_equal(host, "100.64.0.0");
        assert_string_equal(session, "100.64.0.1");
        assert_int_equal(session_netns_pool_addresses(200, host, session), 0);
        assert_string_equal(host, "100.64.1.144");
        assert_string_equal(session, "100.64.1.145");
        /* The last /31 of 100.64.0.0/10, and nothing beyond it. */
        assert_int_equal(session_netns_pool_addresses(SESSION_NETNS_POOL_SIZE - 1, host, session), 0);
        assert_string_equal(host, "100.127.255.254");
        assert_string_equal(session, "100.127.255.255");
        assert_int_equal(session_netns_pool_addresses(SESSION_NETNS_POOL_SIZE, host, session), -ERANGE);
}

static void test_link_index(void **state) {
        uint32_t i = 0;

        assert_int_equal(session_netns_link_index("om-0", &i), 0);
        assert_int_equal(i, 0);
        assert_int_equal(session_netns_link_index("om-2097151", &i), 0);
        assert_int_equal(i, 2097151);
        static const char *const bad[] = {
                "om-", "om-01", "om-+1", "om--1", "om-1a", "om-2097152", "om-99999999999999999999",
                "eth0", "xom-1", "", NULL,
        };
        for (const char *const *b = bad; *b; b++)
                assert_int_equal(session_netns_link_index(*b, &i), -EINVAL);
}

static void test_batches(void **state) {
        _cleanup_free_ char *host = NULL, *peer = NULL;

        assert_int_equal(session_netns_host_batch("0123abcd", 1, &host), 0);
        assert_non_null(strstr(host, "netns add openmono-0123abcd\n"));
        assert_non_null(strstr(host, "link add om-1 type veth peer name eth0 netns openmono-0123abcd\n"));
        assert_non_null(strstr(host, "link set om-1 alias openmono-0123abcd addrgenmode none\n"));
        assert_non_null(strstr(host, "addr add 100.64.0.2/31 dev om-1\n"));
        assert_int_equal(session_netns_peer_batch(1, &peer), 0);
        assert_non_null(strstr(peer, "addr add 100.64.0.3/31 dev eth0\n"));
        assert_non_null(strstr(peer, "route add default via 100.64.0.2 dev eth0\n"));
        /* Ids end up in commands and paths: nothing but [0-9a-z]. */
        assert_int_equal(session_netns_host_batch("a b", 1, &peer), -EINVAL);
        assert_int_equal(session_netns_host_batch("../x", 1, &peer), -EINVAL);
        assert_int_equal(session_netns_host_batch("A", 1, &peer), -EINVAL);
        assert_int_equal(session_netns_host_batch("", 1, &peer), -EINVAL);
        assert_int_equal(session_netns_host_batch("a", SESSION_NETNS_POOL_SIZE, &peer), -ERANGE);
        assert_non_null(strstr(session_netns_ruleset(), "iifname \"om-*\" drop\n"));
}

static void test_url_host(void **state) {
        static const char *const cases[][2] = {
                { "http://127.0.0.1:8080/v1", "127.0.0.1" },
                { "https://models.example.com/v1", "models.example.com" },
                { "http://[fd00::5]:11434/v1", "fd00::5" },
                { "http://user:pw@10.77.0.3:80/v1", "10.77.0.3" },
                { "http://10.77.0.3", "10.77.0.3" },
                { "http://h?x=a@b", "h" },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                _cleanup_free_ char *h = NULL;

                assert_int_equal(session_netns_url_host(cases[i][0], &h), 0);
                assert_string_equal(h, cases[i][1]);
        }
        char *h = NULL;
        assert_int_equal(session_netns_url_host("10.0.0.1:80", &h), -EINVAL);
        assert_int_equal(session_netns_url_host("http://[]/", &h), -EINVAL);
        assert_int_equal(session_netns_url_host("http://:80/", &h), -EINVAL);
        assert_null(h);
}

/* Returns the run arguments of a policy with the upstream 10.77.0.3 cut out. */
static char **policy_args(NetworkPolicy network) {
        _cleanup_(session_policy_freep) SessionPolicy *p = session_policy_new();
        _cleanup_(unit_properties_freep) UnitProperties *u = NULL;
        char **args = NULL;

        assert_non_null(p);
        p->session_id = strdup("s1");
        p->project = strdup("app");
        p->owner_name = strdup("alice");
        p->owner_uid = p->owner_gid = 1000;
        p->workspace = strdup("/home/alice/src/app");
        p->workspace_mount = strdup("/run/openmono/mounts/s1/workspace");
        p->network = network;
        assert_int_equal(strv_extend(&p->argv, "/bin/true"), 0);
        assert_int_equal(strv_extend(&p->unreachable_cidrs, "10.77.0.3/32"), 0);
        if (network == NETWORK_POLICY_ALLOWLIST)
                assert_int_equal(strv_extend(&p->allowed_cidrs, "10.77.0.0/30"), 0);
        assert_int_equal(session_policy_to_unit_properties(p, &u), 0);
        assert_int_equal(unit_properties_to_run_args(u, &args), 0);
        return args;
}

static void test_upstream_subtracted(void **state) {
        _cleanup_strv_free_ char **intranet = policy_args(NETWORK_POLICY_INTRANET);
        _cleanup_strv_free_ char **allowlist = policy_args(NETWORK_POLICY_ALLOWLIST);
        _cleanup_strv_free_ char **internet = policy_args(NETWORK_POLICY_INTERNET);

        /* 10.0.0.0/8 minus one address: its neighbours stay, the address and 10/8 itself go. */
        assert_true(strv_contains(intranet, "IPAddressAllow=10.77.0.2/32"));
        assert_true(strv_contains(intranet, "IPAddressAllow=192.168.0.0/16"));
        assert_false(strv_contains(intranet, "IPAddressAllow=10.0.0.0/8"));
        assert_false(strv_contains(intranet, "IPAddressAllow=10.77.0.3/32"));
        assert_true(strv_contains(intranet, "NetworkNamespacePath=/run/netns/openmono-s1"));
        assert_true(strv_contains(allowlist, "IPAddressAllow=10.77.0.0/31"));
        assert_true(strv_contains(allowlist, "IPAddressAllow=10.77.0.2/32"));
        assert_false(strv_contains(allowlist, "IPAddressAllow=192.168.0.0/16"));
        /* internet: everything but the upstream, in its own namespace too. */
        assert_true(strv_contains(internet, "IPAddressDeny=0.0.0.0/0"));
        assert_true(strv_contains(internet, "IPAddressAllow=10.77.0.2/32"));
        assert_true(strv_contains(internet, "IPAddressAllow=128.0.0.0/1"));
        assert_true(strv_contains(internet, "IPAddressAllow=::/0"));
        assert_false(strv_contains(internet, "IPAddressAllow=10.77.0.3/32"));
        assert_true(strv_contains(internet, "BindsTo=openmono-netns@s1.service"));
}

static void test_none_has_no_netns(void **state) {
        _cleanup_(session_policy_freep) SessionPolicy *p = session_policy_new();
        _cleanup_(unit_properties_freep) UnitProperties *u = NULL;
        _cleanup_strv_free_ char **args = NULL;

        p->session_id = strdup("s1");
        p->project = strdup("app");
        p->owner_name = strdup("alice");
        p->owner_uid = p->owner_gid = 1000;
        p->workspace = strdup("/home/alice/src/app");
        p->workspace_mount = strdup("/run/openmono/mounts/s1/workspace");
        p->network = NETWORK_POLICY_NONE;
        assert_int_equal(strv_extend(&p->argv, "/bin/true"), 0);
        assert_int_equal(session_policy_to_unit_properties(p, &u), 0);
        assert_int_equal(unit_properties_to_run_args(u, &args), 0);
        assert_true(strv_contains(args, "PrivateNetwork=yes"));
        for (char **a = args; *a; a++)
                assert_null(strstr(*a, "openmono-netns"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pool_pick),
                cmocka_unit_test(test_pool_full),
                cmocka_unit_test(test_pool_addresses),
                cmocka_unit_test(test_link_index),
                cmocka_unit_test(test_batches),
                cmocka_unit_test(test_url_host),
                cmocka_unit_test(test_upstream_subtracted),
                cmocka_unit_test(test_none_has_no_netns),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
