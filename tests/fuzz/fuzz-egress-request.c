/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A request head as a session sends it to the egress proxy, through the parser, the host
 * normalisation and the policy: whatever parses must yield a host that is a bounded string, a
 * port, and for plain HTTP a forwarded head that parses as origin-form and ends the head. */

#include <stdint.h>

#include "egress-policy.h"
#include "egress-request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_forward(const EgressRequest *r) {
        const char *sp;

        if (r->connect) {
                if (r->forward)
                        abort();
                return;
        }
        if (!r->forward || r->forward_len != strlen(r->forward))
                abort();
        sp = strchr(r->forward, ' ');
        if (!sp || sp[1] != '/')
                abort();
        if (r->forward_len < 4 || memcmp(r->forward + r->forward_len - 4, "\r\n\r\n", 4) != 0)
                abort();
        /* The rewritten head is exactly one head: nothing can be smuggled after it. */
        if (strstr(r->forward, "\r\n\r\n") != r->forward + r->forward_len - 4)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(egress_request_done) EgressRequest r = {};
        EgressPolicy p = { .ports = { 443, 80 }, .n_ports = 2 };
        char *patterns[] = { (char *) "*.example.com", NULL };
        EgressHost h;
        int k;

        k = egress_request_parse((const char *) data, size, &r);
        if (k <= 0)
                return 0;
        if ((size_t) k > size || !r.host || r.port == 0)
                abort();
        check_forward(&r);
        if (egress_host_normalize(r.host, strlen(r.host), &h) < 0)
                return 0;
        if (strlen(h.name) > EGRESS_NAME_MAX)
                abort();
        p.allow_domains = patterns;
        if (egress_policy_check_request(&p, &h, r.port) == EGRESS_ALLOWED &&
            (h.kind != EGRESS_HOST_NAME || !egress_pattern_match("*.example.com", h.name)))
                abort();
        if (h.kind == EGRESS_HOST_ADDRESS)
                (void) egress_policy_check_address(&p, h.family, h.address);
        return 0;
}
