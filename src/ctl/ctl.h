/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What openmonoctl's verbs share: global options, exit codes, and talking to the controller. */

#include <stdbool.h>
#include <stdint.h>

#include "varlink.h"

/* Exit codes scripts can rely on; documented in openmonoctl(1). */
enum {
        EXIT_USAGE = 2,                 /* bad command line */
        EXIT_UNREACHABLE = 3,           /* the controller is not installed or not running */
        EXIT_DENIED = 4,                /* the controller refused the caller, or a ceiling the request */
        /* run, shell and session wait: why a session's command did not end by itself (as timeout(1), shells
         * and container runtimes report these). */
        EXIT_RUNTIME_LIMIT = 124,       /* stopped by its runtime limit */
        EXIT_SANDBOX_FAILED = 125,      /* systemd could not set the sandbox up */
        EXIT_CANNOT_EXECUTE = 126,      /* the command exists but cannot be executed */
        EXIT_NOT_FOUND = 127,           /* the command does not exist in the sandbox */
};

extern bool arg_json;
extern bool arg_legend;

/* Connects to the controller ($OPENMONO_SOCKET overrides the path). On failure prints why and
 * what to do, and returns -EHOSTDOWN. */
int ctl_connect(Varlink **ret);
/* Calls method; on an error reply prints the controller's message and returns a negative errno
 * (-EACCES for PermissionDenied). *ret_reply is borrowed from link. */
int ctl_call(Varlink *link, const char *method, json_object *parameters, json_object **ret_reply);
/* An error the controller can send: what the user reads when it comes without a message, and
 * the negative errno a verb returns for it (which decides the exit code). */
typedef struct CtlError {
        const char *id;
        int error;
        const char *sentence;
} CtlError;

/* Returns the entry for the Varlink error id, or NULL. */
const CtlError *ctl_error_find(const char *id);
/* Returns how the user names parameter of method ("value of --memory-max", "project name"), or
 * NULL for a parameter users never give. */
const char *ctl_parameter_name(const char *method, const char *parameter);
/* Prints the error reply of method to a call with parameters sent (which may be NULL) as a
 * sentence and returns the negative errno for it. */
int ctl_handle_error(const char *method, const char *error_id, json_object *reply, json_object *sent);

/* Maps a verb's result to the process exit code. */
int ctl_exit_code(int r);
/* The exit status of an ended session (the controller's "session" object) as run, shell and
 * session wait exit with it: the command's own status, 128+N if signal N killed it, or one of
 * EXIT_RUNTIME_LIMIT...EXIT_NOT_FOUND (EXIT_FAILURE without an exit), saying why on stderr.
 * command names what was run when the session does not say; it may be NULL. */
int ctl_session_exit_code(json_object *session, const char *command);
/* Prints o as pretty JSON on stdout. */
void ctl_print_json(json_object *o);
/* Formats a duration for humans, e.g. "2h 5min", "3.2s". */
const char *ctl_format_duration(char *buf, size_t n, uint64_t usec);

/* Logs "Invalid value for --option: 'value'." for the parse error r and returns -EINVAL. */
int ctl_bad_value(int r, const char *option, const char *value);
/* Parses a CPU quota as systemd writes it ("150%") or a bare number of percent. */
int ctl_parse_cpu_quota(const char *s, int64_t *ret);

/* Checks what the controller would refuse, before asking it; each logs what is wrong and
 * returns -EINVAL, or returns 0. The rules are the controller's own (session-policy.h). */
int ctl_check_project_name(const char *name);
int ctl_check_network(const char *policy);
int ctl_check_allow(const char *cidr);
/* Checks an --allow-domain pattern (NAME or *.SUFFIX) and logs what is wrong with it. */
int ctl_check_allow_domain(const char *pattern);
/* --network=allowlist without any --allow would allow nothing. */
int ctl_check_allowlist(const char *policy, bool have_allow);
/* Parses a resource limit with parse (parse_size, parse_uint64, parse_timespan); 0 is refused. */
int ctl_parse_limit(const char *option, const char *value, int (*parse)(const char *s, uint64_t *ret),
                    uint64_t *ret);

/* A verb returns this to make openmonoctl exit with status s (e.g. a session's exit status);
 * negative errnos stay errors. */
#define CTL_EXIT_BASE 0x10000
#define CTL_EXIT_STATUS(s) (CTL_EXIT_BASE + (s))

/* One verb, or one sub-verb of a verb, and what --help says of it. */
typedef struct CtlVerb {
        const char *verb;               /* "project" */
        const char *sub;                /* "add", or NULL for the verb itself */
        int (*run)(int argc, char *argv[]);     /* verbs only; a verb dispatches its sub-verbs */
        const char *summary;            /* one line, without a final period */
        const char *synopsis;           /* the arguments after the verb and sub-verb */
        const char *help;               /* options and details, or NULL */
} CtlVerb;

extern const CtlVerb ctl_verbs[];
extern const size_t ctl_n_verbs;

/* Returns the entry of verb (sub NULL) or of one of its sub-verbs, or NULL. */
const CtlVerb *ctl_verb_find(const char *verb, const char *sub);
/* Prints v's help on stdout; a verb's help lists its sub-verbs. */
void ctl_verb_print_help(const CtlVerb *v);
/* If argv (argv[0] being the verb) has -h or --help before any "--", prints the help of the
 * sub-verb it names, or of the verb, and returns 1; returns 0 otherwise and for unknown verbs. */
int ctl_verb_help(int argc, char *argv[]);

int verb_status(int argc, char *argv[]);
int verb_run(int argc, char *argv[]);
int verb_shell(int argc, char *argv[]);
int verb_session(int argc, char *argv[]);
int verb_project(int argc, char *argv[]);
int verb_cron(int argc, char *argv[]);
int verb_secret(int argc, char *argv[]);
int verb_transcript(int argc, char *argv[]);
int verb_usage(int argc, char *argv[]);
int verb_config(int argc, char *argv[]);
