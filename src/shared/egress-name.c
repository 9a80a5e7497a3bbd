/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Normalising hosts and AllowDomain= patterns, matching one against the other, and the ceiling
 * rule between two lists of patterns. */

#include <assert.h>
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "egress-name.h"
#include "macro.h"
#include "strv.h"

/* IPv6 prefixes that carry an IPv4 address in their last four bytes and reach it: mapped
 * (::ffff:0:0/96), compatible (::/96) and the well-known NAT64 prefix (64:ff9b::/96). */
static bool ipv6_embeds_ipv4(const uint8_t a[static 16]) {
        static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
        static const uint8_t compat[12] = {};
        static const uint8_t nat64[12] = { 0x00, 0x64, 0xff, 0x9b };

        if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0)
                return true;
        /* :: and ::1 are not IPv4 addresses in disguise, and are judged as IPv6. */
        return memcmp(a, compat, 12) == 0 && (a[12] | a[13]) != 0;
}

void egress_address_unmap(int *family, uint8_t a[static 16]) {
        assert(family);

        if (*family != AF_INET6 || !ipv6_embeds_ipv4(a))
                return;
        memmove(a, a + 12, 4);
        memset(a + 4, 0, 12);
        *family = AF_INET;
}

static void host_set_address(EgressHost *h, int family, const uint8_t *a) {
        h->kind = EGRESS_HOST_ADDRESS;
        memset(h->address, 0, sizeof(h->address));
        memcpy(h->address, a, family == AF_INET ? 4 : 16);
        h->family = family;
        egress_address_unmap(&h->family, h->address);
        (void) inet_ntop(h->family, h->address, h->name, sizeof(h->name));
}

static bool char_is_name(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Checks the lowercased name's labels: 1-63 bytes of name characters each. */
static bool name_is_valid(const char *s) {
        size_t label = 0;

        for (; *s; s++) {
                if (*s == '.') {
                        if (label == 0)
                                return false;
                        label = 0;
                } else if (!char_is_name(*s) || ++label > 63)
                        return false;
        }
        return label > 0;
}

/* Whether a resolver could read the name as an IPv4 address: its last label starts with a
 * digit (inet_aton() accepts "1", "0x7f.1", "0177.0.0.1" ...). Such names are never looked up. */
static bool name_looks_numeric(const char *s) {
        const char *last = strrchr(s, '.');

        last = last ? last + 1 : s;
        return *last >= '0' && *last <= '9';
}

static int host_parse_literal(const char *buf, EgressHost *h) {
        uint8_t a[16];
        struct in_addr in;

        if (strchr(buf, ':')) {
                if (inet_pton(AF_INET6, buf, a) != 1)
                        return -EINVAL;
                host_set_address(h, AF_INET6, a);
                return 0;
        }
        if (inet_aton(buf, &in) == 0)
                return -EINVAL;
        host_set_address(h, AF_INET, (const uint8_t *) &in.s_addr);
        return 0;
}

int egress_host_normalize(const char *s, size_t n, EgressHost *ret) {
        char buf[EGRESS_NAME_MAX + 2];
        EgressHost h = {};
        bool bracketed;

        assert(s || n == 0);
        assert(ret);

        bracketed = n >= 2 && s[0] == '[' && s[n - 1] == ']';
        if (bracketed) {
                s++;
                n -= 2;
        }
        if (n == 0 || n >= sizeof(buf) || memchr(s, 0, n))
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                buf[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char) (s[i] - 'A' + 'a') : s[i];
        buf[n] = 0;

        /* IPv6 literals come in brackets and nothing else does. */
        if (bracketed != !!strchr(buf, ':'))
                return -EINVAL;
        if (bracketed) {
                if (host_parse_literal(buf, &h) < 0)
                        return -EINVAL;
                *ret = h;
                return 0;
        }
        if (buf[n - 1] == '.')
                buf[--n] = 0;
        if (n == 0 || n > EGRESS_NAME_MAX || !name_is_valid(buf))
                return -EINVAL;
        if (name_looks_numeric(buf)) {
                if (host_parse_literal(buf, &h) < 0)
                        return -EINVAL;
                *ret = h;
                return 0;
        }
        h.kind = EGRESS_HOST_NAME;
        memcpy(h.name, buf, n + 1);
        *ret = h;
        return 0;
}

int egress_pattern_normalize(const char *s, char **ret) {
        EgressHost h;
        bool wildcard;
        char *p;

        assert(s);
        assert(ret);

        wildcard = strncmp(s, "*.", 2) == 0;
        if (wildcard)
                s += 2;
        if (egress_host_normalize(s, strlen(s), &h) < 0 || h.kind != EGRESS_HOST_NAME)
                return -EINVAL;
        if (asprintf(&p, "%s%s", wildcard ? "*." : "", h.name) < 0)
                return -ENOMEM;
        *ret = p;
        return 0;
}

/* Whether name lies strictly below suffix: "a.b.example.com" below "example.com". */
static bool name_below(const char *name, const char *suffix) {
        size_t n = strlen(name), k = strlen(suffix);

        return n > k + 1 && name[n - k - 1] == '.' && strcmp(name + n - k, suffix) == 0;
}

bool egress_pattern_match(const char *pattern, const char *name) {
        assert(pattern);
        assert(name);

        if (strncmp(pattern, "*.", 2) == 0)
                return name_below(name, pattern + 2);
        return strcmp(pattern, name) == 0;
}

bool egress_pattern_list_match(char *const *l, const char *name) {
        for (char *const *p = l; p && *p; p++)
                if (egress_pattern_match(*p, name))
                        return true;
        return false;
}

bool egress_pattern_within(const char *pattern, const char *ceiling) {
        assert(pattern);
        assert(ceiling);

        if (strncmp(pattern, "*.", 2) != 0)
                return egress_pattern_match(ceiling, pattern);
        /* A wildcard is covered only by a wildcard at the same suffix or above it. */
        if (strncmp(ceiling, "*.", 2) != 0)
                return false;
        return strcmp(pattern + 2, ceiling + 2) == 0 || name_below(pattern + 2, ceiling + 2);
}

const char *egress_pattern_list_outside(char *const *l, char *const *ceiling) {
        for (char *const *p = l; p && *p; p++) {
                bool covered = false;

                for (char *const *c = ceiling; c && *c && !covered; c++)
                        covered = egress_pattern_within(*p, *c);
                if (!covered)
                        return *p;
        }
        return NULL;
}

static int extend_unique(char ***l, const char *pattern) {
        return strv_contains(*l, pattern) ? 0 : strv_extend(l, pattern);
}

int egress_pattern_list_clamp(char *const *requested, char *const *ceiling, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        int r = 0;

        assert(ret);

        for (char *const *p = requested; p && *p && r >= 0; p++) {
                if (egress_pattern_list_outside((char *const[]) { *p, NULL }, ceiling) == NULL) {
                        r = extend_unique(&l, *p);
                        continue;
                }
                for (char *const *c = ceiling; c && *c && r >= 0; c++)
                        if (egress_pattern_within(*c, *p))
                                r = extend_unique(&l, *c);
        }
        if (r < 0)
                return r;
        *ret = steal_ptr(l);
        return 0;
}
