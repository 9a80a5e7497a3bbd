/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* CIDR arithmetic for the network ceilings. systemd's IPAddressAllow= beats IPAddressDeny=, so a
 * range that must stay unreachable cannot be denied next to an allow entry that covers it: it has
 * to be cut out of the allow list. Hence subtraction, and hence one table of forbidden ranges that
 * every allow list is judged against, in every spelling the kernel accepts for them. */

#include <arpa/inet.h>
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cidr.h"
#include "session-policy.h"
#include "strv.h"

#define V4(a, b, c, d, len) { .family = AF_INET, .address = { a, b, c, d }, .prefixlen = len }
/* IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) spellings of an IPv4 prefix. */
#define V4MAPPED(a, b, c, d, len) \
        { .family = AF_INET6, .address = { [10] = 0xff, 0xff, a, b, c, d }, .prefixlen = 96 + (len) }
#define V4COMPAT(a, b, c, d, len) \
        { .family = AF_INET6, .address = { [12] = a, b, c, d }, .prefixlen = 96 + (len) }
/* Each IPv4 range comes in its three spellings. */
#define V4ALL(a, b, c, d, len) V4(a, b, c, d, len), V4MAPPED(a, b, c, d, len), V4COMPAT(a, b, c, d, len)

/* Never in an allow list, whoever asks: only an administrator's "internet" policy (no IP filter
 * at all) reaches them. On the host's network namespace loopback is every local daemon, the model
 * server included; link-local holds the cloud metadata service (169.254.169.254, and AWS's IPv6
 * fd00:ec2::254, which sits inside the ULA range fc00::/7); multicast and broadcast reach every
 * host on a link at once. */
static const Cidr forbidden[] = {
        { .family = AF_INET6, .address = { [15] = 1 }, .prefixlen = 128 },
        { .family = AF_INET6, .address = { 0xfe, 0x80 }, .prefixlen = 10 },
        { .family = AF_INET6, .address = { 0xff }, .prefixlen = 8 },
        { .family = AF_INET6, .address = { 0xfd, 0x00, 0x0e, 0xc2, [14] = 0x02, 0x54 }, .prefixlen = 128 },
        V4ALL(0, 0, 0, 0, 8),           /* "this network"; its compatible form holds :: */
        V4ALL(127, 0, 0, 0, 8),
        V4ALL(169, 254, 0, 0, 16),
        V4ALL(224, 0, 0, 0, 4),
        V4ALL(255, 255, 255, 255, 32),
};

/* What forbidden[] holds, entry by entry, for error messages. */
static const char *const forbidden_why[ELEMENTSOF(forbidden)] = {
        "the loopback address",
        "link-local addresses",
        "multicast addresses",
        "the cloud metadata address",
#define THREE(s) s, s, s
        THREE("the \"this network\" range"),
        THREE("loopback addresses"),
        THREE("link-local and cloud metadata addresses"),
        THREE("multicast addresses"),
        THREE("the broadcast address"),
#undef THREE
};

static bool bit(const uint8_t *a, unsigned i) {
        return (a[i / 8] >> (7 - i % 8)) & 1;
}

static void flip_bit(uint8_t *a, unsigned i) {
        a[i / 8] ^= (uint8_t) (1 << (7 - i % 8));
}

/* Clears every bit from position len on. */
static void mask_to(uint8_t a[static 16], unsigned len) {
        for (unsigned i = 0; i < 16; i++) {
                unsigned keep = len >= (i + 1) * 8 ? 8 : len > i * 8 ? len - i * 8 : 0;
                a[i] &= keep == 0 ? 0 : (uint8_t) (0xff << (8 - keep));
        }
}

/* ::ffff:a.b.c.d/96+n is a.b.c.d/n: the kernel sends it as IPv4, and filters it as IPv4. */
static void normalize_mapped(Cidr *c) {
        static const uint8_t prefix[12] = { [10] = 0xff, 0xff };

        if (c->family != AF_INET6 || c->prefixlen < 96 || memcmp(c->address, prefix, sizeof(prefix)) != 0)
                return;
        memmove(c->address, c->address + 12, 4);
        memset(c->address + 4, 0, 12);
        c->family = AF_INET;
        c->prefixlen -= 96;
}

int cidr_from_string(const char *s, Cidr *ret) {
        Cidr c = {};
        int r;

        r = cidr_parse(s, &c.family, c.address, &c.prefixlen);
        if (r < 0)
                return r;
        if (c.family == AF_INET)
                memset(c.address + 4, 0, 12);
        normalize_mapped(&c);
        *ret = c;
        return 0;
}

char *cidr_to_string(const Cidr *c, char buf[static CIDR_STRING_MAX]) {
        char a[INET6_ADDRSTRLEN];

        if (!inet_ntop(c->family, c->address, a, sizeof(a)))
                strcpy(a, "?");
        snprintf(buf, CIDR_STRING_MAX, "%s/%u", a, c->prefixlen);
        return buf;
}

bool cidr_contains(const Cidr *a, const Cidr *b) {
        if (a->family != b->family || a->prefixlen > b->prefixlen)
                return false;
        for (unsigned i = 0; i < a->prefixlen; i++)
                if (bit(a->address, i) != bit(b->address, i))
                        return false;
        return true;
}

bool cidr_overlaps(const Cidr *a, const Cidr *b) {
        return cidr_contains(a, b) || cidr_contains(b, a);
}

/* A growing array of prefixes. */
typedef struct CidrArray {
        Cidr *items;
        size_t n;
} CidrArray;

static int cidr_array_add(CidrArray *a, const Cidr *c) {
        Cidr *items = reallocarray(a->items, a->n + 1, sizeof(Cidr));

        if (!items)
                return -ENOMEM;
        a->items = items;
        a->items[a->n++] = *c;
        return 0;
}

/* Appends a minus b: a itself if they do not overlap, nothing if b covers a, else for each bit
 * between the two prefix lengths the half of a that b is not in. */
static int subtract_one(const Cidr *a, const Cidr *b, CidrArray *out) {
        if (!cidr_overlaps(a, b))
                return cidr_array_add(out, a);
        if (cidr_contains(b, a))
                return 0;
        for (unsigned len = a->prefixlen; len < b->prefixlen; len++) {
                Cidr half = { .family = a->family, .prefixlen = len + 1 };
                int r;

                memcpy(half.address, b->address, sizeof(half.address));
                flip_bit(half.address, len);
                mask_to(half.address, len + 1);
                r = cidr_array_add(out, &half);
                if (r < 0)
                        return r;
        }
        return 0;
}

int cidr_subtract(const Cidr *a, const Cidr *minus, size_t n_minus, Cidr **ret) {
        CidrArray work = {};
        int r;

        assert(a);
        assert(ret);
        r = cidr_array_add(&work, a);
        for (size_t i = 0; r >= 0 && i < n_minus && work.n > 0; i++) {
                CidrArray next = {};

                for (size_t j = 0; r >= 0 && j < work.n; j++)
                        r = subtract_one(&work.items[j], &minus[i], &next);
                free(work.items);
                work = next;
        }
        if (r < 0) {
                free(work.items);
                return r;
        }
        if (work.n == 0)
                work.items = mfree(work.items);
        *ret = work.items;
        return (int) work.n;
}

int cidr_covered_by(const Cidr *c, const Cidr *ceiling, size_t n) {
        _cleanup_free_ Cidr *left = NULL;
        int r;

        r = cidr_subtract(c, ceiling, n, &left);
        return r < 0 ? r : r == 0;
}

const Cidr *cidr_forbidden_overlap(const Cidr *c, const char **ret_why) {
        for (size_t i = 0; i < ELEMENTSOF(forbidden); i++)
                if (cidr_overlaps(c, &forbidden[i])) {
                        if (ret_why)
                                *ret_why = forbidden_why[i];
                        return &forbidden[i];
                }
        return NULL;
}

const Cidr *cidr_forbidden_ranges(size_t *ret_n) {
        *ret_n = ELEMENTSOF(forbidden);
        return forbidden;
}

int cidr_list_parse(char *const *l, Cidr **ret, const char **ret_bad) {
        _cleanup_free_ Cidr *a = NULL;
        size_t n = strv_length(l);

        if (n > 0 && !(a = calloc(n, sizeof(Cidr))))
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (cidr_from_string(l[i], &a[i]) < 0) {
                        if (ret_bad)
                                *ret_bad = l[i];
                        return -EINVAL;
                }
        *ret = steal_ptr(a);
        return (int) n;
}

int cidr_list_subtract_format(const Cidr *l, size_t n, const Cidr *minus, size_t n_minus, char ***ret) {
        _cleanup_strv_free_ char **out = NULL;

        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ Cidr *left = NULL;
                int k = cidr_subtract(&l[i], minus, n_minus, &left);

                if (k < 0)
                        return k;
                for (int j = 0; j < k; j++) {
                        char buf[CIDR_STRING_MAX];

                        if (strv_extend(&out, cidr_to_string(&left[j], buf)) < 0)
                                return -ENOMEM;
                }
        }
        *ret = steal_ptr(out);
        return 0;
}
