#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The controller as systemd runs it: openmonod.socket starts openmonod on the first call,
# the daemon exits when idle and comes back on demand, unprivileged users get answers, bad
# input on the socket gets an error or a closed connection but never a crash, and a stopped
# controller gives openmonoctl a clear failure. Sourced by run.sh inside a booted test bed
# with OpenMono installed.

SOCKET=/run/openmono/io.openmono.Manager
DROPIN=/etc/openmono/openmono.conf.d/50-integration-idle.conf

service_inactive() {
        ! testbed_run systemctl is-active --quiet openmonod.service
}

# Writes hostile byte streams to the controller's socket, one connection each, and reports
# per stream whether the server answered with a Varlink error, closed the connection, or
# did neither (hung). Exits nonzero if any stream got something else: no reply at all, or a
# reply that is not a Varlink error. Runs as the user given, so the garbage comes from an
# unprivileged peer.
send_garbage() {
        testbed_run_as "$1" /usr/bin/python3 -c '
import json, os, socket, sys

PATH = sys.argv[1]
STREAMS = [
    ("random bytes", os.urandom(65536)),
    ("a 4 MiB line without NUL", b"{\"method\":\"" + b"A" * (4 << 20)),
    ("invalid JSON followed by NUL", b"{\"method\": io.openmono, ]]\0"),
    ("JSON that is not an object", b"[1, 2, 3]\0"),
    ("an object without a method", b"{\"parameters\": {}}\0"),
    ("a method name that is not a string", b"{\"method\": 42}\0"),
    ("parameters that are not an object", b"{\"method\": \"io.openmono.Manager.GetStatus\", \"parameters\": \"x\"}\0"),
    ("an unknown method", b"{\"method\": \"io.openmono.Manager.NoSuchMethod\"}\0"),
    ("an unknown interface", b"{\"method\": \"com.example.Evil.Do\", \"parameters\": {}}\0"),
    ("an empty message", b"\0"),
]

def outcome(payload):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(PATH)
    try:
        s.sendall(payload)
    except (BrokenPipeError, ConnectionResetError):
        return "closed"
    buf = b""
    for attempt in range(2):
        try:
            while b"\0" not in buf:
                chunk = s.recv(65536)
                if not chunk:
                    return "closed" if not buf else "closed after a partial reply"
                buf += chunk
            break
        except ConnectionResetError:
            return "closed"
        except socket.timeout:
            # The server may be waiting for the rest of a message: say there is no more.
            if attempt == 0:
                s.shutdown(socket.SHUT_WR)
                continue
            return "no reply and no close"
    try:
        reply = json.loads(buf.split(b"\0")[0])
    except ValueError:
        return "a reply that is not JSON: %r" % buf[:200]
    if isinstance(reply, dict) and isinstance(reply.get("error"), str):
        return "error " + reply["error"]
    return "a reply that is not an error: %r" % buf[:200]

bad = 0
for name, payload in STREAMS:
    r = outcome(payload)
    ok = r == "closed" or r.startswith("error ")
    bad += not ok
    print("%s: %s -> %s" % ("ok" if ok else "BAD", name, r))
sys.exit(1 if bad else 0)
' "$SOCKET"
}

# Keeps one client connection open for SECONDS without sending anything.
hold_connection() {
        testbed_run /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
time.sleep(float(sys.argv[2]))
' "$SOCKET" "$1"
}

# With a 2s idle timeout, an open but silent connection must keep the controller up. The
# PID must stay the same: a controller that exited and was socket-activated again by the
# next client would be "active" too.
connection_keeps_it_alive() {
        local pid holder rc=0
        pid=$(show MainPID)
        hold_connection 4 &
        holder=$!
        sleep 3.5
        testbed_run systemctl is-active --quiet openmonod.service || rc=1
        [ "$(show MainPID)" = "$pid" ] || rc=1
        wait "$holder" || rc=1
        return "$rc"
}

# Prints a property of openmonod.service.
show() {
        testbed_run systemctl show -P "$1" openmonod.service
}

# Prints "rc=N" with the exit status of USER's openmonoctl status.
status_rc_as() {
        local rc=0
        testbed_run_as "$1" timeout 10 openmonoctl status >/dev/null 2>&1 || rc=$?
        echo "rc=$rc"
}

if ! testbed_run systemctl cat openmonod.socket >/dev/null 2>&1; then
        check "openmonod.socket is installed" systemctl cat openmonod.socket
        note "the build has no openmonod.socket unit: the controller tests cannot run"
        return 0
fi

echo "# Socket activation"
# Start from a known state: no controller running, default configuration.
testbed_run systemctl stop openmonod.service >/dev/null 2>&1
testbed_run rm -f "$DROPIN"
check "openmonod.socket is enabled" systemctl is-enabled openmonod.socket
check "openmonod.socket is listening" systemctl is-active openmonod.socket
check_output "the socket is $SOCKET" "^$SOCKET\$" sh -c "systemctl show -P Listen openmonod.socket | cut -d' ' -f1"
check "openmonod.service is not running before the first call" service_inactive
check "openmonoctl status (root) succeeds" openmonoctl status
check "... and has started openmonod.service through the socket" systemctl is-active openmonod.service
check_output "openmonod.service is Type=notify" "^notify$" systemctl show -P Type openmonod.service

echo "# Unprivileged callers"
check_output "alice gets the status, and the controller knows her" "alice" testbed_run_as alice openmonoctl status
check_output "bob gets the status as JSON" "\"version\"" testbed_run_as bob openmonoctl status --json

echo "# JSON output"
check "openmonoctl status --json is JSON with version, uptime_usec, pid, sessions, connections" \
        sh -c "openmonoctl status --json | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
missing = [k for k in (\"version\", \"uptime_usec\", \"pid\", \"sessions\", \"connections\") if k not in d]
assert not missing, \"missing keys: %s\" % missing'"
check "the pid it reports is openmonod.service's MainPID" sh -c \
        "test \"\$(openmonoctl status --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[\"pid\"])')\" \
              = \"\$(systemctl show -P MainPID openmonod.service)\""

echo "# Garbage on the socket (from alice)"
pid_before=$(show MainPID || true)
restarts_before=$(show NRestarts || true)
note "openmonod runs as PID $pid_before, restarted $restarts_before times so far"
garbage_rc=0
garbage=$(send_garbage alice 2>&1) || garbage_rc=$?
sed 's/^/#   /' <<<"$garbage"
check "every hostile stream above got a Varlink error or a closed connection" test "$garbage_rc" = 0
check_output "an unknown method gets org.varlink.service.MethodNotFound" "MethodNotFound" testbed_run_as alice \
        /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
s.sendall(b"{\"method\": \"io.openmono.Manager.NoSuchMethod\", \"parameters\": {}}\0")
print(s.recv(65536).decode(errors="replace").rstrip("\0"))' "$SOCKET"
check "openmonoctl status still works afterwards" openmonoctl status
check "openmonod.service is still active" systemctl is-active openmonod.service
check_output "... with the same MainPID ($pid_before): it did not crash" "^$pid_before\$" \
        systemctl show -P MainPID openmonod.service
check_output "... and NRestarts unchanged ($restarts_before)" "^$restarts_before\$" \
        systemctl show -P NRestarts openmonod.service

echo "# Idle exit (IdleTimeoutSec=2s in a drop-in)"
testbed_run sh -ec "mkdir -p ${DROPIN%/*}; printf '[Controller]\nIdleTimeoutSec=2s\n' >$DROPIN"
check "the controller restarts with the drop-in" systemctl restart openmonod.service
check "a client holding a connection for 4s keeps the same controller running" connection_keeps_it_alive
check "it exits by itself within 10s once idle" wait_until 10 service_inactive
check_output "... cleanly (inactive, Result=success)" "^inactive success$" \
        sh -c 'echo $(systemctl show -P ActiveState openmonod.service) $(systemctl show -P Result openmonod.service)'
check "the next openmonoctl status starts it again" openmonoctl status
check "openmonod.service is active again" systemctl is-active openmonod.service
check "... and after 2s of idleness it is gone again" wait_until 10 service_inactive
testbed_run rm -f "$DROPIN"

echo "# The controller stopped"
testbed_run systemctl stop openmonod.socket openmonod.service >/dev/null 2>&1
check_fails "openmonoctl status fails when the socket is stopped" openmonoctl status
check_output "... with exit status 3 (controller not reachable)" "^rc=3$" sh -c 'openmonoctl status >/dev/null 2>&1; echo rc=$?'
check_output "... and a message saying the controller is not reachable" "[Nn]ot reachable|[Uu]nreachable" \
        sh -c 'openmonoctl status 2>&1 || true'
check_output "alice gets the same failure, not a hang" "^rc=3$" status_rc_as alice
testbed_run systemctl start openmonod.socket
check "with the socket started again openmonoctl status works" openmonoctl status

echo "# Hardening of openmonod.service (systemd-analyze security)"
security=$(testbed_run systemd-analyze security --no-pager openmonod.service 2>&1 || true)
sed 's/^/#   /' <<<"$security"
note "$(grep -E 'Overall exposure level' <<<"$security" | sed 's/^→ *//' || echo 'openmonod.service: no rating')"
check_output "systemd-analyze security rates openmonod.service" "Overall exposure level" \
        echo "$security"
