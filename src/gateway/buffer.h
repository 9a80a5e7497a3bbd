/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A growable byte queue: the gateway appends what the upstream sends and the client side
 * consumes it from the front. */

#include <stddef.h>

#include "macro.h"

typedef struct Buffer {
        char *data;
        size_t size;            /* bytes appended so far, consumed ones included */
        size_t offset;          /* bytes consumed from the front */
        size_t allocated;
} Buffer;

/* Appends n bytes of p. Returns 0 or -ENOMEM; the buffer is unchanged on failure. */
int buffer_append(Buffer *b, const void *p, size_t n);

/* Drops n (at most buffer_length()) bytes from the front. */
void buffer_consume(Buffer *b, size_t n);

/* Frees the storage and leaves b empty. */
void buffer_done(Buffer *b);

static inline size_t buffer_length(const Buffer *b) {
        return b->size - b->offset;
}

static inline const char *buffer_peek(const Buffer *b) {
        return b->data ? b->data + b->offset : "";
}
