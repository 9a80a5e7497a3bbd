/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Why systemd could not run a session's command. systemd's D-Bus API says only that a step
 * failed (ExecMainStatus=203 is "EXEC"); the errno and the executable are in the entry it logs
 * for the unit with MESSAGE_ID SD_MESSAGE_SPAWN_FAILED, which is where this reads them, so that
 * the client can say "cannot execute /x: No such file or directory" rather than "203".
 * The entry may reach the journal a moment after the unit is reported dead, and a command that
 * exits with such a status itself has none: the wait for it runs in the event loop, so that the
 * controller serves everybody else meanwhile. */

#include <assert.h>
#include <stdlib.h>

#include <systemd/sd-event.h>
#include <systemd/sd-journal.h>

#include "log.h"
#include "macro.h"
#include "manager.h"
#include "parse-util.h"
#include "session-policy.h"
#include "session.h"

#define SD_MESSAGE_SPAWN_FAILED "641257651c1b4ec9a8624d7a40a9e1e7"
/* The entry is written by PID 1's child just before it exits, so it is there by the time the
 * unit is reported dead, or a moment after: waiting this long in all covers journald's delay.
 * The journal is looked at again on every change it reports and, in case a change goes
 * unnoticed (journal files the kernel cannot watch), every tick. */
#define SPAWN_FAILURE_WAIT_USEC (500U * 1000U)
#define SPAWN_FAILURE_TRIES 5

struct SpawnFailureWait {
        Session *session;
        SpawnFailureDone done;
        sd_journal *journal;
        sd_event_source *io;
        sd_event_source *timer;
        unsigned ticks;
};

static int read_field(sd_journal *j, const char *field, char **ret) {
        const void *data;
        size_t len, n = strlen(field);
        int r;

        r = sd_journal_get_data(j, field, &data, &len);
        if (r < 0)
                return r;
        if (len <= n + 1)
                return -ENODATA;
        *ret = strndup((const char *) data + n + 1, len - n - 1);
        return *ret ? 0 : -ENOMEM;
}

/* Looks at the newest matching entry. Returns 1 and fills in the results if it is there. */
static int find_entry(sd_journal *j, int *ret_errno, char **ret_executable) {
        _cleanup_free_ char *errno_str = NULL, *executable = NULL;
        unsigned e;
        int r;

        r = sd_journal_seek_tail(j);
        if (r >= 0)
                r = sd_journal_previous(j);
        if (r <= 0)
                return r;
        r = read_field(j, "ERRNO", &errno_str);
        if (r < 0 || parse_unsigned(errno_str, &e) < 0 || e == 0)
                return -ENODATA;
        (void) read_field(j, "EXECUTABLE", &executable);
        *ret_errno = (int) e;
        *ret_executable = steal_ptr(executable);
        return 1;
}

static int open_journal(const char *unit, sd_journal **ret) {
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        _cleanup_free_ char *match = NULL;
        int r;

        if (asprintf(&match, "UNIT=%s", unit) < 0)
                return -ENOMEM;
        /* Not only the system journal: the child logs after switching to the session's user,
         * and into the session's journal namespace. */
        r = sd_journal_open_namespace(&j, SESSION_LOG_NAMESPACE,
                                      SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_INCLUDE_DEFAULT_NAMESPACE);
        if (r >= 0)
                r = sd_journal_add_match(j, "MESSAGE_ID=" SD_MESSAGE_SPAWN_FAILED, 0);
        if (r >= 0)
                r = sd_journal_add_match(j, match, 0);
        if (r < 0)
                return r;
        *ret = steal_ptr(j);
        return 0;
}

SpawnFailureWait *spawn_failure_wait_free(SpawnFailureWait *w) {
        if (!w)
                return NULL;
        sd_event_source_disable_unref(w->io);
        sd_event_source_disable_unref(w->timer);
        sd_journal_close(w->journal);
        free(w);
        return NULL;
}

/* Looks for the entry; with final, gives up if it is not there. Returns 1 once done() ran: w
 * may be gone then. */
static int spawn_failure_check(SpawnFailureWait *w, bool final) {
        Session *s = w->session;
        int r;

        r = find_entry(w->journal, &s->spawn_errno, &s->spawn_executable);
        if (r == 0 && !final)
                return 0;
        if (r <= 0)
                log_debug_errno(r ?: -ENODATA, "No spawn failure of %s in the journal: %m", s->unit);
        w->done(s);
        return 1;
}

static int on_journal_io(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        SpawnFailureWait *w = userdata;
        int r;

        r = sd_journal_process(w->journal);
        (void) spawn_failure_check(w, /* final= */ r < 0);
        return 0;
}

static int on_journal_tick(sd_event_source *source, uint64_t usec, void *userdata) {
        SpawnFailureWait *w = userdata;
        bool final = ++w->ticks >= SPAWN_FAILURE_TRIES;
        int r;

        (void) sd_journal_process(w->journal);
        if (spawn_failure_check(w, final) > 0)
                return 0;
        r = sd_event_source_set_time_relative(source, SPAWN_FAILURE_WAIT_USEC / SPAWN_FAILURE_TRIES);
        if (r >= 0)
                r = sd_event_source_set_enabled(source, SD_EVENT_ONESHOT);
        if (r < 0)
                (void) spawn_failure_check(w, /* final= */ true);
        return 0;
}

static int spawn_failure_wait_start(SpawnFailureWait *w, sd_event *e) {
        int fd, events, r;

        /* The fd first, so that an entry written right after the first look wakes us up. */
        fd = sd_journal_get_fd(w->journal);
        if (fd < 0)
                return fd;
        events = sd_journal_get_events(w->journal);
        if (events < 0)
                return events;
        r = sd_event_add_io(e, &w->io, fd, events, on_journal_io, w);
        if (r < 0)
                return r;
        return sd_event_add_time_relative(e, &w->timer, CLOCK_MONOTONIC,
                                          SPAWN_FAILURE_WAIT_USEC / SPAWN_FAILURE_TRIES, 0, on_journal_tick, w);
}

int session_spawn_failure_wait(Session *s, SpawnFailureDone done, SpawnFailureWait **ret) {
        _cleanup_(spawn_failure_wait_freep) SpawnFailureWait *w = NULL;
        int r;

        assert(s);
        assert(done);
        assert(ret);

        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->session = s;
        w->done = done;
        r = open_journal(s->unit, &w->journal);
        if (r >= 0)
                r = spawn_failure_wait_start(w, s->manager->event);
        if (r >= 0)
                r = find_entry(w->journal, &s->spawn_errno, &s->spawn_executable);
        if (r != 0)
                return r;
        *ret = steal_ptr(w);
        return 0;
}
