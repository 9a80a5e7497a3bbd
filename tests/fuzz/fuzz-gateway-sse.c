/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds an upstream's answer to the gateway's usage scanner, cut at a point the input chooses,
 * in both modes. A stream passed through must come out byte for byte; with usage-only events
 * dropped it can only get shorter. The same bytes are also read as a whole answer. */

#include <stdint.h>

#include "sse-usage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void scan(const char *p, size_t n, size_t cut, bool strip) {
        Buffer out = {};
        SseScanner sc;

        sse_scanner_init(&sc, strip);
        if (sse_scanner_feed(&sc, p, cut, &out) < 0 || sse_scanner_feed(&sc, p + cut, n - cut, &out) < 0 ||
            sse_scanner_finish(&sc, &out) < 0)
                abort();
        if (!strip && (buffer_length(&out) != n || memcmp(buffer_peek(&out), p, n) != 0))
                abort();
        if (strip && buffer_length(&out) > n)
                abort();
        if (sc.n_stripped > 0 && !sc.usage.valid)
                abort();
        sse_scanner_done(&sc);
        buffer_done(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Usage u;
        size_t cut;

        if (size < 1 || size > 4 * 1024 * 1024)
                return 0;
        cut = data[0] % size;
        scan((const char *) data + 1, size - 1, MIN(cut, size - 1), false);
        scan((const char *) data + 1, size - 1, MIN(cut, size - 1), true);
        (void) usage_from_body((const char *) data, size, &u);
        return 0;
}
