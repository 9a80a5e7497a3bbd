/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The agent's tools: their definitions as sent to the model, the dispatch of a model's tool
 * call to the right one, and the journal entry every call leaves. A tool never fails the
 * agent for a bad call: a missing file or a malformed argument is an error result the model
 * reads and can correct. Only running out of memory or a stop request end the step. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "chat-response.h"
#include "macro.h"
#include "workspace.h"

typedef struct ToolContext {
        Workspace *workspace;
        uint64_t command_timeout_usec;  /* default for bash; the model may ask for less or up to max */
        uint64_t command_timeout_max_usec;
        size_t output_cap;              /* bytes of a result kept for the model */
        uint64_t fetch_timeout_usec;
        size_t fetch_max_bytes;
        bool seccomp;
        const char *session;            /* $OPENMONO_SESSION, for the journal, or NULL */
} ToolContext;

typedef struct ToolResult {
        char *output;           /* what the model reads */
        int exit_status;        /* 0 for success; a command's exit status; 1 for a failed call */
        bool cancelled;
} ToolResult;

typedef int (*ToolRunFunc)(ToolContext *ctx, json_object *args, ToolResult *ret);

typedef struct ToolDefinition {
        const char *name;
        const char *description;
        const char *parameters;         /* JSON Schema, as text */
        ToolRunFunc run;
        const char *summary_arg;        /* the argument shown in one-line summaries */
} ToolDefinition;

extern const ToolDefinition tool_bash;
extern const ToolDefinition tool_read_file;
extern const ToolDefinition tool_write_file;
extern const ToolDefinition tool_edit_file;
extern const ToolDefinition tool_list_files;
extern const ToolDefinition tool_glob;
extern const ToolDefinition tool_grep;
extern const ToolDefinition tool_web_fetch;

void tool_result_done(ToolResult *r);

/* Sets a successful result (exit status 0) from a format. Returns 0 or -ENOMEM. */
int tool_result_printf(ToolResult *r, const char *format, ...) _printf_(2, 3);
/* Sets a failed result (exit status 1), "error: ..." from a format. Returns 0 or -ENOMEM. */
int tool_result_errorf(ToolResult *r, const char *format, ...) _printf_(2, 3);
/* Takes s as the output of a successful result. Returns 0. */
int tool_result_take(ToolResult *r, char *s);

/* Returns the definition of the named tool, or NULL. */
const ToolDefinition *tool_lookup(const char *name);

/* Builds the "tools" array of a request for the tools named in enabled (all if NULL).
 * Returns 0 and a new array, -ENOENT naming no known tool, or -ENOMEM. */
int tools_to_json(char *const *enabled, json_object **ret);

/* Argument access that forgives what small models do: numbers sent as strings, booleans as
 * "true". Each returns 0, -ENOENT if absent, or -EINVAL for a value of the wrong kind. */
int tool_arg_string(json_object *args, const char *key, const char **ret);
int tool_arg_uint64(json_object *args, const char *key, uint64_t *ret);
int tool_arg_bool(json_object *args, const char *key, bool *ret);

/* Runs one call: parses its arguments, runs the tool, and logs it to the journal (tool name,
 * duration, exit status and sizes, never argument values). Returns 0 with *ret filled (also
 * for calls that failed), -ECANCELED after a stop request, or -ENOMEM. */
int tool_run_call(ToolContext *ctx, const ToolCall *call, ToolResult *ret);

/* Writes a one-line description of a call ("bash: make test") into a new string, the summary
 * argument shortened to max characters. Returns 0 or -ENOMEM. */
int tool_call_summary(const ToolCall *call, size_t max, char **ret);
