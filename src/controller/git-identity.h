/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A default git identity for sessions: the owner's name from the passwd entry and an address at
 * the site's mail domain. Sessions get it as a read-only system-level git config, so the user's
 * own ~/.gitconfig (/storage/.gitconfig in a session) and the repository's config still win. */

#include <sys/types.h>

#define GIT_IDENTITY_CREDENTIAL "openmono-gitconfig"

/* Builds the text of a git config that sets user.name and user.email and then includes the
 * host's /etc/gitconfig, which it stands in for. The name is the first field of gecos, or user
 * when that is empty; the address is user@domain. Values are quoted and control characters
 * dropped, so no passwd entry can inject config. Returns 0 and sets *ret (owned by the caller),
 * -EINVAL for an empty user or domain, -ENOMEM. */
int git_identity_format(const char *user, const char *gecos, const char *domain, char **ret);

/* The same for uid, read from the passwd database; domain NULL means the host's name.
 * Returns 0, -ESRCH if uid has no passwd entry, or as git_identity_format(). */
int git_identity_for_uid(uid_t uid, const char *domain, char **ret);
