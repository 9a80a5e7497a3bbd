/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fair scheduler: round-robin between users, the global and per-user caps, the queue
 * limit, cancellation, and the FIFO baseline it is benchmarked against. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "scheduler.h"

#define ALICE 1000
#define BOB 1001
#define CAROL 1002

static uid_t owner(SchedulerJob *j) {
        return (uid_t) (uintptr_t) j->userdata;
}

static void make_jobs(SchedulerJob *jobs, size_t n, uid_t uid) {
        for (size_t i = 0; i < n; i++)
                jobs[i] = (SchedulerJob) { .userdata = (void *) (uintptr_t) uid };
}

/* The jobs are declared before the scheduler so that they outlive it: it writes to the jobs
 * it still holds when freed. */
static void test_round_robin(void **state) {
        SchedulerJob a[4], b[2];
        SchedulerJob *j;
        _cleanup_(scheduler_freep) Scheduler *s = NULL;

        assert_int_equal(scheduler_new(1, 1, 10, &s), 0);
        make_jobs(a, 4, ALICE);
        make_jobs(b, 2, BOB);
        for (size_t i = 0; i < 4; i++)
                assert_int_equal(scheduler_enqueue(s, &a[i], ALICE, NULL), 0);
        for (size_t i = 0; i < 2; i++)
                assert_int_equal(scheduler_enqueue(s, &b[i], BOB, NULL), 0);

        /* Alice flooded first, Bob's work alternates with hers from the start. */
        uid_t expect[] = { BOB, ALICE, BOB, ALICE, ALICE, ALICE };
        for (size_t i = 0; i < ELEMENTSOF(expect); i++) {
                j = scheduler_next(s);
                assert_non_null(j);
                assert_int_equal(owner(j), expect[i]);
                assert_int_equal(j->state, SCHEDULER_JOB_RUNNING);
                /* One slot: nothing else runs until this one is done. */
                assert_null(scheduler_next(s));
                scheduler_remove(s, j);
                assert_int_equal(j->state, SCHEDULER_JOB_IDLE);
        }
        assert_null(scheduler_next(s));
        assert_int_equal(s->n_running, 0);
        assert_int_equal(s->n_queued, 0);
}

static void test_latecomer_goes_next(void **state) {
        SchedulerJob a[40], b[2], *running[2];
        _cleanup_(scheduler_freep) Scheduler *s = NULL;

        assert_int_equal(scheduler_new(2, 2, 64, &s), 0);
        make_jobs(a, 40, ALICE);
        make_jobs(b, 2, BOB);
        for (size_t i = 0; i < 40; i++)
                assert_int_equal(scheduler_enqueue(s, &a[i], ALICE, NULL), 0);
        running[0] = scheduler_next(s);
        running[1] = scheduler_next(s);
        assert_null(scheduler_next(s));

        /* Bob arrives while Alice holds every slot and has 38 waiting: the next free slot
         * is his, and his second request waits for only one of hers. */
        assert_int_equal(scheduler_enqueue(s, &b[0], BOB, NULL), 0);
        assert_int_equal(scheduler_enqueue(s, &b[1], BOB, NULL), 0);
        scheduler_remove(s, running[0]);
        running[0] = scheduler_next(s);
        assert_int_equal(owner(running[0]), BOB);
        scheduler_remove(s, running[1]);
        running[1] = scheduler_next(s);
        assert_int_equal(owner(running[1]), ALICE);
        scheduler_remove(s, running[1]);
        running[1] = scheduler_next(s);
        assert_int_equal(owner(running[1]), BOB);
}

static void test_per_user_cap(void **state) {
        SchedulerJob a[5], c[1];
        _cleanup_(scheduler_freep) Scheduler *s = NULL;
        unsigned q, r;

        assert_int_equal(scheduler_new(4, 2, 10, &s), 0);
        make_jobs(a, 5, ALICE);
        make_jobs(c, 1, CAROL);
        for (size_t i = 0; i < 5; i++)
                assert_int_equal(scheduler_enqueue(s, &a[i], ALICE, NULL), 0);
        assert_non_null(scheduler_next(s));
        assert_non_null(scheduler_next(s));
        /* Two slots are free, but Alice may hold only two. */
        assert_null(scheduler_next(s));
        scheduler_user_counts(s, ALICE, &q, &r);
        assert_int_equal(q, 3);
        assert_int_equal(r, 2);
        assert_int_equal(scheduler_enqueue(s, &c[0], CAROL, NULL), 0);
        assert_int_equal(owner(scheduler_next(s)), CAROL);
        assert_null(scheduler_next(s));
}

static void test_queue_limit(void **state) {
        SchedulerJob a[4], b[1];
        _cleanup_(scheduler_freep) Scheduler *s = NULL;

        assert_int_equal(scheduler_new(1, 1, 3, &s), 0);
        make_jobs(a, 4, ALICE);
        make_jobs(b, 1, BOB);
        for (size_t i = 0; i < 3; i++)
                assert_int_equal(scheduler_enqueue(s, &a[i], ALICE, NULL), 0);
        assert_int_equal(scheduler_enqueue(s, &a[3], ALICE, NULL), -EBUSY);
        assert_int_equal(a[3].state, SCHEDULER_JOB_IDLE);
        /* The limit is per user: Bob still gets in. */
        assert_int_equal(scheduler_enqueue(s, &b[0], BOB, NULL), 0);
        /* A running job no longer counts against the queue. Bob, the newcomer, goes first. */
        assert_ptr_equal(scheduler_next(s), &b[0]);
        scheduler_remove(s, &b[0]);
        assert_ptr_equal(scheduler_next(s), &a[0]);
        assert_int_equal(scheduler_enqueue(s, &a[3], ALICE, NULL), 0);
}

/* One session of a user cannot take the whole of the user's queue; another session can queue. */
static void test_session_queue_limit(void **state) {
        SchedulerJob a[6];
        _cleanup_(scheduler_freep) Scheduler *s = NULL;

        assert_int_equal(scheduler_new(1, 1, 5, &s), 0);
        scheduler_set_session_limit(s, 2);
        make_jobs(a, 6, ALICE);
        assert_int_equal(scheduler_enqueue(s, &a[0], ALICE, "s1"), 0);
        assert_int_equal(scheduler_enqueue(s, &a[1], ALICE, "s1"), 0);
        assert_int_equal(scheduler_enqueue(s, &a[2], ALICE, "s1"), -EXFULL);
        assert_int_equal(a[2].state, SCHEDULER_JOB_IDLE);
        assert_int_equal(scheduler_enqueue(s, &a[3], ALICE, "s2"), 0);
        /* Outside sessions only the per-user cap counts. */
        assert_int_equal(scheduler_enqueue(s, &a[4], ALICE, NULL), 0);
        assert_int_equal(scheduler_enqueue(s, &a[5], ALICE, NULL), 0);
        assert_int_equal(scheduler_enqueue(s, &a[2], ALICE, "s2"), -EBUSY);
        /* Once one of s1's runs, s1 may queue again. */
        assert_ptr_equal(scheduler_next(s), &a[0]);
        scheduler_remove(s, &a[5]);
        assert_int_equal(scheduler_enqueue(s, &a[2], ALICE, "s1"), 0);
        assert_string_equal(a[2].session, "s1");
        scheduler_remove(s, &a[2]);
        assert_null(a[2].session);
}

static void test_cancel(void **state) {
        SchedulerJob a[3], b[1], *j;
        _cleanup_(scheduler_freep) Scheduler *s = NULL;

        assert_int_equal(scheduler_new(1, 1, 10, &s), 0);
        make_jobs(a, 3, ALICE);
        make_jobs(b, 1, BOB);
        for (size_t i = 0; i < 3; i++)
                assert_int_equal(scheduler_enqueue(s, &a[i], ALICE, NULL), 0);
        assert_int_equal(scheduler_enqueue(s, &b[0], BOB, NULL), 0);

        j = scheduler_next(s);
        assert_ptr_equal(j, &b[0]);
        /* A queued job that is cancelled leaves the queue, from the middle too. */
        scheduler_remove(s, &a[1]);
        assert_int_equal(a[1].state, SCHEDULER_JOB_IDLE);
        assert_int_equal(s->n_queued, 2);
        /* A running one that is cancelled frees its slot at once. */
        scheduler_remove(s, j);
        assert_int_equal(s->n_running, 0);
        assert_ptr_equal(scheduler_next(s), &a[0]);
        scheduler_remove(s, &a[0]);
        assert_ptr_equal(scheduler_next(s), &a[2]);
        /* Removing twice, or an idle job, does nothing. */
        scheduler_remove(s, &a[1]);
        scheduler_remove(s, &a[2]);
        scheduler_remove(s, &a[2]);
        assert_int_equal(s->n_running, 0);
        assert_null(s->cursor);
}

static void test_fifo(void **state) {
        SchedulerJob a[3], b[1];
        _cleanup_(scheduler_freep) Scheduler *s = NULL;

        assert_int_equal(scheduler_new(2, 1, 10, &s), 0);
        scheduler_set_fifo(s, true);
        make_jobs(a, 3, ALICE);
        make_jobs(b, 1, BOB);
        for (size_t i = 0; i < 3; i++)
                assert_int_equal(scheduler_enqueue(s, &a[i], ALICE, NULL), 0);
        assert_int_equal(scheduler_enqueue(s, &b[0], BOB, NULL), 0);
        /* Arrival order, and the per-user cap does not apply. */
        assert_ptr_equal(scheduler_next(s), &a[0]);
        assert_ptr_equal(scheduler_next(s), &a[1]);
        scheduler_remove(s, &a[0]);
        assert_ptr_equal(scheduler_next(s), &a[2]);
}

static void test_limits_change(void **state) {
        SchedulerJob a[3];
        _cleanup_(scheduler_freep) Scheduler *s = NULL;

        assert_int_equal(scheduler_new(1, 1, 10, &s), 0);
        make_jobs(a, 3, ALICE);
        for (size_t i = 0; i < 3; i++)
                assert_int_equal(scheduler_enqueue(s, &a[i], ALICE, NULL), 0);
        assert_non_null(scheduler_next(s));
        assert_null(scheduler_next(s));
        scheduler_set_limits(s, 3, 3, 10);
        assert_non_null(scheduler_next(s));
        assert_non_null(scheduler_next(s));
        /* A cap of 0 would stop everything: it means 1. */
        scheduler_set_limits(s, 0, 0, 10);
        assert_int_equal(s->max_running, 1);
}

/* Freeing the scheduler with work in it leaves the jobs idle. */
static void test_free_busy(void **state) {
        Scheduler *s;
        SchedulerJob a[2];

        assert_int_equal(scheduler_new(1, 1, 10, &s), 0);
        make_jobs(a, 2, ALICE);
        assert_int_equal(scheduler_enqueue(s, &a[0], ALICE, NULL), 0);
        assert_int_equal(scheduler_enqueue(s, &a[1], ALICE, NULL), 0);
        assert_non_null(scheduler_next(s));
        scheduler_free(s);
        assert_int_equal(a[1].state, SCHEDULER_JOB_IDLE);
}

static void test_state_strings(void **state) {
        for (SchedulerJobState i = 0; i < _SCHEDULER_JOB_STATE_MAX; i++)
                assert_int_equal(scheduler_job_state_from_string(scheduler_job_state_to_string(i)), i);
        assert_int_equal(scheduler_job_state_from_string("nope"), _SCHEDULER_JOB_STATE_INVALID);
        assert_null(scheduler_job_state_to_string(_SCHEDULER_JOB_STATE_MAX));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_robin),
                cmocka_unit_test(test_latecomer_goes_next),
                cmocka_unit_test(test_per_user_cap),
                cmocka_unit_test(test_queue_limit),
                cmocka_unit_test(test_session_queue_limit),
                cmocka_unit_test(test_cancel),
                cmocka_unit_test(test_fifo),
                cmocka_unit_test(test_limits_change),
                cmocka_unit_test(test_free_busy),
                cmocka_unit_test(test_state_strings),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
