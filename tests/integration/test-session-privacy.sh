#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# What systemd shows every local user about a session holds nothing private. alice starts an
# agent task whose text holds a canary, on a workspace whose directory name is another; bob,
# a plain local user, then reads all that systemd and the kernel show him of her session:
# every unit property (systemctl show --all, the D-Bus properties through busctl), the unit's
# status with its processes, the unit list, /run/systemd/transient and every process's
# command line, and the test scans what he saw for both. The canary demonstrably reached the
# agent (in its request to the model, and in alice's transcript), so a scan that finds nothing
# has looked at a session that had it. The model is tests/fake-llm behind the inference gateway.
# Sourced by run.sh inside a booted test bed with OpenMono installed.

LLM_DIR=/run/test-session-privacy
GW_PORT=18091
CANARY_FILE=/root/task-canary
NAME_FILE=/root/workspace-name
VIEW=/root/bob-view.out

# The canary and the directory name are random and kept in root-only files; the test passes
# them to grep with -f only, so that no command line of its own contains them while bob looks.
testbed_run sh -ec "
        (umask 077
         echo task-canary-\$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n') >$CANARY_FILE
         echo wsname-\$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n') >$NAME_FILE)
        install -d -o alice -g alice -m 0755 /home/alice/\$(cat $NAME_FILE)
        mkdir -p $LLM_DIR
        # A command that keeps the session running while bob looks, then the end.
        echo '{\"responses\": [{\"tool_calls\": [{\"name\": \"bash\", \"arguments\": {\"command\": \"sleep 15\"}}]},
                {\"content\": \"Done.\"}], \"repeat_last\": true}' >$LLM_DIR/script.json
        rm -f $LLM_DIR/requests.jsonl
        systemctl stop test-privacy-llm.service 2>/dev/null || true
        systemd-run --unit=test-privacy-llm --collect -p Type=exec /usr/bin/python3 \
                $TOP/tests/fake-llm/fake-llm.py --script $LLM_DIR/script.json --host 127.0.0.1 \
                --port $GW_PORT --record $LLM_DIR/requests.jsonl >/dev/null
        mkdir -p /etc/openmono
        printf '[Upstream]\nName=fake\nURL=http://127.0.0.1:$GW_PORT/v1\n' >/etc/openmono/gateway.conf
"
wait_until 10 /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $GW_PORT), 1)"
# Once the model listens, so that the gateway's first health check finds it up.
testbed_run sh -c "systemctl enable --now openmono-gatewayd.socket && systemctl restart openmono-gatewayd.service"

# Fails if the string in NEEDLE-FILE is in what bob saw, or if bob saw nothing of the session:
# a scan of nothing proves nothing. Lines matching EXCLUDE (an extended regex) are left out.
not_in_view() {         # NEEDLE-FILE [EXCLUDE]
        testbed_run sh -c "grep -q -F 'openmono-session-$ID' $VIEW || { echo 'bob saw nothing of the session'; exit 1; }
                ! grep -a -v -E '${2:-^\$^}' $VIEW | grep -a -F -f $1"
}

echo "# alice starts an agent task; bob looks"
ID=$(testbed_run sh -c "runuser -u alice -- openmonoctl run -d --network none -w /home/alice/\$(cat $NAME_FILE) \
        \"Please fix \$(cat $CANARY_FILE) in the parser.\"")
UNIT=openmono-session-$ID.service
check "alice's session $ID runs" wait_until 20 systemctl is-active -q "$UNIT"
check "... and its agent has asked the model" wait_until 20 test -s $LLM_DIR/requests.jsonl
UNIT_PATH=$(testbed_run busctl call org.freedesktop.systemd1 /org/freedesktop/systemd1 \
        org.freedesktop.systemd1.Manager GetUnit s "$UNIT" | cut -d'"' -f2)
check "bob reads all systemd shows him of the session" sh -c "runuser -u bob -- sh -c '
        systemctl show --all $UNIT
        systemctl status --no-pager --full --lines=0 $UNIT
        systemctl list-units --all --no-pager --full \"openmono-session-*\"
        busctl introspect --no-pager org.freedesktop.systemd1 $UNIT_PATH
        for i in org.freedesktop.systemd1.Unit org.freedesktop.systemd1.Service; do
                busctl get-property org.freedesktop.systemd1 $UNIT_PATH \$i ExecStart Description Environment \
                        LoadCredential BindPaths RequiresMountsFor WorkingDirectory 2>/dev/null
        done
        for f in /run/systemd/transient/*; do echo \"== \$f\"; cat \"\$f\"; done 2>&1
        for p in /proc/[0-9]*; do tr \"\\\\0\" \" \" <\$p/cmdline; echo; done 2>/dev/null
        openmonoctl session list 2>&1
' >$VIEW 2>&1; test -s $VIEW"
testbed_run sh -c "echo \"# bob saw \$(wc -l <$VIEW) lines; transient unit file readable by him: \$(runuser -u bob -- test -r /run/systemd/transient/$UNIT && echo yes || echo no)\""
check "... among them the session's ExecStart= and Description=" \
        sh -c "grep -q '^ExecStart=.*openmono-agent' $VIEW && grep -q '^Description=OpenMono session $ID' $VIEW"
check "the task's text is nowhere in it" not_in_view $CANARY_FILE
# BindPaths= names the workspace until it is pinned at a mount point of the controller's own
# (/run/openmono/mounts/); then no exception is left.
if testbed_run grep -q '^BindPaths=/run/openmono/mounts/' $VIEW; then
        check "the workspace's directory name is nowhere in it" not_in_view $NAME_FILE
else
        note "BindPaths= still names the workspace by its path; pinning it is a separate change"
        check "the workspace's directory name is nowhere in it but BindPaths=" not_in_view $NAME_FILE 'BindPaths'
fi
check_output "the unit's command line names the task's credential, not the task" \
        "^ExecStart=.*argv\[\]=.*openmono-agent --task-credential openmono-task ;" \
        grep '^ExecStart=' $VIEW

echo "# The canary did reach the session (the scan would have seen it)"
check "the agent sent the task to the model" sh -c "grep -q -F -f $CANARY_FILE $LLM_DIR/requests.jsonl"
check "alice sees her workspace in openmonoctl session show" \
        sh -c "runuser -u alice -- openmonoctl session show $ID | grep -F -f $NAME_FILE"
check "alice's agent finishes" wait_until 60 sh -c "systemctl is-active $UNIT | grep -qx -E 'inactive|failed'"
check "the task is in alice's transcript" sh -c "grep -q -F -f $CANARY_FILE \
        /var/lib/openmono/storage/$(testbed_run id -u alice)/.local/state/openmono/transcripts/*.jsonl"
check "nothing is left staged for the session" sh -c "test ! -e /run/openmono/credentials/$ID"

testbed_run sh -c "systemctl stop test-privacy-llm.service openmono-gatewayd.service 2>/dev/null
        rm -rf /etc/openmono/gateway.conf $LLM_DIR $VIEW /home/alice/\$(cat $NAME_FILE) $CANARY_FILE $NAME_FILE" || true
