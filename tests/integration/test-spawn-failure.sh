#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A session whose command systemd could not run: the controller looks in the journal for why
# (systemd logs it a moment after the unit is reported dead, and not at all for a command that
# exits with one of systemd's own statuses itself), and waits for that entry without keeping
# anybody else waiting. Proven from the position of another plain user: bob's ListSessions
# calls, made while alice's sessions end that way, are answered as fast as ever. The client
# still says what systemd reported, with the documented exit status.
# Sourced by run.sh inside a booted test bed with OpenMono installed.

WS=/home/alice/spawn
SESSION_INIT=/usr/libexec/openmono/openmono-session-init

ctl_rc() {      # USER ARGS... : openmonoctl as USER, its output, then "rc=STATUS"
        local user=$1; shift
        testbed_run_as "$user" sh -c 'openmonoctl "$@" 2>&1; echo "rc=$?"' sh "$@"
}

testbed_run install -d -o alice -g alice -m 0755 $WS

echo "# The command that does not exist"
check_output "alice's missing command: the reason, exit 127" \
        "Cannot execute /nonexistent/cmd: No such file or directory[[:space:]]+rc=127$" \
        ctl_rc alice run -w $WS -- /nonexistent/cmd
# Without the session's own init in front of it, systemd itself fails to execute the unit's
# command, and the reason is only in the entry it logs for the unit.
testbed_run mv $SESSION_INIT $SESSION_INIT.moved
check_output "... and when systemd itself cannot execute it, what systemd logged, exit 127" \
        "Cannot execute $SESSION_INIT: No such file or directory[[:space:]]+rc=127$" \
        ctl_rc alice run -w $WS -- /nonexistent/cmd
testbed_run mv $SESSION_INIT.moved $SESSION_INIT

echo "# Nobody waits for the journal with it"
# Status 200 is systemd's EXIT_CHDIR: the controller looks for an entry that never comes, for
# its whole wait (half a second), each time: a controller that waited on its one thread would
# keep everybody else waiting about that long, once for each of alice's three sessions.
# Meanwhile bob lists his sessions, one call after the other, and every call's time is measured.
testbed_run rm -f /tmp/spawn-alice.out /tmp/spawn-done
testbed_run sh -c "
        runuser -u alice -- sh -c '
                for i in 1 2 3; do
                        (s=\$(date +%s%N)
                         openmonoctl run -w $WS -- sh -c \"sleep 0.5; exit 200\" </dev/null >/dev/null 2>&1
                         echo \"rc=\$? ms=\$(( (\$(date +%s%N) - s) / 1000000 ))\") &
                done
                wait' >/tmp/spawn-alice.out 2>&1
        touch /tmp/spawn-done" >/dev/null 2>&1 &
alice_pid=$!
bob_ms=$(mktemp)
testbed_run_as bob sh -c '
        while [ ! -e /tmp/spawn-done ]; do
                s=$(date +%s%N)
                openmonoctl session list >/dev/null 2>&1 || echo failed
                echo $(( ($(date +%s%N) - s) / 1000000 ))
        done' >"$bob_ms" 2>&1 || true
wait $alice_pid || true
testbed_run cat /tmp/spawn-alice.out | sed 's/^/# alice: /'
n=$(grep -c '^[0-9]' "$bob_ms" || true)
max=$(grep '^[0-9]' "$bob_ms" | sort -n | tail -1)
median=$(grep '^[0-9]' "$bob_ms" | sort -n | sed -n "$(( (n + 1) / 2 ))p")
slow=$(awk '/^[0-9]/ && $1 >= 300' "$bob_ms" | wc -l)
echo "# bob: $n ListSessions calls while alice's 3 sessions ended, median ${median:-?} ms, slowest ${max:-?} ms," \
     "$slow of 300 ms or more"
check_output "alice's sessions exited with their own status 200, each after the controller's wait" \
        "^(rc=200 ms=([0-9]{4,})[[:space:]]*){3}$" cat /tmp/spawn-alice.out
bob_all_answered() {
        ! grep -q failed "$bob_ms" && [ "$n" -ge 10 ]
}
check "bob's calls were all answered" bob_all_answered
bob_never_waited() {
        [ "$slow" -le 1 ]
}
# Blocked by the controller's waits, three of bob's calls would take 400 ms or more; one slow
# call may be the load of the machine.
check "... at most one of them took 300 ms or more ($slow did; the slowest ${max:-?} ms)" bob_never_waited
rm -f "$bob_ms"
testbed_run rm -f /tmp/spawn-alice.out /tmp/spawn-done
