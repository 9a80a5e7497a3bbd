#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# System calls that make file descriptors behind the filters' back: io_uring's IORING_OP_SOCKET
# made AF_NETLINK sockets (every host socket and address through sock_diag) and AF_VSOCK ones in
# sessions although RestrictAddressFamilies= allows only AF_UNIX and IP. A small C program
# (fd-backdoors.c) tries them as alice outside a session (the positive control) and inside one.
# Sourced by run.sh inside a booted test bed with OpenMono installed.

WS=/home/alice/fdb
OUT=$(mktemp -d)
has() {         # REGEX FILE
        grep -Eq -- "$1" "$2"
}

testbed_run sh -ec "install -d -o alice -g alice -m 0755 $WS
        install -m 0644 $TOP/tests/integration/fd-backdoors.c $WS/"
check "the probe builds" testbed_run runuser -u alice -- cc -o $WS/fd-backdoors $WS/fd-backdoors.c

# A process of alice's outside any session, holding a secret in memory.
testbed_run systemd-run --unit=test-fdb-hold --collect -p Type=exec -p User=alice \
        -p StandardOutput=file:/run/fdb-hold.out $WS/fd-backdoors hold >/dev/null
wait_until 10 test -s /run/fdb-hold.out
HOLD=$(testbed_run cat /run/fdb-hold.out)
note "alice's process outside the sandbox: PID and address of its secret: $HOLD"

echo "# As alice on the host"
testbed_run runuser -u alice -- $WS/fd-backdoors $HOLD >"$OUT/host" 2>&1 || true
sed 's/^/# host: /' "$OUT/host"
check "io_uring makes an AF_NETLINK socket outside a session" has '^io_uring socket AF_NETLINK: ok' "$OUT/host"
check "alice can read her own process's memory outside a session" \
        has '^process_vm_readv: ok \(read "om-process-secret"\)' "$OUT/host"

echo "# Inside alice's session"
testbed_run runuser -u alice -- openmonoctl run --pipe -w $WS -- /workspace/fd-backdoors $HOLD >"$OUT/session" 2>&1 || true
sed 's/^/# session: /' "$OUT/session"
check "io_uring_setup fails with EPERM" has '^io_uring_setup: EPERM$' "$OUT/session"
check "... so IORING_OP_SOCKET makes no AF_NETLINK socket" has '^io_uring socket AF_NETLINK: EPERM$' "$OUT/session"
check "... and no AF_VSOCK socket" has '^io_uring socket AF_VSOCK: EPERM$' "$OUT/session"
check "socket() is refused those families as before" has '^socket AF_NETLINK: EAFNOSUPPORT$' "$OUT/session"
for call in userfaultfd add_key keyctl pidfd_getfd perf_event_open fanotify_init; do
        check "$call fails with EPERM" has "^$call: EPERM$" "$OUT/session"
done
check "pidfd_open stays (test runners wait on children with it)" has '^pidfd_open: ok' "$OUT/session"
# process_vm_readv is allowed by the filter; the session's own user namespace (PrivateUsers=) is
# what makes the kernel refuse it for processes outside.
check "the session cannot read alice's memory outside it" has '^process_vm_readv: (EPERM|ESRCH)$' "$OUT/session"
# Not a boundary this file enforces, said so the reader knows: signals follow the same-UID rule,
# which user namespaces do not change.
sig=$(testbed_run runuser -u alice -- openmonoctl run --pipe -w $WS -- /bin/sh -c \
        "kill -0 ${HOLD%% *} 2>/dev/null && echo may || echo may not" 2>&1 || true)
note "a session $sig signal the owner's processes outside it (kill -0 ${HOLD%% *})"
testbed_run systemctl stop test-fdb-hold.service || true
rm -rf "$OUT"
testbed_run rm -rf $WS /run/fdb-hold.out || true
