#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# openmono-agent in a real session: alice runs one whole task through openmonoctl run against
# tests/fake-llm, which the bed serves on an intranet address (10.10.0.2) that the default
# 'intranet' network policy lets sessions reach. The scripted model has the agent write code,
# run its failing test with bash, fix it and rerun it; the test checks the files on the host,
# the exit status, what the tools saw from inside the sandbox, the journal entries of the tool
# calls (with no argument values in them) and the transcript in alice's /storage. Sourced by
# run.sh inside a booted test bed with OpenMono installed.

WS=/home/alice/agent-app
LLM_DIR=/run/test-agent
LLM_ADDR=10.10.0.2
LLM_PORT=8081
ENDPOINT=http://$LLM_ADDR:$LLM_PORT/v1
SECRET_MARKER=do-not-log-this-value-4711

# Writes the model's script (inside the bed): the calls the model makes, in order.
write_script() {
        testbed_run /usr/bin/python3 - "$1" "$SECRET_MARKER" <<'EOF_PY'
import json, sys
path, marker = sys.argv[1], sys.argv[2]
# -B everywhere: the fix keeps calc.py's size and often its mtime second, so a cached .pyc
# would still hold the broken add().
def call(name, **a):
    return {"name": name, "arguments": a}
buggy = "def add(a, b):\n    return a - b\n"
test = "from calc import add\nassert add(2, 3) == 5, 'add is broken'\nprint('tests passed')\n"
responses = [
    {"content": "Writing the code and its test.", "chunk_size": 5,
     "tool_calls": [call("write_file", path="calc.py", content=buggy),
                    call("write_file", path="test_calc.py", content=test),
                    call("write_file", path="notes.txt", content=marker)]},
    {"tool_calls": [call("bash", command="/usr/bin/python3 -B test_calc.py")]},
    {"tool_calls": [call("edit_file", path="calc.py", old_text="a - b", new_text="a + b")]},
    {"tool_calls": [call("bash", command="/usr/bin/python3 -B test_calc.py")]},
    {"tool_calls": [call("bash", command="id -un; pwd; unshare -U true; echo unshare=$?"),
                    call("read_file", path="/home/alice/.bashrc")]},
    {"content": "Fixed add(); the test passes."},
]
json.dump({"responses": responses}, open(path, "w"))
EOF_PY
}

start_fake_llm() {
        testbed_run sh -ec "
                mkdir -p $LLM_DIR
                rm -f $LLM_DIR/requests.jsonl
                $TOP/tests/integration/netns-hosts.sh $LLM_ADDR
                systemctl stop test-fake-llm.service 2>/dev/null || true
                systemd-run --unit=test-fake-llm --collect -p Type=exec -p NetworkNamespacePath=/run/netns/omt-hosts /usr/bin/python3 \
                        $TOP/tests/fake-llm/fake-llm.py --script $LLM_DIR/script.json --host $LLM_ADDR \
                        --port $LLM_PORT --record $LLM_DIR/requests.jsonl >/dev/null
                for i in \$(seq 150); do
                        /usr/bin/python3 -c 'import socket; socket.create_connection((\"$LLM_ADDR\", $LLM_PORT), 1)' \
                                2>/dev/null && exit 0
                        sleep 0.1
                done
                exit 1
        "
}

# The n-th request's tool results (JSON list of strings), from the recorded requests.
tool_results() {
        testbed_run /usr/bin/python3 -c "
import json, sys
reqs = [json.loads(l)['body'] for l in open('$LLM_DIR/requests.jsonl')]
print(json.dumps([m['content'] for m in reqs[$1]['messages'] if m['role'] == 'tool']))"
}

testbed_run install -d -o alice -g alice -m 0755 "$WS"
testbed_run mkdir -p "$LLM_DIR"
write_script "$LLM_DIR/script.json"
check "fake-llm serves on $LLM_ADDR:$LLM_PORT in the bed" start_fake_llm

START=$(testbed_run date '+%Y-%m-%d %H:%M:%S')
check_output "alice's agent session finishes the task with exit status 0" \
        "openmono-agent: done after 6 steps.*\\(exit status 0\\)" \
        runuser -u alice -- openmonoctl run --pipe -w "$WS" -- openmono-agent --endpoint "$ENDPOINT" \
        --task "Make the tests pass."
check "the fixed code is in the workspace on the host" \
        grep -qx "    return a + b" "$WS/calc.py"
check_output "... written by alice" "^alice alice$" stat -c "%U %G" "$WS/calc.py"
check "... and its test passes on the host" sh -c "cd $WS && /usr/bin/python3 -B test_calc.py"
check_output "the model saw the failing test (exit status 1)" "add is broken.*exit status 1" tool_results 2
check_output "the model saw the passing rerun" "tests passed.*exit status 0" tool_results 4
check_output "commands ran in the sandbox as alice in /workspace" "alice.*/workspace" tool_results 5
check_output "unshare inside the agent's commands is refused" "unshare=1" tool_results 5
check_output "reading alice's home outside the workspace is refused" "outside the workspace" tool_results 5

# The agent logs from inside its session, i.e. into the sessions' journal namespace.
check_output "every tool call is in the sessions' journal with its fields" "^bash 3$" sh -c "
        journalctl --namespace=openmono --since '$START' -o json OPENMONO_TOOL=bash | /usr/bin/python3 -c '
import json, sys
e = [json.loads(l) for l in sys.stdin]
ok = all(\"OPENMONO_TOOL_DURATION_USEC\" in x and \"OPENMONO_TOOL_EXIT_STATUS\" in x and
         \"OPENMONO_TOOL_BYTES\" in x for x in e)
print(\"bash\", len(e) if ok else -1)'"
check_fails "no argument value reaches any journal" \
        sh -c "journalctl --namespace='*' --since '$START' -o json | grep -q '$SECRET_MARKER'"
check_output "the transcript is saved in alice's /storage" "\"status\": ?\"done\"" \
        sh -c "tail -n 1 /var/lib/openmono/storage/$(testbed_run id -u alice)/.local/state/openmono/transcripts/*.jsonl"

check_output "a model on the host's loopback is unreachable under 'intranet': exit status 6" "rc=6" sh -c "
        runuser -u alice -- openmonoctl run --pipe -w $WS -- openmono-agent --endpoint http://127.0.0.1:$LLM_PORT/v1 \
                --retries 0 --connect-timeout 2 --task x >/dev/null 2>&1; echo rc=\$?"

testbed_run systemctl stop test-fake-llm.service 2>/dev/null || true

echo "# The same task through the inference gateway, with no IP network at all"
# fake-llm now serves on the bed's loopback, which only the gateway may reach; the session has
# network 'none' and finds the model at the gateway's socket, the agent's default.
GW_PORT=18090
GW_DROPIN_DIR=/etc/systemd/system/openmono-gatewayd.service.d
testbed_run sh -ec "
        rm -f $WS/calc.py $WS/test_calc.py $WS/notes.txt $LLM_DIR/requests.jsonl
        systemd-run --unit=test-fake-llm-gw --collect -p Type=exec /usr/bin/python3 \
                $TOP/tests/fake-llm/fake-llm.py --script $LLM_DIR/script.json --host 127.0.0.1 \
                --port $GW_PORT --record $LLM_DIR/requests.jsonl >/dev/null
        mkdir -p /etc/openmono
        printf '[Upstream]\nName=fake\nURL=http://127.0.0.1:$GW_PORT/v1\n' >/etc/openmono/gateway.conf
        systemctl enable --now openmono-gatewayd.socket
        systemctl restart openmono-gatewayd.service 2>/dev/null || true
"
wait_until 10 /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $GW_PORT), 1)"
START=$(testbed_run date '+%Y-%m-%d %H:%M:%S')
check_output "alice's agent finishes the task through controller, session, gateway and model" \
        "openmono-agent: done after 6 steps.*\\(exit status 0\\)" \
        runuser -u alice -- openmonoctl run --pipe --network none -w "$WS" -- openmono-agent \
        --task "Make the tests pass."
check "... and the fixed code is in the workspace" grep -qx "    return a + b" "$WS/calc.py"
check_output "the gateway accounted 6 requests to alice's session" "^6 alice openmono-session$" sh -c "
        journalctl --since '$START' -o json _SYSTEMD_UNIT=openmono-gatewayd.service \
                MESSAGE_ID=12347139854e484cb24792d1d79e8e07 | /usr/bin/python3 -c '
import json, sys
e = [json.loads(l) for l in sys.stdin]
users = {x.get(\"OPENMONO_USER\") for x in e}
print(len(e), \",\".join(sorted(u for u in users if u)), \"openmono-session\" if all(x.get(\"OPENMONO_SESSION\") for x in e) else \"-\")'"
check_output "openmonoctl usage shows alice's requests to an administrator" "^alice +6 +0 " openmonoctl usage
check_output "... and to alice herself, as JSON" '"requests": 6' runuser -u alice -- openmonoctl usage --json
check_output "bob sees only his own line, not alice's" "^1 user;" sh -c "
        runuser -u bob -- openmonoctl usage | grep -v alice | grep -E '^($(testbed_run id -u bob)|bob) +0 ' >/dev/null &&
        runuser -u bob -- openmonoctl usage"
testbed_run sh -c "systemctl stop test-fake-llm-gw.service openmono-gatewayd.service 2>/dev/null
                   rm -f /etc/openmono/gateway.conf" || true
testbed_run rm -rf "$WS" "$LLM_DIR"
