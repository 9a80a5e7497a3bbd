/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the proxy did for one session, as it writes it to EGRESS_COUNTS_DIR/<SESSION-ID> and the
 * controller reads it for `openmonoctl session show`:
 *
 *         allowed=N
 *         denied=N
 *         bytes_sent=N
 *         bytes_received=N
 *
 * bytes_sent went from the session to the far end, bytes_received the other way. */

#include <stddef.h>
#include <stdint.h>

#include "macro.h"

/* The proxy's RuntimeDirectory=; $RUNTIME_DIRECTORY wins when systemd sets it. */
#define EGRESS_COUNTS_DIR "/run/openmono-egress"
/* The longest text egress_counts_format() writes, with its NUL. */
#define EGRESS_COUNTS_TEXT_MAX (4U * (sizeof("bytes_received=") + 20U + 1U) + 1U)

typedef struct EgressCounts {
        uint64_t allowed;               /* requests relayed */
        uint64_t denied;                /* requests refused by the policy */
        uint64_t bytes_sent;
        uint64_t bytes_received;
} EgressCounts;

/* Writes the file's text to buf (size at least EGRESS_COUNTS_TEXT_MAX). Returns its length. */
size_t egress_counts_format(const EgressCounts *c, char *buf, size_t size);

/* Parses the file's text (n bytes, need not be NUL-terminated). Unknown keys are skipped; a
 * known key with a value that is not a number fails the whole text. Returns 0 and sets *ret, or
 * -EBADMSG. */
int egress_counts_parse(const char *buf, size_t n, EgressCounts *ret);
