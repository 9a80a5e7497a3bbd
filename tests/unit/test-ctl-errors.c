/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* openmonoctl has a sentence and an exit code for every error the controller can send: each name
 * in openmono-errors.h (read as text from OPENMONO_ERRORS_H, so a new #define is checked without
 * being listed here) and each org.varlink.service error; and it names the parameters users give
 * as options, not as the protocol's keys: every parameter the controller's sources (CONTROLLER_DIR,
 * SESSION_SETTINGS_C) can name in an InvalidParameter error has a name for users. */

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "ctl.h"
#include "macro.h"
#include "varlink.h"

static void check_entry(const char *id) {
        const CtlError *e = ctl_error_find(id);

        print_message("%s\n", id);
        assert_non_null(e);
        assert_true(e->error < 0);
        assert_true(strlen(e->sentence) > 10);
        /* A sentence for a user, not the protocol's name again. */
        assert_null(strstr(e->sentence, "io.openmono"));
        assert_null(strstr(e->sentence, "org.varlink"));
}

static void test_every_controller_error_has_an_entry(void **state) {
        _cleanup_fclose_ FILE *f = fopen(OPENMONO_ERRORS_H, "re");
        char line[512];
        unsigned n = 0;

        assert_non_null(f);
        while (fgets(line, sizeof line, f)) {
                char *q, *end;

                if (!startswith(line, "#define OM_ERROR_") || !(q = strchr(line, '"')) || !(end = strchr(q + 1, '"')))
                        continue;
                *end = 0;
                check_entry(q + 1);
                n++;
        }
        assert_true(n >= 17);
}

static void test_varlink_errors_have_entries(void **state) {
        const char *ids[] = {
                VARLINK_ERROR_INTERFACE_NOT_FOUND, VARLINK_ERROR_METHOD_NOT_FOUND, VARLINK_ERROR_INVALID_PARAMETER,
                VARLINK_ERROR_PERMISSION_DENIED, VARLINK_ERROR_EXPECTED_MORE, VARLINK_ERROR_SYSTEM,
                VARLINK_ERROR_DISCONNECTED, "org.varlink.service.MethodNotImplemented",
        };

        for (size_t i = 0; i < ELEMENTSOF(ids); i++)
                check_entry(ids[i]);
        assert_null(ctl_error_find("io.openmono.Manager.NoSuchThing"));
        /* The exit codes scripts rely on. */
        assert_int_equal(ctl_exit_code(ctl_error_find(VARLINK_ERROR_INVALID_PARAMETER)->error), EXIT_USAGE);
        assert_int_equal(ctl_exit_code(ctl_error_find("io.openmono.Manager.PermissionDenied")->error), EXIT_DENIED);
        assert_int_equal(ctl_exit_code(ctl_error_find(VARLINK_ERROR_PERMISSION_DENIED)->error), EXIT_DENIED);
}

static void test_parameters_in_the_users_terms(void **state) {
        static const struct {
                const char *method, *parameter, *name;
        } cases[] = {
                { "io.openmono.Manager.AddProject", "name", "project name" },
                { "io.openmono.Manager.GetCronJob", "name", "job name" },
                { "io.openmono.Manager.SetSecret", "name", "secret name" },
                { "io.openmono.Manager.GetSession", "id", "session ID" },
                { "io.openmono.Manager.StartSession", "memory_max", "value for --memory-max" },
                { "io.openmono.Manager.StartSession", "cpu_quota_percent", "value for --cpu-quota" },
                { "io.openmono.Manager.StartSession", "runtime_max_usec", "value for --runtime-max" },
                { "io.openmono.Manager.SetProject", "users", "value for --user" },
                { "io.openmono.Manager.AddCronJob", "time_limit_usec", "value for --time-limit" },
                { "io.openmono.Manager.AddCronJob", "task", "value for --task" },
                { "io.openmono.Manager.StartSession", "task", "task" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                assert_string_equal(ctl_parameter_name(cases[i].method, cases[i].parameter), cases[i].name);
        assert_null(ctl_parameter_name("io.openmono.Manager.StartSession", "no_such_key"));
}

/* The method a file's "name" parameter belongs to, for the parameters whose name depends on it. */
static const char *method_of_file(const char *file) {
        if (strstr(file, "project"))
                return "io.openmono.Manager.AddProject";
        if (strstr(file, "cron"))
                return "io.openmono.Manager.AddCronJob";
        if (strstr(file, "secret"))
                return "io.openmono.Manager.SetSecret";
        return "io.openmono.Manager.StartSession";
}

/* Checks each parameter that path names after one of the markers. Returns how many it saw. */
static unsigned check_parameters_of_file(const char *path) {
        static const char *const markers[] = { "invalid_parameter(l, \"", "ret_bad = \"", "get_u64(o, \"" };
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char line[1024];
        unsigned n = 0;

        assert_non_null(f);
        while (fgets(line, sizeof line, f))
                for (size_t i = 0; i < ELEMENTSOF(markers); i++) {
                        char *p = strstr(line, markers[i]), *end;

                        if (!p || !(end = strchr(p + strlen(markers[i]), '"')))
                                continue;
                        *end = 0;
                        p += strlen(markers[i]);
                        print_message("%s: %s\n", path, p);
                        assert_non_null(ctl_parameter_name(method_of_file(path), p));
                        n++;
                }
        return n;
}

static void test_every_parameter_the_controller_names(void **state) {
        DIR *d = opendir(CONTROLLER_DIR);
        unsigned n = 0;
        struct dirent *de;

        assert_non_null(d);
        while ((de = readdir(d))) {
                char path[4096];

                size_t len = strlen(de->d_name);

                if (len < 2 || !streq(de->d_name + len - 2, ".c"))
                        continue;
                snprintf(path, sizeof path, "%s/%s", CONTROLLER_DIR, de->d_name);
                n += check_parameters_of_file(path);
        }
        closedir(d);
        n += check_parameters_of_file(SESSION_SETTINGS_C);
        /* A scan that finds nothing proves nothing. */
        assert_true(n >= 30);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_controller_error_has_an_entry),
                cmocka_unit_test(test_varlink_errors_have_entries),
                cmocka_unit_test(test_parameters_in_the_users_terms),
                cmocka_unit_test(test_every_parameter_the_controller_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
