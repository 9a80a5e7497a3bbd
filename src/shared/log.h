/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Logging to stderr or the journal. Shared code and object modules log at debug level only;
 * main(), handlers and CLI verbs log once, where an error becomes final. */

#include <stdbool.h>
#include <syslog.h>

#include "macro.h"

typedef enum LogTarget {
        LOG_TARGET_AUTO,        /* the journal when stderr is connected to it, else the console */
        LOG_TARGET_CONSOLE,
        LOG_TARGET_JOURNAL,
        _LOG_TARGET_MAX,
        _LOG_TARGET_INVALID = -EINVAL,
} LogTarget;

const char *log_target_to_string(LogTarget t);
LogTarget log_target_from_string(const char *s);

void log_set_target(LogTarget t);
void log_set_max_level(int level);
int log_get_max_level(void);
/* Reads $OPENMONO_LOG_LEVEL (debug, info, ...) if set. */
void log_parse_environment(void);
int log_level_from_string(const char *s);

/* Logs a message; if error is non-zero, errno is set to |error| first so %m works.
 * Returns -|error| (0 when error is 0), so `return log_error_errno(r, ...)` passes r on. */
int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) _printf_(6, 7);

/* Logs a structured entry: fields are "KEY=value" strings, ended by NULL, one of which should
 * be "MESSAGE=...". On the console only the MESSAGE is printed. Returns like log_internal(). */
int log_struct_internal(int level, int error, const char *file, int line, const char *func,
                        char *const *fields);

void log_trace_error(int error, const char *file, int line, const char *func);

#define log_full_errno(level, error, ...) \
        log_internal((level), (error), PROJECT_FILE, __LINE__, __func__, __VA_ARGS__)
#define log_full(level, ...) (void) log_full_errno((level), 0, __VA_ARGS__)

#define log_debug(...)   log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)    log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...)  log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...)   log_full(LOG_ERR, __VA_ARGS__)

#define log_debug_errno(error, ...)   log_full_errno(LOG_DEBUG, (error), __VA_ARGS__)
#define log_info_errno(error, ...)    log_full_errno(LOG_INFO, (error), __VA_ARGS__)
#define log_warning_errno(error, ...) log_full_errno(LOG_WARNING, (error), __VA_ARGS__)
#define log_error_errno(error, ...)   log_full_errno(LOG_ERR, (error), __VA_ARGS__)
#define log_oom() log_full_errno(LOG_ERR, ENOMEM, "Out of memory.")

#define log_struct(level, error, fields) \
        log_struct_internal((level), (error), PROJECT_FILE, __LINE__, __func__, (fields))

/* True if fd is the journal stream systemd connected this process to ($JOURNAL_STREAM names its
 * device and inode). */
bool fd_is_journal_stream(int fd);
