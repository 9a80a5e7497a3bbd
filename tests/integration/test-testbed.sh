#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The test bed itself: every other integration test relies on a real systemd as PID 1, a
# system bus, an activatable polkit, IP filtering that really filters, and test users that
# are who they claim to be. If one of these checks fails, the other results mean little.
# Sourced by run.sh inside a booted test bed.

# The bed's own "host": an address on its loopback (--private-network keeps it away from
# the real network) with a TCP listener, reached by transient units with and without
# IPAddressDeny=.
TB_ADDR=10.213.0.1
TB_PORT=8099
TB_LISTENER=testbed-listener.service

# Connects to the test address from a transient unit with the given properties. Exits 0 if
# the connection was accepted, 1 with the errno name otherwise.
connect_from_unit() {
        testbed_run systemd-run --quiet --wait --pipe --collect "$@" /usr/bin/python3 -c "
import errno, socket, sys
try:
    socket.create_connection(('$TB_ADDR', $TB_PORT), timeout=3).close()
    print('connected')
except OSError as e:
    print('connection failed:', errno.errorcode.get(e.errno, e.errno) if e.errno else e)
    sys.exit(1)
"
}

# Like connect_from_unit, but always succeeds: for looking at why a connection failed.
connect_errno() {
        connect_from_unit "$@" || true
}

setup_listener() {
        testbed_run ip addr add "$TB_ADDR/32" dev lo 2>/dev/null || true
        testbed_run systemd-run --quiet --unit="$TB_LISTENER" --collect -p Type=exec \
                /usr/bin/python3 -c "
import socket
s = socket.create_server(('$TB_ADDR', $TB_PORT))
while True:
    s.accept()[0].close()
"
}

cleanup_listener() {
        testbed_run systemctl stop "$TB_LISTENER" 2>/dev/null || true
        testbed_run ip addr del "$TB_ADDR/32" dev lo 2>/dev/null || true
}

echo "# systemd is the bed's service manager"
check_output "PID 1 in the bed is systemd" "^systemd$" cat /proc/1/comm
check_output "the boot finished (running or degraded)" "^(running|degraded)$" \
        sh -c 'systemctl is-system-running || true'
check_output "systemd is version 252 or newer" "^systemd (25[2-9]|2[6-9][0-9])" systemctl --version
check_output "the bed has a network namespace of its own with only loopback" "^lo$" \
        sh -c "ip -o link | cut -d: -f2 | tr -d ' '"

echo "# The system bus and polkit"
check "the system bus answers (busctl list)" busctl --system --no-pager list
check_output "the bus daemon gives its ID" "^s \"[0-9a-f]{32}\"$" \
        busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus GetId
check "polkitd is activated on demand and answers (introspect its Authority)" \
        busctl introspect org.freedesktop.PolicyKit1 /org/freedesktop/PolicyKit1/Authority
check "polkit authorizes root for a systemd action (pkcheck)" \
        pkcheck --action-id org.freedesktop.systemd1.manage-units --process 1
check "systemd answers on the bus (busctl get-property Version)" \
        busctl get-property org.freedesktop.systemd1 /org/freedesktop/systemd1 \
        org.freedesktop.systemd1.Manager Version

echo "# Test users"
for u in alice bob; do
        check_output "$u exists, unprivileged, uid >= 1000, with a home directory" "^ok$" sh -c \
                "uid=\$(id -u $u) && [ \$uid -ge 1000 ] && [ -d ~$u ] && [ \$(stat -c %U ~$u) = $u ] && echo ok"
done
check_output "testbed_run_as runs as the user, in the home directory, without XDG_RUNTIME_DIR" \
        "^alice /home/alice unset$" testbed_run_as alice sh -c 'echo "$(id -un) $PWD ${XDG_RUNTIME_DIR:-unset}"'
check_fails "alice cannot write to /etc" testbed_run_as alice touch /etc/testbed-probe
if testbed_run getent group openmono-admin >/dev/null; then
        check_output "carol is in the admin group openmono-admin" "openmono-admin" testbed_run_as carol id -Gn
else
        note "group openmono-admin does not exist (this build installs no sysusers.d file); carol is not an admin"
fi

echo "# IP filtering in units works (cgroup BPF)"
setup_listener
check "a test listener runs on $TB_ADDR:$TB_PORT" wait_until 10 \
        bash -c "exec 3<>/dev/tcp/$TB_ADDR/$TB_PORT"
check "a unit without IP restrictions connects to it" connect_from_unit
check_fails "a unit with IPAddressDeny=any cannot connect" connect_from_unit -p IPAddressDeny=any
check_output "... because its packets are dropped (timeout or EPERM), not refused by the listener" \
        "timed out|EPERM" \
        connect_errno -p IPAddressDeny=any
check "a unit with IPAddressDeny=any IPAddressAllow=$TB_ADDR connects" \
        connect_from_unit -p IPAddressDeny=any -p IPAddressAllow="$TB_ADDR"
check "a unit with PrivateNetwork=yes cannot see the address at all" \
        sh -c "! systemd-run --quiet --wait --pipe --collect -p PrivateNetwork=yes \
                /usr/bin/python3 -c 'import socket; socket.create_connection((\"$TB_ADDR\", $TB_PORT), timeout=3)' 2>/dev/null"
cleanup_listener

echo "# Cgroup controllers"
controllers=$(testbed_run cat /sys/fs/cgroup/cgroup.controllers 2>/dev/null || true)
note "cgroup v2 controllers available in the bed: ${controllers:-none}"
for c in memory pids cpu; do
        if ! grep -qw "$c" <<<"$controllers"; then
                note "the $c controller stays on the host's cgroup v1: limits that need it are set on units but not enforced in this bed"
        fi
done
check_output "systemd manages the bed on the unified cgroup hierarchy (cgroup2)" "^cgroup2fs$" \
        stat -f -c %T /sys/fs/cgroup
