/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Token accounting: one journal entry per request, and running totals per user since the
 * gateway started, served at /v1/openmono/usage. The journal is the record; the totals are a
 * convenience that a restart resets. Tokens are counted as the upstream reported them; when it
 * reported none they are estimated (four characters a token of the request's messages and of
 * the output that passed) and marked so, never shown as a real zero. An error the upstream
 * reported inside a 2xx answer makes the request an "upstream-error". */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"
#include "scheduler.h"
#include "sse-usage.h"

typedef struct Accounting Accounting;

/* Everything the journal entry of one request says. Strings may be NULL. */
typedef struct RequestRecord {
        uid_t uid;
        const char *user;
        const char *session;
        const char *model;              /* as the client asked */
        const char *upstream;
        const char *upstream_model;
        const char *result;             /* "ok", "client-gone", "upstream-error", "timeout", ... */
        unsigned status;                /* the HTTP status the client got */
        bool stream;
        Usage usage;
        void *request_body;             /* the request's json_object, borrowed, for estimates; may be NULL */
        uint64_t queue_usec;            /* arrival to dispatch */
        uint64_t first_byte_usec;       /* dispatch to the upstream's first byte; 0 if none */
        uint64_t latency_usec;          /* arrival to the end */
        uint64_t bytes;                 /* body bytes sent to the client */
} RequestRecord;

int accounting_new(Accounting **ret);
Accounting *accounting_free(Accounting *a);
DEFINE_PTR_CLEANUP(Accounting *, accounting_free);

/* Adds the request to its user's totals and writes its journal entry. */
void accounting_record(Accounting *a, const RequestRecord *rec);

/* The totals as JSON: every user's if uid is UID_INVALID, else only that user's (with zeros
 * if they have none). Live queue lengths come from s. Returns a new string or NULL on OOM. */
#define UID_INVALID ((uid_t) -1)
char *accounting_to_json(Accounting *a, Scheduler *s, uid_t uid, uint64_t since_realtime);
