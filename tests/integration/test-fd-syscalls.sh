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

echo "# As alice on the host"
testbed_run runuser -u alice -- $WS/fd-backdoors >"$OUT/host" 2>&1 || true
sed 's/^/# host: /' "$OUT/host"
check "io_uring makes an AF_NETLINK socket outside a session" has '^io_uring socket AF_NETLINK: ok' "$OUT/host"

echo "# Inside alice's session"
testbed_run runuser -u alice -- openmonoctl run --pipe -w $WS -- /workspace/fd-backdoors >"$OUT/session" 2>&1 || true
sed 's/^/# session: /' "$OUT/session"
check "io_uring_setup fails with EPERM" has '^io_uring_setup: EPERM$' "$OUT/session"
check "... so IORING_OP_SOCKET makes no AF_NETLINK socket" has '^io_uring socket AF_NETLINK: EPERM$' "$OUT/session"
check "... and no AF_VSOCK socket" has '^io_uring socket AF_VSOCK: EPERM$' "$OUT/session"
check "socket() is refused those families as before" has '^socket AF_NETLINK: EAFNOSUPPORT$' "$OUT/session"
for call in userfaultfd add_key keyctl pidfd_getfd perf_event_open fanotify_init; do
        check "$call fails with EPERM" has "^$call: EPERM$" "$OUT/session"
done
check "pidfd_open stays (test runners wait on children with it)" has '^pidfd_open: ok' "$OUT/session"
rm -rf "$OUT"
testbed_run rm -rf $WS || true
