/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The configuration check: which directory entries are configuration files, and that every
 * problem in a tree of files is reported once, naming file, line and key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "config-check.h"
#include "session-policy.h"
#include "test-files.h"

#define ETC (&PKGSYSCONFDIR[1])

static void test_entry_names(void **state) {
        char *name = NULL;

        assert_int_equal(config_check_entry_name("app.project", ".project", project_name_is_valid, &name), 1);
        assert_string_equal(name, "app");
        name = mfree(name);
        /* The drop-in directory of a file counts as that file. */
        assert_int_equal(config_check_entry_name("app.project.d", ".project", project_name_is_valid, &name), 1);
        assert_string_equal(name, "app");
        name = mfree(name);
        assert_int_equal(config_check_entry_name("app.projct", ".project", project_name_is_valid, &name), 0);
        assert_int_equal(config_check_entry_name(".project", ".project", project_name_is_valid, &name), 0);
        assert_int_equal(config_check_entry_name("bad name.project", ".project", project_name_is_valid, &name), 0);
        assert_int_equal(config_check_entry_name("README", ".template", project_name_is_valid, &name), 0);
        assert_null(name);
}

/* Runs the check on the tree at root and returns what it printed. */
static char *check(const char *root, ConfigCheckResult *res) {
        _cleanup_free_ char *state = NULL;
        char *out = NULL;
        size_t n = 0;
        FILE *f;

        assert_true(asprintf(&state, "%s/var/lib/openmono", root) > 0);
        f = open_memstream(&out, &n);
        assert_non_null(f);
        assert_int_equal(config_check_all(root, state, f, res), 0);
        fclose(f);
        return out;
}

static void test_good_tree(void **state) {
        _cleanup_free_ char *path = NULL, *out = NULL;
        ConfigCheckResult res;

        assert_true(asprintf(&path, "%s/openmono.conf", ETC) > 0);
        write_file(*state, path, "[Sessions]\nNetwork=none\n");
        out = check(*state, &res);
        assert_int_equal(res.errors, 0);
        assert_int_equal(res.warnings, 0);
        assert_string_equal(out, "");
}

static void test_broken_tree(void **state) {
        _cleanup_free_ char *conf = NULL, *dropin = NULL, *proj = NULL, *misnamed = NULL, *out = NULL;
        ConfigCheckResult res;

        assert_true(asprintf(&conf, "%s/openmono.conf", ETC) > 0);
        assert_true(asprintf(&dropin, "%s/openmono.conf.d/override.cof", ETC) > 0);
        assert_true(asprintf(&proj, "%s/projects/app.project", ETC) > 0);
        assert_true(asprintf(&misnamed, "%s/projects/app.projct", ETC) > 0);
        write_file(*state, conf, "[Sessions]\nNetwork=none\nMemoryMax=2GG\n");
        write_file(*state, dropin, "[Sessions]\nNetwork=internet\n");
        write_file(*state, proj, "[Project]\nOwner=nobody\nIdentity=dynamic\nColour=blue\n");
        write_file(*state, misnamed, "[Project]\n");
        out = check(*state, &res);
        print_message("%s", out);
        /* The main file's error names file, line and key. */
        assert_non_null(strstr(out, "openmono.conf:3: [Sessions] MemoryMax=: invalid size '2GG'"));
        assert_non_null(strstr(out, "projects/app.project:4: [Project] unknown key 'Colour'"));
        assert_non_null(strstr(out, "projects/app.projct: not a NAME.project file"));
        assert_int_equal(res.errors, 1);
        assert_int_equal(res.warnings, 2);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_entry_names),
                cmocka_unit_test_setup_teardown(test_good_tree, setup_root, teardown_root),
                cmocka_unit_test_setup_teardown(test_broken_tree, setup_root, teardown_root),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
