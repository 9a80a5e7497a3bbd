/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The history of ended sessions: what is stored comes back, each user sees their own, and the
 * history stays bounded by age and by count. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "json-util.h"
#include "session-history.h"
#include "test-files.h"

/* An ended session as GetSession describes it, with a made-up id from n. */
static json_object *ended_session(unsigned n, uid_t uid) {
        json_object *o = json_object_new_object();
        char id[32];

        snprintf(id, sizeof id, "%016x", n);
        assert_int_equal(json_add_string(o, "id", id), 0);
        assert_int_equal(json_add_int64(o, "uid", uid), 0);
        assert_int_equal(json_add_string(o, "state", "exited"), 0);
        assert_int_equal(json_add_string(o, "exit", "killed"), 0);
        assert_int_equal(json_add_int64(o, "exit_status", 9), 0);
        assert_int_equal(json_add_string(o, "signal", "SIGKILL"), 0);
        return o;
}

static void add(const char *dir, unsigned n, uid_t uid) {
        _cleanup_(json_object_putp) json_object *o = ended_session(n, uid);

        assert_int_equal(session_history_add(dir, o), 0);
}

/* Makes entry n look written age_usec ago. */
static void age_entry(const char *dir, unsigned n, uint64_t age_usec) {
        char path[PATH_MAX];
        uint64_t t = now(CLOCK_REALTIME) - age_usec;
        struct timespec ts[2] = {
                { .tv_sec = t / 1000000U, .tv_nsec = (t % 1000000U) * 1000 },
                { .tv_sec = t / 1000000U, .tv_nsec = (t % 1000000U) * 1000 },
        };

        snprintf(path, sizeof path, "%s/history/%016x.json", dir, n);
        assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* session_history_get() of id, with the entry dropped. */
static int get(const char *dir, const char *id) {
        _cleanup_(json_object_putp) json_object *o = NULL;

        return session_history_get(dir, id, &o);
}

static size_t count(const char *dir, uid_t uid) {
        _cleanup_(json_object_putp) json_object *list = json_object_new_array();

        assert_int_equal(session_history_list(dir, uid, list), 0);
        return json_object_array_length(list);
}

static void test_round_trip(void **state) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        const char *sig = NULL;
        int64_t status = 0;

        add(*state, 1, 1000);
        assert_int_equal(session_history_get(*state, "0000000000000001", &o), 0);
        assert_int_equal(json_get_string(o, "signal", &sig), 0);
        assert_string_equal(sig, "SIGKILL");
        assert_int_equal(json_get_int64(o, "exit_status", &status), 0);
        assert_int_equal(status, 9);
        assert_int_equal(get(*state, "0000000000000002"), -ENOENT);
        /* An id is a name in a directory: nothing else is looked up. */
        assert_int_equal(get(*state, "../history/x"), -ENOENT);
}

static void test_list_per_user(void **state) {
        add(*state, 1, 1000);
        add(*state, 2, 1000);
        add(*state, 3, 1001);
        assert_int_equal(count(*state, 1000), 2);
        assert_int_equal(count(*state, 1001), 1);
        assert_int_equal(count(*state, 1002), 0);
        assert_int_equal(count(*state, SESSION_HISTORY_ALL_USERS), 3);
}

static void test_prune_by_age(void **state) {
        add(*state, 1, 1000);
        add(*state, 2, 1000);
        age_entry(*state, 1, SESSION_HISTORY_AGE_USEC + 1000000U);
        session_history_prune(*state, now(CLOCK_REALTIME));
        assert_int_equal(count(*state, SESSION_HISTORY_ALL_USERS), 1);
        assert_int_equal(get(*state, "0000000000000002"), 0);
}

static void test_prune_by_count(void **state) {
        for (unsigned i = 1; i <= SESSION_HISTORY_MAX + 5; i++) {
                add(*state, i, 1000);
                /* Older the lower the number, one second apart, so the order is certain. */
                age_entry(*state, i, (SESSION_HISTORY_MAX + 10 - i) * 1000000ULL);
        }
        session_history_prune(*state, now(CLOCK_REALTIME));
        assert_int_equal(count(*state, SESSION_HISTORY_ALL_USERS), SESSION_HISTORY_MAX);
        assert_int_equal(get(*state, "0000000000000005"), -ENOENT);
        assert_int_equal(get(*state, "0000000000000006"), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_round_trip, setup_root, teardown_root),
                cmocka_unit_test_setup_teardown(test_list_per_user, setup_root, teardown_root),
                cmocka_unit_test_setup_teardown(test_prune_by_age, setup_root, teardown_root),
                cmocka_unit_test_setup_teardown(test_prune_by_count, setup_root, teardown_root),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
