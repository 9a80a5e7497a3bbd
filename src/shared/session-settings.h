/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The sandbox settings an administrator or a project may set: network policy and resource limits.
 * They come in layers — the compiled-in defaults of session_policy_new(), the site's [Sessions]
 * section in openmono.conf, the project file, the command line — and each layer overrides only
 * what it sets. */

#include <stdint.h>

#include <json-c/json.h>

#include "conf-parser.h"
#include "session-policy.h"

typedef struct SessionSettings {
        NetworkPolicy network;          /* _NETWORK_POLICY_INVALID = unset */
        char **allow;                   /* NULL = unset */
        char **allow_domains;           /* normalised AllowDomain= patterns; NULL = unset */
        uint64_t memory_max;            /* UINT64_MAX = unset */
        uint64_t tasks_max;             /* UINT64_MAX = unset */
        uint64_t runtime_max_usec;      /* UINT64_MAX = unset */
        unsigned cpu_quota_percent;     /* 0 = unset */
} SessionSettings;

#define SESSION_SETTINGS_UNSET                                          \
        ((SessionSettings) {                                            \
                .network = _NETWORK_POLICY_INVALID,                     \
                .memory_max = UINT64_MAX,                               \
                .tasks_max = UINT64_MAX,                                \
                .runtime_max_usec = UINT64_MAX,                         \
        })

void session_settings_done(SessionSettings *s);

/* Copies the fields set in src over those of dst. Returns 0 or -ENOMEM. */
int session_settings_merge(SessionSettings *dst, const SessionSettings *src);
/* Writes the fields s sets into the policy. Returns 0 or -ENOMEM. */
int session_settings_apply(const SessionSettings *s, SessionPolicy *p);
/* Checks that every Allow= entry is a CIDR; *ret_bad is the first that is not. */
int session_settings_validate(const SessionSettings *s, const char **ret_bad);

/* Reads the settings a request may carry (network, allow, allow_domains, memory_max, tasks_max,
 * cpu_quota_percent, runtime_max_usec) from a JSON object into s; absent ones stay. Domain
 * patterns are normalised; an empty allow_domains list is "no names". On a bad value returns
 * -EINVAL and names its key in *ret_bad. */
int session_settings_from_json(json_object *o, SessionSettings *s, const char **ret_bad);

int config_parse_network_policy(const char *filename, unsigned line, const char *section,
                                const char *key, const char *value, void *data, char **ret_error);
int config_parse_cidrs(const char *filename, unsigned line, const char *section, const char *key,
                       const char *value, void *data, char **ret_error);
/* AllowDomain=: one NAME or *.SUFFIX pattern per assignment, normalised and appended; an empty
 * value empties the list. The same syntax openmono-egressd reads the site's list in. */
int config_parse_domain_patterns(const char *filename, unsigned line, const char *section, const char *key,
                                 const char *value, void *data, char **ret_error);

/* The ConfigItems of a SessionSettings embedded at offset `base` of the parsed struct, in
 * section `sec`, for use inside a ConfigItem table. */
#define SESSION_SETTINGS_CONFIG_ITEMS(sec, base)                                                          \
        { sec, "Network",       config_parse_network_policy, (base) + offsetof(SessionSettings, network) },          \
        { sec, "Allow",         config_parse_cidrs,          (base) + offsetof(SessionSettings, allow) },            \
        { sec, "AllowDomain",   config_parse_domain_patterns, (base) + offsetof(SessionSettings, allow_domains) },   \
        { sec, "MemoryMax",     config_parse_size,           (base) + offsetof(SessionSettings, memory_max) },       \
        { sec, "TasksMax",      config_parse_uint64,         (base) + offsetof(SessionSettings, tasks_max) },        \
        { sec, "RuntimeMaxSec", config_parse_timespan,       (base) + offsetof(SessionSettings, runtime_max_usec) }, \
        { sec, "CPUQuota",      config_parse_percent,        (base) + offsetof(SessionSettings, cpu_quota_percent) }
