/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* openmono-agent: options, the parts of an Agent, and the choice between one autonomous task,
 * a resumed run and an interactive session. Everything else lives in the agent library. */

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <curl/curl.h>
#include <systemd/sd-journal.h>

#include "file-util.h"
#include "fs-util.h"
#include "interrupt.h"
#include "log.h"
#include "loop.h"
#include "parse-util.h"
#include "prompt.h"
#include "session-policy.h"
#include "strv.h"

#define DEFAULT_SOCKET_BASE_URL "http://localhost/v1"
#define TASK_MAX (1024U * 1024U)

static char *arg_workspace = NULL;
static char *arg_endpoint = NULL;
static char *arg_socket = NULL;
static char *arg_model = NULL;
static char *arg_api_key_file = NULL;
static char *arg_task = NULL;
static char *arg_task_file = NULL;
static char *arg_system_prompt = NULL;
static char *arg_state_dir = NULL;
static char *arg_resume = NULL;
static char **arg_tools = NULL;
static unsigned arg_max_steps = 100;
static uint64_t arg_max_tokens = 0;
static uint64_t arg_timeout_usec = 0;
static uint64_t arg_context_tokens = 32768;
static uint64_t arg_max_response_tokens = 0;
static uint64_t arg_command_timeout_usec = 120 * USEC_PER_SEC;
static uint64_t arg_output_cap = 30000;
static uint64_t arg_connect_timeout_usec = 10 * USEC_PER_SEC;
static uint64_t arg_idle_timeout_usec = 300 * USEC_PER_SEC;
static unsigned arg_retries = 3;
static uint64_t arg_retry_delay_usec = USEC_PER_SEC;
static bool arg_stream = true;
static bool arg_json = false;
static bool arg_seccomp = true;
static bool arg_transcript = true;

static void free_args(void) {
        free(arg_workspace);
        free(arg_endpoint);
        free(arg_socket);
        free(arg_model);
        free(arg_api_key_file);
        free(arg_task);
        free(arg_task_file);
        free(arg_system_prompt);
        free(arg_state_dir);
        free(arg_resume);
        strv_free(arg_tools);
}

static void help(void) {
        printf("%s [OPTIONS...]\n\n"
               "The OpenMono coding agent: works on the files in a workspace with a model behind an\n"
               "OpenAI-compatible chat-completions endpoint.\n\n"
               "  -h --help                 Show this help\n"
               "     --version              Show the version\n"
               "  -t --task=TEXT            Work on TEXT autonomously, then exit\n"
               "     --task-credential=NAME The same, with the task in the service credential NAME\n"
               "  -w --workspace=DIR        Directory to work in (default: the current one)\n"
               "     --endpoint=URL         OpenAI base URL, e.g. http://127.0.0.1:8080/v1\n"
               "     --socket=PATH          Reach the model over this Unix socket\n"
               "                            (default: " SESSION_INFERENCE_SOCKET_DEFAULT ")\n"
               "  -m --model=NAME           Model name sent with each request\n"
               "                            (default: the first the server lists)\n"
               "     --api-key-file=FILE    Send the key in FILE as a bearer token\n"
               "     --system-prompt=FILE   Replace the built-in system prompt\n"
               "     --system-prompt-credential=NAME\n"
               "                            The same, from the service credential NAME\n"
               "     --max-steps=N          Model requests per task (default: 100, 0: no limit)\n"
               "     --max-tokens=N         Tokens per run, prompts included (default: no limit)\n"
               "     --timeout=SEC          Wall time per task (default: no limit)\n"
               "     --context-tokens=N     The model's context window (default: 32768)\n"
               "     --max-response-tokens=N  max_tokens of each request (default: the server's)\n"
               "     --command-timeout=SEC  Default time limit of a bash command (default: 120s)\n"
               "     --output-cap=BYTES     Bytes of a tool result kept for the model (default: 30000)\n"
               "     --connect-timeout=SEC  (default: 10s)\n"
               "     --idle-timeout=SEC     Give up on a silent model after SEC (default: 300s)\n"
               "     --retries=N            Retries of a failed model request (default: 3)\n"
               "     --retry-delay=SEC      First back-off between retries (default: 1s)\n"
               "     --no-stream            Ask for whole responses instead of a stream\n"
               "     --tools=LIST           Offer only these tools (comma-separated)\n"
               "     --json                 Print one JSON event per line\n"
               "     --state-dir=DIR        Where transcripts go, unless $STATE_DIRECTORY is set\n"
               "     --resume=FILE|ID       Continue a saved transcript\n"
               "     --no-transcript        Do not save a transcript\n"
               "     --no-seccomp           Run commands without the agent's seccomp filter\n"
               "\nSee the openmono-agent(1) man page for details and exit statuses.\n",
               program_invocation_short_name);
}

enum {
        ARG_VERSION = 0x100,
        ARG_ENDPOINT, ARG_SOCKET, ARG_API_KEY_FILE, ARG_SYSTEM_PROMPT, ARG_MAX_STEPS, ARG_MAX_TOKENS,
        ARG_TIMEOUT, ARG_CONTEXT_TOKENS, ARG_MAX_RESPONSE_TOKENS, ARG_COMMAND_TIMEOUT, ARG_OUTPUT_CAP,
        ARG_CONNECT_TIMEOUT, ARG_IDLE_TIMEOUT, ARG_RETRIES, ARG_RETRY_DELAY, ARG_NO_STREAM, ARG_TOOLS,
        ARG_JSON, ARG_STATE_DIR, ARG_RESUME, ARG_NO_TRANSCRIPT, ARG_NO_SECCOMP,
        ARG_SYSTEM_PROMPT_CREDENTIAL, ARG_TASK_CREDENTIAL,
};

static const struct option options[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, ARG_VERSION },
        { "task", required_argument, NULL, 't' },
        { "task-credential", required_argument, NULL, ARG_TASK_CREDENTIAL },
        { "workspace", required_argument, NULL, 'w' },
        { "endpoint", required_argument, NULL, ARG_ENDPOINT },
        { "socket", required_argument, NULL, ARG_SOCKET },
        { "model", required_argument, NULL, 'm' },
        { "api-key-file", required_argument, NULL, ARG_API_KEY_FILE },
        { "system-prompt", required_argument, NULL, ARG_SYSTEM_PROMPT },
        { "system-prompt-credential", required_argument, NULL, ARG_SYSTEM_PROMPT_CREDENTIAL },
        { "max-steps", required_argument, NULL, ARG_MAX_STEPS },
        { "max-tokens", required_argument, NULL, ARG_MAX_TOKENS },
        { "timeout", required_argument, NULL, ARG_TIMEOUT },
        { "context-tokens", required_argument, NULL, ARG_CONTEXT_TOKENS },
        { "max-response-tokens", required_argument, NULL, ARG_MAX_RESPONSE_TOKENS },
        { "command-timeout", required_argument, NULL, ARG_COMMAND_TIMEOUT },
        { "output-cap", required_argument, NULL, ARG_OUTPUT_CAP },
        { "connect-timeout", required_argument, NULL, ARG_CONNECT_TIMEOUT },
        { "idle-timeout", required_argument, NULL, ARG_IDLE_TIMEOUT },
        { "retries", required_argument, NULL, ARG_RETRIES },
        { "retry-delay", required_argument, NULL, ARG_RETRY_DELAY },
        { "no-stream", no_argument, NULL, ARG_NO_STREAM },
        { "tools", required_argument, NULL, ARG_TOOLS },
        { "json", no_argument, NULL, ARG_JSON },
        { "state-dir", required_argument, NULL, ARG_STATE_DIR },
        { "resume", required_argument, NULL, ARG_RESUME },
        { "no-transcript", no_argument, NULL, ARG_NO_TRANSCRIPT },
        { "no-seccomp", no_argument, NULL, ARG_NO_SECCOMP },
        {}
};

/* The controller passes a template's instructions and the task as credentials: every local user
 * can read a unit's command line, and systemd does not expand %d in the argv of a transient unit,
 * so the agent finds the file in $CREDENTIALS_DIRECTORY itself. */
static int set_credential_path(char **s, const char *option, const char *name) {
        char *t;
        int r;

        r = credential_path(name, &t);
        if (r == -EINVAL)
                return log_error_errno(r, "Invalid credential name for --%s: %s", option, name);
        if (r == -ENXIO)
                return log_error_errno(r, "--%s needs $CREDENTIALS_DIRECTORY, which is not set.", option);
        if (r < 0)
                return log_oom();
        free_and_replace(*s, t);
        return 0;
}

static int set_string(char **s, const char *v) {
        char *t = strdup(v);

        if (!t)
                return log_oom();
        free_and_replace(*s, t);
        return 0;
}

/* Parses a time span option; 0 and "infinity" mean no limit where allowed. */
static int parse_time_arg(const char *name, const char *v, uint64_t *ret) {
        uint64_t u;

        if (parse_timespan(v, &u) < 0)
                return log_error_errno(EINVAL, "Invalid time span for --%s: %s", name, v);
        *ret = u == USEC_INFINITY ? 0 : u;
        return 0;
}

static int parse_number_arg(const char *name, const char *v, uint64_t *ret) {
        if (parse_uint64(v, ret) < 0)
                return log_error_errno(EINVAL, "Invalid number for --%s: %s", name, v);
        return 0;
}

static int parse_option(int c, const char *v) {
        uint64_t u;
        int r;

        switch (c) {
        case 't': return set_string(&arg_task, v);
        case 'w': return set_string(&arg_workspace, v);
        case 'm': return set_string(&arg_model, v);
        case ARG_ENDPOINT: return set_string(&arg_endpoint, v);
        case ARG_SOCKET: return set_string(&arg_socket, v);
        case ARG_API_KEY_FILE: return set_string(&arg_api_key_file, v);
        case ARG_SYSTEM_PROMPT: return set_string(&arg_system_prompt, v);
        case ARG_SYSTEM_PROMPT_CREDENTIAL:
                return set_credential_path(&arg_system_prompt, "system-prompt-credential", v);
        case ARG_TASK_CREDENTIAL: return set_credential_path(&arg_task_file, "task-credential", v);
        case ARG_STATE_DIR: return set_string(&arg_state_dir, v);
        case ARG_RESUME: return set_string(&arg_resume, v);
        case ARG_MAX_TOKENS: return parse_number_arg("max-tokens", v, &arg_max_tokens);
        case ARG_CONTEXT_TOKENS: return parse_number_arg("context-tokens", v, &arg_context_tokens);
        case ARG_MAX_RESPONSE_TOKENS: return parse_number_arg("max-response-tokens", v, &arg_max_response_tokens);
        case ARG_TIMEOUT: return parse_time_arg("timeout", v, &arg_timeout_usec);
        case ARG_COMMAND_TIMEOUT: return parse_time_arg("command-timeout", v, &arg_command_timeout_usec);
        case ARG_CONNECT_TIMEOUT: return parse_time_arg("connect-timeout", v, &arg_connect_timeout_usec);
        case ARG_IDLE_TIMEOUT: return parse_time_arg("idle-timeout", v, &arg_idle_timeout_usec);
        case ARG_RETRY_DELAY: return parse_time_arg("retry-delay", v, &arg_retry_delay_usec);
        case ARG_NO_STREAM: arg_stream = false; return 0;
        case ARG_JSON: arg_json = true; return 0;
        case ARG_NO_TRANSCRIPT: arg_transcript = false; return 0;
        case ARG_NO_SECCOMP: arg_seccomp = false; return 0;
        case ARG_MAX_STEPS:
        case ARG_RETRIES:
                r = parse_number_arg(c == ARG_MAX_STEPS ? "max-steps" : "retries", v, &u);
                if (r >= 0 && u > 100000)
                        r = log_error_errno(ERANGE, "Value too large: %s", v);
                if (r >= 0)
                        *(c == ARG_MAX_STEPS ? &arg_max_steps : &arg_retries) = (unsigned) u;
                return r;
        case ARG_OUTPUT_CAP:
                if (parse_size(v, &u) < 0 || u < 256 || u > 16U * 1024U * 1024U)
                        return log_error_errno(EINVAL, "Invalid --output-cap (256 bytes to 16M): %s", v);
                arg_output_cap = u;
                return 0;
        case ARG_TOOLS:
                arg_tools = strv_free(arg_tools);
                if (strv_split(v, ",", &arg_tools) < 0)
                        return log_oom();
                STRV_FOREACH(t, arg_tools)
                        if (!tool_lookup(*t))
                                return log_error_errno(EINVAL, "Unknown tool in --tools: %s", *t);
                return 0;
        default:
                return -EINVAL;
        }
}

/* Returns 1 to go on, 0 to exit successfully (--help), or a negative errno. */
static int parse_argv(int argc, char *argv[]) {
        int c, r;

        while ((c = getopt_long(argc, argv, "ht:w:m:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("openmono-agent %s\n", PROJECT_VERSION);
                        return 0;
                case '?':
                        return -EINVAL;
                default:
                        r = parse_option(c, optarg);
                        if (r < 0)
                                return r;
                }
        if (optind < argc)
                return log_error_errno(EINVAL, "Unexpected argument '%s'; the task goes in --task=TEXT.", argv[optind]);
        if (arg_task && arg_task_file)
                return log_error_errno(EINVAL, "--task and --task-credential exclude each other.");
        if (arg_task && arg_resume == NULL && isempty(arg_task))
                return log_error_errno(EINVAL, "The task is empty.");
        return 1;
}

/* Reads the key file, dropping a trailing newline. */
static int read_api_key(char **ret) {
        _cleanup_close_ int fd = -EBADF;
        char *key;
        size_t n;
        int r;

        *ret = NULL;
        if (!arg_api_key_file)
                return 0;
        fd = NEG_ERRNO(open(arg_api_key_file, O_RDONLY|O_CLOEXEC));
        r = fd < 0 ? fd : read_fd_full(fd, 4096, &key, &n);
        if (r < 0)
                return log_error_errno(r, "Cannot read the API key from %s: %m", arg_api_key_file);
        key[strcspn(key, "\r\n")] = 0;
        *ret = key;
        return 0;
}

static int make_client(LlmClient **ret) {
        _cleanup_free_ char *key = NULL;
        const char *endpoint = arg_endpoint ?: getenv("OPENMONO_ENDPOINT");
        const char *socket = arg_socket;
        int r;

        /* Inside a session the gateway's socket is the way to the model. */
        if (!endpoint && !socket)
                socket = SESSION_INFERENCE_SOCKET_DEFAULT;
        r = read_api_key(&key);
        if (r < 0)
                return r;
        r = llm_client_new(&(LlmConfig) {
                        .base_url = endpoint ?: DEFAULT_SOCKET_BASE_URL,
                        .socket_path = socket,
                        .model = arg_model ?: getenv("OPENMONO_MODEL"),
                        .api_key = key,
                        .stream = arg_stream,
                        .connect_timeout_usec = arg_connect_timeout_usec,
                        .idle_timeout_usec = arg_idle_timeout_usec,
                        .retries = arg_retries,
                        .retry_delay_usec = arg_retry_delay_usec,
                        .max_response_tokens = arg_max_response_tokens,
                }, ret);
        if (key)
                explicit_bzero(key, strlen(key));
        return r < 0 ? log_oom() : 0;
}

/* Why no transcript could be created, if so: the run goes on, but ends with
 * AGENT_EXIT_TRANSCRIPT rather than 0, so that nobody takes it for recorded. */
static int arg_transcript_error;

/* Opens the transcript (new or resumed). Without a usable state directory a new run goes on
 * without one, saying so on stderr and in the journal; a resume cannot. */
static int open_transcript(Transcript **ret, json_object **ret_messages) {
        _cleanup_free_ char *dir = NULL;
        int r;

        *ret = NULL;
        *ret_messages = NULL;
        r = transcript_state_dir(arg_state_dir, &dir);
        if (arg_resume) {
                r = r < 0 ? r : transcript_resume(dir, arg_resume, ret, ret_messages);
                if (r < 0)
                        return log_error_errno(r, "Cannot resume transcript %s: %s", arg_resume,
                                               r == -EBADMSG ? "it holds no messages" : strerror(-r));
                return 0;
        }
        if (!arg_transcript)
                return 0;
        r = r < 0 ? r : transcript_create(dir, ret);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0) {
                arg_transcript_error = r;
                fprintf(stderr, "openmono-agent: cannot create a transcript in %s: %s; going on without one.\n",
                        strna(dir), strerror(-r));
                (void) sd_journal_send("MESSAGE=Cannot create a transcript in %s: %s.", strna(dir), strerror(-r),
                                       "PRIORITY=%i", LOG_ERR,
                                       "ERRNO=%i", -r,
                                       "SYSLOG_IDENTIFIER=openmono-agent",
                                       "OPENMONO_SESSION=%s", strna(getenv("OPENMONO_SESSION")),
                                       NULL);
        }
        return 0;
}

/* Reads a whole task from fd; what names where it comes from in messages. */
static int read_task(int fd, const char *what, char **ret) {
        size_t n;
        int r;

        r = read_fd_full(fd, TASK_MAX, ret, &n);
        if (r < 0)
                return log_error_errno(r, "Cannot read the task from %s: %m", what);
        if (isempty(*ret) || strspn(*ret, " \t\r\n") == n)
                return log_error_errno(EINVAL, "No task in %s: give one with --task=TEXT, "
                                       "--task-credential=NAME or on standard input.", what);
        return 0;
}

/* --task-credential: the task becomes arg_task, as if it had been given with --task. */
static int read_task_file(void) {
        _cleanup_close_ int fd = -EBADF;

        if (!arg_task_file)
                return 0;
        fd = NEG_ERRNO(open(arg_task_file, O_RDONLY|O_CLOEXEC|O_NOCTTY));
        if (fd < 0)
                return log_error_errno(fd, "Cannot open the task %s: %m", arg_task_file);
        return read_task(fd, arg_task_file, &arg_task);
}

/* Reads tasks line by line from the terminal until end of input. Ctrl-C ends a turn, not the
 * session. Returns the exit status of the last task. */
static AgentExit run_interactive(Agent *a) {
        _cleanup_free_ char *line = NULL;
        AgentExit e = AGENT_EXIT_DONE;
        size_t allocated = 0;

        if (agent_has_pending_turn(a))
                e = agent_run(a, NULL);
        for (;;) {
                ssize_t n;

                interrupt_reset();
                fputs("> ", stdout);
                fflush(stdout);
                n = getline(&line, &allocated, stdin);
                if (n < 0) {
                        if (interrupt_requested() && !feof(stdin)) {
                                clearerr(stdin);
                                fputc('\n', stdout);
                                continue;
                        }
                        fputc('\n', stdout);
                        return e;
                }
                line[strcspn(line, "\n")] = 0;
                if (isempty(line))
                        continue;
                e = agent_run(a, line);
        }
}

static int build_agent(Agent **ret) {
        _cleanup_(workspace_freep) Workspace *w = NULL;
        _cleanup_(transcript_freep) Transcript *t = NULL;
        _cleanup_(llm_client_freep) LlmClient *llm = NULL;
        _cleanup_(json_object_putp) json_object *messages = NULL, *tools = NULL;
        _cleanup_free_ char *prompt = NULL;
        static Output output;
        int r;

        r = workspace_open(arg_workspace ?: ".", &w);
        if (r < 0)
                return log_error_errno(r, "Cannot open the workspace %s: %m", arg_workspace ?: ".");
        r = open_transcript(&t, &messages);
        if (r < 0)
                return r;
        if (!messages && (r = prompt_build(arg_system_prompt, w, &prompt)) < 0)
                return log_error_errno(r, "Cannot read the system prompt %s: %m", strna(arg_system_prompt));
        r = make_client(&llm);
        if (r < 0)
                return r;
        r = tools_to_json(arg_tools, &tools);
        if (r < 0)
                return log_oom();

        output_init(&output, arg_json ? OUTPUT_JSON : OUTPUT_HUMAN, stdout);
        /* Thinking is worth watching in a conversation, noise in a log. */
        output.show_reasoning = !arg_task && isatty(STDIN_FILENO);
        output_start(&output, t ? t->id : "", t ? t->path : "", arg_model ?: getenv("OPENMONO_MODEL") ?: "");
        r = agent_new(llm, t, &(ToolContext) {
                        .workspace = w,
                        .command_timeout_usec = arg_command_timeout_usec,
                        .command_timeout_max_usec = MAX(arg_command_timeout_usec, 30 * USEC_PER_MINUTE),
                        .output_cap = arg_output_cap,
                        .fetch_timeout_usec = 30 * USEC_PER_SEC,
                        .fetch_max_bytes = 2U * 1024U * 1024U,
                        .seccomp = arg_seccomp,
                        .session = getenv("OPENMONO_SESSION"),
                }, tools, messages, prompt, &output,
                &(AgentLimits) {
                        .max_steps = arg_max_steps,
                        .max_tokens = arg_max_tokens,
                        .timeout_usec = arg_timeout_usec,
                        .context_tokens = arg_context_tokens,
                }, ret);
        if (r < 0)
                return log_oom();
        /* The agent owns them now. */
        llm = NULL;
        t = NULL;
        w = NULL;
        tools = NULL;
        messages = NULL;
        (*ret)->transcript_error = arg_transcript_error;
        /* In a session the path exists only inside the sandbox; say how to read it outside. */
        if ((*ret)->transcript && !arg_json && getenv("OPENMONO_SESSION"))
                log_info("Transcript: %s (on the host: openmonoctl transcript show %s)",
                         (*ret)->transcript->path, (*ret)->transcript->id);
        else if ((*ret)->transcript && !arg_json)
                log_info("Transcript: %s", (*ret)->transcript->path);
        return 0;
}

static int run(int argc, char *argv[]) {
        _cleanup_(agent_freep) Agent *a = NULL;
        _cleanup_free_ char *task = NULL;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? AGENT_EXIT_USAGE : AGENT_EXIT_DONE;
        if (read_task_file() < 0)
                return AGENT_EXIT_USAGE;
        r = interrupt_install();
        if (r < 0)
                return log_error_errno(r, "Cannot install signal handlers: %m"), AGENT_EXIT_ERROR;
        r = build_agent(&a);
        if (r < 0)
                return AGENT_EXIT_ERROR;

        if (arg_task)
                return agent_run(a, arg_task);
        if (isatty(STDIN_FILENO))
                return run_interactive(a);
        if (arg_resume && agent_has_pending_turn(a))
                return agent_run(a, NULL);
        if (read_task(STDIN_FILENO, "standard input", &task) < 0)
                return AGENT_EXIT_USAGE;
        return agent_run(a, task);
}

int main(int argc, char *argv[]) {
        int r;

        log_parse_environment();
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                log_error("Cannot initialize libcurl.");
                return AGENT_EXIT_ERROR;
        }
        r = run(argc, argv);
        curl_global_cleanup();
        free_args();
        return r;
}
