/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Why systemd could not run a session's command. systemd's D-Bus API says only that a step
 * failed (ExecMainStatus=203 is "EXEC"); the errno and the executable are in the entry it logs
 * for the unit with MESSAGE_ID SD_MESSAGE_SPAWN_FAILED, which is where this reads them, so that
 * the client can say "cannot execute /x: No such file or directory" rather than "203". */

#include <assert.h>
#include <stdlib.h>

#include <systemd/sd-journal.h>

#include "log.h"
#include "macro.h"
#include "parse-util.h"
#include "session-policy.h"
#include "session.h"

#define SD_MESSAGE_SPAWN_FAILED "641257651c1b4ec9a8624d7a40a9e1e7"
/* The entry is written by PID 1's child just before it exits, so it is there by the time the
 * unit is reported dead, or a moment after: waiting this long in all covers journald's delay. */
#define SPAWN_FAILURE_WAIT_USEC (500U * 1000U)
#define SPAWN_FAILURE_TRIES 5

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

int session_spawn_failure_read(const char *unit, int *ret_errno, char **ret_executable) {
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        _cleanup_free_ char *match = NULL;
        int r;

        assert(unit);
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
        for (unsigned i = 0; i < SPAWN_FAILURE_TRIES; i++) {
                r = find_entry(j, ret_errno, ret_executable);
                if (r != 0)
                        return r;
                r = sd_journal_wait(j, SPAWN_FAILURE_WAIT_USEC / SPAWN_FAILURE_TRIES);
                if (r < 0)
                        return r;
        }
        return -ENODATA;
}
