/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The trust rule for secrets: every combination of who asks (the owner, another user, an
 * administrator, root), whose project it is (a user's or the site's), whether the project lists
 * the name and whether the caller hands it over for the run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "macro.h"
#include "secret-trust.h"

#define ALICE 1000
#define BOB 1001
#define CAROL 1002              /* an administrator */

static SecretSource decide_as(uid_t caller, bool admin, bool admitted, bool system_project, bool listed,
                              bool grants) {
        SecretTrust t = {
                .caller = caller,
                .owner = ALICE,
                .caller_is_admin = admin,
                .caller_admitted = admitted || caller == ALICE,
                .system_project = system_project,
                .listed = listed,
                .caller_grants = grants,
        };
        return secret_trust_decide(&t);
}

/* bob is among the users alice let in; carol and root use the project by their role. */
static SecretSource decide(uid_t caller, bool admin, bool system_project, bool listed, bool grants) {
        return decide_as(caller, admin, caller == BOB, system_project, listed, grants);
}

/* The owner of a project receives their own secrets for what it lists, site project or not. */
static void test_owner(void **state) {
        for (int sys = 0; sys <= 1; sys++) {
                assert_int_equal(decide(ALICE, false, sys, true, false), SECRET_SOURCE_OWNER);
                assert_int_equal(decide(ALICE, false, sys, false, false), SECRET_SOURCE_NONE);
                assert_int_equal(decide(ALICE, false, sys, false, true), SECRET_SOURCE_CALLER);
                assert_int_equal(decide(ALICE, false, sys, true, true), SECRET_SOURCE_CALLER);
        }
}

/* Another user of alice's project never hands over their own secret by Grant= alone: a listed
 * name gives alice's value (her project, her consent), a site project's only the default. */
static void test_other_user(void **state) {
        assert_int_equal(decide(BOB, false, false, true, false), SECRET_SOURCE_OWNER);
        assert_int_equal(decide(BOB, false, true, true, false), SECRET_SOURCE_DEFAULT);
        assert_int_equal(decide(BOB, false, false, false, false), SECRET_SOURCE_NONE);
        /* A user alice did not let in (a group rule elsewhere, say) gets only the defaults. */
        assert_int_equal(decide_as(BOB, false, false, false, true, false), SECRET_SOURCE_DEFAULT);
        /* ... unless bob hands it over himself, for this run. */
        assert_int_equal(decide(BOB, false, false, false, true), SECRET_SOURCE_CALLER);
        assert_int_equal(decide(BOB, false, false, true, true), SECRET_SOURCE_CALLER);
        assert_int_equal(decide(BOB, false, true, true, true), SECRET_SOURCE_CALLER);
}

/* Administrators and root never hand their own secrets to a project they do not own. */
static void test_admin_and_root(void **state) {
        for (int sys = 0; sys <= 1; sys++) {
                assert_int_equal(decide(CAROL, true, sys, false, true), SECRET_SOURCE_REFUSED);
                assert_int_equal(decide(CAROL, true, sys, true, true), SECRET_SOURCE_REFUSED);
                assert_int_equal(decide(0, true, sys, true, true), SECRET_SOURCE_REFUSED);
                assert_int_equal(decide(0, false, sys, false, true), SECRET_SOURCE_REFUSED);
                assert_int_equal(decide(CAROL, true, sys, false, false), SECRET_SOURCE_NONE);
                assert_int_equal(decide(0, true, sys, false, false), SECRET_SOURCE_NONE);
                /* root (openmono@NAME, timers) runs a project for its owner. */
                assert_int_equal(decide(0, true, sys, true, false), SECRET_SOURCE_OWNER);
        }
        /* An administrator starting alice's project by role gets only the defaults, never
         * carol's own, and alice's only if alice let carol in. */
        assert_int_equal(decide(CAROL, true, false, true, false), SECRET_SOURCE_DEFAULT);
        assert_int_equal(decide(CAROL, true, true, true, false), SECRET_SOURCE_DEFAULT);
        assert_int_equal(decide_as(CAROL, true, true, false, true, false), SECRET_SOURCE_OWNER);
}

/* No combination ever gives the caller's own value to a project the caller does not own
 * unless the caller asked for it, and never for an administrator or root. */
static void test_exhaustive(void **state) {
        const uid_t callers[] = { ALICE, BOB, CAROL, 0 };

        for (size_t i = 0; i < ELEMENTSOF(callers); i++)
                for (int bits = 0; bits < 32; bits++) {
                        bool admin = bits & 1, sys = bits & 2, listed = bits & 4, grants = bits & 8,
                             admitted = bits & 16;
                        SecretSource s = decide_as(callers[i], admin, admitted, sys, listed, grants);

                        if (callers[i] == ALICE)
                                continue;
                        if (s == SECRET_SOURCE_CALLER) {
                                assert_true(grants);
                                assert_false(admin);
                                assert_int_not_equal(callers[i], 0);
                        }
                        if (!listed && !grants)
                                assert_int_equal(s, SECRET_SOURCE_NONE);
                        /* The owner's value goes only to those the owner let in, and root. */
                        if (s == SECRET_SOURCE_OWNER)
                                assert_true(callers[i] == 0 || (admitted && !sys));
                }
}

static void test_strings(void **state) {
        for (SecretSource s = 0; s < _SECRET_SOURCE_MAX; s++)
                assert_int_equal(secret_source_from_string(secret_source_to_string(s)), s);
        assert_int_equal(secret_source_from_string("mine"), _SECRET_SOURCE_INVALID);
        assert_null(secret_source_to_string(_SECRET_SOURCE_MAX));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_owner),
                cmocka_unit_test(test_other_user),
                cmocka_unit_test(test_admin_and_root),
                cmocka_unit_test(test_exhaustive),
                cmocka_unit_test(test_strings),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
