/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Ceilings: what a layer of session settings whose author is not an administrator may ask for.
 * Settings come in layers (site, project, request); each layer an administrator did not write may
 * only narrow what the layers before it allow: a less open network policy, allow lists inside the
 * ceiling, lower limits. The site's [Sessions] *Ceiling= keys raise the limits users may ask for
 * above the site defaults; a project's own values are the ceiling for its users. Independently of
 * who asks, no allow list holds a forbidden range (cidr_forbidden_overlap()). All pure. */

#include <stdint.h>

#include "session-policy.h"
#include "session-settings.h"

typedef enum SessionLimit {
        SESSION_LIMIT_MEMORY_MAX,
        SESSION_LIMIT_TASKS_MAX,
        SESSION_LIMIT_CPU_QUOTA,
        SESSION_LIMIT_RUNTIME_MAX,
        _SESSION_LIMIT_MAX,
        _SESSION_LIMIT_INVALID = -EINVAL,
} SessionLimit;

typedef struct SessionCeiling {
        NetworkPolicy network;          /* the most open policy */
        char *const *allow;             /* the allow list in effect (borrowed) */
        char *const *allow_ceiling;     /* what users may list besides (borrowed); NULL once a project decided */
        const char *network_origin;     /* who set network and allow_ceiling, for messages */
        char *const *allow_domains;     /* the names lists may hold (borrowed): the site's AllowDomain=,
                                         * or a project's within it */
        const char *domains_origin;     /* who set allow_domains */
        uint64_t limit[_SESSION_LIMIT_MAX];             /* UINT64_MAX = no ceiling */
        const char *limit_key[_SESSION_LIMIT_MAX];      /* the key that set it, e.g. "MemoryMaxCeiling" */
        const char *limit_origin[_SESSION_LIMIT_MAX];   /* where, e.g. "/etc/openmono/openmono.conf" */
} SessionCeiling;

/* The settings' name of a limit as a request parameter ("memory_max") and as a key ("MemoryMax"). */
const char *session_limit_to_parameter(SessionLimit l);
const char *session_limit_to_key(SessionLimit l);
/* The [Sessions] key that raises the ceiling of a limit: "MemoryMaxCeiling". */
const char *session_limit_to_ceiling_key(SessionLimit l);
/* The value s sets for l, UINT64_MAX if s leaves it unset. */
uint64_t session_settings_get_limit(const SessionSettings *s, SessionLimit l);
/* Writes v for l formatted as in config files ("4G", "512", "200%", "4h") into buf. Returns buf. */
char *session_limit_format(SessionLimit l, uint64_t v, char *buf, size_t n);

/* Checks a layer that someone other than an administrator wrote against c. layer_name is NULL
 * for a request (its values are then named as parameters) or e.g. "project 'app'". Returns 0 if
 * the layer stays within c, -EPERM with a message naming the ceiling in *ret_message if it does
 * not, -ENOMEM. */
int session_ceiling_check(const SessionCeiling *c, const SessionSettings *layer, const char *layer_name,
                          char **ret_message);
/* Checks a layer's AllowDomain= list, whoever wrote it, against c: the site's list is the ceiling
 * even for administrators, since the egress proxy serves sessions nothing beyond it. Returns 0,
 * -EPERM with a message naming the first pattern outside in *ret_message, or -ENOMEM. */
int session_ceiling_check_domains(const SessionCeiling *c, const SessionSettings *layer, const char *layer_name,
                                  char **ret_message);
/* Checks every allow entry of a layer, whoever wrote it, against the forbidden ranges. Returns 0,
 * -EPERM with a message in *ret_message, or -ENOMEM. */
int session_settings_check_forbidden(const SessionSettings *layer, const char *layer_name, char **ret_message);
/* The site's ceiling for the first layer after the site's own: p holds the settings after the
 * site's [Sessions] defaults, site the *Ceiling= keys. A limit without a *Ceiling= key is capped at
 * its default; a CPU quota with neither at n_cpus × 100%, more than the host has. The allow list
 * may hold the intranet ranges, the site's Allow= and AllowCeiling= (default: the intranet
 * ranges). c borrows from site, p and origin. */
void session_ceiling_init_site(SessionCeiling *c, const SessionSettings *site, const SessionPolicy *p,
                               unsigned n_cpus, const char *origin);
/* After a project layer is applied: its values become the ceiling for its users. origin names it;
 * c borrows layer's lists and origin. */
void session_ceiling_narrow(SessionCeiling *c, const SessionSettings *layer, const char *origin);
