/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "macro.h"
#include "parse-util.h"

/* Sentinel that a failing parser must leave untouched. */
#define UNTOUCHED UINT64_C(0xdeadbeef)

static void test_parse_boolean(void **state) {
        static const char *const yes[] = { "1", "yes", "YES", "y", "true", "True", "t", "on", "ON" };
        static const char *const no[] = { "0", "no", "No", "n", "false", "FALSE", "f", "off", "Off" };
        static const char *const bad[] = { "", " yes", "yes ", "2", "enable", "of", "yess", "-1" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                assert_int_equal(parse_boolean(yes[i]), 1);
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                assert_int_equal(parse_boolean(no[i]), 0);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(parse_boolean(bad[i]), -EINVAL);
}

static void test_parse_uint64(void **state) {
        uint64_t v = UNTOUCHED;

        assert_int_equal(parse_uint64("0", &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(parse_uint64("0042", &v), 0);
        assert_int_equal(v, 42);
        assert_int_equal(parse_uint64("18446744073709551615", &v), 0);
        assert_true(v == UINT64_MAX);

        v = UNTOUCHED;
        assert_int_equal(parse_uint64("18446744073709551616", &v), -ERANGE);
        assert_int_equal(parse_uint64("99999999999999999999999", &v), -ERANGE);
        assert_int_equal(parse_uint64("", &v), -EINVAL);
        assert_int_equal(parse_uint64("-1", &v), -EINVAL);
        assert_int_equal(parse_uint64("+1", &v), -EINVAL);
        assert_int_equal(parse_uint64(" 1", &v), -EINVAL);
        assert_int_equal(parse_uint64("1 ", &v), -EINVAL);
        assert_int_equal(parse_uint64("0x10", &v), -EINVAL);
        assert_int_equal(parse_uint64("12abc", &v), -EINVAL);
        assert_int_equal(parse_uint64("1.0", &v), -EINVAL);
        assert_true(v == UNTOUCHED);
}

static void test_parse_unsigned(void **state) {
        unsigned u = 7;

        assert_int_equal(parse_unsigned("4294967295", &u), 0);
        assert_true(u == UINT_MAX);
        u = 7;
        assert_int_equal(parse_unsigned("4294967296", &u), -ERANGE);
        assert_int_equal(parse_unsigned("18446744073709551616", &u), -ERANGE);
        assert_int_equal(parse_unsigned("-5", &u), -EINVAL);
        assert_int_equal(parse_unsigned("five", &u), -EINVAL);
        assert_int_equal(u, 7);
        assert_int_equal(parse_unsigned("123", &u), 0);
        assert_int_equal(u, 123);
}

static void test_parse_size(void **state) {
        uint64_t v = UNTOUCHED;

        assert_int_equal(parse_size("4096", &v), 0);
        assert_int_equal(v, 4096);
        assert_int_equal(parse_size("10B", &v), 0);
        assert_int_equal(v, 10);
        assert_int_equal(parse_size("1K", &v), 0);
        assert_int_equal(v, 1024);
        assert_int_equal(parse_size("512M", &v), 0);
        assert_int_equal(v, 512ULL << 20);
        assert_int_equal(parse_size("2G", &v), 0);
        assert_int_equal(v, 2ULL << 30);
        assert_int_equal(parse_size("1.5G", &v), 0);
        assert_int_equal(v, 3ULL << 29);
        assert_int_equal(parse_size("0.5K", &v), 0);
        assert_int_equal(v, 512);
        assert_int_equal(parse_size("3T", &v), 0);
        assert_int_equal(v, 3ULL << 40);
        assert_int_equal(parse_size("15E", &v), 0);
        assert_int_equal(v, 15ULL << 60);
        assert_int_equal(parse_size("infinity", &v), 0);
        assert_true(v == UINT64_MAX);

        v = UNTOUCHED;
        assert_int_equal(parse_size("16E", &v), -ERANGE);
        assert_int_equal(parse_size("99999999999999999999", &v), -ERANGE);
        assert_int_equal(parse_size("", &v), -EINVAL);
        assert_int_equal(parse_size("G", &v), -EINVAL);
        assert_int_equal(parse_size("1.5", &v), -EINVAL);
        assert_int_equal(parse_size("1.5B", &v), -EINVAL);
        assert_int_equal(parse_size("1KB", &v), -EINVAL);
        assert_int_equal(parse_size("1k", &v), -EINVAL);
        assert_int_equal(parse_size("1 G", &v), -EINVAL);
        assert_int_equal(parse_size("-1G", &v), -EINVAL);
        assert_int_equal(parse_size("1.G", &v), -EINVAL);
        assert_int_equal(parse_size("lots", &v), -EINVAL);
        assert_true(v == UNTOUCHED);
}

static void test_parse_timespan(void **state) {
        static const struct {
                const char *s;
                uint64_t usec;
        } good[] = {
                { "0", 0 },
                { "30", 30 * USEC_PER_SEC },
                { "30s", 30 * USEC_PER_SEC },
                { "30 sec", 30 * USEC_PER_SEC },
                { "5min", 5 * USEC_PER_MINUTE },
                { "5m", 5 * USEC_PER_MINUTE },
                { "2h 30min", 2 * USEC_PER_HOUR + 30 * USEC_PER_MINUTE },
                { "2h30min", 2 * USEC_PER_HOUR + 30 * USEC_PER_MINUTE },
                { "1d 12hours", USEC_PER_DAY + 12 * USEC_PER_HOUR },
                { "100ms", 100 * USEC_PER_MSEC },
                { "250us", 250 },
                { "250\xc2\xb5s", 250 },
                { "1.5s", 1500 * USEC_PER_MSEC },
                { ".5s", 500 * USEC_PER_MSEC },
                { "1.5", 1500 * USEC_PER_MSEC },
                { "1w", USEC_PER_WEEK },
                { "1M", USEC_PER_MONTH },
                { "1y", USEC_PER_YEAR },
                { "30 40", 70 * USEC_PER_SEC },
                { "1.0000001s", USEC_PER_SEC },
                { "infinity", USEC_INFINITY },
        };
        static const char *const bad[] = {
                "", " ", " 5s", "5s ", "soon", "5 parsecs", "5x", "-5s", "1.5.5s", "1.s", "s",
                "5min!", "infinityy", "5ss",
        };
        uint64_t v;

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                v = UNTOUCHED;
                assert_int_equal(parse_timespan(good[i].s, &v), 0);
                assert_true(v == good[i].usec);
        }
        v = UNTOUCHED;
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(parse_timespan(bad[i], &v), -EINVAL);
        assert_int_equal(parse_timespan("584555y", &v), -ERANGE);
        assert_int_equal(parse_timespan("18446744073709551616us", &v), -ERANGE);
        assert_int_equal(parse_timespan("18446744073709551615us", &v), -ERANGE);
        assert_int_equal(parse_timespan("500000y 500000y", &v), -ERANGE);
        assert_true(v == UNTOUCHED);
        assert_int_equal(parse_timespan("18446744073709551614us", &v), 0);
        assert_true(v == UINT64_MAX - 1);
}

static void test_parse_percent(void **state) {
        unsigned u = 7;

        assert_int_equal(parse_percent("50%", &u), 0);
        assert_int_equal(u, 50);
        assert_int_equal(parse_percent("0%", &u), 0);
        assert_int_equal(u, 0);
        assert_int_equal(parse_percent("200%", &u), 0);
        assert_int_equal(u, 200);

        u = 7;
        assert_int_equal(parse_percent("50", &u), -EINVAL);
        assert_int_equal(parse_percent("%", &u), -EINVAL);
        assert_int_equal(parse_percent("", &u), -EINVAL);
        assert_int_equal(parse_percent("50 %", &u), -EINVAL);
        assert_int_equal(parse_percent("-5%", &u), -EINVAL);
        assert_int_equal(parse_percent("5.5%", &u), -EINVAL);
        assert_int_equal(parse_percent("50%%", &u), -EINVAL);
        assert_int_equal(parse_percent("4294967296%", &u), -ERANGE);
        assert_int_equal(u, 7);
}

static void test_format_timespan(void **state) {
        static const struct {
                uint64_t usec;
                const char *s;
        } cases[] = {
                { 0, "0" },
                { 1, "1us" },
                { 1500, "1.5ms" },
                { 100 * USEC_PER_MSEC, "100ms" },
                { 1500 * USEC_PER_MSEC, "1.5s" },
                { USEC_PER_SEC + 1, "1.000001s" },
                { 30 * USEC_PER_SEC, "30s" },
                { 90 * USEC_PER_SEC, "1min 30s" },
                { 61 * USEC_PER_SEC + 500 * USEC_PER_MSEC, "1min 1.5s" },
                { 2 * USEC_PER_HOUR + 30 * USEC_PER_MINUTE, "2h 30min" },
                { USEC_PER_DAY, "1d" },
                { USEC_PER_WEEK + USEC_PER_DAY, "1w 1d" },
                { USEC_PER_YEAR, "1y" },
                { USEC_INFINITY, "infinity" },
        };
        char buf[FORMAT_TIMESPAN_MAX];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                assert_string_equal(format_timespan(buf, sizeof buf, cases[i].usec), cases[i].s);

        /* Too small a buffer truncates instead of overflowing. */
        assert_string_equal(format_timespan(buf, 5, 2 * USEC_PER_HOUR + 30 * USEC_PER_MINUTE), "2h 3");
        assert_string_equal(format_timespan(buf, 1, USEC_PER_SEC), "");
}

static void test_format_timespan_roundtrip(void **state) {
        static const uint64_t values[] = {
                1, 999, 1001, USEC_PER_SEC - 1, 59 * USEC_PER_SEC + 999999, USEC_PER_MINUTE + 1,
                USEC_PER_YEAR + USEC_PER_MONTH + USEC_PER_DAY + 1, UINT64_MAX - 1, 123456789012345,
        };
        char buf[FORMAT_TIMESPAN_MAX];

        for (size_t i = 0; i < ELEMENTSOF(values); i++) {
                uint64_t v = 0;

                assert_int_equal(parse_timespan(format_timespan(buf, sizeof buf, values[i]), &v), 0);
                assert_true(v == values[i]);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_boolean),
                cmocka_unit_test(test_parse_uint64),
                cmocka_unit_test(test_parse_unsigned),
                cmocka_unit_test(test_parse_size),
                cmocka_unit_test(test_parse_timespan),
                cmocka_unit_test(test_parse_percent),
                cmocka_unit_test(test_format_timespan),
                cmocka_unit_test(test_format_timespan_roundtrip),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
