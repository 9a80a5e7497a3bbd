/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The agent loop: ask the model, run the tools it calls, feed the results back, until it
 * answers without a tool call or a budget (steps, tokens, time) runs out. The Agent owns the
 * conversation, the model client, the tool context and the transcript. */

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "llm-client.h"
#include "output.h"
#include "tool.h"
#include "transcript.h"

/* Exit statuses of openmono-agent, documented in openmono-agent(1). */
typedef enum AgentExit {
        AGENT_EXIT_DONE = 0,            /* the model finished the task */
        AGENT_EXIT_ERROR = 1,           /* anything else: I/O, memory, the transcript */
        AGENT_EXIT_USAGE = 2,           /* bad command line */
        AGENT_EXIT_INTERRUPTED = 3,     /* SIGINT or SIGTERM */
        AGENT_EXIT_MODEL_ERROR = 4,     /* the model answered, but not usably (invalid JSON, cut short, HTTP 4xx) */
        AGENT_EXIT_BUDGET = 5,          /* --max-steps, --max-tokens or --timeout ran out */
        AGENT_EXIT_UNREACHABLE = 6,     /* the model could not be reached (refused, 502/503/504, 429, timeouts) */
        AGENT_EXIT_SERVER_ERROR = 7,    /* the model server answered, but kept failing (HTTP 500) */
        AGENT_EXIT_TRANSCRIPT = 8,      /* the task finished, but its transcript could not be saved */
        _AGENT_EXIT_MAX,
        _AGENT_EXIT_INVALID = -EINVAL,
} AgentExit;

const char *agent_exit_to_string(AgentExit e);
AgentExit agent_exit_from_string(const char *s);

typedef struct AgentLimits {
        unsigned max_steps;             /* model requests; 0 for no limit */
        uint64_t max_tokens;            /* prompt plus completion tokens of all requests; 0 for no limit */
        uint64_t timeout_usec;          /* wall time of the whole run; 0 for no limit */
        uint64_t context_tokens;        /* the model's context window */
} AgentLimits;

typedef struct Agent {
        LlmClient *llm;                 /* owned */
        Transcript *transcript;         /* owned, may be NULL */
        ToolContext tools;              /* its workspace is owned */
        json_object *tools_json;
        json_object *messages;
        size_t n_keep;                  /* leading messages context shrinking never touches */
        Output *output;                 /* borrowed */
        AgentLimits limits;
        const char *model;

        unsigned steps;
        uint64_t tokens;
        uint64_t start_usec;
        char *error;                    /* why the last run ended, if not done */
        bool transcript_reported;       /* its write error was logged */
        int transcript_error;           /* why there is no transcript, if it could not be created */
} Agent;

/* Creates an agent around the given parts, taking ownership of llm, transcript and the tool
 * context's workspace. messages is a conversation to continue (taken) or NULL to start one from
 * system_prompt. Returns 0 or -ENOMEM. */
int agent_new(LlmClient *llm, Transcript *transcript, const ToolContext *tools, json_object *tools_json,
              json_object *messages, const char *system_prompt, Output *output, const AgentLimits *limits,
              Agent **ret);
Agent *agent_free(Agent *a);
DEFINE_PTR_CLEANUP(Agent *, agent_free);

/* Adds task as a user message (if not NULL) and runs steps until the model is done or a limit
 * ends the run. Writes the final status line. Returns the exit status. */
AgentExit agent_run(Agent *a, const char *task);

/* Returns true if the conversation ends in a message the model has not answered yet. */
bool agent_has_pending_turn(const Agent *a);
