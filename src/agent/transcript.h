/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The transcript of an agent run: one JSON object per line in <state>/transcripts/<id>.jsonl,
 * flushed as it is written so that a crash or a kill leaves everything up to that moment.
 * Lines have a "type": "start", "message" (a chat message as sent to the model, whole, before
 * any context shrinking), "usage" and "status". A run can be resumed from its messages. */

#include <stdio.h>

#include <json-c/json.h>

#include "macro.h"

typedef struct Transcript {
        FILE *f;
        char *path;
        char *id;
        int error;                      /* the first write error (negative errno), 0 if none */
} Transcript;

/* Picks the state directory: $STATE_DIRECTORY (its first entry) if set, else arg if not NULL,
 * else $XDG_STATE_HOME/openmono, else ~/.local/state/openmono. Returns 0 or -ENOMEM, or
 * -ENOENT if none can be found. */
int transcript_state_dir(const char *arg, char **ret);

/* Creates a new transcript with a fresh id (time and random part) in state_dir/transcripts,
 * creating directories as needed (mode 0700; files 0600: transcripts hold what the model saw).
 * Returns 0 or a negative errno. */
int transcript_create(const char *state_dir, Transcript **ret);

/* Opens an existing transcript for appending: what is a path (it contains a '/' or ends in
 * .jsonl) or an id looked up in state_dir. Returns 0 and the messages it holds, in order, in
 * *ret_messages (a new array); -ENOENT if there is no such transcript; -EBADMSG if it holds no
 * messages. A last line cut short by a crash is ignored. */
int transcript_resume(const char *state_dir, const char *what, Transcript **ret, json_object **ret_messages);

Transcript *transcript_free(Transcript *t);
DEFINE_PTR_CLEANUP(Transcript *, transcript_free);

/* Appends a line {"type": type, "time": µs since the epoch, ...fields}. fields is borrowed and
 * may be NULL. Returns 0 or a negative errno; the first write error also stays in t->error, so
 * that a run which carries on past it can still end with a failure. */
int transcript_write(Transcript *t, const char *type, json_object *fields);
/* Appends {"type":"message","time":...,"message":message}. */
int transcript_write_message(Transcript *t, json_object *message);
