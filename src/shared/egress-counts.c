/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The per-session counts file: its text both ways. Parsing is for a restarted proxy, which goes
 * on from the numbers its predecessor wrote instead of starting the session over at zero. */

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>

#include "egress-counts.h"
#include "parse-util.h"

size_t egress_counts_format(const EgressCounts *c, char *buf, size_t size) {
        int n;

        assert(c);
        assert(buf);
        assert(size >= EGRESS_COUNTS_TEXT_MAX);

        n = snprintf(buf, size, "allowed=%" PRIu64 "\ndenied=%" PRIu64 "\nbytes_sent=%" PRIu64
                     "\nbytes_received=%" PRIu64 "\n",
                     c->allowed, c->denied, c->bytes_sent, c->bytes_received);
        assert(n > 0 && (size_t) n < size);
        return (size_t) n;
}

static uint64_t *counts_field(EgressCounts *c, const char *key, size_t n) {
        static const struct { const char *key; size_t offset; } fields[] = {
                { "allowed",        offsetof(EgressCounts, allowed)        },
                { "denied",         offsetof(EgressCounts, denied)         },
                { "bytes_sent",     offsetof(EgressCounts, bytes_sent)     },
                { "bytes_received", offsetof(EgressCounts, bytes_received) },
        };

        for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                if (strlen(fields[i].key) == n && memcmp(fields[i].key, key, n) == 0)
                        return (uint64_t *) ((uint8_t *) c + fields[i].offset);
        return NULL;
}

int egress_counts_parse(const char *buf, size_t n, EgressCounts *ret) {
        EgressCounts c = {};
        const char *p = buf, *end = buf + n;

        assert(buf || n == 0);
        assert(ret);

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p)) ?: end;
                const char *eq = memchr(p, '=', (size_t) (nl - p));
                char value[21];
                uint64_t *field;

                if (eq && (field = counts_field(&c, p, (size_t) (eq - p)))) {
                        size_t len = (size_t) (nl - eq - 1);

                        if (len == 0 || len >= sizeof(value))
                                return -EBADMSG;
                        memcpy(value, eq + 1, len);
                        value[len] = 0;
                        if (parse_uint64(value, field) < 0)
                                return -EBADMSG;
                }
                p = nl + 1;
        }
        *ret = c;
        return 0;
}
