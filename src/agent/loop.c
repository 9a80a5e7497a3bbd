/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One step is one model request followed by the tools it asked for. Every message is written
 * to the transcript as it joins the conversation, so an interrupted or failed run can be
 * resumed, and the transcript always holds the whole, unshrunk conversation. */

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <systemd/sd-journal.h>

#include "context.h"
#include "interrupt.h"
#include "json-util.h"
#include "loop.h"
#include "string-util.h"
#include "toolcall-text.h"

/* Tokens kept free for the model's answer when fitting the context. */
#define RESPONSE_RESERVE_MAX 4096U

static const char *const agent_exit_table[_AGENT_EXIT_MAX] = {
        [AGENT_EXIT_DONE] = "done",
        [AGENT_EXIT_ERROR] = "error",
        [AGENT_EXIT_USAGE] = "usage",
        [AGENT_EXIT_INTERRUPTED] = "interrupted",
        [AGENT_EXIT_MODEL_ERROR] = "model-error",
        [AGENT_EXIT_BUDGET] = "budget-exhausted",
        [AGENT_EXIT_UNREACHABLE] = "model-unreachable",
        [AGENT_EXIT_SERVER_ERROR] = "model-server-error",
        [AGENT_EXIT_TRANSCRIPT] = "transcript-error",
};

const char *agent_exit_to_string(AgentExit e) {
        return e >= 0 && e < _AGENT_EXIT_MAX ? agent_exit_table[e] : NULL;
}

AgentExit agent_exit_from_string(const char *s) {
        for (int i = 0; s && i < _AGENT_EXIT_MAX; i++)
                if (streq(agent_exit_table[i], s))
                        return i;
        return _AGENT_EXIT_INVALID;
}

static json_object *message_new(const char *role, const char *content) {
        json_object *m = json_object_new_object();

        if (m && (json_add_string(m, "role", role) < 0 || json_add_string(m, "content", content) < 0))
                m = (json_object_put(m), NULL);
        return m;
}

/* A transcript that cannot be written (a full /storage) must not end the work the model is
 * doing, but nobody may take the run for recorded either: the first error is said on stderr and
 * in the journal, whichever stderr is, and the run's exit status says it (transcript_error()). */
static void transcript_failed(Agent *a, int r) {
        if (r >= 0 || r == -ENOMEM || a->transcript_reported)
                return;
        a->transcript_reported = true;
        fprintf(stderr, "openmono-agent: cannot write the transcript %s: %s; the run goes on unrecorded.\n",
                a->transcript->path, strerror(-r));
        (void) sd_journal_send("MESSAGE=Cannot write the transcript %s: %s.", a->transcript->path, strerror(-r),
                               "PRIORITY=%i", LOG_ERR,
                               "ERRNO=%i", -r,
                               "SYSLOG_IDENTIFIER=openmono-agent",
                               "OPENMONO_TRANSCRIPT=%s", a->transcript->path,
                               "OPENMONO_SESSION=%s", strna(a->tools.session),
                               NULL);
}

/* Appends a message to the conversation and the transcript, taking it. */
static int agent_append(Agent *a, json_object *m) {
        int r;

        if (!m)
                return -ENOMEM;
        if (json_object_array_add(a->messages, m) < 0) {
                json_object_put(m);
                return -ENOMEM;
        }
        r = transcript_write_message(a->transcript, m);
        transcript_failed(a, r);
        return r == -ENOMEM ? r : 0;    /* a full disk must not stop the work; the status says so */
}

int agent_new(LlmClient *llm, Transcript *transcript, const ToolContext *tools, json_object *tools_json,
              json_object *messages, const char *system_prompt, Output *output, const AgentLimits *limits,
              Agent **ret) {
        _cleanup_(agent_freep) Agent *a = NULL;

        a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        *a = (Agent) {
                .llm = llm, .transcript = transcript, .tools = *tools, .tools_json = tools_json,
                .messages = messages, .output = output, .limits = *limits, .n_keep = 2,
                .start_usec = now(CLOCK_MONOTONIC),
        };
        if (!a->messages) {
                a->messages = json_object_new_array();
                if (!a->messages || agent_append(a, message_new("system", system_prompt)) < 0)
                        return -ENOMEM;
        }
        *ret = steal_ptr(a);
        return 0;
}

Agent *agent_free(Agent *a) {
        if (!a)
                return NULL;
        llm_client_free(a->llm);
        transcript_free(a->transcript);
        workspace_free(a->tools.workspace);
        json_object_put(a->tools_json);
        json_object_put(a->messages);
        free(a->error);
        return mfree(a);
}

bool agent_has_pending_turn(const Agent *a) {
        size_t n = json_object_array_length(a->messages);
        const char *role;

        return n > 1 && json_get_string(json_object_array_get_idx(a->messages, n - 1), "role", &role) == 0 &&
               !streq(role, "assistant") && !streq(role, "system");
}

static uint64_t deadline(const Agent *a) {
        return a->limits.timeout_usec > 0 ? a->start_usec + a->limits.timeout_usec : 0;
}

/* Returns AGENT_EXIT_BUDGET with a message if a limit is reached, else AGENT_EXIT_DONE. */
static AgentExit check_budget(Agent *a) {
        if (a->limits.max_steps > 0 && a->steps >= a->limits.max_steps)
                return free_and_asprintf(&a->error, "step budget of %u exhausted", a->limits.max_steps), AGENT_EXIT_BUDGET;
        if (a->limits.max_tokens > 0 && a->tokens >= a->limits.max_tokens)
                return free_and_asprintf(&a->error, "token budget of %" PRIu64 " exhausted (%" PRIu64 " used)",
                                 a->limits.max_tokens, a->tokens), AGENT_EXIT_BUDGET;
        if (deadline(a) > 0 && now(CLOCK_MONOTONIC) >= deadline(a))
                return free_and_asprintf(&a->error, "time budget of %.0fs exhausted", (double) a->limits.timeout_usec / 1e6),
                       AGENT_EXIT_BUDGET;
        return AGENT_EXIT_DONE;
}

static void on_text(const char *text, size_t n, bool reasoning, void *userdata) {
        Agent *a = userdata;

        if (reasoning)
                output_reasoning(a->output, text, n);
        else
                output_text(a->output, text, n);
}

static void on_retry(int error, const char *message, unsigned attempt, uint64_t delay_usec, void *userdata) {
        Agent *a = userdata;

        output_notice(a->output, "retry", "%s; retrying in %.1fs (retry %u)", strna(message),
                      (double) delay_usec / 1e6, attempt);
}

/* Shrinks the conversation to the context window before a request. */
static int fit_context(Agent *a) {
        ContextFitStats stats;
        size_t budget, reserve, tools;
        int r;

        if (a->limits.context_tokens == 0)
                return 0;
        reserve = MIN(a->limits.context_tokens / 4, (uint64_t) RESPONSE_RESERVE_MAX);
        tools = context_json_tokens(a->tools_json);
        budget = a->limits.context_tokens > reserve + tools ? a->limits.context_tokens - reserve - tools : 1;
        if (context_estimate_tokens(a->messages) <= budget)
                return 0;
        r = context_fit(a->messages, budget, a->n_keep, &stats);
        if (r < 0)
                return r;
        output_notice(a->output, "context", "context shrunk from ~%zu to ~%zu tokens (%zu outputs shortened, %zu "
                      "messages dropped)%s", stats.tokens_before, stats.tokens_after, stats.n_shrunk, stats.n_dropped,
                      r == 0 ? "; it still does not fit" : "");
        return 0;
}

static void count_usage(Agent *a, const ChatResponse *resp, uint64_t prompt_estimate) {
        if (resp->usage.reported)
                a->tokens += resp->usage.prompt_tokens + resp->usage.completion_tokens;
        else
                a->tokens += prompt_estimate + (resp->n_content + 3) / 4;
}

/* Maps a model client error to an exit status. */
static AgentExit model_failure(Agent *a, int r) {
        const char *msg = llm_client_error(a->llm);

        free_and_asprintf(&a->error, "%s", msg ?: strerror(-r));
        if (r == -ECANCELED)
                return AGENT_EXIT_INTERRUPTED;
        if (r == -ETIMEDOUT && deadline(a) > 0 && now(CLOCK_MONOTONIC) >= deadline(a))
                return free_and_asprintf(&a->error, "time budget of %.0fs exhausted while waiting for the model",
                                 (double) a->limits.timeout_usec / 1e6), AGENT_EXIT_BUDGET;
        if (r == -ENOMEM)
                return AGENT_EXIT_ERROR;
        if (r == -EREMOTEIO)
                return AGENT_EXIT_SERVER_ERROR;
        return llm_error_is_unreachable(r) ? AGENT_EXIT_UNREACHABLE : AGENT_EXIT_MODEL_ERROR;
}

/* Builds the <tool_response> message that answers calls the model wrote as text. */
static int append_text_response(char **buf, const ToolCall *c, const ToolResult *res) {
        char *s;

        if (asprintf(&s, "%s<tool_response name=\"%s\">\n%s\n</tool_response>\n", *buf ?: "", strna(c->name),
                     res->output) < 0)
                return -ENOMEM;
        free_and_replace(*buf, s);
        return 0;
}

static json_object *tool_message(const ToolCall *c, const ToolResult *res) {
        json_object *m = message_new("tool", res->output);

        if (m && json_add_string(m, "tool_call_id", strna(c->id)) < 0)
                m = (json_object_put(m), NULL);
        return m;
}

/* A call whose arguments were cut off (the answer hit its token limit) is never run: its
 * command or file content would be cut short too. The model hears why, the user sees it. */
static int refuse_cut_call(Agent *a, const ToolCall *c, ToolResult *res) {
        output_notice(a->output, "cut-off", "the model's call of %s was cut off at the response token limit and was "
                      "not run; the model is told (a larger --max-response-tokens may help)", strna(c->name));
        return tool_result_errorf(res, "not run: this call of %s was cut off because the answer reached its token "
                                  "limit, so its arguments are incomplete. Make the call again, with smaller "
                                  "arguments (e.g. write a large file in several steps).", strna(c->name));
}

/* Runs the calls of one turn and appends their results. at_limit: the answer ended at its
 * token limit, so calls whose arguments do not parse were cut off. cut_last: the last call is
 * incomplete even if its arguments parse (a text-form call without its closing tag). */
static AgentExit run_calls(Agent *a, const ToolCall *calls, size_t n, bool text_calls, bool at_limit, bool cut_last) {
        _cleanup_free_ char *text_results = NULL;
        bool cancelled = false;
        int r = 0;

        for (size_t i = 0; i < n && r >= 0; i++) {
                _cleanup_(tool_result_done) ToolResult res = {};
                uint64_t start = now(CLOCK_MONOTONIC);

                output_tool_call(a->output, calls + i);
                if (cancelled || interrupt_requested())
                        r = tool_result_errorf(&res, "not run: the agent was stopped");
                else if ((at_limit && !tool_call_arguments_valid(calls + i)) || (cut_last && i == n - 1))
                        r = refuse_cut_call(a, calls + i, &res);
                else
                        r = tool_run_call(&a->tools, calls + i, &res);
                if (r == -ECANCELED) {
                        cancelled = true;
                        r = 0;
                }
                if (r < 0)
                        break;
                output_tool_result(a->output, calls + i, &res, now(CLOCK_MONOTONIC) - start);
                /* Every call gets an answer, or the server refuses the next request. */
                r = text_calls ? append_text_response(&text_results, calls + i, &res)
                               : agent_append(a, tool_message(calls + i, &res));
        }
        if (r >= 0 && text_calls)
                r = agent_append(a, message_new("user", text_results));
        if (r < 0)
                return free_and_asprintf(&a->error, "running tools: %s", strerror(-r)), AGENT_EXIT_ERROR;
        if (cancelled || interrupt_requested())
                return free_and_asprintf(&a->error, "stopped by signal"), AGENT_EXIT_INTERRUPTED;
        return AGENT_EXIT_DONE;
}

static void write_usage(Agent *a, const ChatResponse *resp) {
        _cleanup_(json_object_putp) json_object *f = json_object_new_object();

        if (!f || json_add_uint64(f, "step", a->steps) < 0 ||
            json_add_uint64(f, "prompt_tokens", resp->usage.prompt_tokens) < 0 ||
            json_add_uint64(f, "completion_tokens", resp->usage.completion_tokens) < 0 ||
            json_add_bool(f, "reported", resp->usage.reported) < 0)
                return;
        transcript_failed(a, transcript_write(a->transcript, "usage", f));
}

/* A text-form call is tolerated without its closing tag at the end of the text, but not when
 * the text ended because it reached the token limit: then the call may be cut anywhere. */
static bool text_call_cut(const ChatResponse *resp) {
        static const char *const ends[] = { "</tool_call>", "</function>" };
        size_t n = resp->n_content;

        if (!streq_ptr(resp->finish_reason, "length"))
                return false;
        while (n > 0 && strchr(" \t\r\n", resp->content[n - 1]))
                n--;
        for (size_t i = 0; i < ELEMENTSOF(ends); i++)
                if (n >= strlen(ends[i]) && memcmp(resp->content + n - strlen(ends[i]), ends[i], strlen(ends[i])) == 0)
                        return false;
        return true;
}

/* One model request and the calls it asks for. Sets *ret_finished when it asked for none. */
static AgentExit step(Agent *a, bool *ret_finished) {
        _cleanup_(chat_response_done) ChatResponse resp = {};
        ToolCall *text_calls = NULL;
        size_t n_text = 0;
        json_object *m = NULL;
        uint64_t estimate;
        bool at_limit;
        AgentExit e;
        int r;

        r = fit_context(a);
        if (r < 0)
                return free_and_asprintf(&a->error, "out of memory"), AGENT_EXIT_ERROR;
        estimate = context_estimate_tokens(a->messages) + context_json_tokens(a->tools_json);
        r = llm_client_complete(a->llm, a->messages, a->tools_json, deadline(a),
                                &(LlmCallbacks) { .on_text = on_text, .on_retry = on_retry, .userdata = a }, &resp);
        if (r < 0)
                return model_failure(a, r);
        a->steps++;
        count_usage(a, &resp, estimate);
        write_usage(a, &resp);

        /* Small models that print their calls as text get them parsed here. */
        if (resp.n_calls == 0 && resp.content && toolcall_text_parse(resp.content, &text_calls, &n_text, NULL) < 0)
                return free_and_asprintf(&a->error, "out of memory"), AGENT_EXIT_ERROR;
        r = chat_response_to_message(&resp, resp.n_calls > 0, &m);
        if (r >= 0)
                r = agent_append(a, m);
        output_assistant(a->output, &resp, n_text > 0);
        if (r < 0) {
                tool_calls_free(text_calls, n_text);
                return free_and_asprintf(&a->error, "out of memory"), AGENT_EXIT_ERROR;
        }

        *ret_finished = resp.n_calls == 0 && n_text == 0;
        if (*ret_finished)
                return AGENT_EXIT_DONE;
        at_limit = streq_ptr(resp.finish_reason, "length");
        e = n_text > 0 ? run_calls(a, text_calls, n_text, true, at_limit, text_call_cut(&resp))
                       : run_calls(a, resp.calls, resp.n_calls, false, at_limit, false);
        tool_calls_free(text_calls, n_text);
        return e;
}

/* Writes the status line, then says how the run ended. A run that finished but whose transcript
 * lost lines ends with AGENT_EXIT_TRANSCRIPT; any other failure says more and is kept. Returns
 * the exit status. */
static AgentExit finish(Agent *a, AgentExit e) {
        _cleanup_(json_object_putp) json_object *f = json_object_new_object();
        uint64_t usec = now(CLOCK_MONOTONIC) - a->start_usec;
        const char *status = agent_exit_to_string(e);

        if (f && json_add_string(f, "status", status) >= 0 && json_add_int64(f, "exit_status", e) >= 0 &&
            (e == AGENT_EXIT_DONE || !a->error || json_add_string(f, "message", a->error) >= 0) &&
            json_add_uint64(f, "steps", a->steps) >= 0 && json_add_uint64(f, "tokens", a->tokens) >= 0 &&
            json_add_uint64(f, "duration_usec", usec) >= 0)
                transcript_failed(a, transcript_write(a->transcript, "status", f));
        if (e == AGENT_EXIT_DONE && a->transcript && a->transcript->error < 0) {
                e = AGENT_EXIT_TRANSCRIPT;
                free_and_asprintf(&a->error, "the transcript %s could not be written: %s", a->transcript->path,
                                  strerror(-a->transcript->error));
        } else if (e == AGENT_EXIT_DONE && !a->transcript && a->transcript_error < 0) {
                e = AGENT_EXIT_TRANSCRIPT;
                free_and_asprintf(&a->error, "no transcript could be created: %s", strerror(-a->transcript_error));
        }
        status = agent_exit_to_string(e);
        output_status(a->output, status, e, e == AGENT_EXIT_DONE ? NULL : a->error, a->steps, a->tokens, usec);
        return e;
}

AgentExit agent_run(Agent *a, const char *task) {
        AgentExit e = AGENT_EXIT_DONE;
        bool finished = false;

        assert(a);

        /* Budgets count per task; in interactive mode each line is a task. */
        a->steps = 0;
        a->start_usec = now(CLOCK_MONOTONIC);
        a->error = mfree(a->error);
        if (task && agent_append(a, message_new("user", task)) < 0) {
                free_and_asprintf(&a->error, "out of memory");
                e = AGENT_EXIT_ERROR;
        }
        while (e == AGENT_EXIT_DONE && !finished) {
                if (interrupt_requested()) {
                        free_and_asprintf(&a->error, "stopped by signal");
                        e = AGENT_EXIT_INTERRUPTED;
                        break;
                }
                e = check_budget(a);
                if (e == AGENT_EXIT_DONE)
                        e = step(a, &finished);
        }
        return finish(a, e);
}
