/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* How many journal entries one user's requests may write (to the gateway or the egress proxy). Requests that a fast model (or an
 * error) answers at once cost their sender little, while each entry lands in the system journal,
 * where journald's per-unit rate limit would then drop everybody's entries and the flood would
 * rotate the audit trail away. A token bucket per user keeps that to a trickle; what it holds
 * back is counted by the caller and said in the next entry that is written. */

#include <stdbool.h>
#include <stdint.h>

/* Entries written at once after a quiet time, and one more every LOG_BUDGET_INTERVAL_USEC. */
#define LOG_BUDGET_BURST 200
#define LOG_BUDGET_INTERVAL_USEC (UINT64_C(50) * 1000)

typedef struct LogBudget {
        uint64_t credit_usec;           /* time saved up, at most BURST intervals */
        uint64_t last_usec;             /* 0: never used, starts full */
        uint64_t suppressed;            /* entries held back since the last one written */
} LogBudget;

/* Returns true if one more entry may be written at now_usec (CLOCK_MONOTONIC), false if it is to be
 * held back, which it counts in b->suppressed. */
bool log_budget_take(LogBudget *b, uint64_t now_usec);
