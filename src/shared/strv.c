/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* String vector helpers: the few that the programs use, not a general library. */

#include <stdarg.h>

#include "strv.h"

char **strv_free(char **l) {
        STRV_FOREACH(s, l)
                free(*s);
        free(l);
        return NULL;
}

size_t strv_length(char *const *l) {
        size_t n = 0;

        STRV_FOREACH(s, l)
                n++;
        return n;
}

bool strv_contains(char *const *l, const char *s) {
        STRV_FOREACH(i, l)
                if (streq(*i, s))
                        return true;
        return false;
}

int strv_consume(char ***l, char *s) {
        size_t n = strv_length(*l);
        char **c;

        if (!s)
                return -ENOMEM;
        c = reallocarray(*l, n + 2, sizeof(char *));
        if (!c) {
                free(s);
                return -ENOMEM;
        }
        c[n] = s;
        c[n + 1] = NULL;
        *l = c;
        return 0;
}

int strv_extend(char ***l, const char *s) {
        return strv_consume(l, strdup(s));
}

int strv_extendf(char ***l, const char *format, ...) {
        char *s;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&s, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return strv_consume(l, s);
}

int strv_split(const char *s, const char *separators, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;

        for (const char *p = s; *p;) {
                size_t n;

                p += strspn(p, separators);
                n = strcspn(p, separators);
                if (n == 0)
                        break;
                if (strv_consume(&l, strndup(p, n)) < 0)
                        return -ENOMEM;
                p += n;
        }
        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        *ret = steal_ptr(l);
        return 0;
}

int strv_extend_strv(char ***l, char *const *other) {
        STRV_FOREACH(s, other)
                if (strv_extend(l, *s) < 0)
                        return -ENOMEM;
        return 0;
}

char **strv_copy(char *const *l) {
        char **copy;

        if (!l)
                return NULL;
        copy = calloc(1, sizeof(char *));
        if (!copy || strv_extend_strv(&copy, l) < 0)
                return strv_free(copy);
        return copy;
}

char *strv_join(char *const *l, const char *separator) {
        size_t n = 1, k = strlen(separator);
        char *s, *p;

        STRV_FOREACH(e, l)
                n += strlen(*e) + k;
        p = s = malloc(n);
        if (!s)
                return NULL;
        *p = 0;
        STRV_FOREACH(e, l) {
                if (e != l)
                        p = stpcpy(p, separator);
                p = stpcpy(p, *e);
        }
        return s;
}
