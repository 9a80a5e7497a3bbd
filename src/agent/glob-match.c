/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A small recursive matcher. Patterns come from the model and are short; the recursion depth
 * is bounded by the pattern length and the "**" fan-out by the path length. */

#include <fnmatch.h>
#include <string.h>

#include "glob-match.h"

#define GLOB_STEPS_MAX 100000

/* Matches one "[...]" class at p against c; sets *ret_end past the class. Returns -1 if p does
 * not hold a complete class (then '[' is literal). */
static int match_class(const char *p, char c, const char **ret_end) {
        const char *e = p + 1;
        char buf[256], s[2] = { c, 0 };

        if (*e == '!' || *e == '^')
                e++;
        if (*e == ']')
                e++;
        e = strchr(e, ']');
        if (!e || (size_t) (e - p + 2) > sizeof buf)
                return -1;
        memcpy(buf, p, (size_t) (e - p + 1));
        buf[e - p + 1] = 0;
        if (buf[1] == '^')
                buf[1] = '!';
        *ret_end = e + 1;
        return fnmatch(buf, s, FNM_PATHNAME) == 0;
}

static bool match(const char *p, const char *s, unsigned *steps) {
        const char *end;
        int k;

        if (++*steps > GLOB_STEPS_MAX)
                return false;
        if (*p == 0)
                return *s == 0;
        if (p[0] == '*' && p[1] == '*') {
                const char *rest = p + 2;

                if (*rest == '/') {
                        /* "**" + "/" matches zero or more whole components. */
                        rest++;
                        for (const char *t = s;; t++) {
                                if ((t == s || t[-1] == '/') && match(rest, t, steps))
                                        return true;
                                if (!*t)
                                        return false;
                        }
                }
                for (const char *t = s;; t++) {
                        if (match(rest, t, steps))
                                return true;
                        if (!*t)
                                return false;
                }
        }
        if (*p == '*') {
                for (const char *t = s;; t++) {
                        if (match(p + 1, t, steps))
                                return true;
                        if (!*t || *t == '/')
                                return false;
                }
        }
        if (*s == 0)
                return false;
        if (*p == '?')
                return *s != '/' && match(p + 1, s + 1, steps);
        if (*p == '[' && *s != '/' && (k = match_class(p, *s, &end)) >= 0)
                return k && match(end, s + 1, steps);
        if (*p == '\\' && p[1])
                p++;
        return *p == *s && match(p + 1, s + 1, steps);
}

bool glob_match(const char *pattern, const char *path) {
        unsigned steps = 0;

        return match(pattern, path, &steps);
}
