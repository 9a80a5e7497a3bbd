/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-session AllowDomain= lists: parsing, and a cache that follows every rewrite of the file
 * and fails closed when the file is missing or broken. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <sys/stat.h>

#include "egress-session-policy.h"
#include "strv.h"

#define SESSION "0123456789abcdef0123456789abcdef"

static char dir[] = "/tmp/test-egress-session-policy-XXXXXX";

static char *policy_path(void) {
        char *p;

        assert_true(asprintf(&p, "%s/%s.conf", dir, SESSION) > 0);
        return p;
}

/* Replaces the file the way the controller does: a new inode renamed over the old one. */
static void write_policy(const char *text) {
        _cleanup_free_ char *p = policy_path(), *tmp = NULL;
        FILE *f;

        assert_true(asprintf(&tmp, "%s.tmp", p) > 0);
        f = fopen(tmp, "we");
        assert_non_null(f);
        fputs(text, f);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(rename(tmp, p), 0);
}

static int setup(void **state) {
        assert_non_null(mkdtemp(dir));
        return 0;
}

static int teardown(void **state) {
        _cleanup_free_ char *p = policy_path();

        (void) unlink(p);
        (void) rmdir(dir);
        return 0;
}

static void test_parse(void **state) {
        static const char text[] =
                "# openmono: egress policy of session " SESSION "\n"
                "[Session]\nAllowDomain=*.Allowed.TEST\nAllowDomain=pypi.test.\nX-Other=1\n";
        char **l = NULL, *error = NULL;

        assert_int_equal(egress_session_policy_parse("s.conf", text, strlen(text), &l, &error), 0);
        assert_int_equal(strv_length(l), 2);
        assert_string_equal(l[0], "*.allowed.test");
        assert_string_equal(l[1], "pypi.test");
        l = strv_free(l);

        /* An empty list allows nothing, and says so by being empty. */
        assert_int_equal(egress_session_policy_parse("s.conf", "[Session]\n", 10, &l, &error), 0);
        assert_null(l);

        assert_true(egress_session_policy_parse("s.conf", "[Session]\nAllowDomain=a..b\n", 26, &l, &error) < 0);
        assert_non_null(error);
        print_message("%s\n", error);
        assert_non_null(strstr(error, "s.conf:2"));
        free(error);
}

static void test_stamp(void **state) {
        EgressFileStamp a = { .exists = true, .dev = 1, .ino = 2, .size = 3, .mtime = { 4, 5 } }, b = a;
        EgressFileStamp missing = {}, retry = { .retry = true };

        assert_true(egress_file_stamp_equal(&a, &b));
        b.mtime.tv_nsec++;
        assert_false(egress_file_stamp_equal(&a, &b));
        b = a;
        b.ino++;
        assert_false(egress_file_stamp_equal(&a, &b));
        b = a;
        b.size++;
        assert_false(egress_file_stamp_equal(&a, &b));
        assert_true(egress_file_stamp_equal(&missing, &missing));
        assert_false(egress_file_stamp_equal(&missing, &a));
        assert_false(egress_file_stamp_equal(&retry, &retry));
}

static void test_cache(void **state) {
        _cleanup_(egress_session_policy_cache_freep) EgressSessionPolicyCache *c = NULL;
        _cleanup_free_ char *p = policy_path();
        const EgressSessionPolicy *e;

        assert_int_equal(egress_session_policy_cache_new(dir, &c), 0);
        assert_int_equal(egress_session_policy_get(c, "../etc/passwd", &e), -EINVAL);

        /* No file: nothing is allowed, and the reason names the file. */
        (void) unlink(p);
        assert_int_equal(egress_session_policy_get(c, SESSION, &e), 1);
        assert_non_null(e->error);
        assert_null(e->allow_domains);
        assert_non_null(strstr(e->error, p));
        print_message("%s\n", e->error);
        assert_int_equal(egress_session_policy_get(c, SESSION, &e), 0);

        write_policy("[Session]\nAllowDomain=one.test\n");
        assert_int_equal(egress_session_policy_get(c, SESSION, &e), 1);
        assert_null(e->error);
        assert_true(strv_contains(e->allow_domains, "one.test"));
        assert_int_equal(egress_session_policy_get(c, SESSION, &e), 0);

        /* A rewrite (as on reload) applies to the next lookup. */
        write_policy("[Session]\nAllowDomain=two.test\n");
        assert_int_equal(egress_session_policy_get(c, SESSION, &e), 1);
        assert_false(strv_contains(e->allow_domains, "one.test"));
        assert_true(strv_contains(e->allow_domains, "two.test"));

        /* A broken file fails closed: the old list does not stay. */
        write_policy("[Session]\nAllowDomain=*\n");
        assert_int_equal(egress_session_policy_get(c, SESSION, &e), 1);
        assert_non_null(e->error);
        assert_null(e->allow_domains);
        print_message("%s\n", e->error);

        /* Something that is not a file is no policy either. */
        assert_int_equal(unlink(p), 0);
        assert_int_equal(mkdir(p, 0700), 0);
        assert_int_equal(egress_session_policy_get(c, SESSION, &e), 1);
        assert_non_null(e->error);
        assert_int_equal(rmdir(p), 0);

        /* The session ended and its file went. */
        assert_int_equal(egress_session_policy_get(c, SESSION, &e), 1);
        assert_non_null(e->error);
        assert_int_equal(c->n, 1);
}

static void test_cache_bounded(void **state) {
        _cleanup_(egress_session_policy_cache_freep) EgressSessionPolicyCache *c = NULL;
        const EgressSessionPolicy *e;

        assert_int_equal(egress_session_policy_cache_new(dir, &c), 0);
        for (unsigned i = 0; i < EGRESS_SESSION_POLICY_CACHE_MAX + 10; i++) {
                char id[33];

                (void) snprintf(id, sizeof(id), "%032x", i);
                assert_true(egress_session_policy_get(c, id, &e) >= 0);
        }
        assert_int_equal(c->n, EGRESS_SESSION_POLICY_CACHE_MAX);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_stamp),
                cmocka_unit_test(test_cache),
                cmocka_unit_test(test_cache_bounded),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
