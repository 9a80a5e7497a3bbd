/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Value parsers for configuration files. They are strict on purpose (no sign, no surrounding
 * whitespace, no base prefixes, every overflow caught) because a value an administrator wrote
 * wrongly must fail loudly instead of becoming a different limit than the one intended. */

#include <assert.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

#include "macro.h"
#include "parse-util.h"

/* A number as written: integer digits, then up to FRACTION_DIGITS_MAX fractional digits held as
 * frac / frac_scale. Longer fractions are cut, as µs and bytes have no finer resolution. */
#define FRACTION_DIGITS_MAX 18

typedef struct Number {
        uint64_t integer;
        uint64_t frac;
        uint64_t frac_scale;    /* 10^digits, 1 when there is no fraction */
} Number;

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

static bool is_space(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Parses exactly n characters of decimal digits. */
static int parse_digits(const char *s, size_t n, uint64_t *ret) {
        uint64_t v = 0;

        if (n == 0)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (!is_digit(s[i]))
                        return -EINVAL;
                if (__builtin_mul_overflow(v, 10, &v) ||
                    __builtin_add_overflow(v, (uint64_t) (s[i] - '0'), &v))
                        return -ERANGE;
        }
        *ret = v;
        return 0;
}

/* Reads "123", "1.5" or ".5" at *p and advances *p past it. */
static int scan_number(const char **p, Number *ret) {
        const char *s = *p;
        size_t n = strspn(s, "0123456789");
        Number num = { .frac_scale = 1 };
        int r;

        if (n > 0) {
                r = parse_digits(s, n, &num.integer);
                if (r < 0)
                        return r;
        }
        s += n;
        if (*s == '.') {
                size_t k = strspn(++s, "0123456789");

                if (k == 0)
                        return -EINVAL;
                for (size_t i = 0; i < MIN(k, (size_t) FRACTION_DIGITS_MAX); i++) {
                        num.frac = num.frac * 10 + (uint64_t) (s[i] - '0');
                        num.frac_scale *= 10;
                }
                s += k;
        } else if (n == 0)
                return -EINVAL;
        *p = s;
        *ret = num;
        return 0;
}

/* Returns num × mult, the fraction computed exactly and rounded down. */
static int number_scale(const Number *num, uint64_t mult, uint64_t *ret) {
        unsigned __int128 f = (unsigned __int128) num->frac * mult / num->frac_scale;
        uint64_t v;

        if (__builtin_mul_overflow(num->integer, mult, &v) ||
            __builtin_add_overflow(v, (uint64_t) f, &v))
                return -ERANGE;
        *ret = v;
        return 0;
}

int parse_boolean(const char *s) {
        static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
        static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

        assert(s);
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0)
                        return 1;
                if (strcasecmp(s, no[i]) == 0)
                        return 0;
        }
        return -EINVAL;
}

int parse_uint64(const char *s, uint64_t *ret) {
        assert(s);
        assert(ret);
        return parse_digits(s, strlen(s), ret);
}

int parse_unsigned(const char *s, unsigned *ret) {
        uint64_t v;
        int r;

        assert(ret);
        r = parse_uint64(s, &v);
        if (r < 0)
                return r;
        if (v > UINT_MAX)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

int parse_percent(const char *s, unsigned *ret) {
        size_t n;
        uint64_t v;
        int r;

        assert(s);
        assert(ret);
        n = strlen(s);
        if (n < 2 || s[n - 1] != '%')
                return -EINVAL;
        r = parse_digits(s, n - 1, &v);
        if (r < 0)
                return r;
        if (v > UINT_MAX)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

int parse_size(const char *s, uint64_t *ret) {
        static const char suffixes[] = "KMGTPE";
        const char *p = s, *suffix;
        uint64_t mult = 1;
        Number num;
        int r;

        assert(s);
        assert(ret);
        if (streq(s, "infinity")) {
                *ret = UINT64_MAX;
                return 0;
        }
        r = scan_number(&p, &num);
        if (r < 0)
                return r;
        suffix = *p ? strchr(suffixes, *p) : NULL;
        if (suffix)
                mult <<= 10 * (suffix - suffixes + 1);
        else if (*p == 'B' || *p == '\0') {
                if (num.frac_scale > 1)
                        return -EINVAL;         /* there are no fractions of a byte */
        } else
                return -EINVAL;
        if (*p && p[1] != '\0')
                return -EINVAL;
        return number_scale(&num, mult, ret);
}

typedef struct TimeUnit {
        const char *name;
        uint64_t usec;
} TimeUnit;

/* Every spelling systemd accepts for time spans; "m" is a minute, "M" a month. */
static const TimeUnit time_units[] = {
        { "seconds", USEC_PER_SEC }, { "second", USEC_PER_SEC }, { "sec", USEC_PER_SEC },
        { "s", USEC_PER_SEC },
        { "minutes", USEC_PER_MINUTE }, { "minute", USEC_PER_MINUTE }, { "min", USEC_PER_MINUTE },
        { "m", USEC_PER_MINUTE },
        { "hours", USEC_PER_HOUR }, { "hour", USEC_PER_HOUR }, { "hr", USEC_PER_HOUR },
        { "h", USEC_PER_HOUR },
        { "days", USEC_PER_DAY }, { "day", USEC_PER_DAY }, { "d", USEC_PER_DAY },
        { "weeks", USEC_PER_WEEK }, { "week", USEC_PER_WEEK }, { "w", USEC_PER_WEEK },
        { "months", USEC_PER_MONTH }, { "month", USEC_PER_MONTH }, { "M", USEC_PER_MONTH },
        { "years", USEC_PER_YEAR }, { "year", USEC_PER_YEAR }, { "y", USEC_PER_YEAR },
        { "msec", USEC_PER_MSEC }, { "ms", USEC_PER_MSEC },
        { "usec", 1 }, { "us", 1 }, { "\xc2\xb5s", 1 } /* µs, micro sign */,
        { "\xce\xbcs", 1 } /* μs, Greek mu */,
};

/* Reads the unit at *p (empty means seconds) and advances *p past it. */
static int scan_time_unit(const char **p, uint64_t *ret) {
        const char *s = *p;
        size_t n = 0;

        while (s[n] && !is_digit(s[n]) && !is_space(s[n]) && s[n] != '.')
                n++;
        if (n == 0) {
                if (*s == '.')
                        return -EINVAL;         /* "1.5.5s" */
                *ret = USEC_PER_SEC;
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(time_units); i++)
                if (strlen(time_units[i].name) == n && strncmp(time_units[i].name, s, n) == 0) {
                        *p = s + n;
                        *ret = time_units[i].usec;
                        return 0;
                }
        return -EINVAL;
}

int parse_timespan(const char *s, uint64_t *ret_usec) {
        uint64_t sum = 0;
        size_t len;

        assert(s);
        assert(ret_usec);
        if (streq(s, "infinity")) {
                *ret_usec = USEC_INFINITY;
                return 0;
        }
        len = strlen(s);
        if (len == 0 || is_space(s[0]) || is_space(s[len - 1]))
                return -EINVAL;

        for (const char *p = s; *p; p += strspn(p, " \t\n\r")) {
                uint64_t mult, v;
                Number num;
                int r;

                r = scan_number(&p, &num);
                if (r < 0)
                        return r;
                p += strspn(p, " \t\n\r");
                r = scan_time_unit(&p, &mult);
                if (r < 0)
                        return r;
                r = number_scale(&num, mult, &v);
                if (r < 0)
                        return r;
                if (__builtin_add_overflow(sum, v, &sum))
                        return -ERANGE;
        }
        if (sum == USEC_INFINITY)
                return -ERANGE;         /* would read back as "infinity" */
        *ret_usec = sum;
        return 0;
}

/* Appends to the buffer at *p with *left bytes of room, truncating when it is full. */
_printf_(3, 4)
static void buf_append(char **p, size_t *left, const char *format, ...) {
        va_list ap;
        int k;

        if (*left <= 1)
                return;
        va_start(ap, format);
        k = vsnprintf(*p, *left, format, ap);
        va_end(ap);
        if (k < 0)
                return;
        k = MIN(k, (int) *left - 1);
        *p += k;
        *left -= (size_t) k;
}

char *format_timespan(char *buf, size_t n, uint64_t usec) {
        static const TimeUnit units[] = {
                { "y", USEC_PER_YEAR }, { "month", USEC_PER_MONTH }, { "w", USEC_PER_WEEK },
                { "d", USEC_PER_DAY }, { "h", USEC_PER_HOUR }, { "min", USEC_PER_MINUTE },
                { "s", USEC_PER_SEC }, { "ms", USEC_PER_MSEC }, { "us", 1 },
        };
        char *p = buf;
        size_t left = n;

        assert(buf);
        assert(n > 0);
        *buf = '\0';
        if (usec == USEC_INFINITY)
                buf_append(&p, &left, "infinity");
        else if (usec == 0)
                buf_append(&p, &left, "0");

        for (size_t i = 0; i < ELEMENTSOF(units) && usec > 0 && usec != USEC_INFINITY; i++) {
                uint64_t a = usec / units[i].usec, b = usec % units[i].usec;
                const char *sep = p == buf ? "" : " ";

                if (a == 0)
                        continue;
                /* Below a minute a remainder reads better as a fraction: "1.5s", not "1s 500ms".
                 * Only s and ms get here with one, and both are powers of ten. */
                if (usec < USEC_PER_MINUTE && b > 0) {
                        int width = units[i].usec == USEC_PER_SEC ? 6 : 3;

                        for (; b % 10 == 0; b /= 10)
                                width--;
                        buf_append(&p, &left, "%s%" PRIu64 ".%0*" PRIu64 "%s",
                                   sep, a, width, b, units[i].name);
                        break;
                }
                buf_append(&p, &left, "%s%" PRIu64 "%s", sep, a, units[i].name);
                usec = b;
        }
        return buf;
}
