/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The token bucket of log-budget.h, in microseconds of saved-up time rather than fractional
 * tokens, so that it needs neither floating point nor a timer. */

#include "log-budget.h"

#define LOG_BUDGET_FULL_USEC (LOG_BUDGET_BURST * LOG_BUDGET_INTERVAL_USEC)

bool log_budget_take(LogBudget *b, uint64_t now_usec) {
        if (b->last_usec == 0)
                b->credit_usec = LOG_BUDGET_FULL_USEC;
        else if (now_usec > b->last_usec)
                b->credit_usec += now_usec - b->last_usec;
        if (b->credit_usec > LOG_BUDGET_FULL_USEC)
                b->credit_usec = LOG_BUDGET_FULL_USEC;
        b->last_usec = now_usec ?: 1;
        if (b->credit_usec < LOG_BUDGET_INTERVAL_USEC) {
                b->suppressed++;
                return false;
        }
        b->credit_usec -= LOG_BUDGET_INTERVAL_USEC;
        return true;
}
