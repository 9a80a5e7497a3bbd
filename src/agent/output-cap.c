/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Head and tail capture. The tail is a ring buffer, so memory stays at the cap however much a
 * command prints. */

#include <assert.h>

#include "output-cap.h"

int output_cap_init(OutputCap *c, size_t cap) {
        assert(c);

        cap = MAX(cap, (size_t) 64);
        *c = (OutputCap) { .head_max = cap * 2 / 3 };
        c->tail_max = cap - c->head_max;
        c->head = malloc(c->head_max);
        c->tail = malloc(c->tail_max);
        if (!c->head || !c->tail) {
                output_cap_done(c);
                return -ENOMEM;
        }
        return 0;
}

void output_cap_done(OutputCap *c) {
        if (!c)
                return;
        free(c->head);
        free(c->tail);
        *c = (OutputCap) {};
}

void output_cap_add(OutputCap *c, const char *buf, size_t n) {
        size_t k = MIN(n, c->head_max - c->n_head);

        memcpy(c->head + c->n_head, buf, k);
        c->n_head += k;
        c->total += n;
        buf += k;
        n -= k;

        /* Only the last tail_max bytes of what is left can survive. */
        if (n > c->tail_max) {
                buf += n - c->tail_max;
                n = c->tail_max;
        }
        while (n > 0) {
                size_t chunk = MIN(n, c->tail_max - c->tail_pos);

                memcpy(c->tail + c->tail_pos, buf, chunk);
                c->tail_pos = (c->tail_pos + chunk) % c->tail_max;
                buf += chunk;
                n -= chunk;
        }
}

static size_t tail_length(const OutputCap *c) {
        return MIN(c->total - c->n_head, c->tail_max);
}

size_t output_cap_dropped(const OutputCap *c) {
        return c->total - c->n_head - tail_length(c);
}

int output_cap_finish(const OutputCap *c, char **ret) {
        size_t n_tail = tail_length(c), dropped = output_cap_dropped(c), n = 0;
        char note[96] = "";
        char *s;

        if (dropped > 0)
                snprintf(note, sizeof note, "\n[... %zu bytes of output omitted ...]\n", dropped);
        s = malloc(c->n_head + strlen(note) + n_tail + 1);
        if (!s)
                return -ENOMEM;
        memcpy(s, c->head, c->n_head);
        n = c->n_head;
        memcpy(s + n, note, strlen(note));
        n += strlen(note);
        if (n_tail > 0) {
                /* When the ring has wrapped, its oldest byte sits at tail_pos. */
                size_t start = n_tail < c->tail_max ? 0 : c->tail_pos, first = MIN(n_tail, c->tail_max - start);

                memcpy(s + n, c->tail + start, first);
                memcpy(s + n + first, c->tail, n_tail - first);
                n += n_tail;
        }
        s[n] = 0;
        *ret = s;
        return 0;
}

int output_cap_string(const char *s, size_t max, char **ret) {
        OutputCap c;
        int r;

        r = output_cap_init(&c, max);
        if (r < 0)
                return r;
        output_cap_add(&c, s, strlen(s));
        r = output_cap_finish(&c, ret);
        output_cap_done(&c);
        return r;
}
