/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Runs one command for a tool: in its own process group (so a timeout or a stop request kills
 * everything it started), in a given directory, with stdin from /dev/null, stdout and stderr
 * into one capped buffer, and under the agent's seccomp filter. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

typedef struct SpawnOptions {
        char *const *argv;      /* argv[0] is looked up in $PATH */
        int cwd_fd;             /* the child's working directory; negative: ours */
        uint64_t timeout_usec;  /* 0 for none */
        size_t output_cap;      /* bytes of output kept (head and tail) */
        bool seccomp;
} SpawnOptions;

typedef struct SpawnResult {
        char *output;           /* the kept output, NUL-terminated */
        size_t bytes;           /* all output bytes the command wrote */
        int exit_status;        /* its exit code, or 128+N if signal N killed it */
        bool timed_out;
        bool cancelled;         /* a stop request arrived */
        uint64_t duration_usec;
} SpawnResult;

void spawn_result_done(SpawnResult *r);

/* Runs the command and waits for it. Whatever it left running in its process group is killed
 * when it exits. Returns 0 with *ret filled (also for a command that failed, timed out or was
 * cancelled), or a negative errno if it could not be started. */
int spawn_run(const SpawnOptions *o, SpawnResult *ret);
