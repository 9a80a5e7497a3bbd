/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A bounded collector for a command's output: it keeps the first and the last bytes and counts
 * what falls between, because a build's first error and its final summary are what matter, and
 * a runaway command must not fill the agent's memory or the model's context. */

#include <stddef.h>

#include "macro.h"

typedef struct OutputCap {
        char *head;
        size_t head_max, n_head;
        char *tail;             /* a ring buffer of the last tail_max bytes past the head */
        size_t tail_max, tail_pos;
        size_t total;           /* every byte ever added */
} OutputCap;

/* Sets up a collector keeping at most cap bytes: about two thirds from the start, the rest
 * from the end. Returns 0 or -ENOMEM. */
int output_cap_init(OutputCap *c, size_t cap);
void output_cap_done(OutputCap *c);

/* Adds n bytes. Never fails: what does not fit is counted and dropped. */
void output_cap_add(OutputCap *c, const char *buf, size_t n);

/* Returns the bytes dropped so far. */
size_t output_cap_dropped(const OutputCap *c);

/* Builds the kept text: the head, a line saying how many bytes were left out (if any), and the
 * tail. Returns 0 and a new NUL-terminated string in *ret, or -ENOMEM. */
int output_cap_finish(const OutputCap *c, char **ret);

/* Shortens a string to at most max bytes the same way, in a new string. Returns 0 or -ENOMEM. */
int output_cap_string(const char *s, size_t max, char **ret);
