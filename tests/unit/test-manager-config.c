/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* openmono.conf as the controller reads it: defaults, drop-ins, and keeping the old settings
 * when a file is broken. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <syslog.h>

#include <cmocka.h>

#include "manager-config.h"
#include "strv.h"
#include "test-files.h"
#include "unit-props.h"
#include "user-slice.h"

/* The admin directory below the test's root, without its leading '/'. */
#define ETC (&PKGSYSCONFDIR[1])

static void test_defaults(void **state) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics d = {};
        _cleanup_(manager_config_done) ManagerConfig c;

        manager_config_init(&c);
        assert_int_equal(manager_config_load(*state, &c, &d), 0);
        assert_int_equal(c.idle_timeout_usec, MANAGER_IDLE_TIMEOUT_DEFAULT_USEC);
        assert_int_equal(c.sessions_per_user_max, MANAGER_SESSIONS_PER_USER_DEFAULT);
        assert_int_equal(c.log_level, -1);
        assert_int_equal(c.sessions.network, _NETWORK_POLICY_INVALID);
        assert_true(c.sessions.memory_max == UINT64_MAX);
        /* No ceiling keys: the defaults are the ceilings. */
        assert_null(c.ceiling.allow);
        assert_true(c.ceiling.memory_max == UINT64_MAX);
        assert_true(c.user_slice.memory_max == UINT64_MAX);
        assert_int_equal(c.user_slice.tasks_max, MANAGER_USER_TASKS_MAX_DEFAULT);
        assert_int_equal(c.user_slice.cpu_quota_percent, 0);
}

static void test_ceilings_and_user_slice(void **state) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics d = {};
        _cleanup_(manager_config_done) ManagerConfig c;
        _cleanup_(unit_properties_freep) UnitProperties *u = NULL;
        _cleanup_free_ char *main_file = NULL;
        const UnitProperty *p;

        assert_true(asprintf(&main_file, "%s/openmono.conf", ETC) > 0);
        write_file(*state, main_file,
                   "[Sessions]\nAllowCeiling=203.0.113.0/24\nAllowCeiling=10.0.0.0/8\nMemoryMaxCeiling=16G\n"
                   "TasksMaxCeiling=2048\nCPUQuotaCeiling=400%\nRuntimeMaxSecCeiling=1d\n"
                   "[UserSlice]\nMemoryMax=32G\nTasksMax=8000\nCPUQuota=800%\n");
        manager_config_init(&c);
        assert_int_equal(manager_config_load(*state, &c, &d), 0);
        assert_int_equal(strv_length(c.ceiling.allow), 2);
        assert_int_equal(c.ceiling.memory_max, 16ULL << 30);
        assert_int_equal(c.ceiling.tasks_max, 2048);
        assert_int_equal(c.ceiling.cpu_quota_percent, 400);
        assert_int_equal(c.ceiling.runtime_max_usec, 86400ULL * 1000000);
        assert_int_equal(c.user_slice.memory_max, 32ULL << 30);
        assert_int_equal(c.user_slice.tasks_max, 8000);
        assert_int_equal(c.user_slice.cpu_quota_percent, 800);
        assert_null(d.warnings);

        assert_int_equal(user_slice_properties(&c.user_slice, &u), 0);
        p = unit_properties_find(u, "CPUQuotaPerSecUSec");
        assert_non_null(p);
        assert_int_equal(p->uint64, 8000000);
        u = unit_properties_free(u);
        /* Unset totals are set as infinity, so a removed limit leaves the slice too. */
        c.user_slice = (UserSliceLimits) { .memory_max = UINT64_MAX, .tasks_max = UINT64_MAX };
        assert_int_equal(user_slice_properties(&c.user_slice, &u), 0);
        assert_true(unit_properties_find(u, "MemoryMax")->uint64 == UINT64_MAX);
        assert_true(unit_properties_find(u, "CPUQuotaPerSecUSec")->uint64 == UINT64_MAX);

        /* A ceiling list with a typo fails with file and line. */
        write_file(*state, main_file, "[Sessions]\nAllowCeiling=10.0.0.0/33\n");
        assert_int_equal(manager_config_load(*state, &c, &d), -EINVAL);
        assert_non_null(strstr(d.error, "openmono.conf:2"));
}

static void test_settings_and_dropins(void **state) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics d = {};
        _cleanup_(manager_config_done) ManagerConfig c;
        _cleanup_free_ char *main_file = NULL, *dropin = NULL;

        assert_true(asprintf(&main_file, "%s/openmono.conf", ETC) > 0);
        assert_true(asprintf(&dropin, "%s/openmono.conf.d/50-local.conf", ETC) > 0);
        write_file(*state, main_file,
                   "[Controller]\nIdleTimeoutSec=5min\nLogLevel=debug\n"
                   "[Sessions]\nMaxSessionsPerUser=3\nNetwork=none\nMemoryMax=1G\n");
        write_file(*state, dropin,
                   "[Sessions]\nNetwork=allowlist\nAllow=10.1.0.0/16 fd00::/8\nCPUQuota=150%\n"
                   "RuntimeMaxSec=2h\nTasksMax=64\nFrobnicate=yes\n");

        manager_config_init(&c);
        assert_int_equal(manager_config_load(*state, &c, &d), 0);
        assert_int_equal(c.idle_timeout_usec, 300 * 1000000ULL);
        assert_int_equal(c.log_level, LOG_DEBUG);
        assert_int_equal(c.sessions_per_user_max, 3);
        assert_int_equal(c.sessions.network, NETWORK_POLICY_ALLOWLIST);
        assert_int_equal(strv_length(c.sessions.allow), 2);
        assert_int_equal(c.sessions.memory_max, 1024ULL * 1024 * 1024);
        assert_int_equal(c.sessions.cpu_quota_percent, 150);
        assert_int_equal(c.sessions.runtime_max_usec, 7200ULL * 1000000);
        assert_int_equal(c.sessions.tasks_max, 64);
        /* The unknown key is a warning naming the file and line, not an error. */
        assert_int_equal(strv_length(d.warnings), 1);
        assert_non_null(strstr(d.warnings[0], "50-local.conf:7"));
}

static void test_broken_file_keeps_previous(void **state) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics d = {};
        _cleanup_(manager_config_done) ManagerConfig c;
        _cleanup_free_ char *main_file = NULL;

        assert_true(asprintf(&main_file, "%s/openmono.conf", ETC) > 0);
        write_file(*state, main_file, "[Controller]\nIdleTimeoutSec=10s\n");
        manager_config_init(&c);
        assert_int_equal(manager_config_load(*state, &c, &d), 0);
        assert_int_equal(c.idle_timeout_usec, 10 * 1000000ULL);

        write_file(*state, main_file, "[Controller]\nIdleTimeoutSec=20s\n[Sessions]\nAllow=10.0.0.0/33\n");
        assert_int_equal(manager_config_load(*state, &c, &d), -EINVAL);
        assert_non_null(strstr(d.error, "openmono.conf:4"));
        assert_non_null(strstr(d.error, "Allow"));
        /* Nothing of the broken file was applied. */
        assert_int_equal(c.idle_timeout_usec, 10 * 1000000ULL);
        assert_null(c.sessions.allow);

        write_file(*state, main_file, "[Sessions]\nMaxSessionsPerUser=0\n");
        assert_int_equal(manager_config_load(*state, &c, &d), -ERANGE);
        write_file(*state, main_file, "[Sessions]\nNetwork=everywhere\n");
        assert_int_equal(manager_config_load(*state, &c, &d), -EINVAL);
        write_file(*state, main_file, "[Controller]\nLogLevel=loud\n");
        assert_int_equal(manager_config_load(*state, &c, &d), -EINVAL);
        /* The session networks' pools, which openmono-netns reads, fail the controller's load too. */
        write_file(*state, main_file, "[Network]\nSessionAddressPool6=ff02::/64\n");
        assert_int_equal(manager_config_load(*state, &c, &d), -EINVAL);
        assert_non_null(strstr(d.error, "openmono.conf:2: [Network] SessionAddressPool6="));
        assert_int_equal(c.sessions_per_user_max, MANAGER_SESSIONS_PER_USER_DEFAULT);
}

static void test_infinite_idle_means_never(void **state) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics d = {};
        _cleanup_(manager_config_done) ManagerConfig c;
        _cleanup_free_ char *main_file = NULL;

        assert_true(asprintf(&main_file, "%s/openmono.conf", ETC) > 0);
        write_file(*state, main_file, "[Controller]\nIdleTimeoutSec=infinity\n");
        manager_config_init(&c);
        assert_int_equal(manager_config_load(*state, &c, &d), 0);
        assert_int_equal(c.idle_timeout_usec, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_defaults, setup_root, teardown_root),
                cmocka_unit_test_setup_teardown(test_settings_and_dropins, setup_root, teardown_root),
                cmocka_unit_test_setup_teardown(test_ceilings_and_user_slice, setup_root, teardown_root),
                cmocka_unit_test_setup_teardown(test_broken_file_keeps_previous, setup_root, teardown_root),
                cmocka_unit_test_setup_teardown(test_infinite_idle_means_never, setup_root, teardown_root),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
