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
};

extern bool arg_json;
extern bool arg_legend;

/* Connects to the controller ($OPENMONO_SOCKET overrides the path). On failure prints why and
 * what to do, and returns -EHOSTDOWN. */
int ctl_connect(Varlink **ret);
/* Calls method; on an error reply prints the controller's message and returns a negative errno
 * (-EACCES for PermissionDenied). *ret_reply is borrowed from link. */
int ctl_call(Varlink *link, const char *method, json_object *parameters, json_object **ret_reply);
/* Maps a verb's result to the process exit code. */
int ctl_exit_code(int r);
/* Prints o as pretty JSON on stdout. */
void ctl_print_json(json_object *o);
/* Formats a duration for humans, e.g. "2h 5min", "3.2s". */
const char *ctl_format_duration(char *buf, size_t n, uint64_t usec);

/* Logs "Invalid value for --option: 'value'." for the parse error r and returns -EINVAL. */
int ctl_bad_value(int r, const char *option, const char *value);
/* Parses a CPU quota as systemd writes it ("150%") or a bare number of percent. */
int ctl_parse_cpu_quota(const char *s, int64_t *ret);

/* A verb returns this to make openmonoctl exit with status s (e.g. a session's exit status);
 * negative errnos stay errors. */
#define CTL_EXIT_BASE 0x10000
#define CTL_EXIT_STATUS(s) (CTL_EXIT_BASE + (s))

int verb_status(int argc, char *argv[]);
int verb_run(int argc, char *argv[]);
int verb_shell(int argc, char *argv[]);
int verb_session(int argc, char *argv[]);
int verb_project(int argc, char *argv[]);
int verb_cron(int argc, char *argv[]);
int verb_secret(int argc, char *argv[]);
int verb_usage(int argc, char *argv[]);
int verb_config(int argc, char *argv[]);
