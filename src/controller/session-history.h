/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Sessions that have ended, kept for a while in STATEDIR/history/<id>.json with how they ended
 * and what they used, so that "session show/status/wait" still answer once systemd has
 * collected the unit, and across restarts of the controller. Bounded by age and count. */

#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include <systemd/sd-journal.h>

/* How many ended sessions are kept, and for how long at most. */
#define SESSION_HISTORY_MAX 500U
#define SESSION_HISTORY_AGE_USEC (7ULL * 24 * 3600 * 1000000ULL)
#define SESSION_HISTORY_ALL_USERS ((uid_t) -1)

/* Stores session (a final Session object as GetSession describes it) under its "id", then prunes.
 * Does not take session. */
int session_history_add(const char *state_dir, json_object *session);
/* Loads the ended session id into *ret (a new reference). -ENOENT if it is not (or no longer)
 * kept. */
int session_history_get(const char *state_dir, const char *id, json_object **ret);
/* Appends the kept sessions owned by uid (all for SESSION_HISTORY_ALL_USERS) to the JSON array list. */
int session_history_list(const char *state_dir, uid_t uid, json_object *list);
/* Removes entries older than the age limit and the oldest beyond the count limit. */
void session_history_prune(const char *state_dir, uint64_t now_usec);

/* What systemd itself logged of how unit ended (its process exit, result and resource
 * messages, trusted because journald stamps them _PID=1): for a session that ended while the
 * controller was not running, when systemd has already collected the unit. Sets the fields
 * "state", "result", "exit", "exit_status", "ended_realtime_usec" and "cpu_usage_nsec" of o
 * that the journal knows. Returns 1 if it found the unit's end, 0 if not. */
int session_history_from_journal(sd_journal *j, const char *unit, json_object *o);
