/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Parsers for the values found in configuration files and on command lines, with systemd's
 * syntax where systemd has one (MemoryMax=, RuntimeMaxSec=, CPUQuota=). Each returns 0 (or the
 * parsed value) on success, -EINVAL for malformed input and -ERANGE for input that does not fit,
 * and writes *ret only on success. None of them accepts surrounding whitespace. */

#include <stddef.h>
#include <stdint.h>

#define USEC_INFINITY UINT64_MAX
#define USEC_PER_MSEC UINT64_C(1000)
#define USEC_PER_SEC UINT64_C(1000000)
#define USEC_PER_MINUTE (UINT64_C(60) * USEC_PER_SEC)
#define USEC_PER_HOUR (UINT64_C(60) * USEC_PER_MINUTE)
#define USEC_PER_DAY (UINT64_C(24) * USEC_PER_HOUR)
#define USEC_PER_WEEK (UINT64_C(7) * USEC_PER_DAY)
/* As systemd counts them: a year is 365.25 days, a month a twelfth of that. */
#define USEC_PER_YEAR (UINT64_C(31557600) * USEC_PER_SEC)
#define USEC_PER_MONTH (UINT64_C(2629800) * USEC_PER_SEC)

/* Room for any format_timespan() result, terminating NUL included. */
#define FORMAT_TIMESPAN_MAX 64

/* Returns 1 for yes/true/on/y/t/1, 0 for no/false/off/n/f/0 (in any case), else -EINVAL. */
int parse_boolean(const char *s);

/* Parses decimal digits only: no sign, no whitespace, no base prefix. -ERANGE on overflow. */
int parse_uint64(const char *s, uint64_t *ret);
/* As parse_uint64(), limited to UINT_MAX. */
int parse_unsigned(const char *s, unsigned *ret);

/* Parses a byte count with an optional fraction and a K, M, G, T, P or E suffix (powers of
 * 1024), or a plain "B"; "1.5G", "512M", "4096". "infinity" gives UINT64_MAX. */
int parse_size(const char *s, uint64_t *ret);

/* Parses a systemd time span into µs: one or more number-unit pairs, optionally separated by
 * whitespace ("2h 30min", "1.5s", "1d12h"). A number without a unit means seconds. Units are
 * us, ms, s, min, h, d, w, M (month), y and their long forms (usec, msec, sec, seconds, minutes,
 * hours, days, weeks, months, years...). "infinity" gives USEC_INFINITY. */
int parse_timespan(const char *s, uint64_t *ret_usec);

/* Parses "<n>%" into n. Values above 100 are accepted (CPUQuota=200% means two CPUs); callers
 * that need a cap check it themselves. The '%' is required. */
int parse_percent(const char *s, unsigned *ret);

/* Writes usec as a time span that parse_timespan() reads back to the same value: "2h 30min",
 * "1.5s", "100ms", "0", "infinity". Truncates to fit n bytes (FORMAT_TIMESPAN_MAX is always
 * enough). Returns buf. */
char *format_timespan(char *buf, size_t n, uint64_t usec);
