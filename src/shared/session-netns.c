/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A session's own network namespace, the pure half: which /31 and /127 of the pools a session
 * gets, how its links are named, the record of what session networks changed on the host, the
 * iproute2 and nftables text that builds them, and the unit properties that join one. The
 * privileged half (running that text) is openmono-netns, started by systemd as
 * openmono-netns@<id>.service, so the namespace lives and dies with the session's unit even when
 * the controller is gone. */

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf-parser.h"
#include "macro.h"
#include "session-netns.h"
#include "string-util.h"
#include "strv.h"
#include "unit-props.h"

void session_netns_pools_init(SessionNetnsPools *p) {
        assert(p);

        /* Constants that parse, or the unit tests fail. */
        *p = (SessionNetnsPools) {};
        (void) cidr_from_string(SESSION_NETNS_POOL_DEFAULT, &p->pool);
        (void) cidr_from_string(SESSION_NETNS_POOL6_DEFAULT, &p->pool6);
}

int session_netns_pool_check(const Cidr *c, int family, const char **ret_why) {
        unsigned min = family == AF_INET ? SESSION_NETNS_POOL_PREFIX_MIN : SESSION_NETNS_POOL6_PREFIX_MIN;
        unsigned max = family == AF_INET ? SESSION_NETNS_POOL_PREFIX_MAX : SESSION_NETNS_POOL6_PREFIX_MAX;
        const char *why = NULL;

        assert(c);

        if (c->family != family) {
                if (ret_why)
                        *ret_why = family == AF_INET ? "not an IPv4 prefix" : "not an IPv6 prefix";
                return -EINVAL;
        }
        if (c->prefixlen < min || c->prefixlen > max) {
                if (ret_why)
                        *ret_why = family == AF_INET ? "the prefix length must be /8 to /28"
                                                     : "the prefix length must be /48 to /124";
                return -ERANGE;
        }
        /* A session's address on loopback, link-local or multicast would shadow the host's own
         * meaning of them, and the filters forbid those ranges anyway. */
        if (cidr_forbidden_overlap(c, &why)) {
                if (ret_why)
                        *ret_why = why;
                return -EINVAL;
        }
        return 0;
}

static int parse_pool(const char *value, int family, Cidr *pool, char **ret_error) {
        _cleanup_free_ char *what = NULL;
        const char *why = "not an address prefix without host bits";
        Cidr c;
        int r;

        if (isempty(value)) {
                SessionNetnsPools d;

                session_netns_pools_init(&d);
                *pool = family == AF_INET ? d.pool : d.pool6;
                return 0;
        }
        r = cidr_from_string(value, &c);
        if (r >= 0)
                r = session_netns_pool_check(&c, family, &why);
        if (r >= 0) {
                *pool = c;
                return 0;
        }
        if (asprintf(&what, "%s address pool (%s)", family == AF_INET ? "IPv4" : "IPv6", why) < 0)
                return -ENOMEM;
        return config_error_invalid(ret_error, -EINVAL, what, value);
}

int config_parse_session_pool(const char *filename, unsigned line, const char *section, const char *key,
                              const char *value, void *data, char **ret_error) {
        return parse_pool(value, AF_INET, data, ret_error);
}

int config_parse_session_pool6(const char *filename, unsigned line, const char *section, const char *key,
                               const char *value, void *data, char **ret_error) {
        return parse_pool(value, AF_INET6, data, ret_error);
}

/* How many /31s or /127s fit into c, at most SESSION_NETNS_INDEX_MAX. */
static uint32_t pool_size(const Cidr *c) {
        unsigned bits = (c->family == AF_INET ? 31 : 127) - c->prefixlen;

        return bits >= 23 ? SESSION_NETNS_INDEX_MAX : UINT32_C(1) << bits;
}

uint32_t session_netns_pools_capacity(const SessionNetnsPools *p) {
        uint32_t n = pool_size(&p->pool);

        return p->pool6.family == AF_INET6 ? MIN(n, pool_size(&p->pool6)) : n;
}

bool session_netns_id_valid(const char *id) {
        size_t n = id ? strlen(id) : 0;

        return n > 0 && n <= 64 && strspn(id, "0123456789abcdefghijklmnopqrstuvwxyz") == n;
}

static int compare_u32(const void *a, const void *b) {
        uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;

        return x < y ? -1 : x > y;
}

int session_netns_pool_pick(const uint32_t *used, size_t n_used, uint32_t capacity, uint32_t *ret) {
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
        if (next >= capacity)
                return -ENOSPC;
        *ret = next;
        return 0;
}

int session_netns_pool_address(const Cidr *pool, uint32_t index, bool session_end,
                               char ret[static SESSION_NETNS_ADDRESS_MAX]) {
        size_t n = pool->family == AF_INET ? 4 : 16;
        uint8_t a[16];
        uint64_t carry;

        if (index >= pool_size(pool))
                return -ERANGE;
        /* Big-endian addition of 2 * index + end to the prefix; it never leaves the prefix, whose
         * host bits are clear and number at least log2(2 * size). */
        memcpy(a, pool->address, sizeof(a));
        carry = 2 * (uint64_t) index + session_end;
        for (size_t i = n; i > 0 && carry > 0; i--) {
                carry += a[i - 1];
                a[i - 1] = (uint8_t) (carry & 0xff);
                carry >>= 8;
        }
        return inet_ntop(pool->family, a, ret, SESSION_NETNS_ADDRESS_MAX) ? 0 : -errno;
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
                if (v >= SESSION_NETNS_INDEX_MAX)
                        return -EINVAL;
        }
        *ret = (uint32_t) v;
        return 0;
}

void session_netns_state_done(SessionNetnsState *s) {
        s->undo = strv_free(s->undo);
}

/* What the kernel takes as an interface name (dev_valid_name()), which also keeps it one path
 * component below /proc/sys/net/ipv6/conf. */
static bool link_name_valid(const char *s, size_t n) {
        if (n == 0 || n >= 16 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] == '/' || s[i] == ':' || (unsigned char) s[i] <= ' ' || s[i] == 0x7f)
                        return false;
        return true;
}

static bool undo_path_valid(const char *p, size_t n) {
        const char *link, *slash;

        if (n == strlen("ipv4/ip_forward") && strncmp(p, "ipv4/ip_forward", n) == 0)
                return true;
        if (n <= strlen("ipv6/conf/") || strncmp(p, "ipv6/conf/", strlen("ipv6/conf/")) != 0)
                return false;
        link = p + strlen("ipv6/conf/");
        slash = memchr(link, '/', n - (size_t) (link - p));
        if (!slash || !link_name_valid(link, (size_t) (slash - link)))
                return false;
        n -= (size_t) (slash + 1 - p);
        return (n == strlen("forwarding") && strncmp(slash + 1, "forwarding", n) == 0) ||
               (n == strlen("accept_ra") && strncmp(slash + 1, "accept_ra", n) == 0);
}

int session_netns_undo_parse(const char *line, size_t *ret_path_len, char *ret_ours, char *ret_before) {
        size_t n = strcspn(line, " ");

        /* "PATH O B": exactly one space before each single-digit value. */
        if (!undo_path_valid(line, n) || strlen(line + n) != 4 || line[n + 2] != ' ' ||
            !strchr("012", line[n + 1]) || !strchr("012", line[n + 3]) || !line[n + 1] || !line[n + 3])
                return -EINVAL;
        if (ret_path_len)
                *ret_path_len = n;
        if (ret_ours)
                *ret_ours = line[n + 1];
        if (ret_before)
                *ret_before = line[n + 3];
        return 0;
}

bool session_netns_state_has_undo(const SessionNetnsState *s, const char *path) {
        size_t n;

        STRV_FOREACH(u, s->undo)
                if (session_netns_undo_parse(*u, &n, NULL, NULL) >= 0 && n == strlen(path) &&
                    strncmp(*u, path, n) == 0)
                        return true;
        return false;
}

int session_netns_state_to_string(const SessionNetnsState *s, char **ret) {
        _cleanup_free_ char *text = NULL;
        char b[CIDR_STRING_MAX];

        if (asprintf(&text, "# What OpenMono's session networks changed on this host; see openmono-netns(8).\n"
                            "Pool=%s\n", cidr_to_string(&s->pools.pool, b)) < 0)
                return -ENOMEM;
        if (s->pools.pool6.family == AF_INET6 &&
            free_and_asprintf(&text, "%sPool6=%s\n", text, cidr_to_string(&s->pools.pool6, b)) < 0)
                return -ENOMEM;
        STRV_FOREACH(u, s->undo)
                if (free_and_asprintf(&text, "%sUndo=%s\n", text, *u) < 0)
                        return -ENOMEM;
        *ret = steal_ptr(text);
        return 0;
}

static int state_parse_line(SessionNetnsState *s, const char *line) {
        const char *v;
        Cidr c;

        if ((v = startswith(line, "Pool="))) {
                if (cidr_from_string(v, &c) < 0 || session_netns_pool_check(&c, AF_INET, NULL) < 0)
                        return -EINVAL;
                s->pools.pool = c;
        } else if ((v = startswith(line, "Pool6="))) {
                if (cidr_from_string(v, &c) < 0 || session_netns_pool_check(&c, AF_INET6, NULL) < 0)
                        return -EINVAL;
                s->pools.pool6 = c;
        } else if ((v = startswith(line, "Undo="))) {
                if (session_netns_undo_parse(v, NULL, NULL, NULL) < 0)
                        return -EINVAL;
                return strv_extend(&s->undo, v);
        } else if (!isempty(line) && line[0] != '#')
                return -EINVAL;
        return 0;
}

int session_netns_state_from_string(const char *text, SessionNetnsState *ret) {
        _cleanup_strv_free_ char **lines = NULL;
        SessionNetnsState s = {};
        int r;

        assert(text);
        assert(ret);

        r = strv_split(text, "\n", &lines);
        if (r < 0)
                return r;
        STRV_FOREACH(l, lines) {
                r = state_parse_line(&s, *l);
                if (r < 0) {
                        session_netns_state_done(&s);
                        return r;
                }
        }
        /* Without an IPv4 pool the file is not ours, or was cut short. */
        if (s.pools.pool.family != AF_INET) {
                session_netns_state_done(&s);
                return -EINVAL;
        }
        session_netns_state_done(ret);
        *ret = s;
        return 0;
}

int session_netns_host_batch(const SessionNetnsState *s, const char *id, uint32_t index, char **ret) {
        char host[SESSION_NETNS_ADDRESS_MAX], host6[SESSION_NETNS_ADDRESS_MAX];
        _cleanup_free_ char *b = NULL;
        int r;

        if (!session_netns_id_valid(id))
                return -EINVAL;
        r = session_netns_pool_address(&s->pools.pool, index, /* session_end= */ false, host);
        if (r >= 0 && s->pools.pool6.family == AF_INET6)
                r = session_netns_pool_address(&s->pools.pool6, index, /* session_end= */ false, host6);
        if (r < 0)
                return r;
        /* The peer is created inside the namespace: the session's end never exists on the host.
         * addrgenmode none and nodad: fixed addresses, usable at once instead of after duplicate
         * address detection; nothing else can be on a veth pair. */
        if (asprintf(&b,
                     "netns add " SESSION_NETNS_NAME_PREFIX "%1$s\n"
                     "link add " SESSION_NETNS_LINK_PREFIX "%2$u type veth peer name " SESSION_NETNS_PEER
                     " netns " SESSION_NETNS_NAME_PREFIX "%1$s\n"
                     "link set " SESSION_NETNS_LINK_PREFIX "%2$u alias " SESSION_NETNS_NAME_PREFIX "%1$s"
                     " addrgenmode none\n"
                     "addr add %3$s/31 dev " SESSION_NETNS_LINK_PREFIX "%2$u\n",
                     id, index, host) < 0)
                return -ENOMEM;
        if (s->pools.pool6.family == AF_INET6 &&
            free_and_asprintf(&b, "%1$s"
                              "addr add " SESSION_NETNS_HOST_LL "/64 dev " SESSION_NETNS_LINK_PREFIX "%2$u nodad\n"
                              "addr add %3$s/127 dev " SESSION_NETNS_LINK_PREFIX "%2$u nodad\n",
                              b, index, host6) < 0)
                return -ENOMEM;
        if (free_and_asprintf(&b, "%slink set " SESSION_NETNS_LINK_PREFIX "%u up\n", b, index) < 0)
                return -ENOMEM;
        *ret = steal_ptr(b);
        return 0;
}

int session_netns_peer_batch(const SessionNetnsState *s, uint32_t index, char **ret) {
        char host[SESSION_NETNS_ADDRESS_MAX], session[SESSION_NETNS_ADDRESS_MAX];
        char host6[SESSION_NETNS_ADDRESS_MAX], session6[SESSION_NETNS_ADDRESS_MAX];
        _cleanup_free_ char *b = NULL;
        bool v6 = s->pools.pool6.family == AF_INET6;
        int r;

        r = session_netns_pool_address(&s->pools.pool, index, /* session_end= */ false, host);
        if (r >= 0)
                r = session_netns_pool_address(&s->pools.pool, index, /* session_end= */ true, session);
        if (r >= 0 && v6)
                r = session_netns_pool_address(&s->pools.pool6, index, /* session_end= */ false, host6);
        if (r >= 0 && v6)
                r = session_netns_pool_address(&s->pools.pool6, index, /* session_end= */ true, session6);
        if (r < 0)
                return r;
        if (asprintf(&b,
                     "link set lo up\n"
                     "link set " SESSION_NETNS_PEER " addrgenmode none\n"
                     "addr add %s/31 dev " SESSION_NETNS_PEER "\n",
                     session) < 0)
                return -ENOMEM;
        if (v6 && free_and_asprintf(&b, "%s"
                                    "addr add " SESSION_NETNS_PEER_LL "/64 dev " SESSION_NETNS_PEER " nodad\n"
                                    "addr add %s/127 dev " SESSION_NETNS_PEER " nodad\n",
                                    b, session6) < 0)
                return -ENOMEM;
        if (free_and_asprintf(&b, "%s"
                              "link set " SESSION_NETNS_PEER " up\n"
                              "route add default via %s dev " SESSION_NETNS_PEER "\n",
                              b, host) < 0)
                return -ENOMEM;
        if (v6 && free_and_asprintf(&b, "%sroute add default via %s dev " SESSION_NETNS_PEER "\n", b, host6) < 0)
                return -ENOMEM;
        *ret = steal_ptr(b);
        return 0;
}

int session_netns_ruleset(const SessionNetnsState *s, char **ret) {
        /* Matched by link name, not by per-session set elements: a session's links carry the
         * rules with them, so removing the links is all the cleanup there is.
         * - input: nothing from a session link reaches the host itself, whichever of its
         *   addresses (loopback, either end of the pair, link-local, its LAN addresses) a packet
         *   is sent to, but for IPv6 neighbour discovery, without which the link does not work
         *   (the kernel answers a solicitation only for the addresses of the link it came in on);
         * - forward: no session reaches another; a session sends only from addresses routed back
         *   to its own link (its /31 and /127, nothing spoofed: the reverse path lookup in fib);
         *   nothing enters a session link but replies to what the session sent;
         * - where OpenMono switched forwarding of a family on, that family forwards nothing but
         *   session traffic, so the host routes nothing it did not route before;
         * - postrouting: what leaves carries the host's address, so intranet hosts can answer
         *   without a route to the pools. The cgroup filters of the session decide where to. */
        return asprintf(ret,
               "table inet openmono {}\n"
               "delete table inet openmono\n"
               "table inet openmono {\n"
               "        chain input {\n"
               "                type filter hook input priority filter - 10; policy accept;\n"
               "                iifname \"" SESSION_NETNS_LINK_PREFIX "*\" icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert }"
               " ip6 hoplimit 255 accept\n"
               "                iifname \"" SESSION_NETNS_LINK_PREFIX "*\" drop\n"
               "        }\n"
               "        chain forward {\n"
               "                type filter hook forward priority filter - 10; policy accept;\n"
               "                iifname \"" SESSION_NETNS_LINK_PREFIX "*\" oifname \"" SESSION_NETNS_LINK_PREFIX "*\" drop\n"
               "                iifname \"" SESSION_NETNS_LINK_PREFIX "*\" fib saddr . iif oif missing drop\n"
               "                iifname \"" SESSION_NETNS_LINK_PREFIX "*\" accept\n"
               "                oifname \"" SESSION_NETNS_LINK_PREFIX "*\" ct state established,related accept\n"
               "                oifname \"" SESSION_NETNS_LINK_PREFIX "*\" drop\n"
               "%s%s"
               "        }\n"
               "        chain postrouting {\n"
               "                type nat hook postrouting priority srcnat; policy accept;\n"
               "                iifname \"" SESSION_NETNS_LINK_PREFIX "*\" masquerade\n"
               "        }\n"
               "}\n",
               session_netns_state_has_undo(s, "ipv4/ip_forward") ? "                meta nfproto ipv4 drop\n" : "",
               session_netns_state_has_undo(s, "ipv6/conf/all/forwarding") ? "                meta nfproto ipv6 drop\n" : "")
               < 0 ? -ENOMEM : 0;
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
