#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A session's life around the controller and after its end: an attached run outlives a killed
# controller and still exits with the session's status, also when the session ends while no
# controller runs; "session logs -f" ends with the session; an administrator's "logs" of another
# user's session says why it shows nothing; openmono@ of a project that does not exist fails;
# ended sessions (also one killed by a signal) stay visible in list --all, show, status and wait,
# with their result and resource use in human units.
# Sourced by run.sh inside a booted test bed with OpenMono installed.

WS=/home/alice/life

as() {          # USER COMMAND... : runs a command as USER
        local user=$1; shift
        testbed_run runuser -u "$user" -- "$@"
}

# Starts a detached session of alice running the shell command $1; prints its id.
detached() {
        testbed_run runuser -u alice -- openmonoctl run -d -w $WS -- /bin/sh -c "$1"
}

testbed_run install -d -o alice -g alice -m 0755 $WS

echo "# An attached run and a controller that dies"
check_output "alice's attached run exits 7 although the controller was killed (-9) while it waited" \
        "^rc=7$" sh -c "
        runuser -u alice -- openmonoctl run --pipe -w $WS -- /bin/sh -c 'sleep 3; exit 7' >/root/life.out 2>&1 &
        pid=\$!; sleep 1.5
        systemctl kill -s KILL openmonod.service; wait \$pid; echo rc=\$?; cat /root/life.out"
check_fails "... and printed no protocol error" grep -q "io.openmono" /root/life.out
check_output "... and exits 5 when the controller is stopped and the session ends before it is back" "^rc=5$" sh -c "
        runuser -u alice -- openmonoctl run --pipe -w $WS -- /bin/sh -c 'sleep 2; exit 5' >/root/life.out 2>&1 &
        pid=\$!; sleep 1
        systemctl stop openmonod.socket
        sleep 3; systemctl start openmonod.socket
        wait \$pid; echo rc=\$?; cat /root/life.out"

id=$(detached 'sleep 2; exit 4')
# Stopping the socket first, so that nothing starts the killed controller before the session ends.
testbed_run sh -c "sleep 0.5; systemctl stop openmonod.socket; sleep 3; systemctl start openmonod.socket"
check_output "a session that ended while the controller was down shows its exit status" "Ended with: exit 4" \
        as alice openmonoctl session show "$id"
check_output "... and its end is in the audit trail" "OPENMONO_EXIT_STATUS=4" \
        journalctl -o export --no-pager OPENMONO_SESSION="$id" OPENMONO_EVENT=session-exited

echo "# Logs"
id=$(detached 'echo first-line; sleep 2; echo last-line')
check_output "'session logs -f' ends when the session ends, with all its output" "last-line.*rc=0" \
        bash -c "timeout 30 runuser -u alice -- openmonoctl session logs -f $id | tr '\n' ' '; echo rc=\${PIPESTATUS[0]}"
check_output "carol (an administrator, not in systemd-journal) is told why she sees nothing" \
        "in alice's journal.*rc=4" \
        sh -c "runuser -u carol -- openmonoctl session logs $id 2>&1; echo rc=\$?"
check_output "root reads it" "last-line" openmonoctl session logs "$id"

echo "# openmono@NAME"
check_fails "systemctl start openmono@nosuch fails" systemctl start openmono@nosuch.service
testbed_run sh -ec "
        if [ -e /usr/bin/openmono-agent ]; then mv /usr/bin/openmono-agent /usr/bin/openmono-agent.real; fi
        printf '#!/bin/sh\necho \"stub-agent-output: \$(cat \"\$CREDENTIALS_DIRECTORY/\$2\")\"\n' >/usr/bin/openmono-agent
        chmod 755 /usr/bin/openmono-agent
        mkdir -p /etc/openmono/projects
        printf '[Project]\nOwner=alice\nWorkspace=$WS\n[Agent]\nTask=life-task\n' >/etc/openmono/projects/life.project"
check "systemctl start openmono@life (a project that exists) succeeds" systemctl start openmono@life.service
check_output "... its journal names the session" "Started session [0-9a-f]{16}" \
        sh -c "sleep 1; journalctl --no-pager -u openmono@life.service"
life_output() {
        testbed_run sh -c "id=\$(journalctl --no-pager -o cat -u openmono@life.service | sed -n 's/^Started session \\([0-9a-f]*\\);.*/\\1/p' | tail -1)
               journalctl --no-pager --namespace=openmono -u openmono-session-\$id.service"
}
# The session may still be writing, and journald flushing, when its start is reported.
life_output_has_task() {
        life_output | grep -q "stub-agent-output: life-task"
}
wait_until 15 life_output_has_task || true
check_output "... whose unit's journal has the output, as the unit's comment now says" "stub-agent-output: life-task" \
        life_output
# openmono@'s output is a journal stream; passed on, the session's output would reach the
# system journal past its namespace and rate limit (a way to flood the audit trail).
check_fails "... in the session's journal namespace only, not in the system journal" \
        sh -c "journalctl --no-pager -o cat -g stub-agent-output --since=-5min | grep -q life-task"
testbed_run sh -ec "
        rm -f /usr/bin/openmono-agent /etc/openmono/projects/life.project
        if [ -e /usr/bin/openmono-agent.real ]; then mv /usr/bin/openmono-agent.real /usr/bin/openmono-agent; fi"

echo "# Ended sessions"
id=$(detached 'echo status-line; exit 3')
check_output "'session wait' exits with the session's status" "rc=3" \
        sh -c "runuser -u alice -- openmonoctl session wait $id; echo rc=\$?"
check_output "'session show' of the ended session says how it ended" "Ended with: exit 3" \
        as alice openmonoctl session show "$id"
check_output "... with CPU time in human units" "CPU: [0-9.]+(us|ms|s)$" as alice openmonoctl session show "$id"
check_output "... its runtime" "Runtime: [0-9]" as alice openmonoctl session show "$id"
check_output "... and '-' as the project of a session without one" "Project: -$" as alice openmonoctl session show "$id"
check_output "'session status' adds its last lines of output" "status-line" as alice openmonoctl session status "$id"
check_output "'session list --all' lists it" "^$id +alice +- +exited +exit 3 " as alice openmonoctl session list --all
check_fails "'session list' without --all does not" sh -c "runuser -u alice -- openmonoctl session list | grep -q $id"
check_output "--state=exited selects it" "$id" as alice openmonoctl session list --state=exited
check_fails "--user=bob does not" sh -c "runuser -u alice -- openmonoctl session list --all --user=bob | grep -q $id"
check_output "--project=- selects sessions without a project" "$id" as alice openmonoctl session list --all --project=-
check_output "bob may not see it" "rc=4" sh -c "runuser -u bob -- openmonoctl session show $id; echo rc=\$?"
check_fails "... nor list it" sh -c "runuser -u bob -- openmonoctl session list --all | grep -q $id"
check_output "carol (an administrator) lists it" "$id" as carol openmonoctl session list --all
check_output "'session wait' of a session that has already ended answers at once" "rc=3" \
        sh -c "timeout 10 runuser -u alice -- openmonoctl session wait $id; echo rc=\$?"

id=$(testbed_run runuser -u alice -- openmonoctl run -d -w $WS --runtime-max=1s -- sleep 60)
check_output "a session its runtime limit stopped: 'session wait' says so and exits 124, as run does" \
        "runtime limit 1s reached\..*rc=124$" \
        sh -c "runuser -u alice -- openmonoctl session wait $id 2>&1; echo rc=\$?"

id=$(detached 'kill -KILL $$')
check_output "a session killed by SIGKILL: wait exits 128+9" "rc=137" \
        sh -c "runuser -u alice -- openmonoctl session wait $id; echo rc=\$?"
check_output "... show names the signal" "Ended with: SIGKILL" as alice openmonoctl session show "$id"
check_output "... the audit trail records the signal" "OPENMONO_EXIT_SIGNAL=SIGKILL" \
        journalctl -o export --no-pager OPENMONO_SESSION="$id" OPENMONO_EVENT=session-exited
check_fails "... and no exit status" sh -c \
        "journalctl -o export --no-pager OPENMONO_SESSION=$id OPENMONO_EVENT=session-exited | grep -q OPENMONO_EXIT_STATUS="
check_output "--json has the signal apart from the exit" '"signal": "SIGKILL"' \
        as alice openmonoctl --json session show "$id"
