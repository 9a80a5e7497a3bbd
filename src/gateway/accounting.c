/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-request journal entries with a catalogued MESSAGE_ID, and per-user totals in memory. */

#include <inttypes.h>

#include "accounting.h"
#include "json-util.h"
#include "log.h"
#include "log-budget.h"
#include "message-ids.h"
#include "strv.h"

/* Characters per token for estimates, as the agent counts them. */
#define CHARS_PER_TOKEN 4

typedef struct UserTotals {
        uid_t uid;
        char *user;
        uint64_t requests;
        uint64_t failed;                /* every result but "ok" */
        uint64_t prompt_tokens;         /* as reported */
        uint64_t completion_tokens;
        uint64_t unreported;            /* requests whose upstream reported no usage */
        uint64_t estimated_prompt_tokens;
        uint64_t estimated_completion_tokens;
        uint64_t latency_usec;
        LogBudget journal;              /* how many entries the user's requests may write */
        uint64_t held_prompt;           /* tokens of the requests held back since the last entry */
        uint64_t held_completion;
} UserTotals;

/* The tokens of one request: reported, or estimated and marked so. */
typedef struct Tokens {
        uint64_t prompt;
        uint64_t completion;
        bool estimated;
} Tokens;

struct Accounting {
        UserTotals *users;
        size_t n_users;
};

int accounting_new(Accounting **ret) {
        *ret = calloc(1, sizeof(Accounting));
        return *ret ? 0 : -ENOMEM;
}

Accounting *accounting_free(Accounting *a) {
        if (!a)
                return NULL;
        for (size_t i = 0; i < a->n_users; i++)
                free(a->users[i].user);
        free(a->users);
        return mfree(a);
}

static UserTotals *find_totals(Accounting *a, uid_t uid) {
        for (size_t i = 0; i < a->n_users; i++)
                if (a->users[i].uid == uid)
                        return a->users + i;
        return NULL;
}

static UserTotals *get_totals(Accounting *a, uid_t uid, const char *user) {
        UserTotals *t = find_totals(a, uid);

        if (t)
                return t;
        t = reallocarray(a->users, a->n_users + 1, sizeof(UserTotals));
        if (!t)
                return NULL;
        a->users = t;
        t += a->n_users;
        *t = (UserTotals) { .uid = uid, .user = user ? strdup(user) : NULL };
        a->n_users++;
        return t;
}

static uint64_t json_chars(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) ? strlen(json_to_string(v)) : 0;
}

static Tokens record_tokens(const RequestRecord *rec) {
        json_object *body = rec->request_body;

        if (rec->usage.valid)
                return (Tokens) { rec->usage.prompt_tokens, rec->usage.completion_tokens, false };
        return (Tokens) {
                .prompt = body ? (json_chars(body, "messages") + json_chars(body, "tools") + CHARS_PER_TOKEN - 1) /
                                 CHARS_PER_TOKEN : 0,
                .completion = (rec->usage.output_chars + CHARS_PER_TOKEN - 1) / CHARS_PER_TOKEN,
                .estimated = true,
        };
}

/* "ok" with an error inside the answer is not ok. A client that hangs up once it read the
 * error (the agent does) went because of it: the error is what happened. */
static const char *record_result(const RequestRecord *rec) {
        const char *result = rec->result ?: "ok";

        if (rec->usage.upstream_error && (streq(result, "ok") || streq(result, "client-gone")))
                return "upstream-error";
        return result;
}

static int token_fields(const RequestRecord *rec, char ***fields) {
        Tokens t = record_tokens(rec);
        const char *suffix = t.estimated ? "_ESTIMATED" : "";
        int r;

        r = strv_extendf(fields, "OPENMONO_USAGE=%s", t.estimated ? "estimated" : "reported");
        if (r >= 0)
                r = strv_extendf(fields, "OPENMONO_PROMPT_TOKENS%s=%" PRIu64, suffix, t.prompt);
        if (r >= 0)
                r = strv_extendf(fields, "OPENMONO_COMPLETION_TOKENS%s=%" PRIu64, suffix, t.completion);
        if (r >= 0 && rec->usage.upstream_error)
                r = strv_extendf(fields, "OPENMONO_UPSTREAM_ERROR=%s", rec->usage.error);
        return r;
}

static int record_fields(const RequestRecord *rec, char ***fields) {
        int r;

        r = strv_extendf(fields, "MESSAGE_ID=%s", OPENMONO_MESSAGE_GATEWAY_REQUEST);
        if (r >= 0)
                r = strv_extendf(fields, "OPENMONO_EVENT=inference-request");
        if (r >= 0)
                r = strv_extendf(fields, "OPENMONO_USER=%s", strna(rec->user));
        if (r >= 0)
                r = strv_extendf(fields, "OPENMONO_UID=%u", (unsigned) rec->uid);
        if (r >= 0)
                r = strv_extendf(fields, "OPENMONO_SESSION=%s", rec->session ?: "");
        if (r >= 0 && rec->model)
                r = strv_extendf(fields, "OPENMONO_MODEL=%s", rec->model);
        if (r >= 0 && rec->upstream)
                r = strv_extendf(fields, "OPENMONO_UPSTREAM=%s", rec->upstream);
        if (r >= 0 && rec->upstream_model)
                r = strv_extendf(fields, "OPENMONO_UPSTREAM_MODEL=%s", rec->upstream_model);
        if (r >= 0)
                r = token_fields(rec, fields);
        if (r >= 0)
                r = strv_extendf(fields, "OPENMONO_STATUS=%u", rec->status);
        if (r >= 0)
                r = strv_extendf(fields, "OPENMONO_RESULT=%s", record_result(rec));
        if (r >= 0)
                r = strv_extendf(fields, "OPENMONO_STREAM=%s", rec->stream ? "yes" : "no");
        if (r >= 0)
                r = strv_extendf(fields, "OPENMONO_QUEUE_USEC=%" PRIu64, rec->queue_usec);
        if (r >= 0)
                r = strv_extendf(fields, "OPENMONO_FIRST_BYTE_USEC=%" PRIu64, rec->first_byte_usec);
        if (r >= 0)
                r = strv_extendf(fields, "OPENMONO_LATENCY_USEC=%" PRIu64, rec->latency_usec);
        if (r >= 0)
                r = strv_extendf(fields, "OPENMONO_BYTES=%" PRIu64, rec->bytes);
        return r;
}

static void add_totals(UserTotals *t, const RequestRecord *rec, bool ok) {
        Tokens k = record_tokens(rec);

        t->requests++;
        t->failed += !ok;
        t->prompt_tokens += k.estimated ? 0 : k.prompt;
        t->completion_tokens += k.estimated ? 0 : k.completion;
        t->unreported += k.estimated;
        t->estimated_prompt_tokens += k.estimated ? k.prompt : 0;
        t->estimated_completion_tokens += k.estimated ? k.completion : 0;
        t->latency_usec += rec->latency_usec;
}

/* The requests held back since the user's last entry: how many and their tokens (reported or
 * estimated, added up), so that the journal's sums stay right. Resets the count. */
static int held_back_fields(UserTotals *t, char ***fields) {
        int r;

        r = strv_extendf(fields, "OPENMONO_HELD_BACK=%" PRIu64, t->journal.suppressed);
        if (r >= 0)
                r = strv_extendf(fields, "OPENMONO_HELD_BACK_PROMPT_TOKENS=%" PRIu64, t->held_prompt);
        if (r >= 0)
                r = strv_extendf(fields, "OPENMONO_HELD_BACK_COMPLETION_TOKENS=%" PRIu64, t->held_completion);
        t->journal.suppressed = t->held_prompt = t->held_completion = 0;
        return r;
}

void accounting_record(Accounting *a, const RequestRecord *rec) {
        _cleanup_strv_free_ char **fields = NULL;
        const char *result = record_result(rec);
        bool ok = streq(result, "ok");
        Tokens k = record_tokens(rec);
        UserTotals *t;
        int r;

        t = get_totals(a, rec->uid, rec->user);
        if (t)
                add_totals(t, rec, ok);
        /* A flood of requests must not flood the journal: past the user's budget a request is
         * only counted, and the next entry written carries what was held back. */
        if (t && !log_budget_take(&t->journal, now(CLOCK_MONOTONIC))) {
                t->held_prompt += k.prompt;
                t->held_completion += k.completion;
                return;
        }

        r = record_fields(rec, &fields);
        if (r >= 0 && t && t->journal.suppressed > 0)
                r = held_back_fields(t, &fields);
        /* An estimate reads "~N", so that nobody takes it for what the upstream said. */
        if (r >= 0)
                r = strv_extendf(&fields, "MESSAGE=%s%s%s: %s %s via %s, HTTP %u (%s%s%s), %s%" PRIu64 "+%s%" PRIu64
                                 " tokens%s, %" PRIu64 " ms.", strna(rec->user), rec->session ? " in session " : "",
                                 rec->session ?: "", rec->stream ? "streamed" : "asked", rec->model ?: "(default model)",
                                 rec->upstream ?: "no upstream", rec->status, result,
                                 rec->usage.upstream_error ? ": " : "", rec->usage.upstream_error ? rec->usage.error : "",
                                 k.estimated ? "~" : "", k.prompt, k.estimated ? "~" : "", k.completion,
                                 k.estimated ? " (estimated, the upstream reported none)" : "",
                                 rec->latency_usec / 1000);
        if (r < 0) {
                log_oom();
                return;
        }
        log_struct(ok ? LOG_INFO : LOG_NOTICE, 0, fields);
}

static int totals_to_json(const UserTotals *t, unsigned queued, unsigned running, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();

        if (!o)
                return -ENOMEM;
        if (json_add_uint64(o, "uid", t->uid) < 0 || json_add_string(o, "user", t->user) < 0 ||
            json_add_uint64(o, "requests", t->requests) < 0 || json_add_uint64(o, "failed", t->failed) < 0 ||
            json_add_uint64(o, "prompt_tokens", t->prompt_tokens) < 0 ||
            json_add_uint64(o, "completion_tokens", t->completion_tokens) < 0 ||
            json_add_uint64(o, "unreported_requests", t->unreported) < 0 ||
            json_add_uint64(o, "estimated_prompt_tokens", t->estimated_prompt_tokens) < 0 ||
            json_add_uint64(o, "estimated_completion_tokens", t->estimated_completion_tokens) < 0 ||
            json_add_uint64(o, "latency_usec", t->latency_usec) < 0 ||
            json_add_uint64(o, "queued", queued) < 0 || json_add_uint64(o, "running", running) < 0)
                return -ENOMEM;
        *ret = steal_ptr(o);
        return 0;
}

char *accounting_to_json(Accounting *a, Scheduler *s, uid_t uid, uint64_t since_realtime) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        json_object *users = json_object_new_array();
        unsigned queued, running;

        if (!o || json_add_take(o, "users", users) < 0 || json_add_uint64(o, "since_usec", since_realtime) < 0)
                return NULL;
        for (size_t i = 0; i < a->n_users; i++) {
                json_object *u;
                if (uid != UID_INVALID && a->users[i].uid != uid)
                        continue;
                scheduler_user_counts(s, a->users[i].uid, &queued, &running);
                if (totals_to_json(a->users + i, queued, running, &u) < 0 ||
                    json_object_array_add(users, u) < 0)
                        return NULL;
        }
        /* A user with nothing finished yet still sees their own entry. */
        if (uid != UID_INVALID && !find_totals(a, uid)) {
                UserTotals zero = { .uid = uid };
                json_object *u;
                scheduler_user_counts(s, uid, &queued, &running);
                if (totals_to_json(&zero, queued, running, &u) < 0 || json_object_array_add(users, u) < 0)
                        return NULL;
        }
        return strdup(json_to_string(o));
}
