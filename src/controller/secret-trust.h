/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Whose secret a session receives for one name: the rule of trust between the user who asks for
 * a session and the user who owns its project. See secret-trust.c for the rule and its reasons. */

#include <errno.h>
#include <stdbool.h>
#include <sys/types.h>

typedef enum SecretSource {
        SECRET_SOURCE_NONE,             /* the session receives nothing for this name */
        SECRET_SOURCE_OWNER,            /* the project owner's value, else the default */
        SECRET_SOURCE_CALLER,           /* the caller's value, else the default */
        SECRET_SOURCE_DEFAULT,          /* only the default an administrator set for everyone */
        SECRET_SOURCE_REFUSED,          /* the caller asked for something the rule forbids */
        _SECRET_SOURCE_MAX,
        _SECRET_SOURCE_INVALID = -EINVAL,
} SecretSource;

/* The facts the decision rests on, all established by the controller, none by the project file
 * alone: the caller comes from SO_PEERCRED, the owner from the project's Owner=. */
typedef struct SecretTrust {
        uid_t caller;                   /* who asked for the session */
        uid_t owner;                    /* the project's owner */
        bool caller_is_admin;           /* root or a member of the administrators' group */
        bool caller_admitted;           /* the owner let the caller in (Users=, Groups=) */
        bool system_project;            /* an administrator's file, not created through the API */
        bool listed;                    /* the name is in the project's Grant= */
        bool caller_grants;             /* the caller handed the name over for this run (--grant) */
} SecretTrust;

const char *secret_source_to_string(SecretSource s);
SecretSource secret_source_from_string(const char *s);

/* Decides whose value of one secret name a session receives. Pure: no lookups, no logging. */
SecretSource secret_trust_decide(const SecretTrust *t);
