/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bash tool: one shell command in the workspace, through spawn_run(). The result tells the
 * model the exit status, and says plainly when the command timed out, because a model that
 * only sees truncated output tends to wait for it again. */

#include <inttypes.h>

#include "parse-util.h"
#include "spawn.h"
#include "tool.h"

static const char *shell_path(void) {
        return access("/bin/bash", X_OK) == 0 ? "/bin/bash" : "/bin/sh";
}

static bool ends_in_newline(const char *s) {
        size_t n = strlen(s);

        return n > 0 && s[n - 1] == '\n';
}

static uint64_t command_timeout(const ToolContext *ctx, json_object *args) {
        uint64_t secs;

        if (tool_arg_uint64(args, "timeout", &secs) < 0 || secs == 0)
                return ctx->command_timeout_usec;
        return MIN(secs * USEC_PER_SEC, ctx->command_timeout_max_usec);
}

static int run_bash(ToolContext *ctx, json_object *args, ToolResult *ret) {
        _cleanup_(spawn_result_done) SpawnResult res = {};
        const char *command, *sep;
        char *argv[4];
        char *s;
        int r;

        if (tool_arg_string(args, "command", &command) < 0 || isempty(command))
                return tool_result_errorf(ret, "bash needs a non-empty string argument 'command'");

        argv[0] = (char *) shell_path();
        argv[1] = (char *) "-c";
        argv[2] = (char *) command;
        argv[3] = NULL;
        r = spawn_run(&(SpawnOptions) {
                        .argv = argv,
                        .cwd_fd = ctx->workspace->fd,
                        .timeout_usec = command_timeout(ctx, args),
                        .output_cap = ctx->output_cap,
                        .seccomp = ctx->seccomp,
                }, &res);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return tool_result_errorf(ret, "cannot run the command: %s", strerror(-r));

        sep = *res.output && !ends_in_newline(res.output) ? "\n" : "";
        if (res.timed_out)
                r = asprintf(&s, "%s%s[timed out after %.1fs and was killed]", res.output, sep,
                             (double) res.duration_usec / 1e6);
        else
                r = asprintf(&s, "%s%s[exit status %i]", res.output, sep, res.exit_status);
        if (r < 0)
                return -ENOMEM;
        tool_result_take(ret, s);
        ret->exit_status = res.timed_out ? 124 : res.exit_status;
        ret->cancelled = res.cancelled;
        return 0;
}

const ToolDefinition tool_bash = {
        .name = "bash",
        .description = "Run a shell command (bash -c) in the workspace and return its combined stdout and "
                       "stderr and its exit status. Commands run non-interactively with no stdin; long "
                       "output is shortened to its start and end. Use it to build, test, and inspect.",
        .parameters = "{\"type\":\"object\",\"properties\":{"
                      "\"command\":{\"type\":\"string\",\"description\":\"The command line to run.\"},"
                      "\"timeout\":{\"type\":\"integer\",\"description\":\"Seconds before the command is killed (optional).\"}"
                      "},\"required\":[\"command\"]}",
        .run = run_bash,
        .summary_arg = "command",
};
