/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "conf-parser.h"
#include "session-netns.h"
#include "session-policy.h"
#include "strv.h"
#include "unit-props.h"

static Cidr cidr(const char *s) {
        Cidr c;

        assert_int_equal(cidr_from_string(s, &c), 0);
        return c;
}

static SessionNetnsState state_default(void) {
        SessionNetnsState s = {};

        session_netns_pools_init(&s.pools);
        return s;
}

static void test_pool_pick(void **state) {
        uint32_t got = 99;

        assert_int_equal(session_netns_pool_pick(NULL, 0, 8, &got), 0);
        assert_int_equal(got, 0);
        /* Unsorted, with duplicates: the lowest gap wins. */
        assert_int_equal(session_netns_pool_pick((uint32_t[]) { 3, 0, 1, 1, 5 }, 5, 8, &got), 0);
        assert_int_equal(got, 2);
        assert_int_equal(session_netns_pool_pick((uint32_t[]) { 2, 1, 0 }, 3, 8, &got), 0);
        assert_int_equal(got, 3);
        assert_int_equal(session_netns_pool_pick((uint32_t[]) { 7 }, 1, 8, &got), 0);
        assert_int_equal(got, 0);
        /* Links beyond a smaller pool of now (an earlier, larger one) do not count against it. */
        assert_int_equal(session_netns_pool_pick((uint32_t[]) { 0, 1, 100 }, 3, 8, &got), 0);
        assert_int_equal(got, 2);
}

static void test_pool_full(void **state) {
        uint32_t size = UINT32_C(1) << 21;      /* the default pools: 100.64.0.0/10 in /31s */
        _cleanup_free_ uint32_t *all = calloc(size, sizeof(uint32_t));
        SessionNetnsState s = state_default();
        uint32_t got = 42;

        assert_int_equal(session_netns_pools_capacity(&s.pools), size);
        assert_non_null(all);
        for (uint32_t i = 0; i < size; i++)
                all[i] = size - 1 - i;
        assert_int_equal(session_netns_pool_pick(all, size, size, &got), -ENOSPC);
        assert_int_equal(got, 42);
        all[17] = 0;    /* index SIZE-18 is free again */
        assert_int_equal(session_netns_pool_pick(all, size, size, &got), 0);
        assert_int_equal(got, size - 18);
}

static void test_pool_capacity(void **state) {
        SessionNetnsPools p = { .pool = cidr("10.200.0.0/24"), .pool6 = cidr("fd00:1::/120") };

        /* The smaller pool decides: 128 /31s against 128 /127s, then 8 /127s of a /124. */
        assert_int_equal(session_netns_pools_capacity(&p), 128);
        p.pool6 = cidr("fd00:1::/124");
        assert_int_equal(session_netns_pools_capacity(&p), 8);
        /* Without IPv6 only the IPv4 pool counts; a /8 is as many as link names can count. */
        p.pool6 = (Cidr) {};
        p.pool = cidr("10.0.0.0/8");
        assert_int_equal(session_netns_pools_capacity(&p), SESSION_NETNS_INDEX_MAX);
        p.pool6 = cidr("fd00:1::/48");
        assert_int_equal(session_netns_pools_capacity(&p), SESSION_NETNS_INDEX_MAX);
}

static void test_pool_addresses(void **state) {
        SessionNetnsState s = state_default();
        Cidr small = cidr("198.18.7.0/28"), small6 = cidr("fd11:2233:4455:6677::ff00/120");
        char a[SESSION_NETNS_ADDRESS_MAX];

        assert_int_equal(session_netns_pool_address(&s.pools.pool, 0, false, a), 0);
        assert_string_equal(a, "100.64.0.0");
        assert_int_equal(session_netns_pool_address(&s.pools.pool, 0, true, a), 0);
        assert_string_equal(a, "100.64.0.1");
        assert_int_equal(session_netns_pool_address(&s.pools.pool, 200, false, a), 0);
        assert_string_equal(a, "100.64.1.144");
        assert_int_equal(session_netns_pool_address(&s.pools.pool, 200, true, a), 0);
        assert_string_equal(a, "100.64.1.145");
        /* The last /31 of 100.64.0.0/10, and nothing beyond it. */
        assert_int_equal(session_netns_pool_address(&s.pools.pool, (1U << 21) - 1, true, a), 0);
        assert_string_equal(a, "100.127.255.255");
        assert_int_equal(session_netns_pool_address(&s.pools.pool, 1U << 21, false, a), -ERANGE);
        /* IPv6: the same index, a /127 of the /64; carries run across bytes. */
        assert_int_equal(session_netns_pool_address(&s.pools.pool6, 0, false, a), 0);
        assert_string_equal(a, "fd6f:6d6f:6e6f::");
        assert_int_equal(session_netns_pool_address(&s.pools.pool6, 200, true, a), 0);
        assert_string_equal(a, "fd6f:6d6f:6e6f::191");
        assert_int_equal(session_netns_pool_address(&s.pools.pool6, SESSION_NETNS_INDEX_MAX - 1, true, a), 0);
        assert_string_equal(a, "fd6f:6d6f:6e6f::ff:ffff");
        assert_int_equal(session_netns_pool_address(&s.pools.pool6, SESSION_NETNS_INDEX_MAX, true, a), -ERANGE);
        /* Configured pools: offsets from their own base, and their own end. */
        assert_int_equal(session_netns_pool_address(&small, 7, true, a), 0);
        assert_string_equal(a, "198.18.7.15");
        assert_int_equal(session_netns_pool_address(&small, 8, false, a), -ERANGE);
        assert_int_equal(session_netns_pool_address(&small6, 127, true, a), 0);
        assert_string_equal(a, "fd11:2233:4455:6677::ffff");
        assert_int_equal(session_netns_pool_address(&small6, 128, false, a), -ERANGE);
}

static void test_pool_check(void **state) {
        static const struct {
                const char *pool;
                int family, r;
        } cases[] = {
                { "100.64.0.0/10",        AF_INET,  0 },
                { "10.200.0.0/16",        AF_INET,  0 },
                { "198.18.0.0/28",        AF_INET,  0 },
                { "10.0.0.0/8",           AF_INET,  0 },
                { "10.200.0.0/29",        AF_INET,  -ERANGE },      /* room for 4 sessions only */
                { "0.0.0.0/1",            AF_INET,  -ERANGE },
                { "127.0.0.0/8",          AF_INET,  -EINVAL },
                { "169.254.0.0/16",       AF_INET,  -EINVAL },
                { "224.0.0.0/8",          AF_INET,  -EINVAL },
                { "fd6f:6d6f:6e6f::/64",  AF_INET,  -EINVAL },      /* the wrong family */
                { "fd6f:6d6f:6e6f::/64",  AF_INET6, 0 },
                { "fd00:1::/48",          AF_INET6, 0 },
                { "fd00:1::/124",         AF_INET6, 0 },
                { "fd00::/8",             AF_INET6, -ERANGE },
                { "fd00:1::/126",         AF_INET6, -ERANGE },
                { "fe80::/64",            AF_INET6, -EINVAL },
                { "ff02::/64",            AF_INET6, -EINVAL },
                { "::/64",                AF_INET6, -EINVAL },      /* loopback and "this network" */
                { "fd00:ec2::/64",        AF_INET6, -EINVAL },      /* holds the metadata address */
                { "100.64.0.0/10",        AF_INET6, -EINVAL },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const char *why = NULL;
                Cidr c = cidr(cases[i].pool);

                assert_int_equal(session_netns_pool_check(&c, cases[i].family, &why), cases[i].r);
                if (cases[i].r < 0)
                        assert_non_null(why);
        }
}

/* The keys as openmono.conf has them, parsed by the table both the controller and the helper use. */
static void test_pool_config(void **state) {
        static const ConfigItem items[] = { SESSION_NETNS_CONFIG_ITEMS(0), {} };
        static const char good[] = "[Network]\nSessionAddressPool=10.201.0.0/20\nSessionAddressPool6=fd00:aa::/64\n";
        static const char reset[] = "[Network]\nSessionAddressPool=10.201.0.0/20\nSessionAddressPool=\n";
        static const char *const bad[][2] = {
                { "[Network]\nSessionAddressPool=127.0.0.0/8\n", "f:2: [Network] SessionAddressPool=: invalid IPv4 address pool (loopback addresses) '127.0.0.0/8'" },
                { "[Network]\nSessionAddressPool=10.1.2.3/8\n", "f:2: [Network] SessionAddressPool=: invalid IPv4 address pool (not an address prefix without host bits) '10.1.2.3/8'" },
                { "[Network]\n\nSessionAddressPool6=fe80::/64\n", "f:3: [Network] SessionAddressPool6=: invalid IPv6 address pool (link-local addresses) 'fe80::/64'" },
                { "[Network]\nSessionAddressPool6=10.0.0.0/8\n", "f:2: [Network] SessionAddressPool6=: invalid IPv6 address pool (not an IPv6 prefix) '10.0.0.0/8'" },
                { "[Network]\nSessionAddressPool=10.0.0.0/30\n", "f:2: [Network] SessionAddressPool=: invalid IPv4 address pool (the prefix length must be /8 to /28) '10.0.0.0/30'" },
        };
        SessionNetnsPools p, d;
        char a[CIDR_STRING_MAX];

        session_netns_pools_init(&d);
        session_netns_pools_init(&p);
        assert_int_equal(config_parse_buffer("f", good, strlen(good), items, &p, NULL), 0);
        assert_string_equal(cidr_to_string(&p.pool, a), "10.201.0.0/20");
        assert_string_equal(cidr_to_string(&p.pool6, a), "fd00:aa::/64");
        assert_int_equal(config_parse_buffer("f", reset, strlen(reset), items, &p, NULL), 0);
        assert_string_equal(cidr_to_string(&p.pool, a), SESSION_NETNS_POOL_DEFAULT);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                ConfigDiagnostics diag = {};

                assert_int_equal(config_parse_buffer("f", bad[i][0], strlen(bad[i][0]), items, &p, &diag), -EINVAL);
                assert_string_equal(diag.error, bad[i][1]);
                config_diagnostics_done(&diag);
        }
}

static void test_link_index(void **state) {
        uint32_t i = 0;

        assert_int_equal(session_netns_link_index("om-0", &i), 0);
        assert_int_equal(i, 0);
        assert_int_equal(session_netns_link_index("om-8388607", &i), 0);
        assert_int_equal(i, 8388607);
        static const char *const bad[] = {
                "om-", "om-01", "om-+1", "om--1", "om-1a", "om-8388608", "om-99999999999999999999",
                "eth0", "xom-1", "", NULL,
        };
        for (const char *const *b = bad; *b; b++)
                assert_int_equal(session_netns_link_index(*b, &i), -EINVAL);
}

static void test_batches(void **state) {
        _cleanup_free_ char *host = NULL, *peer = NULL, *host4 = NULL, *peer4 = NULL;
        SessionNetnsState s = state_default(), v4 = state_default();

        assert_int_equal(session_netns_host_batch(&s, "0123abcd", 1, &host), 0);
        assert_non_null(strstr(host, "netns add openmono-0123abcd\n"));
        assert_non_null(strstr(host, "link add om-1 type veth peer name eth0 netns openmono-0123abcd\n"));
        assert_non_null(strstr(host, "link set om-1 alias openmono-0123abcd addrgenmode none\n"));
        assert_non_null(strstr(host, "addr add 100.64.0.2/31 dev om-1\n"));
        assert_non_null(strstr(host, "addr add fe80::1/64 dev om-1 nodad\n"));
        assert_non_null(strstr(host, "addr add fd6f:6d6f:6e6f::2/127 dev om-1 nodad\n"));
        /* Up only once every address is there. */
        assert_non_null(strstr(host, "nodad\nlink set om-1 up\n"));
        assert_int_equal(session_netns_peer_batch(&s, 1, &peer), 0);
        assert_non_null(strstr(peer, "addr add 100.64.0.3/31 dev eth0\n"));
        assert_non_null(strstr(peer, "addr add fd6f:6d6f:6e6f::3/127 dev eth0 nodad\n"));
        assert_non_null(strstr(peer, "route add default via 100.64.0.2 dev eth0\n"));
        assert_non_null(strstr(peer, "route add default via fd6f:6d6f:6e6f::2 dev eth0\n"));
        /* A host without IPv6: no IPv6 address or route at all. */
        v4.pools.pool6 = (Cidr) {};
        assert_int_equal(session_netns_host_batch(&v4, "0123abcd", 1, &host4), 0);
        assert_int_equal(session_netns_peer_batch(&v4, 1, &peer4), 0);
        assert_null(strstr(host4, "fe80"));
        assert_null(strstr(host4, "fd6f"));
        assert_null(strstr(peer4, ":"));
        /* Ids end up in commands and paths: nothing but [0-9a-z]. */
        assert_int_equal(session_netns_host_batch(&s, "a b", 1, &peer), -EINVAL);
        assert_int_equal(session_netns_host_batch(&s, "../x", 1, &peer), -EINVAL);
        assert_int_equal(session_netns_host_batch(&s, "A", 1, &peer), -EINVAL);
        assert_int_equal(session_netns_host_batch(&s, "", 1, &peer), -EINVAL);
        assert_int_equal(session_netns_host_batch(&s, "a", 1U << 21, &peer), -ERANGE);
}

static void test_ruleset(void **state) {
        _cleanup_free_ char *plain = NULL, *ours = NULL;
        _cleanup_(session_netns_state_done) SessionNetnsState s = state_default();

        /* A host that forwarded already: no blanket drop of other forwarding. */
        assert_int_equal(session_netns_ruleset(&s, &plain), 0);
        assert_non_null(strstr(plain, "iifname \"om-*\" drop\n"));
        assert_non_null(strstr(plain, "iifname \"om-*\" icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert }"));
        assert_non_null(strstr(plain, "iifname \"om-*\" fib saddr . iif oif missing drop\n"));
        assert_non_null(strstr(plain, "oifname \"om-*\" ct state established,related accept\n"));
        assert_non_null(strstr(plain, "iifname \"om-*\" masquerade\n"));
        assert_null(strstr(plain, "meta nfproto"));
        /* Forwarding OpenMono switched on forwards sessions only, per family. */
        assert_int_equal(strv_extend(&s.undo, "ipv6/conf/all/forwarding 1 0"), 0);
        assert_int_equal(session_netns_ruleset(&s, &ours), 0);
        assert_non_null(strstr(ours, "meta nfproto ipv6 drop\n"));
        assert_null(strstr(ours, "meta nfproto ipv4 drop\n"));
        ours = mfree(ours);
        assert_int_equal(strv_extend(&s.undo, "ipv4/ip_forward 1 0"), 0);
        assert_int_equal(session_netns_ruleset(&s, &ours), 0);
        assert_non_null(strstr(ours, "meta nfproto ipv4 drop\n"));
        /* The session rules come before the drops. */
        assert_true(strstr(ours, "iifname \"om-*\" accept\n") < strstr(ours, "meta nfproto ipv4 drop\n"));
}

static void test_undo_parse(void **state) {
        static const char *const good[] = {
                "ipv4/ip_forward 1 0", "ipv6/conf/all/forwarding 1 0", "ipv6/conf/default/accept_ra 2 1",
                "ipv6/conf/wlp0s20f3/accept_ra 2 1", "ipv6/conf/br-4e5f.10/forwarding 0 1",
        };
        static const char *const bad[] = {
                "", "ipv4/ip_forward", "ipv4/ip_forward 1", "ipv4/ip_forward 1 0 ", "ipv4/ip_forward  1 0",
                "ipv4/ip_forward 3 0", "ipv4/ip_forward 1 x", "ipv4/conf/all/forwarding 1 0",
                "ipv6/conf/../../../kernel/x/accept_ra 2 1", "ipv6/conf/../accept_ra 2 1",
                "ipv6/conf/./accept_ra 2 1", "ipv6/conf//accept_ra 2 1", "ipv6/conf/eth0/disable_ipv6 1 0",
                "ipv6/conf/abcdefghijklmnop/accept_ra 2 1", "ipv6/conf/eth0/accept_ra/x 2 1",
                "/proc/sys/net/ipv4/ip_forward 1 0",
        };
        size_t n;
        char ours, before;

        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                assert_int_equal(session_netns_undo_parse(good[i], NULL, NULL, NULL), 0);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(session_netns_undo_parse(bad[i], NULL, NULL, NULL), -EINVAL);
        assert_int_equal(session_netns_undo_parse("ipv6/conf/default/accept_ra 2 1", &n, &ours, &before), 0);
        assert_int_equal(n, strlen("ipv6/conf/default/accept_ra"));
        assert_int_equal(ours, '2');
        assert_int_equal(before, '1');
}

static void test_state_round_trip(void **state) {
        _cleanup_(session_netns_state_done) SessionNetnsState s = state_default(), back = {}, v4 = {};
        _cleanup_free_ char *text = NULL, *text2 = NULL;
        char a[CIDR_STRING_MAX];

        s.pools.pool = cidr("198.18.0.0/16");
        assert_int_equal(strv_extend(&s.undo, "ipv4/ip_forward 1 0"), 0);
        assert_int_equal(strv_extend(&s.undo, "ipv6/conf/all/forwarding 1 0"), 0);
        assert_int_equal(strv_extend(&s.undo, "ipv6/conf/eth0/accept_ra 2 1"), 0);
        assert_int_equal(session_netns_state_to_string(&s, &text), 0);
        assert_non_null(strstr(text, "\nPool=198.18.0.0/16\nPool6=fd6f:6d6f:6e6f::/64\nUndo=ipv4/ip_forward 1 0\n"));
        assert_int_equal(session_netns_state_from_string(text, &back), 0);
        assert_string_equal(cidr_to_string(&back.pools.pool, a), "198.18.0.0/16");
        assert_string_equal(cidr_to_string(&back.pools.pool6, a), "fd6f:6d6f:6e6f::/64");
        assert_int_equal(strv_length(back.undo), 3);
        assert_string_equal(back.undo[2], "ipv6/conf/eth0/accept_ra 2 1");
        assert_true(session_netns_state_has_undo(&back, "ipv6/conf/all/forwarding"));
        assert_false(session_netns_state_has_undo(&back, "ipv6/conf/all"));
        /* Without Pool6= IPv6 is not routed. */
        assert_int_equal(session_netns_state_from_string("Pool=100.64.0.0/10\n", &v4), 0);
        assert_int_equal(v4.pools.pool6.family, 0);
        assert_int_equal(session_netns_state_to_string(&v4, &text2), 0);
        assert_null(strstr(text2, "Pool6"));
        /* Strict: what openmono-netns did not write is refused, and *ret left alone. */
        static const char *const bad[] = {
                "", "# only a comment\n", "Pool6=fd6f:6d6f:6e6f::/64\n", "Pool=127.0.0.0/8\n",
                "Pool=100.64.0.0/10\nPool6=fe80::/64\n", "Pool=100.64.0.0/10\nUndo=ipv6/conf/../x 1 0\n",
                "Pool=100.64.0.0/10\nForward=1\n",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(session_netns_state_from_string(bad[i], &back), -EINVAL);
        assert_int_equal(strv_length(back.undo), 3);
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
                cmocka_unit_test(test_pool_capacity),
                cmocka_unit_test(test_pool_addresses),
                cmocka_unit_test(test_pool_check),
                cmocka_unit_test(test_pool_config),
                cmocka_unit_test(test_link_index),
                cmocka_unit_test(test_batches),
                cmocka_unit_test(test_ruleset),
                cmocka_unit_test(test_undo_parse),
                cmocka_unit_test(test_state_round_trip),
                cmocka_unit_test(test_url_host),
                cmocka_unit_test(test_upstream_subtracted),
                cmocka_unit_test(test_none_has_no_netns),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
