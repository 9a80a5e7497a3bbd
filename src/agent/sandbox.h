/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The seccomp filter for commands the agent runs. The session unit already filters system
 * calls (@system-service); this one is stricter for what the model types: no new namespaces,
 * no mounts, no tracing, no BPF, no kernel keyrings, no perf, no userfaultfd, no io_uring and
 * no personality changes. Denied calls fail with EPERM, so a command gets a clear error
 * instead of being killed. */

/* Loads the filter into the calling process (and its future children). Call it in the child
 * as the very last step before execve(). Sets no_new_privs. Returns 0 or a negative errno. */
int sandbox_seccomp_install(void);
