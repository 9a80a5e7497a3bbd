/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the person or program watching the agent sees on stdout: a live stream for humans (the
 * assistant's text as it arrives, a one-line summary per tool call, results trimmed to a few
 * lines) or, with --json, one JSON event per line. Diagnostics go to stderr through log.h. */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "chat-response.h"
#include "tool.h"

typedef enum OutputMode {
        OUTPUT_HUMAN,
        OUTPUT_JSON,
        _OUTPUT_MODE_MAX,
        _OUTPUT_MODE_INVALID = -EINVAL,
} OutputMode;

typedef struct Output {
        OutputMode mode;
        FILE *f;
        bool streamed;          /* text of the current turn was already printed as it came */
        bool at_line_start;
        bool show_reasoning;    /* interactive: the model's thinking is shown, dimmed */
        bool in_reasoning;      /* reasoning text is being printed */
} Output;

void output_init(Output *o, OutputMode mode, FILE *f);

void output_start(Output *o, const char *transcript_id, const char *transcript_path, const char *model);
/* A piece of streamed assistant text (human mode prints it at once). */
void output_text(Output *o, const char *text, size_t n);
/* A piece of streamed reasoning: shown in human mode when show_reasoning is set, else dropped. */
void output_reasoning(Output *o, const char *text, size_t n);
/* The assistant's whole turn, once it is complete. */
void output_assistant(Output *o, const ChatResponse *r, bool text_calls);
void output_tool_call(Output *o, const ToolCall *c);
void output_tool_result(Output *o, const ToolCall *c, const ToolResult *r, uint64_t usec);
/* Something worth knowing that is not an error: a retry, a shrunk context. */
void output_notice(Output *o, const char *kind, const char *format, ...) _printf_(3, 4);
/* The final status line. */
void output_status(Output *o, const char *status, int exit_code, const char *message, unsigned steps,
                   uint64_t tokens, uint64_t usec);
