/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Keeps message-ids.h and the journal catalog in step: every MESSAGE_ID the code can log has
 * exactly one catalog entry, no two events share an ID, and the catalog documents nothing the
 * code does not define. Both files are read as text (MESSAGE_IDS_H, CATALOG_FILE), so a new
 * #define is checked without being listed here. */

#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <systemd/sd-id128.h>

#include "macro.h"
#include "message-ids.h"
#include "strv.h"

#define DEFINE_PREFIX "#define OPENMONO_MESSAGE_"
#define HEADER_PREFIX "-- "

static bool is_id128_hex(const char *s) {
        for (size_t i = 0; i < 32; i++)
                if (!isxdigit((unsigned char) s[i]) || isupper((unsigned char) s[i]))
                        return false;
        return s[32] == 0;
}

/* Reads every line of path into *ret, without the newlines. */
static void read_lines(const char *path, char ***ret) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        _cleanup_free_ char *line = NULL;
        char **lines = NULL;
        size_t n = 0;
        ssize_t k;

        if (!f)
                fail_msg("Cannot open %s: %s", path, strerror(errno));
        while ((k = getline(&line, &n, f)) >= 0) {
                if (k > 0 && line[k - 1] == '\n')
                        line[k - 1] = 0;
                assert_int_equal(strv_extend(&lines, line), 0);
        }
        *ret = lines;
}

/* The IDs defined in message-ids.h, in order, checked to be well-formed on the way. */
static void header_ids(char ***ret) {
        _cleanup_strv_free_ char **lines = NULL;
        char **ids = NULL;

        read_lines(MESSAGE_IDS_H, &lines);
        STRV_FOREACH(l, lines) {
                const char *q1, *q2;

                if (strncmp(*l, DEFINE_PREFIX, strlen(DEFINE_PREFIX)) != 0)
                        continue;
                q1 = strchr(*l, '"');
                q2 = q1 ? strchr(q1 + 1, '"') : NULL;
                if (!q2 || q2[1] != 0)
                        fail_msg("Not of the form #define NAME \"ID\": %s", *l);
                assert_int_equal(strv_consume(&ids, strndup(q1 + 1, q2 - q1 - 1)), 0);
                if (!is_id128_hex(ids[strv_length(ids) - 1]))
                        fail_msg("Not 32 lowercase hex digits: %s", *l);
        }
        *ret = ids;
}

/* The IDs of the catalog's entries ("-- ID" lines), in order, as written. */
static void catalog_ids(char ***ret) {
        _cleanup_strv_free_ char **lines = NULL;
        char **ids = NULL;

        read_lines(CATALOG_FILE, &lines);
        STRV_FOREACH(l, lines) {
                const char *id = *l + strlen(HEADER_PREFIX);

                if (strncmp(*l, HEADER_PREFIX, strlen(HEADER_PREFIX)) != 0)
                        continue;
                /* "-- ID LANG" is a translation of the entry "-- ID"; count the original only. */
                if (strlen(id) > 32 && id[32] == ' ')
                        continue;
                assert_int_equal(strv_extend(&ids, id), 0);
        }
        *ret = ids;
}

static size_t count(char **l, const char *s) {
        size_t n = 0;

        STRV_FOREACH(i, l)
                n += streq(*i, s);
        return n;
}

static void test_header_is_parsed(void **state) {
        _cleanup_strv_free_ char **ids = NULL;

        header_ids(&ids);
        /* The parser must see what the compiler sees. */
        assert_true(strv_length(ids) >= 3);
        assert_true(strv_contains(ids, OPENMONO_MESSAGE_SESSION_STARTED));
        assert_true(strv_contains(ids, OPENMONO_MESSAGE_SESSION_STOPPED));
        assert_true(strv_contains(ids, OPENMONO_MESSAGE_SESSION_START_FAILED));
}

static void test_ids_are_distinct(void **state) {
        _cleanup_strv_free_ char **ids = NULL;

        header_ids(&ids);
        STRV_FOREACH(i, ids) {
                sd_id128_t id;

                if (count(ids, *i) != 1)
                        fail_msg("MESSAGE_ID %s is defined %zu times", *i, count(ids, *i));
                assert_int_equal(sd_id128_from_string(*i, &id), 0);
                assert_false(sd_id128_is_null(id));
        }
}

static void test_every_id_has_one_catalog_entry(void **state) {
        _cleanup_strv_free_ char **ids = NULL, **entries = NULL;

        header_ids(&ids);
        catalog_ids(&entries);
        STRV_FOREACH(i, ids)
                if (count(entries, *i) != 1)
                        fail_msg("MESSAGE_ID %s has %zu catalog entries, not 1", *i, count(entries, *i));
}

static void test_catalog_has_no_stray_entries(void **state) {
        _cleanup_strv_free_ char **ids = NULL, **entries = NULL;

        header_ids(&ids);
        catalog_ids(&entries);
        STRV_FOREACH(e, entries)
                if (!strv_contains(ids, *e))
                        fail_msg("Catalog entry %s has no #define in message-ids.h", *e);
        assert_int_equal(strv_length(entries), strv_length(ids));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_header_is_parsed),
                cmocka_unit_test(test_ids_are_distinct),
                cmocka_unit_test(test_every_id_has_one_catalog_entry),
                cmocka_unit_test(test_catalog_has_no_stray_entries),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
