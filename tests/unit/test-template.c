/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Template files: instructions over several lines, the directories and drop-ins layered, and
 * what a missing or broken template says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "template.h"
#include "test-files.h"

/* A path below the test's root for dir (one of the standard directories) and rel. */
static char *in_dir(const char *dir, const char *rel) {
        char *path = NULL;

        assert_true(asprintf(&path, "%s/templates/%s", &dir[1], rel) > 0);
        return path;
}

static void test_instructions_and_model(void **state) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics diag = {};
        _cleanup_(template_freep) Template *t = NULL;
        _cleanup_free_ char *file = in_dir(PKGSYSCONFDIR, "reviewer.template");

        write_file(*state, file,
                   "# A reviewer\n"
                   "[Template]\n"
                   "Instructions=You review code.\n"
                   "Instructions=Be brief,\\\n"
                   "and kind.\n"
                   "Model=big-model\n"
                   "X-Other=ignored\n");
        assert_int_equal(template_load("reviewer", *state, &t, &diag), 0);
        assert_string_equal(t->name, "reviewer");
        assert_string_equal(t->instructions, "You review code.\nBe brief, and kind.");
        assert_string_equal(t->model, "big-model");
        assert_null(diag.warnings);
}

static void test_layers(void **state) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics diag = {};
        _cleanup_(template_freep) Template *t = NULL;
        _cleanup_free_ char *vendor = in_dir(PKGDATADIR, "dev.template"),
                            *admin = in_dir(PKGSYSCONFDIR, "dev.template.d/10-model.conf"),
                            *runtime = in_dir(RUNDIR, "dev.template.d/20-more.conf");

        write_file(*state, vendor, "[Template]\nInstructions=From the vendor.\nModel=small\n");
        write_file(*state, admin, "[Template]\nModel=large\n");
        write_file(*state, runtime, "[Template]\nInstructions=\nInstructions=Only this.\n");
        assert_int_equal(template_load("dev", *state, &t, &diag), 0);
        assert_string_equal(t->instructions, "Only this.");
        assert_string_equal(t->model, "large");
}

static void test_missing_and_broken(void **state) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics diag = {};
        _cleanup_(template_freep) Template *t = NULL;
        _cleanup_free_ char *file = in_dir(PKGSYSCONFDIR, "bad.template");

        assert_int_equal(template_load("none", *state, &t, &diag), -ENOENT);
        assert_non_null(strstr(diag.error, "none.template"));
        assert_int_equal(template_load("../x", *state, &t, &diag), -EINVAL);
        write_file(*state, file, "[Template]\nInstructions=fine\nbroken line\n");
        assert_int_equal(template_load("bad", *state, &t, &diag), -EINVAL);
        assert_non_null(strstr(diag.error, "bad.template:3"));
        assert_null(t);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_instructions_and_model, setup_root, teardown_root),
                cmocka_unit_test_setup_teardown(test_layers, setup_root, teardown_root),
                cmocka_unit_test_setup_teardown(test_missing_and_broken, setup_root, teardown_root),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
