/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* String helpers. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "string-util.h"

int free_and_asprintf(char **p, const char *format, ...) {
        va_list ap;
        char *s;
        int r;

        va_start(ap, format);
        r = vasprintf(&s, format, ap);
        va_end(ap);
        free(*p);
        *p = r < 0 ? NULL : s;
        return r < 0 ? -ENOMEM : 0;
}

int strdup_pair(const char *a, const char *b, char **ret_a, char **ret_b) {
        char *x = strdup(a), *y = strdup(b);

        if (!x || !y) {
                free(x);
                free(y);
                return -ENOMEM;
        }
        *ret_a = x;
        *ret_b = y;
        return 0;
}
