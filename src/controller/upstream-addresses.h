/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the controller itself knows of session networks: the addresses of the gateway's upstream
 * model servers, which every session's allow list must leave out. The namespaces themselves are
 * built by openmono-netns@.service (src/shared/session-netns.h). */

/* Reads the URL= of every [Upstream] in gateway.conf (the standard directories below root, if not
 * NULL), resolves their hosts and returns them as /32 and /128 CIDRs in *ret (a new strv, NULL
 * when there are none). Hosts that do not resolve are put in *ret_unresolved. Returns 0 or a
 * negative errno; a missing gateway.conf is no error. */
int upstream_addresses_load(const char *root, char ***ret, char ***ret_unresolved);
