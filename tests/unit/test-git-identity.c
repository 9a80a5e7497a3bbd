/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The default git identity: the name from GECOS, the address at the mail domain, and no passwd
 * entry able to break out of its quoted value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "git-identity.h"
#include "macro.h"

static void test_gecos_name(void **state) {
        _cleanup_free_ char *s = NULL;

        assert_int_equal(git_identity_format("alice", "Alice Liddell,Room 1,555", "example.org", &s), 0);
        assert_string_equal(s,
                            "# Written by openmonod. ~/.gitconfig and the repository's config override it.\n"
                            "[user]\n"
                            "\tname = \"Alice Liddell\"\n"
                            "\temail = \"alice@example.org\"\n"
                            "[include]\n"
                            "\tpath = /etc/gitconfig\n");
}

static void test_empty_gecos_uses_login(void **state) {
        _cleanup_free_ char *s = NULL, *t = NULL;

        assert_int_equal(git_identity_format("bob", "", "host", &s), 0);
        assert_non_null(strstr(s, "\tname = \"bob\"\n"));
        assert_int_equal(git_identity_format("bob", ",,,", "host", &t), 0);
        assert_non_null(strstr(t, "\tname = \"bob\"\n"));
}

static void test_no_injection(void **state) {
        _cleanup_free_ char *s = NULL;

        /* A newline would start a new section; quotes and backslashes would end the value. */
        assert_int_equal(git_identity_format("eve", "Eve\"\\\n[core]\n\tpager = evil", "d", &s), 0);
        assert_non_null(strstr(s, "\tname = \"Eve\\\"\\\\[core]pager = evil\"\n"));
        assert_null(strstr(s, "\n[core]"));
}

static void test_invalid(void **state) {
        char *s = NULL;

        assert_int_equal(git_identity_format("", "x", "d", &s), -EINVAL);
        assert_int_equal(git_identity_format("a", "x", "", &s), -EINVAL);
        assert_null(s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_gecos_name),
                cmocka_unit_test(test_empty_gecos_uses_login),
                cmocka_unit_test(test_no_injection),
                cmocka_unit_test(test_invalid),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
