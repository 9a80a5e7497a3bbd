/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Round-robin over per-user FIFO queues. Users with queued or running jobs form a ring; the
 * cursor points at the user whose turn comes next. A user leaves the ring when they have
 * nothing left, so the ring holds only the few users active at the moment and a linear search
 * by uid is cheap. */

#include <assert.h>

#include "scheduler.h"

struct SchedulerUser {
        uid_t uid;
        SchedulerJob *head, *tail;
        unsigned n_queued;
        unsigned n_running;
        SchedulerUser *prev, *next;     /* the ring */
};

static const char *const job_state_table[_SCHEDULER_JOB_STATE_MAX] = {
        [SCHEDULER_JOB_IDLE] = "idle",
        [SCHEDULER_JOB_QUEUED] = "queued",
        [SCHEDULER_JOB_RUNNING] = "running",
};

const char *scheduler_job_state_to_string(SchedulerJobState s) {
        return s >= 0 && s < _SCHEDULER_JOB_STATE_MAX ? job_state_table[s] : NULL;
}

SchedulerJobState scheduler_job_state_from_string(const char *s) {
        for (int i = 0; s && i < _SCHEDULER_JOB_STATE_MAX; i++)
                if (streq(job_state_table[i], s))
                        return i;
        return _SCHEDULER_JOB_STATE_INVALID;
}

int scheduler_new(unsigned max_running, unsigned per_user_running, unsigned max_queued_per_user,
                  Scheduler **ret) {
        Scheduler *s = calloc(1, sizeof(*s));

        if (!s)
                return -ENOMEM;
        scheduler_set_limits(s, max_running, per_user_running, max_queued_per_user);
        s->max_queued_per_session = max_queued_per_user;
        *ret = s;
        return 0;
}

static void user_unlink(Scheduler *s, SchedulerUser *u) {
        if (u->next == u)
                s->cursor = NULL;
        else {
                u->prev->next = u->next;
                u->next->prev = u->prev;
                if (s->cursor == u)
                        s->cursor = u->next;
        }
        free(u);
}

Scheduler *scheduler_free(Scheduler *s) {
        if (!s)
                return NULL;
        while (s->cursor) {
                SchedulerUser *u = s->cursor;
                for (SchedulerJob *j = u->head; j; j = j->next)
                        j->state = SCHEDULER_JOB_IDLE, j->user = NULL;
                user_unlink(s, u);
        }
        return mfree(s);
}

void scheduler_set_limits(Scheduler *s, unsigned max_running, unsigned per_user_running,
                          unsigned max_queued_per_user) {
        s->max_running = MAX(max_running, 1U);
        s->per_user_running = MAX(per_user_running, 1U);
        s->max_queued_per_user = max_queued_per_user;
}

void scheduler_set_session_limit(Scheduler *s, unsigned max_queued_per_session) {
        s->max_queued_per_session = max_queued_per_session;
}

void scheduler_set_fifo(Scheduler *s, bool fifo) {
        s->fifo = fifo;
}

static SchedulerUser *find_user(Scheduler *s, uid_t uid) {
        SchedulerUser *u = s->cursor;

        if (!u)
                return NULL;
        do {
                if (u->uid == uid)
                        return u;
                u = u->next;
        } while (u != s->cursor);
        return NULL;
}

/* A newcomer goes right before the cursor's user and becomes the cursor: served next. */
static SchedulerUser *add_user(Scheduler *s, uid_t uid) {
        SchedulerUser *u = calloc(1, sizeof(*u));

        if (!u)
                return NULL;
        u->uid = uid;
        if (!s->cursor)
                u->prev = u->next = u;
        else {
                u->next = s->cursor;
                u->prev = s->cursor->prev;
                u->prev->next = u;
                s->cursor->prev = u;
        }
        s->cursor = u;
        return u;
}

/* A user's queue is at most max_queued_per_user long: counting a session's share is cheap. */
static unsigned session_queued(SchedulerUser *u, const char *session) {
        unsigned n = 0;

        for (SchedulerJob *j = u ? u->head : NULL; j; j = j->next)
                n += streq_ptr(j->session, session);
        return n;
}

int scheduler_enqueue(Scheduler *s, SchedulerJob *j, uid_t uid, const char *session) {
        SchedulerUser *u;

        assert(j->state == SCHEDULER_JOB_IDLE);
        /* FIFO mode is the baseline fairness is measured against: everybody is one user. */
        if (s->fifo)
                uid = 0;
        u = find_user(s, uid);
        if (u && u->n_queued >= s->max_queued_per_user)
                return -EBUSY;
        if (session && session_queued(u, session) >= s->max_queued_per_session)
                return -EXFULL;
        if (!u && s->max_queued_per_user == 0)
                return -EBUSY;
        if (!u && !(u = add_user(s, uid)))
                return -ENOMEM;

        j->next = NULL;
        j->user = u;
        j->session = session;
        j->state = SCHEDULER_JOB_QUEUED;
        if (u->tail)
                u->tail->next = j;
        else
                u->head = j;
        u->tail = j;
        u->n_queued++;
        s->n_queued++;
        return 0;
}

static unsigned user_cap(Scheduler *s) {
        return s->fifo ? s->max_running : s->per_user_running;
}

SchedulerJob *scheduler_next(Scheduler *s) {
        SchedulerUser *u = s->cursor;
        SchedulerJob *j;

        if (!u || s->n_running >= s->max_running)
                return NULL;
        do {
                if (u->head && u->n_running < user_cap(s)) {
                        j = u->head;
                        u->head = j->next;
                        if (!u->head)
                                u->tail = NULL;
                        j->next = NULL;
                        j->state = SCHEDULER_JOB_RUNNING;
                        u->n_queued--;
                        u->n_running++;
                        s->n_queued--;
                        s->n_running++;
                        /* Everybody else waiting goes before this user's next job. */
                        s->cursor = u->next;
                        return j;
                }
                u = u->next;
        } while (u != s->cursor);
        return NULL;
}

static void unqueue(SchedulerUser *u, SchedulerJob *j) {
        SchedulerJob **p = &u->head, *prev = NULL;

        for (; *p && *p != j; prev = *p, p = &(*p)->next)
                ;
        assert(*p == j);
        *p = j->next;
        if (u->tail == j)
                u->tail = prev;
        u->n_queued--;
}

void scheduler_remove(Scheduler *s, SchedulerJob *j) {
        SchedulerUser *u = j->user;

        if (j->state == SCHEDULER_JOB_IDLE || !u)
                return;
        if (j->state == SCHEDULER_JOB_QUEUED) {
                unqueue(u, j);
                s->n_queued--;
        } else {
                u->n_running--;
                s->n_running--;
        }
        j->state = SCHEDULER_JOB_IDLE;
        j->user = NULL;
        j->session = NULL;
        j->next = NULL;
        if (u->n_queued == 0 && u->n_running == 0)
                user_unlink(s, u);
}

void scheduler_user_counts(Scheduler *s, uid_t uid, unsigned *ret_queued, unsigned *ret_running) {
        SchedulerUser *u = find_user(s, s->fifo ? 0 : uid);

        *ret_queued = u ? u->n_queued : 0;
        *ret_running = u ? u->n_running : 0;
}
