/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The egress proxy's settings: AllowDomain= from openmono.conf, [Egress] from egress.conf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <sys/stat.h>

#include "egress-config.h"
#include "strv.h"

static char dir[] = "/tmp/test-egress-config-XXXXXX";

static void write_file(const char *name, const char *text) {
        _cleanup_free_ char *p = NULL;
        FILE *f;

        assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
        f = fopen(p, "we");
        assert_non_null(f);
        fputs(text, f);
        assert_int_equal(fclose(f), 0);
}

static int load(EgressConfig *c, ConfigDiagnostics *d) {
        const char *const dirs[] = { dir, NULL };

        return egress_config_load(NULL, dirs, c, d);
}

static int setup(void **state) {
        assert_non_null(mkdtemp(dir));
        return 0;
}

static int teardown(void **state) {
        _cleanup_free_ char *a = NULL, *b = NULL;

        assert_true(asprintf(&a, "%s/openmono.conf", dir) > 0);
        assert_true(asprintf(&b, "%s/egress.conf", dir) > 0);
        (void) unlink(a);
        (void) unlink(b);
        (void) rmdir(dir);
        return 0;
}

static void test_defaults(void **state) {
        _cleanup_(egress_config_done) EgressConfig c = {};
        _cleanup_(config_diagnostics_done) ConfigDiagnostics d = {};

        egress_config_init(&c);
        write_file("openmono.conf", "[Sessions]\nNetwork=none\n");
        write_file("egress.conf", "");
        assert_int_equal(load(&c, &d), 0);
        assert_null(c.policy.allow_domains);
        assert_int_equal(c.policy.n_ports, 2);
        assert_int_equal(c.policy.ports[0], 443);
        assert_int_equal(c.policy.ports[1], 80);
        assert_false(c.allow_non_session);
        assert_null(d.warnings);        /* the controller's keys are not ours to report */
}

static void test_values(void **state) {
        _cleanup_(egress_config_done) EgressConfig c = {};
        _cleanup_(config_diagnostics_done) ConfigDiagnostics d = {};

        egress_config_init(&c);
        write_file("openmono.conf",
                   "[Sessions]\nAllowDomain=dropped.example\nAllowDomain=\n"
                   "AllowDomain=*.Example.COM.\nAllowDomain=PyPI.org\n");
        write_file("egress.conf",
                   "[Egress]\nPorts=\nPorts=443\nPorts=8443\nDenyAddress=203.0.113.0/24\n"
                   "AllowAddress=10.20.0.0/16\nMaxConnectionsPerSession=8\nMaxConnectionsPerUser=20\n"
                   "IdleTimeoutSec=1min\n"
                   "HeaderTimeoutSec=2s\nAllowNonSession=yes\n");
        assert_int_equal(load(&c, &d), 0);
        assert_int_equal(strv_length(c.policy.allow_domains), 2);
        assert_string_equal(c.policy.allow_domains[0], "*.example.com");
        assert_string_equal(c.policy.allow_domains[1], "pypi.org");
        assert_int_equal(c.policy.n_ports, 2);
        assert_int_equal(c.policy.ports[1], 8443);
        assert_int_equal(c.policy.reserved.n, 1);
        assert_int_equal(c.policy.allow_private.n, 1);
        assert_int_equal(c.max_connections_per_session, 8);
        assert_int_equal(c.max_connections_per_user, 20);
        assert_int_equal(c.idle_timeout_usec, 60 * 1000000ULL);
        assert_int_equal(c.header_timeout_usec, 2 * 1000000ULL);
        assert_true(c.allow_non_session);
}

static void test_errors(void **state) {
        static const char *const bad_site[] = {
                "[Sessions]\nAllowDomain=10.0.0.1\n",
                "[Sessions]\nAllowDomain=*\n",
                "[Sessions]\nAllowDomain=a.*.example\n",
                "[Sessions]\nAllowDomain=bücher.example\n",
        };
        static const char *const bad_egress[] = {
                "[Egress]\nPorts=0\n",
                "[Egress]\nPorts=65536\n",
                "[Egress]\nDenyAddress=example.com\n",
                "[Egress]\nMaxConnectionsPerSession=0\n",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad_site) + ELEMENTSOF(bad_egress); i++) {
                _cleanup_(egress_config_done) EgressConfig c = {};
                _cleanup_(config_diagnostics_done) ConfigDiagnostics d = {};

                egress_config_init(&c);
                write_file("openmono.conf", i < ELEMENTSOF(bad_site) ? bad_site[i] : "");
                write_file("egress.conf", i < ELEMENTSOF(bad_site) ? "" : bad_egress[i - ELEMENTSOF(bad_site)]);
                assert_true(load(&c, &d) < 0);
                assert_non_null(d.error);
                print_message("%s\n", d.error);
                /* the old settings stay */
                assert_int_equal(c.policy.n_ports, 2);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_values),
                cmocka_unit_test(test_errors),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
