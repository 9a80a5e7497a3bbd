/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A session's own network namespace, the pure half: which /31 of the pool a session gets, how
 * its links are named, the iproute2 and nftables text that builds it, and the unit properties
 * that join it. The privileged half (running that text) is openmono-netns, started by systemd
 * as openmono-netns@<id>.service, so the namespace lives and dies with the session's unit even
 * when the controller is gone. */

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "session-netns.h"
#include "unit-props.h"

bool session_netns_id_valid(const char *id) {
        size_t n = id ? strlen(id) : 0;

        return n > 0 && n <= 64 && strspn(id, "0123456789abcdefghijklmnopqrstuvwxyz") == n;
}

static int compare_u32(const void *a, const void *b) {
        uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;

        return x < y ? -1 : x > y;
}

int session_netns_pool_pick(const uint32_t *used, size_t n_used, uint32_t *ret) {
        _cleanup_free_ uint32_t *sorted = NULL;
        uint32_t next = 0;

        assert(used || n_used == 0);
        assert(ret);

        if (n_used > 0) {
                sorted = reallocarray(NULL, n_used, sizeof(uint32_t));
                if (!sorted)
                        return -ENOMEM;
                memcpy(sorted, used, n_used * sizeof(uint32_t));
                qsort(sorted, n_used, sizeof(uint32_t), compare_u32);
        }
        /* The lowest gap: after a crash the same few indices come back instead of creeping up. */
        for (size_t i = 0; i < n_used && sorted[i] <= next; i++)
                if (sorted[i] == next)
                        next++;
        if (next >= SESSION_NETNS_POOL_SIZE)
                return -ENOSPC;
        *ret = next;
        return 0;
}

int session_netns_pool_addresses(uint32_t index, char ret_host[static 16], char ret_session[static 16]) {
        uint32_t a;

        if (index >= SESSION_NETNS_POOL_SIZE)
                return -ERANGE;
        a = (UINT32_C(100) << 24 | UINT32_C(64) << 16) + 2 * index;
        snprintf(ret_host, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
        a++;
        snprintf(ret_session, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
        return 0;
}

int session_netns_link_index(const char *name, uint32_t *ret) {
        const char *d;
        uint64_t v = 0;

        if (!name || strncmp(name, SESSION_NETNS_LINK_PREFIX, strlen(SESSION_NETNS_LINK_PREFIX)) != 0)
                return -EINVAL;
        d = name + strlen(SESSION_NETNS_LINK_PREFIX);
        /* Canonical decimal only, so that one index has exactly one link name. */
        if (*d == '\0' || strspn(d, "0123456789") != strlen(d) || (d[0] == '0' && d[1] != '\0'))
                return -EINVAL;
        for (; *d; d++) {
                v = v * 10 + (uint64_t) (*d - '0');
                if (v >= SESSION_NETNS_POOL_SIZE)
                        return -EINVAL;
        }
        *ret = (uint32_t) v;
        return 0;
}

int session_netns_host_batch(const char *id, uint32_t index, char **ret) {
        char host[16], session[16];
        int r;

        if (!session_netns_id_valid(id))
                return -EINVAL;
        r = session_netns_pool_addresses(index, host, session);
        if (r < 0)
                return r;
        /* The peer is created inside the namespace: the session's end never exists on the host.
         * addrgenmode none: the host's end gets no IPv6 link-local address, IPv6 is not routed. */
        if (asprintf(ret,
                     "netns add " SESSION_NETNS_NAME_PREFIX "%1$s\n"
                     "link add " SESSION_NETNS_LINK_PREFIX "%2$u type veth peer name " SESSION_NETNS_PEER
                     " netns " SESSION_NETNS_NAME_PREFIX "%1$s\n"
                     "link set " SESSION_NETNS_LINK_PREFIX "%2$u alias " SESSION_NETNS_NAME_PREFIX "%1$s"
                     " addrgenmode none\n"
                     "addr add %3$s/31 dev " SESSION_NETNS_LINK_PREFIX "%2$u\n"
                     "link set " SESSION_NETNS_LINK_PREFIX "%2$u up\n",
                     id, index, host) < 0)
                return -ENOMEM;
        return 0;
}

int session_netns_peer_batch(uint32_t index, char **ret) {
        char host[16], session[16];
        int r;

        r = session_netns_pool_addresses(index, host, session);
        if (r < 0)
                return r;
        if (asprintf(ret,
                     "link set lo up\n"
                     "link set " SESSION_NETNS_PEER " addrgenmode none\n"
                     "addr add %s/31 dev " SESSION_NETNS_PEER "\n"
                     "link set " SESSION_NETNS_PEER " up\n"
                     "route add default via %s dev " SESSION_NETNS_PEER "\n",
                     session, host) < 0)
                return -ENOMEM;
        return 0;
}

const char *session_netns_ruleset(void) {
        /* Matched by link name, not by per-session set elements: a session's links carry the
         * rules with them, so removing the links is all the cleanup there is.
         * - input: nothing from a session link reaches the host itself, whichever of its
         *   addresses (loopback, its end of the pair, its LAN address) a packet is sent to;
         * - forward: no session reaches another, and a session sends only from its pool address
         *   and only IPv4 (IPv6 is not routed: the pool and masquerade are IPv4);
         * - postrouting: what leaves carries the host's address, so intranet hosts can answer
         *   without a route to the pool. The cgroup filters of the session decide where to. */
        return "table inet openmono {}\n"
               "delete table inet openmono\n"
               "table inet openmono {\n"
               "        chain input {\n"
               "                type filter hook input priority filter - 10; policy accept;\n"
               "                iifname \"" SESSION_NETNS_LINK_PREFIX "*\" drop\n"
               "        }\n"
               "        chain forward {\n"
               "                type filter hook forward priority filter - 10; policy accept;\n"
               "                iifname \"" SESSION_NETNS_LINK_PREFIX "*\" oifname \"" SESSION_NETNS_LINK_PREFIX "*\" drop\n"
               "                iifname \"" SESSION_NETNS_LINK_PREFIX "*\" meta nfproto != ipv4 drop\n"
               "                iifname \"" SESSION_NETNS_LINK_PREFIX "*\" ip saddr != " SESSION_NETNS_POOL " drop\n"
               "        }\n"
               "        chain postrouting {\n"
               "                type nat hook postrouting priority srcnat; policy accept;\n"
               "                iifname \"" SESSION_NETNS_LINK_PREFIX "*\" masquerade\n"
               "        }\n"
               "}\n";
}

int session_netns_add_properties(UnitProperties *u, const char *id) {
        _cleanup_free_ char *path = NULL, *unit = NULL;
        int r;

        if (!session_netns_id_valid(id))
                return -EINVAL;
        if (asprintf(&path, SESSION_NETNS_DIR "/" SESSION_NETNS_NAME_PREFIX "%s", id) < 0 ||
            asprintf(&unit, SESSION_NETNS_UNIT_PREFIX "%s.service", id) < 0)
                return -ENOMEM;
        /* BindsTo=: a session whose network goes away stops instead of running in a namespace
         * that systemd would recreate empty; the netns unit stops when no session needs it. */
        r = unit_properties_add_strv(u, "BindsTo", (char *[]) { unit, NULL });
        if (r >= 0)
                r = unit_properties_add_strv(u, "After", (char *[]) { unit, NULL });
        if (r >= 0)
                r = unit_properties_add_string(u, "NetworkNamespacePath", path);
        return r;
}

int session_netns_url_host(const char *url, char **ret) {
        const char *h, *end;

        h = strstr(url, "://");
        if (!h)
                return -EINVAL;
        h += 3;
        end = h + strcspn(h, "/?#");
        /* userinfo@ is not part of the host. */
        for (const char *at = h; at < end; at++)
                if (*at == '@')
                        h = at + 1;
        if (*h == '[') {
                const char *close = memchr(h, ']', (size_t) (end - h));

                if (!close || close == h + 1)
                        return -EINVAL;
                *ret = strndup(h + 1, (size_t) (close - h - 1));
        } else {
                const char *colon = memchr(h, ':', (size_t) (end - h));

                if (colon)
                        end = colon;
                if (end == h)
                        return -EINVAL;
                *ret = strndup(h, (size_t) (end - h));
        }
        return *ret ? 0 : -ENOMEM;
}
