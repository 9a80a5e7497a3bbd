#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A session cannot evict the audit trail from the journal. Inside a session, alice (a plain
# user) writes 20 000 entries of 4 KB on each way into the journal a process has: stdout, syslog
# datagrams to /dev/log (what logger and syslog(3) do), native datagrams to
# /run/systemd/journal/socket (what sd_journal_send() does), logger and systemd-cat. From the
# host the test then looks for the controller's audit entry of that session's start in the
# system journal, and counts the flood's entries there and in the sessions' namespace.
# The bed's system journal is capped at a few MB for this test, so that eviction is quick to
# see; a positive control floods it the same way from a plain unit and watches an old entry go.
# Sourced by run.sh inside a booted test bed with OpenMono installed.

WS=/home/alice/flood
DROPIN=/etc/systemd/journald.conf.d/50-test-journal-flood.conf
MSG_STARTED=d60b362e3a9843ec855035cd85fa11fd
LINES=20000

# The flood, run as alice: LINES entries of 4 KB through each way in, tagged MARK, at
# priorities that cover all five of journald's rate-limit groups. Writes what it sent to
# REPORT, not to the journal, where it could be dropped with the flood.
write_flood() {
        testbed_run install -d -o alice -g alice -m 0755 $WS
        testbed_run sh -c "cat >$WS/flood.py && chown alice: $WS/flood.py" <<'EOF_PY'
import socket, subprocess, sys
mark, n, report = sys.argv[1], int(sys.argv[2]), sys.argv[3]
pad = "x" * 4000
prios = [2, 3, 4, 6, 7]
sent = {}

def dgram(path, fmt):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        s.connect(path)
        for i in range(n):
            s.send(fmt(i, prios[i % len(prios)]).encode())
    except OSError as e:
        return "%s: %s" % (path, e)
    return n

out = sys.stdout
for i in range(n):
    out.write("<%d>%s stdout %d %s\n" % (prios[i % len(prios)], mark, i, pad))
out.flush()
sent["stdout"] = n
sent["dev-log"] = dgram("/dev/log", lambda i, p: "<%d>flood: %s dev-log %d %s" % (8 + p, mark, i, pad))
sent["native"] = dgram("/run/systemd/journal/socket",
                       lambda i, p: "MESSAGE=%s native %d %s\nPRIORITY=%d\nSYSLOG_IDENTIFIER=flood\n" % (mark, i, pad, p))
lines = "".join("%s %%s %d %s\n" % (mark, i, pad) for i in range(n))
for tool, argv in (("logger", ["logger", "--size", "8192", "-t", "flood"]),
                   ("systemd-cat", ["systemd-cat", "-t", "flood"])):
    r = subprocess.run(argv, input=(lines % ((tool,) * n)).encode())
    sent[tool] = n if r.returncode == 0 else "exit status %d" % r.returncode
with open(report, "w") as f:
    print("sent:", " ".join("%s=%s" % kv for kv in sent.items()), file=f)
EOF_PY
}

# Entries of the main (default) journal, or of the sessions' namespace with --namespace=...,
# that carry MARK.
count_mark() {          # MARK [JOURNALCTL-OPTIONS...]
        local mark=$1; shift
        testbed_run sh -c "journalctl --no-pager -q -o cat $* | grep -c -F '$mark'; true"
}

journal_small() {
        testbed_run sh -ec "mkdir -p ${DROPIN%/*}
                printf '[Journal]\nSystemMaxUse=16M\nSystemMaxFileSize=2M\nRuntimeMaxUse=16M\nRuntimeMaxFileSize=2M\n' >$DROPIN
                systemctl restart systemd-journald.service
                journalctl --flush 2>/dev/null || true"
}

write_flood
journal_small
note "the bed's system journal is capped at 16M for this test (journald.conf drop-in)"

echo "# Positive control: the same flood from a plain unit rotates an old entry away"
CANARY=flood-canary-$RANDOM$RANDOM
testbed_run logger -t flood-test "$CANARY: an entry older than the flood"
testbed_run journalctl --sync
check_output "the old entry is in the system journal" "^1$" count_mark "$CANARY"
CTRL_MARK=ctrl-$RANDOM$RANDOM
check "a plain unit running as alice floods the system journal" \
        testbed_run systemd-run --quiet --wait --collect -p User=alice -p WorkingDirectory=$WS \
                /usr/bin/python3 $WS/flood.py "$CTRL_MARK" $LINES $WS/control.sent
testbed_run journalctl --sync
echo "# the plain unit $(testbed_run cat $WS/control.sent)"
echo "# $(count_mark "$CTRL_MARK") of $((LINES * 5)) entries of the plain unit's flood are in the system journal"
check_output "... and the old entry is gone: the cap makes eviction visible" "^0$" count_mark "$CANARY"

echo "# The same flood from inside alice's session"
MARK=flood-$RANDOM$RANDOM
ID=$(testbed_run runuser -u alice -- openmonoctl run -d -w $WS -- \
        /usr/bin/python3 /workspace/flood.py "$MARK" $LINES /workspace/session.sent)
check "the session $ID starts" test -n "$ID"
# Not "systemctl is-active": a session waiting for its network namespace is "inactive" with a
# start job queued, which looks like a session that has ended.
testbed_run timeout 300 runuser -u alice -- openmonoctl session wait "$ID" >/dev/null || true
testbed_run sh -c "journalctl --sync; journalctl --namespace=openmono --sync" || true
check_output "the flood ran: the session sent all $LINES entries on every way in" \
        "sent: stdout=$LINES dev-log=$LINES native=$LINES logger=$LINES systemd-cat=$LINES" \
        cat $WS/session.sent
IN_MAIN=$(count_mark "$MARK")
IN_NS=$(count_mark "$MARK" --namespace=openmono)
echo "# $IN_MAIN of $((LINES * 5)) entries of the session's flood reached the system journal; $IN_NS are in the namespace 'openmono'"
check_output "none of the session's flood is in the system journal" "^0$" count_mark "$MARK"
check_output "the controller's audit entry of the session's start is still in the system journal" \
        "OPENMONO_EVENT=session-(starting|running)" \
        journalctl --no-pager -o verbose MESSAGE_ID=$MSG_STARTED OPENMONO_SESSION="$ID" _SYSTEMD_UNIT=openmonod.service
check "the flood is in the namespace instead (the count above is not from a session that did nothing)" \
        test "$IN_NS" -gt 0
# 2000 entries per 30 s and priority group, which journald multiplies by 3 to 4 for the free
# space of the bed's namespace: 5 groups x 6000 to 8000.
check "... where journald rate-limited the session: $IN_NS of $((LINES * 5)) kept" \
        test "$IN_NS" -le 40000
check_output "... and kept it in the namespace's own files" "\.openmono$" \
        sh -c "ls -d /var/log/journal/*.openmono"
check_output "alice reads her session's output with openmonoctl session logs" "$MARK stdout 0 " \
        sh -c "runuser -u alice -- openmonoctl session logs $ID | head -n 3"
check_fails "bob does not" sh -c "runuser -u bob -- openmonoctl session logs $ID | grep -q -F '$MARK'"

testbed_run sh -c "rm -f $DROPIN; rm -rf $WS; systemctl restart systemd-journald.service" || true
