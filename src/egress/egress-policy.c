/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The egress proxy's decisions. The forbidden ranges come from cidr.c, the same table the
 * network ceilings use, so the proxy can never be a way around them. */

#include <assert.h>
#include <sys/socket.h>

#include "egress-policy.h"
#include "strv.h"

static const char *const verdict_table[_EGRESS_VERDICT_MAX] = {
        [EGRESS_ALLOWED]          = "allowed",
        [EGRESS_DENIED_NAME]      = "name-not-allowed",
        [EGRESS_DENIED_PORT]      = "port-not-allowed",
        [EGRESS_DENIED_LITERAL]   = "address-literal",
        [EGRESS_DENIED_FORBIDDEN] = "forbidden-address",
        [EGRESS_DENIED_PRIVATE]   = "private-address",
        [EGRESS_DENIED_RESERVED]  = "reserved-address",
};

const char *egress_verdict_to_string(EgressVerdict v) {
        return v >= 0 && v < _EGRESS_VERDICT_MAX ? verdict_table[v] : NULL;
}

EgressVerdict egress_verdict_from_string(const char *s) {
        for (EgressVerdict v = 0; s && v < _EGRESS_VERDICT_MAX; v++)
                if (streq(verdict_table[v], s))
                        return v;
        return _EGRESS_VERDICT_INVALID;
}

/* Ranges that are not the internet: names that resolve into them are refused unless the
 * administrator allowed the range (an intranet mirror, say) with AllowAddress=. */
static const char *const private_ranges[] = {
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "192.0.0.0/24",
        "198.18.0.0/15", "240.0.0.0/4", "fc00::/7", "fec0::/10", "2001:db8::/32",
};

void egress_policy_done(EgressPolicy *p) {
        assert(p);

        p->allow_domains = strv_free(p->allow_domains);
        cidr_list_done(&p->reserved);
        cidr_list_done(&p->host);
        cidr_list_done(&p->allow_private);
        p->n_ports = 0;
}

int cidr_list_append(CidrList *l, const Cidr *c) {
        Cidr *a;

        assert(l);
        assert(c);

        a = reallocarray(l->items, l->n + 1, sizeof(Cidr));
        if (!a)
                return -ENOMEM;
        a[l->n++] = *c;
        l->items = a;
        return 0;
}

void cidr_list_done(CidrList *l) {
        assert(l);

        l->items = mfree(l->items);
        l->n = 0;
}

static bool port_allowed(const EgressPolicy *p, uint16_t port) {
        for (size_t i = 0; i < p->n_ports; i++)
                if (p->ports[i] == port)
                        return true;
        return false;
}

EgressVerdict egress_policy_check_request(const EgressPolicy *p, const EgressHost *h, uint16_t port) {
        assert(p);
        assert(h);

        /* Addresses are refused outright: the policy is about names, and an address would
         * otherwise be a way to anything the address checks let through. */
        if (h->kind != EGRESS_HOST_NAME)
                return EGRESS_DENIED_LITERAL;
        if (!egress_pattern_list_match(p->allow_domains, h->name))
                return EGRESS_DENIED_NAME;
        if (!port_allowed(p, port))
                return EGRESS_DENIED_PORT;
        return EGRESS_ALLOWED;
}

static bool in_list(const Cidr *c, const CidrList *l) {
        for (size_t i = 0; i < l->n; i++)
                if (cidr_contains(&l->items[i], c))
                        return true;
        return false;
}

static bool in_private_range(const Cidr *c) {
        for (size_t i = 0; i < ELEMENTSOF(private_ranges); i++) {
                Cidr r;

                if (cidr_from_string(private_ranges[i], &r) >= 0 && cidr_contains(&r, c))
                        return true;
        }
        return false;
}

EgressVerdict egress_policy_check_address(const EgressPolicy *p, int family, const uint8_t *address) {
        Cidr c = { .family = family };

        assert(p);
        assert(address);
        assert(family == AF_INET || family == AF_INET6);

        memcpy(c.address, address, family == AF_INET ? 4 : 16);
        egress_address_unmap(&c.family, c.address);
        c.prefixlen = c.family == AF_INET ? 32 : 128;

        if (cidr_forbidden_overlap(&c, NULL))
                return EGRESS_DENIED_FORBIDDEN;
        if (in_list(&c, &p->reserved) || in_list(&c, &p->host))
                return EGRESS_DENIED_RESERVED;
        if (in_private_range(&c) && !in_list(&c, &p->allow_private))
                return EGRESS_DENIED_PRIVATE;
        return EGRESS_ALLOWED;
}
