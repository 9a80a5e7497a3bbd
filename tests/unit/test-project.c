/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Project files: validation, the written format read back, and what a broken file does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "project.h"
#include "strv.h"
#include "test-files.h"

static void test_validate(void **state) {
        _cleanup_(project_freep) Project *p = project_new("app");
        const char *why;

        assert_non_null(p);
        assert_int_equal(project_validate(p, &why), -EINVAL);
        assert_string_equal(why, "Owner= is missing");
        p->owner = strdup("root");
        assert_int_equal(project_validate(p, &why), -EINVAL);
        free_and_strdup(&p->owner, "alice");
        assert_int_equal(project_validate(p, &why), -EINVAL);   /* no workspace */
        p->workspace = strdup("relative/dir");
        assert_int_equal(project_validate(p, &why), -EINVAL);
        free_and_strdup(&p->workspace, "/srv/app");
        assert_int_equal(project_validate(p, &why), 0);
        p->identity = SESSION_IDENTITY_DYNAMIC;
        assert_int_equal(project_validate(p, &why), -EINVAL);   /* dynamic has no Workspace= */
        p->workspace = mfree(p->workspace);
        assert_int_equal(project_validate(p, &why), 0);
        p->template = strdup("../etc/passwd");
        assert_int_equal(project_validate(p, &why), -EINVAL);
        p->template = mfree(p->template);
        assert_int_equal(strv_split("openmono-template", " ", &p->grants), 0);
        assert_int_equal(project_validate(p, &why), -EINVAL);
        assert_non_null(strstr(why, "reserved"));
        p->grants = strv_free(p->grants);
        free_and_strdup(&p->name, "no/slash");
        assert_int_equal(project_validate(p, &why), -EINVAL);
}

static void test_save_and_load(void **state) {
        _cleanup_(project_dirs_done) ProjectDirs d = {};
        _cleanup_(project_freep) Project *p = project_new("app"), *q = NULL;
        _cleanup_free_ char *a = NULL, *b = NULL;

        assert_int_equal(project_dirs_init(&d, *state, *state), 0);
        p->scope = PROJECT_SCOPE_USER;
        p->owner = strdup("alice");
        p->workspace = strdup("/srv/app");
        p->description = strdup("The app, with 100% of its tests");
        p->task = strdup("Fix the build; then run the tests");
        p->template = strdup("reviewer");
        assert_int_equal(strv_split("10.0.0.0/8 fd00::/8", " ", &p->sandbox.allow), 0);
        p->sandbox.network = NETWORK_POLICY_ALLOWLIST;
        p->sandbox.memory_max = 3ULL << 30;
        p->sandbox.cpu_quota_percent = 150;
        p->sandbox.runtime_max_usec = 5400ULL * 1000000;
        assert_int_equal(strv_split("GIT_TOKEN", " ", &p->grants), 0);
        assert_int_equal(project_new_id(&p->id), 0);

        assert_int_equal(project_save(&d, p), 0);
        assert_int_equal(project_load(&d, "app", &q, NULL), 0);
        assert_int_equal(q->scope, PROJECT_SCOPE_USER);
        /* Written, read back and written again: the same text. */
        assert_int_equal(project_format(p, &a), 0);
        assert_int_equal(project_format(q, &b), 0);
        assert_string_equal(a, b);
        assert_int_equal(q->sandbox.runtime_max_usec, 5400ULL * 1000000);
        assert_int_equal(strv_length(q->sandbox.allow), 2);
        assert_string_equal(q->template, "reviewer");
        assert_string_equal(q->id, p->id);

        assert_int_equal(project_remove(&d, "app"), 0);
        assert_int_equal(project_load(&d, "app", &q, NULL), -ENOENT);
        assert_int_equal(project_remove(&d, "app"), -ENOENT);
}

static int count(Project *p, void *userdata) {
        (*(unsigned *) userdata)++;
        return 0;
}

static void test_system_wins_and_broken_skipped(void **state) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics diag = {};
        _cleanup_(project_dirs_done) ProjectDirs d = {};
        _cleanup_(project_freep) Project *p = NULL;
        _cleanup_free_ char *etc = NULL, *broken = NULL;
        unsigned n = 0;

        assert_int_equal(project_dirs_init(&d, *state, *state), 0);
        assert_true(asprintf(&etc, "%s/projects/app.project", &PKGSYSCONFDIR[1]) > 0);
        assert_true(asprintf(&broken, "%s/projects/bad.project", &PKGSYSCONFDIR[1]) > 0);
        write_file(*state, etc, "[Project]\nOwner=bob\nIdentity=dynamic\n[Sandbox]\nTasksMax=7\n");
        write_file(*state, broken, "[Project]\nOwner=bob\nIdentity=sometimes\n");
        write_file(*state, "projects/app.project", "[Project]\nOwner=alice\nWorkspace=/srv/x\n");
        write_file(*state, "projects/other.project", "[Project]\nOwner=alice\nWorkspace=/srv/y\n");

        assert_int_equal(project_load(&d, "app", &p, &diag), 0);
        assert_int_equal(p->scope, PROJECT_SCOPE_SYSTEM);
        assert_string_equal(p->owner, "bob");
        assert_int_equal(p->sandbox.tasks_max, 7);
        assert_int_equal(project_load(&d, "bad", &p, &diag), -EINVAL);
        assert_non_null(strstr(diag.error, "bad.project:3"));
        assert_int_equal(project_foreach(&d, count, &n), 0);
        assert_int_equal(n, 2);         /* app (once) and other; bad is skipped */
}

/* A dynamic project's om-NAME must not be a real account: DynamicUser= would run as it. */
static void test_account_collision(void **state) {
        struct passwd pw = { .pw_name = (char *) "om-victim", .pw_uid = 1005 };
        struct group gr = { .gr_name = (char *) "om-victim", .gr_gid = 1005 };
        struct passwd dyn = { .pw_name = (char *) "om-app", .pw_uid = 61200 };
        struct group dyngr = { .gr_name = (char *) "om-app", .gr_gid = 61200 };

        assert_false(project_account_is_static(NULL, NULL));
        assert_true(project_account_is_static(&pw, NULL));
        assert_true(project_account_is_static(NULL, &gr));
        assert_true(project_account_is_static(&dyn, &gr));
        /* A running session's dynamic user resolves too, and is no collision. */
        assert_false(project_account_is_static(&dyn, &dyngr));
        assert_false(uid_is_dynamic(61183));
        assert_true(uid_is_dynamic(61184));
        assert_true(uid_is_dynamic(65519));
        assert_false(uid_is_dynamic(65520));
        assert_false(uid_is_dynamic(0));
        /* Names no system has (the build host's accounts are not ours to assume). */
        assert_int_equal(project_name_collides("no-such-openmono-test"), 0);
}

/* A project's identity is its id; without one, scope and owner, never the name alone. */
static void test_instance_id(void **state) {
        _cleanup_(project_freep) Project *p = project_new("app");
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;
        const char *why;

        assert_non_null(p);
        p->owner = strdup("alice");
        p->scope = PROJECT_SCOPE_USER;
        assert_int_equal(project_instance_id(p, &a), 0);
        assert_string_equal(a, "user:alice");
        assert_int_equal(project_new_id(&p->id), 0);
        assert_int_equal(strlen(p->id), 32);
        assert_int_equal(project_instance_id(p, &b), 0);
        assert_string_equal(b, p->id);
        assert_int_equal(project_new_id(&c), 0);
        assert_string_not_equal(b, c);
        p->identity = SESSION_IDENTITY_DYNAMIC;
        assert_int_equal(project_validate(p, &why), 0);
        free_and_strdup(&p->id, "not-hex");
        assert_int_equal(project_validate(p, &why), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_validate),
                cmocka_unit_test(test_account_collision),
                cmocka_unit_test(test_instance_id),
                cmocka_unit_test_setup_teardown(test_save_and_load, setup_root, teardown_root),
                cmocka_unit_test_setup_teardown(test_system_wins_and_broken_skipped, setup_root, teardown_root),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
