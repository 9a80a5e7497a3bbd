/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The fair scheduler: one queue per user, round-robin between the users who have work waiting,
 * a global cap on requests at the upstreams and a cap per user. It only decides who goes next;
 * the caller starts and finishes the work. Jobs are embedded in the caller's objects, so the
 * scheduler never allocates for them. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

typedef struct SchedulerUser SchedulerUser;

typedef enum SchedulerJobState {
        SCHEDULER_JOB_IDLE,             /* not known to the scheduler */
        SCHEDULER_JOB_QUEUED,
        SCHEDULER_JOB_RUNNING,
        _SCHEDULER_JOB_STATE_MAX,
        _SCHEDULER_JOB_STATE_INVALID = -EINVAL,
} SchedulerJobState;

const char *scheduler_job_state_to_string(SchedulerJobState s);
SchedulerJobState scheduler_job_state_from_string(const char *s);

typedef struct SchedulerJob {
        SchedulerJobState state;
        SchedulerUser *user;
        const char *session;            /* borrowed from the caller while queued or running; NULL: none */
        struct SchedulerJob *next;      /* in the user's queue */
        void *userdata;
} SchedulerJob;

typedef struct Scheduler {
        unsigned max_running;           /* upstream slots for everybody */
        unsigned per_user_running;      /* of which one user may hold this many */
        unsigned max_queued_per_user;
        unsigned max_queued_per_session; /* of which one session may have this many */
        bool fifo;                      /* one queue for all: the unfair baseline for benchmarks */
        unsigned n_running;
        unsigned n_queued;
        SchedulerUser *cursor;          /* ring of users with queued or running jobs; next to serve */
} Scheduler;

int scheduler_new(unsigned max_running, unsigned per_user_running, unsigned max_queued_per_user,
                  Scheduler **ret);
/* Frees the scheduler; jobs still queued or running are forgotten (left IDLE). */
Scheduler *scheduler_free(Scheduler *s);
DEFINE_PTR_CLEANUP(Scheduler *, scheduler_free);

/* Changes the limits; running jobs above a lowered cap finish normally. */
void scheduler_set_limits(Scheduler *s, unsigned max_running, unsigned per_user_running,
                          unsigned max_queued_per_user);
/* Caps the queued jobs of one session (of a user); the default is the per-user cap. */
void scheduler_set_session_limit(Scheduler *s, unsigned max_queued_per_session);
/* In FIFO mode every job goes into one queue, in arrival order, with only the global cap. */
void scheduler_set_fifo(Scheduler *s, bool fifo);

/* Queues an IDLE job for uid, from session (NULL: outside any; borrowed until the job is
 * removed). Returns 0, -EBUSY if uid already has max_queued_per_user jobs waiting, -EXFULL if
 * session has max_queued_per_session, or -ENOMEM. */
int scheduler_enqueue(Scheduler *s, SchedulerJob *j, uid_t uid, const char *session);

/* Takes the next job to run, marks it RUNNING and returns it; NULL when every slot is taken or
 * nothing can run. Users take turns: after a user's job starts, the others who are waiting go
 * before that user's next one. A user who had nothing queued or running joins at the front. */
SchedulerJob *scheduler_next(Scheduler *s);

/* Takes a QUEUED or RUNNING job out (finished or cancelled), freeing its slot; an IDLE job is
 * left alone. Afterwards the job is IDLE. */
void scheduler_remove(Scheduler *s, SchedulerJob *j);

/* What uid has waiting and running. */
void scheduler_user_counts(Scheduler *s, uid_t uid, unsigned *ret_queued, unsigned *ret_running);
