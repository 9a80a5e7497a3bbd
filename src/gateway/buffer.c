/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Buffer: append at the end, consume from the front, and reuse the space once drained. */

#include <assert.h>

#include "buffer.h"

int buffer_append(Buffer *b, const void *p, size_t n) {
        size_t want;
        char *d;

        if (n == 0)
                return 0;
        /* Move what is left to the front before growing, so a stream that is drained as fast
         * as it is filled never needs more than its largest backlog. */
        if (b->offset > 0 && b->size + n > b->allocated) {
                memmove(b->data, b->data + b->offset, b->size - b->offset);
                b->size -= b->offset;
                b->offset = 0;
        }
        if (b->size + n > b->allocated) {
                if (n > SIZE_MAX / 2 - b->size)
                        return -ENOMEM;
                want = MAX(b->size + n, MAX(b->allocated * 2, (size_t) 4096));
                d = realloc(b->data, want);
                if (!d)
                        return -ENOMEM;
                b->data = d;
                b->allocated = want;
        }
        memcpy(b->data + b->size, p, n);
        b->size += n;
        return 0;
}

void buffer_consume(Buffer *b, size_t n) {
        assert(n <= buffer_length(b));
        b->offset += n;
        if (b->offset == b->size)
                b->offset = b->size = 0;
}

void buffer_done(Buffer *b) {
        b->data = mfree(b->data);
        b->size = b->offset = b->allocated = 0;
}
