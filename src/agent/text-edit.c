/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Exact-match replacement: count first, then build the result in one allocation. */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "text-edit.h"

static size_t count_matches(const char *text, size_t n, const char *old_text, size_t n_old) {
        size_t count = 0;

        for (const char *p = text; (p = memmem(p, n - (size_t) (p - text), old_text, n_old)); p += n_old)
                count++;
        return count;
}

int text_replace(const char *text, size_t n, const char *old_text, const char *new_text, bool all,
                 char **ret, size_t *ret_n) {
        size_t n_old, n_new, count, size;
        const char *p = text;
        char *out, *o;

        assert(text || n == 0);
        assert(old_text);
        assert(new_text);
        assert(ret);
        assert(ret_n);

        n_old = strlen(old_text);
        n_new = strlen(new_text);
        if (n_old == 0)
                return -EINVAL;
        count = text ? count_matches(text, n, old_text, n_old) : 0;
        if (count == 0)
                return -ENOENT;
        if (count > 1 && !all) {
                *ret_n = count;
                return -ENOTUNIQ;
        }

        if (n_new > n_old && (n_new - n_old) > (SIZE_MAX - n - 1) / count)
                return -ENOMEM;
        size = n - count * n_old + count * n_new;
        out = o = malloc(size + 1);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < count; i++) {
                const char *m = memmem(p, n - (size_t) (p - text), old_text, n_old);

                memcpy(o, p, (size_t) (m - p));
                o += m - p;
                memcpy(o, new_text, n_new);
                o += n_new;
                p = m + n_old;
        }
        memcpy(o, p, n - (size_t) (p - text));
        out[size] = 0;
        *ret = out;
        *ret_n = size;
        return (int) MIN(count, (size_t) INT32_MAX);
}
