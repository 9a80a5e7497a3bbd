/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Scheduled job files: parsing and validation, schedule shorthands, quoting a task for ExecStart=,
 * and the timer and service units the generator writes, one broken file not stopping the rest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <unistd.h>

#include <cmocka.h>

#include "cron-job.h"
#include "strv.h"
#include "test-files.h"

static CronJob *parse(const char *text, ConfigDiagnostics *diag) {
        CronJob *j = NULL;

        (void) cron_job_parse_buffer("nightly", "/etc/openmono/cron/nightly.job", text, strlen(text), &j, diag);
        return j;
}

static void test_parse(void **state) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics diag = {};
        _cleanup_(cron_job_freep) CronJob *j = NULL;

        j = parse("[Job]\nProject=app\nOwner=alice\nSchedule=daily\nTask=triage the issues\n"
                  "RandomizedDelaySec=10min\nPersistent=yes\nTimeLimitSec=1h\n", &diag);
        assert_non_null(j);
        assert_string_equal(j->project, "app");
        assert_string_equal(j->owner, "alice");
        assert_string_equal(j->schedule, "daily");
        assert_string_equal(j->task, "triage the issues");
        assert_int_equal(j->randomized_delay_usec, 600ULL * 1000000);
        assert_int_equal(j->time_limit_usec, 3600ULL * 1000000);
        assert_true(j->persistent);
        assert_true(j->enabled);
        j = cron_job_free(j);

        /* Defaults: no task (the project's own), no delay, no limit, not persistent. */
        j = parse("[Job]\nProject=app\nSchedule=*-*-* 03:00\nEnabled=no\n", &diag);
        assert_non_null(j);
        assert_null(j->task);
        assert_int_equal(j->randomized_delay_usec, UINT64_MAX);
        assert_false(j->persistent);
        assert_false(j->enabled);
}

static void expect_error(const char *text, const char *substring) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics diag = {};
        _cleanup_(cron_job_freep) CronJob *j = parse(text, &diag);

        assert_null(j);
        assert_non_null(diag.error);
        if (!strstr(diag.error, substring))
                fail_msg("'%s' does not contain '%s'", diag.error, substring);
        assert_non_null(startswith(diag.error, "/etc/openmono/cron/nightly.job:"));
}

static void test_parse_errors(void **state) {
        expect_error("[Job]\nSchedule=daily\n", "Project=");
        expect_error("[Job]\nProject=app\n", "Schedule= is missing");
        expect_error("[Job]\nProject=a/b\nSchedule=daily\n", "Project=");
        expect_error("[Job]\nProject=app\nSchedule=every-7-minutes\n", "shorthand");
        expect_error("[Job]\nProject=app\nSchedule=100% daily\n", "Schedule=");
        expect_error("[Job]\nProject=app\nSchedule=daily\nTask=--rm -rf\n", "Task=");
        expect_error("[Job]\nProject=app\nOwner=%u\nSchedule=daily\n", "Owner=");
        expect_error("[Job]\nProject=app\nOwner=-x\nSchedule=daily\n", "Owner=");
        /* A value that does not parse names the line. */
        expect_error("[Job]\nProject=app\nSchedule=daily\nPersistent=perhaps\n", "nightly.job:4:");
        expect_error("[Job]\nProject=app\nSchedule=daily\nTimeLimitSec=soon\n", "nightly.job:4:");
}

static void check_translate(const char *in, int expect, const char *out) {
        _cleanup_free_ char *s = NULL;

        assert_int_equal(cron_schedule_translate(in, &s), expect);
        if (expect >= 0)
                assert_string_equal(s, out);
}

static void test_shorthands(void **state) {
        check_translate("hourly", 1, "*-*-* *:00:00");
        check_translate("daily", 1, "*-*-* 00:00:00");
        check_translate("weekly", 1, "Mon *-*-* 00:00:00");
        check_translate("monthly", 1, "*-*-01 00:00:00");
        check_translate("every-30-minutes", 1, "*-*-* *:00/30:00");
        check_translate("every-1-minute", 1, "*-*-* *:00/1:00");
        check_translate("every-6-hours", 1, "*-*-* 00/6:00:00");
        check_translate("Mon..Fri 09:00", 0, "Mon..Fri 09:00");
        check_translate("every-7-minutes", -EINVAL, NULL);     /* not evenly spaced in an hour */
        check_translate("every-0-minutes", -EINVAL, NULL);
        check_translate("every-5-days", -EINVAL, NULL);
        check_translate("every--5-minutes", -EINVAL, NULL);
        check_translate("every-5-minutesx", -EINVAL, NULL);
        assert_true(cron_schedule_is_plausible("*-*-* 03:00:00"));
        assert_false(cron_schedule_is_plausible(""));
        assert_false(cron_schedule_is_plausible("daily\n"));
        assert_false(cron_schedule_is_plausible("%H"));
        assert_false(cron_schedule_is_plausible(" daily"));
}

static void check_quote(const char *in, const char *out) {
        _cleanup_free_ char *s = NULL;

        assert_int_equal(cron_exec_quote(in, &s), 0);
        assert_string_equal(s, out);
}

static void test_quote(void **state) {
        char *s = NULL;

        check_quote("fix the tests", "\"fix the tests\"");
        check_quote("100% done", "\"100%% done\"");
        check_quote("say \"hi\"", "\"say \\\"hi\\\"\"");
        check_quote("a\\b", "\"a\\\\b\"");
        check_quote("echo $HOME ${X}", "\"echo $$HOME $${X}\"");
        check_quote("it's", "\"it's\"");
        check_quote("", "\"\"");
        assert_int_equal(cron_exec_quote("two\nlines", &s), -EINVAL);
        assert_int_equal(cron_exec_quote("tab\there", &s), -EINVAL);
        assert_null(s);
}

static void test_format_roundtrip(void **state) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics diag = {};
        _cleanup_(cron_job_freep) CronJob *j = NULL, *k = NULL;
        _cleanup_free_ char *a = NULL, *b = NULL;

        j = parse("[Job]\nProject=app\nProjectId=0123456789abcdef0123456789abcdef\nOwner=alice\n"
                  "Schedule=every-15-minutes\nTask=fix 100% of \"it\" \\o/\n"
                  "RandomizedDelaySec=90s\nPersistent=yes\nTimeLimitSec=2h 30min\nEnabled=no\n", &diag);
        assert_non_null(j);
        assert_int_equal(cron_job_format(j, &a), 0);
        k = parse(a, &diag);
        assert_non_null(k);
        assert_int_equal(cron_job_format(k, &b), 0);
        assert_string_equal(a, b);
        assert_string_equal(k->task, "fix 100% of \"it\" \\o/");
}

static char *read_all(const char *path) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char *text = NULL;
        size_t n = 0;

        assert_non_null(f);
        assert_true(getdelim(&text, &n, 0, f) > 0);
        return text;
}

static void report(const char *where, const char *message, void *userdata) {
        char ***l = userdata;

        assert_int_equal(strv_extend(l, message), 0);
}

static void test_generate(void **state) {
        const char *root = *state;
        _cleanup_(cron_dirs_done) CronDirs d = {};
        _cleanup_strv_free_ char **errors = NULL;
        _cleanup_free_ char *out = root_path(root, "out"), *state_dir = root_path(root, "var");
        _cleanup_free_ char *timer = NULL, *service = NULL, *link = NULL, *p = NULL;
        char target[256];
        ssize_t n;

        assert_int_equal(mkdir(out, 0755), 0);
        assert_int_equal(cron_dirs_init(&d, root, state_dir), 0);
        write_file(root, PKGSYSCONFDIR "/cron/nightly.job",
                   "[Job]\nProject=app\nSchedule=every-30-minutes\nTask=fix \"all\" 100% of $BUGS\n"
                   "Persistent=yes\nTimeLimitSec=1h\nRandomizedDelaySec=5min\n");
        write_file(root, PKGSYSCONFDIR "/cron/broken.job", "[Job]\nProject=app\nSchedule=daily\nBogus\n");
        write_file(root, "var/cron/off.job", "[Job]\nProject=app\nSchedule=daily\nEnabled=no\n");
        write_file(root, "var/cron/user.job",
                   "[Job]\nProject=app\nProjectId=user:alice\nOwner=alice\nSchedule=Mon 10:00\n");
        /* The same name in both: the administrator's file wins. */
        write_file(root, "var/cron/nightly.job", "[Job]\nProject=other\nSchedule=daily\n");

        assert_int_equal(cron_generate_all(&d, "/usr/bin", out, report, &errors), 1);
        assert_int_equal(strv_length(errors), 1);
        assert_non_null(strstr(errors[0], "broken.job:4:"));

        p = root_path(out, "openmono-cron-nightly.timer");
        timer = read_all(p);
        assert_non_null(strstr(timer, "\nOnCalendar=*-*-* *:00/30:00\n"));
        assert_non_null(strstr(timer, "\nUnit=openmono-cron-nightly.service\n"));
        assert_non_null(strstr(timer, "\nPersistent=yes\n"));
        assert_non_null(strstr(timer, "\nRandomizedDelaySec=5min\n"));
        p = mfree(p);
        p = root_path(out, "openmono-cron-nightly.service");
        service = read_all(p);
        /* The task stays in the root-only job file, which the service receives as a credential:
         * every local user can read ExecStart=. */
        assert_non_null(strstr(service, "\nExecStart=/usr/bin/openmonoctl run --pipe --project=app "
                                        "--job-credential=openmono-job\n"));
        assert_null(strstr(service, "BUGS"));
        assert_null(strstr(timer, "BUGS"));
        assert_non_null(strstr(service, "\nLoadCredential=openmono-job:/"));
        assert_non_null(strstr(service, PKGSYSCONFDIR "/cron/nightly.job\n"));
        assert_non_null(strstr(service, "\nRuntimeMaxSec=1h\n"));
        assert_non_null(strstr(service, "\nAfter=openmonod.socket"));
        assert_non_null(strstr(service, "\nType=exec\n"));
        assert_non_null(strstr(service, "\nExecStopPost=-+/usr/bin/openmonoctl cron finished nightly\n"));
        assert_null(strstr(service, "\nUser="));       /* no Owner=: openmonoctl runs as root */

        link = root_path(out, "timers.target.wants/openmono-cron-nightly.timer");
        n = readlink(link, target, sizeof target - 1);
        assert_true(n > 0);
        target[n] = 0;
        assert_string_equal(target, "../openmono-cron-nightly.timer");

        /* The user's job is generated too (no task: the project's own); the disabled one is not. */
        p = mfree(p);
        p = root_path(out, "openmono-cron-user.service");
        service = mfree(service);
        service = read_all(p);
        /* Bound to the project it was made for, not to whatever project has the name later. */
        assert_non_null(strstr(service, "--project=app --project-id=user:alice\n"));
        assert_non_null(strstr(service, "\nUser=alice\n"));
        p = mfree(p);
        p = root_path(out, "openmono-cron-off.timer");
        assert_int_equal(access(p, F_OK), -1);
        p = mfree(p);
        p = root_path(out, "openmono-cron-broken.timer");
        assert_int_equal(access(p, F_OK), -1);
}

static void test_save_load_remove(void **state) {
        _cleanup_(cron_dirs_done) CronDirs d = {};
        _cleanup_(cron_job_freep) CronJob *j = cron_job_new("mine"), *k = NULL;
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_free_ char *var = root_path(*state, "var");

        assert_int_equal(mkdir(var, 0755), 0);
        assert_int_equal(cron_dirs_init(&d, *state, var), 0);
        j->project = strdup("app");
        j->schedule = strdup("hourly");
        j->scope = CRON_SCOPE_USER;
        assert_int_equal(cron_job_save(&d, j), 0);
        assert_int_equal(cron_job_load(&d, "mine", &k, NULL), 0);
        assert_int_equal(k->scope, CRON_SCOPE_USER);
        assert_string_equal(k->schedule, "hourly");
        assert_int_equal(cron_job_list_names(&d, &names), 0);
        assert_int_equal(strv_length(names), 1);
        assert_int_equal(cron_job_remove(&d, "mine"), 0);
        assert_int_equal(cron_job_remove(&d, "mine"), -ENOENT);
        assert_int_equal(cron_job_load(&d, "mine", &k, NULL), -ENOENT);
        assert_int_equal(cron_job_load(&d, "../x", &k, NULL), -EINVAL);
}

static void test_scope_strings(void **state) {
        for (CronScope s = 0; s < _CRON_SCOPE_MAX; s++)
                assert_int_equal(cron_scope_from_string(cron_scope_to_string(s)), s);
        assert_int_equal(cron_scope_from_string("nope"), -EINVAL);
        assert_null(cron_scope_to_string(_CRON_SCOPE_MAX));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_parse_errors),
                cmocka_unit_test(test_shorthands),
                cmocka_unit_test(test_quote),
                cmocka_unit_test(test_format_roundtrip),
                cmocka_unit_test_setup_teardown(test_generate, setup_root, teardown_root),
                cmocka_unit_test_setup_teardown(test_save_load_remove, setup_root, teardown_root),
                cmocka_unit_test(test_scope_strings),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
