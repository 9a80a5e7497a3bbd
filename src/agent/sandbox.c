/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The agent's own seccomp filter, built with libseccomp. System calls this libseccomp does not
 * know are skipped: the unit's filter denies what it cannot name either. */

#include <errno.h>
#include <sched.h>
#include <stdint.h>

#include <seccomp.h>

#include "macro.h"
#include "sandbox.h"

DEFINE_FOREIGN_CLEANUP(scmp_filter_ctx, seccomp_release);

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* Denied whatever their arguments. */
static const char *const denied_syscalls[] = {
        "unshare", "setns",
        "mount", "umount", "umount2", "pivot_root", "chroot",
        "open_tree", "move_mount", "fsopen", "fsmount", "fsconfig", "fspick", "mount_setattr",
        "ptrace", "process_vm_readv", "process_vm_writev",
        "bpf", "perf_event_open", "userfaultfd",
        "keyctl", "add_key", "request_key",
        "io_uring_setup", "io_uring_enter", "io_uring_register",
};

static const uint64_t namespace_flags[] = {
        CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
        CLONE_NEWNET, CLONE_NEWTIME,
};

static int deny(scmp_filter_ctx ctx, const char *name, int error, unsigned n, const struct scmp_arg_cmp *cmp) {
        int nr = seccomp_syscall_resolve_name(name);

        if (nr == __NR_SCMP_ERROR)
                return 0;
        return seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(error), nr, n, cmp);
}

static int add_rules(scmp_filter_ctx ctx) {
        int r;

        for (size_t i = 0; i < ELEMENTSOF(denied_syscalls); i++)
                if ((r = deny(ctx, denied_syscalls[i], EPERM, 0, NULL)) < 0)
                        return r;

        /* clone() may fork, but not into new namespaces: one rule per flag, as a rule compares
         * each argument once. clone3() passes its flags in memory that seccomp cannot read, so
         * it reports ENOSYS, which makes glibc fall back to clone(). */
        for (size_t i = 0; i < ELEMENTSOF(namespace_flags); i++) {
                struct scmp_arg_cmp cmp = SCMP_A0(SCMP_CMP_MASKED_EQ, namespace_flags[i], namespace_flags[i]);

                if ((r = deny(ctx, "clone", EPERM, 1, &cmp)) < 0)
                        return r;
        }
        if ((r = deny(ctx, "clone3", ENOSYS, 0, NULL)) < 0)
                return r;

        /* personality(): only PER_LINUX. LockPersonality= also lets the query 0xffffffff through,
         * but libseccomp 2.5 compares an argument only once per rule, and every rule that
         * matches a flag bit matches the query too; refusing the query is the safe side. */
        struct scmp_arg_cmp cmp = SCMP_A0(SCMP_CMP_NE, 0);
        return deny(ctx, "personality", EPERM, 1, &cmp);
}

int sandbox_seccomp_install(void) {
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        int r;

        ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx)
                return -ENOMEM;
        r = add_rules(ctx);
        if (r >= 0)
                r = seccomp_load(ctx);
        return r;
}
