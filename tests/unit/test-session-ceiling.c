/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The ceiling rules: what a layer of settings that no administrator wrote may ask for, and the
 * messages that name the ceiling it exceeds. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "egress-name.h"
#include "json-util.h"
#include "parse-util.h"
#include "session-ceiling.h"
#include "strv.h"

#define ORIGIN "/etc/openmono/openmono.conf"
#define G (UINT64_C(1) << 30)

/* The site's ceiling over the compiled-in defaults (4G, 512 tasks, 4h, intranet) on 2 CPUs. */
static SessionCeiling site(SessionPolicy *p, const SessionSettings *ceiling) {
        SessionCeiling c;

        session_ceiling_init_site(&c, ceiling, p, 2, ORIGIN);
        return c;
}

/* Checks layer against c: 0, or -EPERM with a message containing expected. */
static void expect(const SessionCeiling *c, const SessionSettings *layer, const char *name, const char *expected) {
        _cleanup_free_ char *message = NULL;
        int r = session_ceiling_check(c, layer, name, &message);

        if (!expected) {
                if (r != 0)
                        fail_msg("refused: %s", message);
                return;
        }
        assert_int_equal(r, -EPERM);
        assert_non_null(message);
        if (!strstr(message, expected))
                fail_msg("'%s' does not say '%s'", message, expected);
}

static void expect_forbidden(const char *cidr, const char *expected) {
        _cleanup_(session_settings_done) SessionSettings s = SESSION_SETTINGS_UNSET;
        _cleanup_free_ char *message = NULL;

        assert_int_equal(strv_extend(&s.allow, cidr), 0);
        if (!expected) {
                assert_int_equal(session_settings_check_forbidden(&s, NULL, &message), 0);
                return;
        }
        assert_int_equal(session_settings_check_forbidden(&s, NULL, &message), -EPERM);
        if (!strstr(message, expected))
                fail_msg("'%s' does not say '%s'", message, expected);
}

static void test_limits_default_is_ceiling(void **state) {
        _cleanup_(session_policy_freep) SessionPolicy *p = session_policy_new();
        SessionSettings none = SESSION_SETTINGS_UNSET, req = SESSION_SETTINGS_UNSET;
        SessionCeiling c = site(p, &none);

        expect(&c, &req, NULL, NULL);
        req.memory_max = 4 * G;
        expect(&c, &req, NULL, NULL);
        req.memory_max = 1 * G;
        expect(&c, &req, NULL, NULL);
        req.memory_max = UINT64_C(64) << 40;
        expect(&c, &req, NULL, "memory_max 64T exceeds the ceiling MemoryMaxCeiling=4G set in " ORIGIN);
        req = SESSION_SETTINGS_UNSET;
        req.tasks_max = 4000000;
        expect(&c, &req, NULL, "tasks_max 4000000 exceeds the ceiling TasksMaxCeiling=512 set in " ORIGIN);
        req.tasks_max = 513;
        expect(&c, &req, NULL, "TasksMaxCeiling=512");
        req.tasks_max = 512;
        expect(&c, &req, NULL, NULL);
        req = SESSION_SETTINGS_UNSET;
        req.runtime_max_usec = UINT64_C(3650) * 24 * 3600 * 1000000;
        expect(&c, &req, NULL, "exceeds the ceiling RuntimeMaxSecCeiling=4h");
        req = SESSION_SETTINGS_UNSET;
        /* No quota anywhere: the host's CPUs are the ceiling. */
        req.cpu_quota_percent = 102400;
        expect(&c, &req, NULL, "cpu_quota_percent 102400% exceeds the ceiling CPUQuotaCeiling=200%");
        req.cpu_quota_percent = 200;
        expect(&c, &req, NULL, NULL);
}

static void test_limits_site_ceiling(void **state) {
        _cleanup_(session_policy_freep) SessionPolicy *p = session_policy_new();
        SessionSettings ceiling = SESSION_SETTINGS_UNSET, req = SESSION_SETTINGS_UNSET;
        SessionCeiling c;

        ceiling.memory_max = 16 * G;
        ceiling.cpu_quota_percent = 50;
        c = site(p, &ceiling);
        req.memory_max = 8 * G;
        expect(&c, &req, NULL, NULL);
        req.memory_max = 17 * G;
        expect(&c, &req, NULL, "MemoryMaxCeiling=16G");
        req = SESSION_SETTINGS_UNSET;
        req.cpu_quota_percent = 51;
        expect(&c, &req, NULL, "CPUQuotaCeiling=50%");
}

/* A project's values are the ceiling for its users, above or below the site's. */
static void test_limits_project(void **state) {
        _cleanup_(session_policy_freep) SessionPolicy *p = session_policy_new();
        SessionSettings none = SESSION_SETTINGS_UNSET, proj = SESSION_SETTINGS_UNSET, req = SESSION_SETTINGS_UNSET;
        SessionCeiling c = site(p, &none);

        proj.memory_max = 8 * G;
        proj.tasks_max = 100;
        /* A user's project is held to the site's ceiling... */
        expect(&c, &proj, "project 'app'", "MemoryMax=8G of project 'app' exceeds the ceiling MemoryMaxCeiling=4G");
        /* ...an administrator's is not checked, and then caps its users. */
        session_ceiling_narrow(&c, &proj, "project 'app'");
        req.memory_max = 6 * G;
        expect(&c, &req, NULL, NULL);
        req.memory_max = 9 * G;
        expect(&c, &req, NULL, "memory_max 9G exceeds the ceiling MemoryMax=8G set in project 'app'");
        req = SESSION_SETTINGS_UNSET;
        req.tasks_max = 101;
        expect(&c, &req, NULL, "TasksMax=100 set in project 'app'");
        /* What the project leaves unset keeps the site's ceiling. */
        req = SESSION_SETTINGS_UNSET;
        req.runtime_max_usec = UINT64_C(5) * 3600 * 1000000;
        expect(&c, &req, NULL, "RuntimeMaxSecCeiling=4h set in " ORIGIN);
}

static void test_network_rank(void **state) {
        _cleanup_(session_policy_freep) SessionPolicy *p = session_policy_new();
        SessionSettings none = SESSION_SETTINGS_UNSET, proj = SESSION_SETTINGS_UNSET, req = SESSION_SETTINGS_UNSET;
        SessionCeiling c = site(p, &none);

        req.network = NETWORK_POLICY_INTERNET;
        expect(&c, &req, NULL, "Only administrators may give a session unrestricted internet access");
        req.network = NETWORK_POLICY_NONE;
        expect(&c, &req, NULL, NULL);
        req.network = NETWORK_POLICY_INTRANET;
        expect(&c, &req, NULL, NULL);
        /* A site project that sets no Network= leaves the site default as the ceiling. */
        proj.tasks_max = 10;
        session_ceiling_narrow(&c, &proj, "project 'app'");
        req.network = NETWORK_POLICY_INTERNET;
        expect(&c, &req, NULL, "allows at most network 'intranet'");
        proj = SESSION_SETTINGS_UNSET;
        proj.network = NETWORK_POLICY_NONE;
        session_ceiling_narrow(&c, &proj, "project 'app'");
        req.network = NETWORK_POLICY_INTRANET;
        expect(&c, &req, NULL, "project 'app' allows at most network 'none'");
        req.network = NETWORK_POLICY_ALLOWLIST;
        expect(&c, &req, NULL, "allows at most network 'none'");
}

static void test_allow_ceiling(void **state) {
        _cleanup_(session_policy_freep) SessionPolicy *p = session_policy_new();
        _cleanup_(session_settings_done) SessionSettings req = SESSION_SETTINGS_UNSET;
        _cleanup_strv_free_ char **wider = NULL;
        SessionSettings none = SESSION_SETTINGS_UNSET, ceiling = SESSION_SETTINGS_UNSET;
        SessionCeiling c = site(p, &none);

        /* Default: the intranet ranges, in any spelling and partition. */
        assert_int_equal(strv_extend(&req.allow, "10.1.2.3"), 0);
        assert_int_equal(strv_extend(&req.allow, "::ffff:192.168.7.0/120"), 0);
        assert_int_equal(strv_extend(&req.allow, "fd12::/16"), 0);
        expect(&c, &req, NULL, NULL);
        req.network = NETWORK_POLICY_ALLOWLIST;
        expect(&c, &req, NULL, NULL);
        assert_int_equal(strv_extend(&req.allow, "198.51.100.1/32"), 0);
        expect(&c, &req, NULL, "allow 198.51.100.1/32 exceeds the ceiling set in " ORIGIN " (AllowCeiling=): allow "
               "lists may hold only 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7.");
        req.allow = strv_free(req.allow);
        assert_int_equal(strv_extend(&req.allow, "10.0.0.0/7"), 0);
        expect(&c, &req, NULL, "allow 10.0.0.0/7 exceeds");
        req.allow = strv_free(req.allow);
        assert_int_equal(strv_extend(&req.allow, "0.0.0.0/0"), 0);
        expect(&c, &req, NULL, "allow 0.0.0.0/0 exceeds");

        /* AllowCeiling= lets users add more. */
        assert_int_equal(strv_extend(&wider, "198.51.100.0/24"), 0);
        ceiling.allow = wider;
        c = site(p, &ceiling);
        req.allow = strv_free(req.allow);
        assert_int_equal(strv_extend(&req.allow, "198.51.100.1/32"), 0);
        expect(&c, &req, NULL, NULL);
        /* Under "none" nothing is listed at all. */
        p->network = NETWORK_POLICY_NONE;
        c = site(p, &ceiling);
        req.network = _NETWORK_POLICY_INVALID;
        expect(&c, &req, NULL, "network 'none' allows no addresses");
}

/* A project's list is the ceiling for its users; the site's AllowCeiling= adds nothing to it. */
static void test_allow_project(void **state) {
        _cleanup_(session_policy_freep) SessionPolicy *p = session_policy_new();
        _cleanup_(session_settings_done) SessionSettings proj = SESSION_SETTINGS_UNSET, req = SESSION_SETTINGS_UNSET;
        SessionSettings none = SESSION_SETTINGS_UNSET;
        SessionCeiling c = site(p, &none);

        proj.network = NETWORK_POLICY_ALLOWLIST;
        assert_int_equal(strv_extend(&proj.allow, "10.1.0.0/16"), 0);
        expect(&c, &proj, "project 'app'", NULL);
        session_ceiling_narrow(&c, &proj, "project 'app'");
        assert_int_equal(strv_extend(&req.allow, "10.1.2.0/24"), 0);
        expect(&c, &req, NULL, NULL);
        assert_int_equal(strv_extend(&req.allow, "10.2.0.0/16"), 0);
        expect(&c, &req, NULL, "allow 10.2.0.0/16 exceeds the ceiling set in project 'app': allow lists may hold only 10.1.0.0/16");

        /* A user project's own list is held to the site's ceiling. */
        c = site(p, &none);
        proj.allow = strv_free(proj.allow);
        assert_int_equal(strv_extend(&proj.allow, "0.0.0.0/0"), 0);
        expect(&c, &proj, "project 'app'", "Allow= of project 'app' 0.0.0.0/0 exceeds");
}

/* An administrator's "internet" project leaves any list below it a narrowing. */
static void test_allow_under_internet(void **state) {
        _cleanup_(session_policy_freep) SessionPolicy *p = session_policy_new();
        _cleanup_(session_settings_done) SessionSettings req = SESSION_SETTINGS_UNSET;
        SessionSettings none = SESSION_SETTINGS_UNSET;
        SessionCeiling c;

        p->network = NETWORK_POLICY_INTERNET;
        c = site(p, &none);
        req.network = NETWORK_POLICY_ALLOWLIST;
        assert_int_equal(strv_extend(&req.allow, "198.51.100.1/32"), 0);
        expect(&c, &req, NULL, NULL);
        req.network = NETWORK_POLICY_INTERNET;
        expect(&c, &req, NULL, NULL);
}

static void test_forbidden(void **state) {
        expect_forbidden("0.0.0.0/0", "0.0.0.0/0 is every address");
        expect_forbidden("::/0", "is every address");
        expect_forbidden("127.0.0.0/8", "includes loopback addresses (127.0.0.0/8)");
        expect_forbidden("::ffff:127.0.0.1", "loopback");
        expect_forbidden("::1", "the loopback address");
        expect_forbidden("169.254.169.254", "link-local and cloud metadata");
        expect_forbidden("fe80::/10", "link-local");
        expect_forbidden("fd00:ec2::254", "cloud metadata");
        expect_forbidden("224.0.0.0/4", "multicast");
        expect_forbidden("ff02::1", "multicast");
        expect_forbidden("0.0.0.0/8", "this network");
        expect_forbidden("10.0.0.0/8", NULL);
        expect_forbidden("198.51.100.1", NULL);
}

/* Zero and negative limits are bad parameters, named, not "the default". */
static void expect_bad_json(const char *text, const char *parameter) {
        _cleanup_(session_settings_done) SessionSettings s = SESSION_SETTINGS_UNSET;
        _cleanup_(json_object_putp) json_object *o = json_tokener_parse(text);
        const char *bad = NULL;

        assert_non_null(o);
        assert_int_equal(session_settings_from_json(o, &s, &bad), -EINVAL);
        assert_string_equal(bad, parameter);
}

static void test_zero_limits(void **state) {
        _cleanup_(session_settings_done) SessionSettings s = SESSION_SETTINGS_UNSET;
        _cleanup_(json_object_putp) json_object *o = json_tokener_parse("{\"memory_max\": 1024, \"tasks_max\": 1}");
        const char *bad = NULL;

        expect_bad_json("{\"memory_max\": 0}", "memory_max");
        expect_bad_json("{\"tasks_max\": 0}", "tasks_max");
        expect_bad_json("{\"tasks_max\": -1}", "tasks_max");
        expect_bad_json("{\"runtime_max_usec\": 0}", "runtime_max_usec");
        expect_bad_json("{\"cpu_quota_percent\": 0}", "cpu_quota_percent");
        expect_bad_json("{\"cpu_quota_percent\": -5}", "cpu_quota_percent");
        assert_int_equal(session_settings_from_json(o, &s, &bad), 0);
        assert_int_equal(s.memory_max, 1024);
        assert_int_equal(s.tasks_max, 1);
}

/* allow_domains comes normalised out of a request; [] is "no names", not "unset". */
static void test_domains_json(void **state) {
        _cleanup_(session_settings_done) SessionSettings s = SESSION_SETTINGS_UNSET, none = SESSION_SETTINGS_UNSET;
        _cleanup_(json_object_putp) json_object *o =
                json_tokener_parse("{\"allow_domains\": [\"PyPI.org.\", \"*.Example.COM\"]}");
        _cleanup_(json_object_putp) json_object *empty = json_tokener_parse("{\"allow_domains\": []}");
        const char *bad = NULL;

        assert_int_equal(session_settings_from_json(o, &s, &bad), 0);
        assert_int_equal(strv_length(s.allow_domains), 2);
        assert_string_equal(s.allow_domains[0], "pypi.org");
        assert_string_equal(s.allow_domains[1], "*.example.com");
        assert_int_equal(session_settings_from_json(empty, &none, &bad), 0);
        assert_non_null(none.allow_domains);
        assert_int_equal(strv_length(none.allow_domains), 0);
        expect_bad_json("{\"allow_domains\": [\"10.0.0.1\"]}", "allow_domains");
        expect_bad_json("{\"allow_domains\": [\"*\"]}", "allow_domains");
        expect_bad_json("{\"allow_domains\": [\"a.*.example\"]}", "allow_domains");
        expect_bad_json("{\"allow_domains\": \"pypi.org\"}", "allow_domains");
}

/* AllowDomain= in files: one pattern per assignment, normalised; empty resets. */
static void test_domains_config(void **state) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *error = NULL;

        assert_int_equal(config_parse_domain_patterns("f", 1, "Sessions", "AllowDomain", "dropped.test", &l, &error), 0);
        assert_int_equal(config_parse_domain_patterns("f", 2, "Sessions", "AllowDomain", "", &l, &error), 0);
        assert_null(l);
        assert_int_equal(config_parse_domain_patterns("f", 3, "Sessions", "AllowDomain", "*.Allowed.TEST.", &l, &error), 0);
        assert_int_equal(strv_length(l), 1);
        assert_string_equal(l[0], "*.allowed.test");
        assert_int_equal(config_parse_domain_patterns("f", 4, "Sessions", "AllowDomain", "a.test b.test", &l, &error),
                         -EINVAL);
        assert_non_null(error);
}

static void test_format(void **state) {
        char buf[FORMAT_TIMESPAN_MAX];

        assert_string_equal(session_limit_format(SESSION_LIMIT_MEMORY_MAX, 4 * G, buf, sizeof(buf)), "4G");
        assert_string_equal(session_limit_format(SESSION_LIMIT_MEMORY_MAX, 1536 * (UINT64_C(1) << 20), buf, sizeof(buf)), "1536M");
        assert_string_equal(session_limit_format(SESSION_LIMIT_MEMORY_MAX, 1000, buf, sizeof(buf)), "1000");
        assert_string_equal(session_limit_format(SESSION_LIMIT_CPU_QUOTA, 150, buf, sizeof(buf)), "150%");
        assert_string_equal(session_limit_format(SESSION_LIMIT_TASKS_MAX, UINT64_MAX, buf, sizeof(buf)), "infinity");
        assert_string_equal(session_limit_to_parameter(SESSION_LIMIT_RUNTIME_MAX), "runtime_max_usec");
        assert_string_equal(session_limit_to_key(SESSION_LIMIT_CPU_QUOTA), "CPUQuota");
        assert_string_equal(session_limit_to_ceiling_key(SESSION_LIMIT_MEMORY_MAX), "MemoryMaxCeiling");
        assert_null(session_limit_to_key(_SESSION_LIMIT_MAX));
}

static void expect_domains(const SessionCeiling *c, char **domains, const char *name, const char *expected) {
        _cleanup_(session_settings_done) SessionSettings layer = SESSION_SETTINGS_UNSET;
        _cleanup_free_ char *message = NULL;
        int r;

        layer.allow_domains = strv_copy(domains);
        r = session_ceiling_check_domains(c, &layer, name, &message);
        if (!expected) {
                if (r != 0)
                        fail_msg("refused: %s", message);
                return;
        }
        assert_int_equal(r, -EPERM);
        if (!strstr(message, expected))
                fail_msg("'%s' does not say '%s'", message, expected);
}

/* The site's AllowDomain= is the ceiling for every layer; a project's list is its users'. */
static void test_domains(void **state) {
        _cleanup_(session_policy_freep) SessionPolicy *p = session_policy_new();
        _cleanup_(session_settings_done) SessionSettings proj = SESSION_SETTINGS_UNSET;
        SessionSettings none = SESSION_SETTINGS_UNSET;
        SessionCeiling c;

        assert_int_equal(strv_extend(&p->allowed_domains, "*.allowed.test"), 0);
        assert_int_equal(strv_extend(&p->allowed_domains, "pypi.org"), 0);
        c = site(p, &none);
        expect_domains(&c, NULL, NULL, NULL);
        expect_domains(&c, (char *[]) { (char *) "www.allowed.test", (char *) "*.a.allowed.test", NULL }, NULL, NULL);
        expect_domains(&c, (char *[]) { NULL }, NULL, NULL);
        expect_domains(&c, (char *[]) { (char *) "pypi.org", (char *) "*.test", NULL }, NULL,
                       "allow_domains *.test exceeds the ceiling set in " ORIGIN ": names must be within "
                       "*.allowed.test pypi.org.");
        expect_domains(&c, (char *[]) { (char *) "allowed.test", NULL }, "project 'app'",
                       "AllowDomain=allowed.test of project 'app' exceeds the ceiling");

        /* After a project that lists names, its users choose among those. */
        assert_int_equal(strv_extend(&proj.allow_domains, "www.allowed.test"), 0);
        session_ceiling_narrow(&c, &proj, "project 'app'");
        expect_domains(&c, (char *[]) { (char *) "www.allowed.test", NULL }, NULL, NULL);
        expect_domains(&c, (char *[]) { (char *) "git.allowed.test", NULL }, NULL,
                       "exceeds the ceiling set in project 'app': names must be within www.allowed.test.");

        /* A site without names allows none. */
        p->allowed_domains = strv_free(p->allowed_domains);
        c = site(p, &none);
        expect_domains(&c, (char *[]) { (char *) "pypi.org", NULL }, NULL, "it allows no names");
}

/* Within the ceiling, but long enough to slow every request and every reload down. */
static void test_domains_too_many(void **state) {
        _cleanup_(session_policy_freep) SessionPolicy *p = session_policy_new();
        _cleanup_strv_free_ char **many = NULL;
        SessionSettings none = SESSION_SETTINGS_UNSET;
        SessionCeiling c;

        assert_int_equal(strv_extend(&p->allowed_domains, "*.allowed.test"), 0);
        c = site(p, &none);
        for (unsigned i = 0; i < EGRESS_PATTERNS_MAX; i++)
                assert_int_equal(strv_extendf(&many, "h%u.allowed.test", i), 0);
        expect_domains(&c, many, NULL, NULL);
        assert_int_equal(strv_extend(&many, "h.allowed.test"), 0);
        expect_domains(&c, many, "project 'app'",
                       "AllowDomain= of project 'app' has 257 patterns, more than the 256 a list may have.");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_limits_default_is_ceiling),
                cmocka_unit_test(test_limits_site_ceiling),
                cmocka_unit_test(test_limits_project),
                cmocka_unit_test(test_network_rank),
                cmocka_unit_test(test_allow_ceiling),
                cmocka_unit_test(test_allow_project),
                cmocka_unit_test(test_allow_under_internet),
                cmocka_unit_test(test_forbidden),
                cmocka_unit_test(test_zero_limits),
                cmocka_unit_test(test_format),
                cmocka_unit_test(test_domains),
                cmocka_unit_test(test_domains_too_many),
                cmocka_unit_test(test_domains_json),
                cmocka_unit_test(test_domains_config),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
