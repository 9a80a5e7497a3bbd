/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* systemd-style INI files: "[Section]" headers, "Key=Value" assignments, '#' and ';' comments,
 * a trailing backslash continuing a line, and drop-in directories ("name.d/" holding "*.conf" files).
 *
 * Assignments are dispatched through a table of ConfigItems. Each item names a section and a key
 * and a ConfigParseFunc that stores the value at an offset into the caller's struct:
 *
 *         typedef struct Settings { uint64_t idle_usec; char **upstreams; } Settings;
 *
 *         static const ConfigItem items[] = {
 *                 { "Controller", "IdleTimeoutSec", config_parse_timespan, offsetof(Settings, idle_usec) },
 *                 { "Gateway",    "Upstream",       config_parse_strv,     offsetof(Settings, upstreams) },
 *                 {}
 *         };
 *
 * Problems are reported through a ConfigDiagnostics: unknown sections and keys are warnings that
 * the caller logs and parsing goes on; a syntax error or a value that does not parse stops the
 * file and sets the one fatal error. Both name the file and the line:
 *
 *         /etc/openmono/openmono.conf:12: [Controller] IdleTimeoutSec=: invalid time span 'soon'
 *
 * A continued line is reported by the number of the line it began on. Section and key names
 * match case-sensitively, as in systemd; those beginning with "X-" are left to other programs
 * and ignored silently. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

/* The longest logical line (continuations joined) and the largest file accepted. */
#define CONFIG_LINE_MAX (64U * 1024U)
#define CONFIG_FILE_MAX (4U * 1024U * 1024U)
/* Warnings kept per file; one more says the rest were dropped. */
#define CONFIG_WARNINGS_MAX 100U

/* The standard search path, in increasing precedence: vendor defaults, admin, runtime. */
#define CONFIG_DIRS_STANDARD ((const char *const[]) { PKGDATADIR, PKGSYSCONFDIR, RUNDIR, NULL })

/* Parses value and stores it in *data, which points offset bytes into the parse's userdata.
 * Returns 0 on success or a negative errno; on failure it may set *ret_error to a new string
 * saying what is wrong with the value ("invalid time span 'soon'"), which the parser prefixes
 * with file, line, section and key. */
typedef int (*ConfigParseFunc)(const char *filename, unsigned line, const char *section,
                               const char *key, const char *value, void *data, char **ret_error);

/* One known assignment. A table ends with an all-zero item. An item with a NULL parse function
 * accepts its key and ignores the value (for settings that are obsolete but still harmless). */
typedef struct ConfigItem {
        const char *section;
        const char *key;
        ConfigParseFunc parse;
        size_t offset;
} ConfigItem;

/* What a parse had to say. warnings collects "file:line: ..." strings across calls, at most
 * CONFIG_WARNINGS_MAX (+1) per file; error holds the fatal error of the last failed call, set on
 * every failure but running out of memory. Zero-initialize, free with config_diagnostics_done(). */
typedef struct ConfigDiagnostics {
        char **warnings;
        char *error;
} ConfigDiagnostics;

/* Frees the warnings and the error and leaves d empty, ready for reuse. */
void config_diagnostics_done(ConfigDiagnostics *d);

/* Parses size bytes at buf (they need not be NUL-terminated) as the file called name, which
 * appears in the messages. diag may be NULL. Returns 0 on success or a negative errno: -EINVAL or
 * -ERANGE for bad syntax or values, -ENOBUFS for an over-long line, or what a ConfigParseFunc
 * returned. Assignments before the failing line have been applied to userdata already, so
 * callers that need all-or-nothing parse into a fresh struct and swap it in on success. */
int config_parse_buffer(const char *name, const void *buf, size_t size,
                        const ConfigItem *table, void *userdata, ConfigDiagnostics *diag);

/* Reads and parses the file at path, as config_parse_buffer(). Returns -ENOENT (with an error
 * message) if it does not exist, -EFBIG if it is larger than CONFIG_FILE_MAX. */
int config_parse_file(const char *path, const ConfigItem *table, void *userdata,
                      ConfigDiagnostics *diag);

/* Parses the configuration file name the way systemd does with drop-ins. dirs is a
 * NULL-terminated list of directories in increasing precedence, such as CONFIG_DIRS_STANDARD.
 * The main file comes from the last directory that has it (it masks the others entirely; a
 * symlink to /dev/null masks it away). Then every "*.conf" in "name.d/" of all directories is
 * applied in filename order, a drop-in in a later directory replacing the one with the same
 * filename in an earlier one. Missing files and directories are fine. root, if not NULL, is
 * prefixed to every directory (for tests and offline images). Stops at the first file that
 * fails and returns its error; otherwise returns 0. */
int config_parse_standard(const char *name, const char *const *dirs, const char *root,
                          const ConfigItem *table, void *userdata, ConfigDiagnostics *diag);

/* Sets *ret_error to "invalid <what> '<value>'", with value escaped and shortened for a log
 * line, and a ": <strerror>" tail unless error is -EINVAL. Returns error, so ConfigParseFuncs
 * can end with `return config_error_invalid(ret_error, r, "time span", value);`. */
int config_error_invalid(char **ret_error, int error, const char *what, const char *value);

/* The ready-made parse functions; the comment names the type data points to. An empty value
 * is an error for all but string and strv. */
int config_parse_string(const char *filename, unsigned line, const char *section, const char *key,
                        const char *value, void *data, char **ret_error);       /* char *, empty → NULL */
int config_parse_bool(const char *filename, unsigned line, const char *section, const char *key,
                      const char *value, void *data, char **ret_error);         /* bool */
int config_parse_unsigned(const char *filename, unsigned line, const char *section, const char *key,
                          const char *value, void *data, char **ret_error);     /* unsigned */
int config_parse_uint64(const char *filename, unsigned line, const char *section, const char *key,
                        const char *value, void *data, char **ret_error);       /* uint64_t */
int config_parse_size(const char *filename, unsigned line, const char *section, const char *key,
                      const char *value, void *data, char **ret_error);         /* uint64_t bytes */
int config_parse_timespan(const char *filename, unsigned line, const char *section, const char *key,
                          const char *value, void *data, char **ret_error);     /* uint64_t µs */
int config_parse_percent(const char *filename, unsigned line, const char *section, const char *key,
                         const char *value, void *data, char **ret_error);      /* unsigned */
/* char **: appends the whitespace-separated words; an empty value resets the list to NULL. */
int config_parse_strv(const char *filename, unsigned line, const char *section, const char *key,
                      const char *value, void *data, char **ret_error);

/* Defines a ConfigParseFunc `function` that stores from_string(value) in a `type`, for enums
 * whose from_string() returns a negative errno for unknown names; what names the type in the
 * error message. Prefix it with `static` for a parser private to one file:
 *
 *         static DEFINE_CONFIG_PARSE_ENUM(config_parse_network_policy, network_policy_from_string,
 *                                         NetworkPolicy, "network policy");
 */
#define DEFINE_CONFIG_PARSE_ENUM(function, from_string, type, what)                             \
        int function(const char *filename, unsigned line, const char *section, const char *key,  \
                     const char *value, void *data, char **ret_error) {                        \
                type _x = from_string(value);                                                   \
                if ((int) _x < 0)                                                               \
                        return config_error_invalid(ret_error, -EINVAL, (what), value);         \
                *(type *) data = _x;                                                            \
                return 0;                                                                       \
        }
