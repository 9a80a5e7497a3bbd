/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* User and group lookups through NSS, so LDAP/SSSD users work without extra code. */

#include <stdbool.h>
#include <sys/types.h>

/* Returns 1 if uid is root or a member (primary or supplementary) of group, 0 if not,
 * -ENOENT if uid has no passwd entry or the group does not exist, <0 on other errors. */
int uid_in_group(uid_t uid, const char *group);
/* Returns 1 if uid may administer OpenMono (root or a member of the admin group), else 0. */
int uid_is_admin(uid_t uid);
/* Looks up the user name of uid; *ret is a new string. Returns 0, -ENOENT or -ENOMEM. */
int uid_to_name(uid_t uid, char **ret);
