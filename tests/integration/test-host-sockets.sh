#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Host sockets from the inside: /run is an allow list. The test plants root-owned sockets where
# libvirt, PostgreSQL, userdb, podman, containerd, incus and lxd keep theirs, opens them to a group
# alice belongs to (sessions keep the owner's groups), proves alice reaches them from the host,
# and then, from inside her sessions, lists everything /run and /var/run show and tries them all.
# Sourced by run.sh inside a booted test bed with OpenMono installed.

WS=/home/alice/hs
PROBE=$WS/unix-probe.py
PLANTED=(
        /run/libvirt/libvirt-sock
        /run/postgresql/.s.PGSQL.5499
        /run/systemd/userdb/io.test
        /run/podman/podman.sock
        /run/containerd/containerd.sock
        /run/docker.sock
        /var/lib/incus/unix.socket
        /var/lib/lxd/unix.socket
        /var/snap/lxd/common/lxd/unix.socket
)
# Sockets of the bed itself that a session must not reach either.
REAL=(
        /run/dbus/system_bus_socket
        /run/systemd/private
        /run/systemd/notify
        /run/systemd/io.system.ManagedOOM
        /run/systemd/userdb/io.systemd.DynamicUser
        /run/systemd/journal/io.systemd.journal
        /run/openmono/io.openmono.Manager
        /run/postgresql/.s.PGSQL.5432
)
# All a session of alice's may see below /run, of any type of socket.
ALLOWED='^/run/(systemd/journal/(socket|stdout|dev-log)|openmono/inference\.sock)$'

in_session() {  # USER WORKSPACE SHELL-COMMAND: runs the command in a session, output on stdout
        testbed_run runuser -u "$1" -- openmonoctl run --pipe -w "$2" -- /bin/sh -c "$3"
}
# The evidence is kept in files on the host and judged there, by these functions.
OUT=$(mktemp -d)
has() {         # REGEX FILE: some line matches
        grep -Eq -- "$1" "$2"
}
lacks() {       # REGEX FILE: no line matches; prints the ones that do
        ! grep -E -- "$1" "$2"
}
lacks_other() { # REGEX FILE: every line matches (and there is one); prints the ones that do not
        test -s "$2" && ! grep -Ev -- "$1" "$2"
}
count_is() {    # N REGEX FILE
        local n
        n=$(grep -Ec -- "$2" "$3" || true)
        echo "$n lines match"
        [ "$n" = "$1" ]
}
show() {        # PREFIX FILE: prints the evidence into the test's output
        sed "s|^|# $1: |" "$2"
}

testbed_run sh -ec "
        groupadd -f hostsock
        usermod -a -G hostsock alice
        install -d -o alice -g alice -m 0755 $WS
        install -m 0644 $TOP/tests/integration/unix-probe.py $PROBE
        echo host-shm >/dev/shm/om-host-shm; chmod 0666 /dev/shm/om-host-shm
        systemd-run --unit=test-hostsock --collect -p Type=exec \
                /usr/bin/python3 $PROBE listen hostsock ${PLANTED[*]} >/dev/null
"
wait_until 10 test -S /var/snap/lxd/common/lxd/unix.socket

echo "# The planted sockets answer alice outside a session (the positive control)"
testbed_run runuser -u alice -- /usr/bin/python3 $PROBE connect "${PLANTED[@]}" >"$OUT/host" 2>&1 || true
show host "$OUT/host"
check "alice reaches all ${#PLANTED[@]} planted sockets from the host" \
        count_is ${#PLANTED[@]} '^open .*: HELLO ' "$OUT/host"

echo "# What a session sees of /run"
in_session alice $WS 'find /run /var/run/ /dev/shm -printf "%y %m %u:%g %p\n" 2>&1' >"$OUT/listing" || true
show session "$OUT/listing"
# test -S, not find -type s: readdir() reports a bound socket as the regular file systemd mounted it on.
# Sockets of mode 0 are systemd's placeholders for InaccessiblePaths=, which nobody can connect to.
SOCKETS='find /run /var/run/ 2>/dev/null | while read -r p; do
        test -S "$p" && [ "$(stat -L -c %a "$p")" != 0 ] && echo "$p"; done |
        sed "s|^/var/run/|/run/|" | sort -u'
in_session alice $WS "$SOCKETS" >"$OUT/sockets" || true
check "the listing ran in the session" has '^d 755 root:root /run$' "$OUT/listing"
check "no socket below /run is visible but the journal's and the inference socket" \
        lacks_other "$ALLOWED" "$OUT/sockets"
check "the journal sockets are there" has '^/run/systemd/journal/socket$' "$OUT/sockets"
# The sessions' journal namespace: its group, systemd-journal, is not mapped into the session.
check "/var/run shows the same as /run" has '^s 666 root:[a-z-]+ /var/run/systemd/journal/stdout$' "$OUT/listing"
check "nothing of PID 1's transient units, the bus or users' runtime directories is listed" \
        lacks ' /(var/)?run/(systemd/transient|systemd/private|dbus|user/[0-9])' "$OUT/listing"
check "the host's /dev/shm is not shared" lacks 'om-host-shm' "$OUT/listing"

echo "# Connecting from the session"
in_session alice $WS "/usr/bin/python3 /workspace/unix-probe.py connect ${PLANTED[*]} ${REAL[*]}" \
        >"$OUT/connect" 2>&1 || true
show session "$OUT/connect"
check "the session tried every socket" count_is $((${#PLANTED[@]} + ${#REAL[@]})) '^(blocked|open) ' "$OUT/connect"
check "not one connects" lacks '^open ' "$OUT/connect"

echo "# What must keep working"
TAG=om-hs-$RANDOM
check "a session logs to the journal through /dev/log" in_session alice $WS "logger -t $TAG via-dev-log"
check "... and through the stream socket" in_session alice $WS "echo via-stdout | systemd-cat -t $TAG"
# In the sessions' journal namespace, not the system journal: see test-journal-flood.sh.
check "both lines arrive" wait_until 10 sh -c \
        "journalctl --namespace=openmono -t $TAG -o cat --no-pager | grep -q via-dev-log &&
         journalctl --namespace=openmono -t $TAG -o cat --no-pager | grep -q via-stdout"
in_session alice $WS 'cat /etc/resolv.conf' >"$OUT/resolv" 2>&1 || true
testbed_run cat /etc/resolv.conf >"$OUT/resolv.host"
same_file() {   # FILE FILE, compared on the host
        cmp "$1" "$2"
}
check "the host's DNS configuration is readable in the session" same_file "$OUT/resolv" "$OUT/resolv.host"
if testbed_run test -S /run/openmono/inference.sock; then
        check "the inference socket is there" has '^/run/openmono/inference\.sock$' "$OUT/sockets"
fi

echo "# A session with a dynamic user"
testbed_run sh -ec "mkdir -p /etc/openmono/projects
        printf '[Project]\nOwner=alice\nIdentity=dynamic\n[Sandbox]\nNetwork=none\n' >/etc/openmono/projects/hsdyn.project
        install -m 0644 $PROBE /var/lib/hs-probe.py"
testbed_run runuser -u alice -- openmonoctl run --pipe -p hsdyn -- /bin/sh -c \
        "id -un; $SOCKETS; /usr/bin/python3 /var/lib/hs-probe.py connect ${PLANTED[*]}" >"$OUT/dynamic" 2>&1 || true
show dynamic "$OUT/dynamic"
check "its name resolves (PID 1's userdb socket is bound in)" has '^om-hsdyn$' "$OUT/dynamic"
grep '^/' "$OUT/dynamic" >"$OUT/dynamic.sockets" || true
check "it sees that socket besides the allowed ones, and no other" \
        lacks_other "$ALLOWED|^/run/systemd/userdb/io\.systemd\.DynamicUser$" "$OUT/dynamic.sockets"
check "it reaches none of the planted ones" count_is ${#PLANTED[@]} '^blocked ' "$OUT/dynamic"

testbed_run sh -c "systemctl stop test-hostsock.service
        rm -f /etc/openmono/projects/hsdyn.project /dev/shm/om-host-shm /var/lib/hs-probe.py
        rm -rf /run/libvirt /run/podman /run/containerd /run/docker.sock /var/lib/incus /var/lib/lxd /var/snap \
                /run/postgresql/.s.PGSQL.5499 /run/systemd/userdb/io.test
        gpasswd -d alice hostsock >/dev/null" || true
rm -rf "$OUT"
