#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Real agents think through the model URL: OpenCode (npm opencode-ai, `opencode run`) and a tiny
# agent on the official `openai` npm package (tests/clients/openai-agent.cjs) each fix a failing
# test inside a 'none' session, told nothing but what the session announces (OPENAI_BASE_URL,
# OPENAI_API_KEY). tests/fake-llm plays the model behind the gateway; its script reads the file,
# edits it and runs the test, with OpenCode's tool names. Both clients come pinned from
# scripts/install-deps.sh. Sourced by run.sh inside a booted test bed.

MC_CLIENTS=${OPENMONO_TEST_CLIENTS:-/usr/local/lib/openmono-test-clients}
MC_OPENCODE=$MC_CLIENTS/node_modules/.bin/opencode
MC_DIR=/run/test-model-clients
MC_GW=openmono-gatewayd.service
MC_WS=/home/alice/mc

mc_script() {
        testbed_run /usr/bin/python3 - "$MC_DIR/script.json" <<'EOF_PY'
import json, sys
def call(name, **a):
    return {"name": name, "arguments": a}
run = "/usr/bin/python3 -B test_calc.py"
responses = [
    {"content": "Running the tests first.", "tool_calls": [call("bash", command=run, description="Run the test")]},
    {"tool_calls": [call("read", filePath="/workspace/calc.py")]},
    {"tool_calls": [call("edit", filePath="/workspace/calc.py", oldString="a - b", newString="a + b")]},
    {"tool_calls": [call("bash", command=run, description="Run the test again")]},
    {"content": "Fixed add(); the test passes."},
]
json.dump({"responses": responses}, open(sys.argv[1], "w"))
EOF_PY
}

# A fresh workspace with the bug, and a fake model at the start of its script.
mc_reset() {
        testbed_run sh -ec "
                rm -rf $MC_WS; install -d -o alice -g alice -m 0755 $MC_WS
                printf 'def add(a, b):\n    return a - b\n' > $MC_WS/calc.py
                printf \"from calc import add\nassert add(2, 3) == 5, 'add is broken'\nprint('tests passed')\n\" \
                        > $MC_WS/test_calc.py
                cat > $MC_WS/opencode.json <<'JSON'
{
  \"\$schema\": \"https://opencode.ai/config.json\",
  \"provider\": {
    \"openmono\": {
      \"npm\": \"@ai-sdk/openai-compatible\",
      \"name\": \"OpenMono\",
      \"options\": { \"baseURL\": \"{env:OPENAI_BASE_URL}\", \"apiKey\": \"{env:OPENAI_API_KEY}\" },
      \"models\": { \"mc-coder\": { \"name\": \"coder\", \"tool_call\": true }, \"mc-title\": { \"name\": \"titles\" } }
    }
  },
  \"model\": \"openmono/mc-coder\",
  \"small_model\": \"openmono/mc-title\",
  \"autoupdate\": false,
  \"share\": \"disabled\",
  \"permission\": { \"edit\": \"allow\", \"bash\": \"allow\", \"webfetch\": \"deny\" }
}
JSON
                chown alice:alice $MC_WS/*
                rm -f $MC_DIR/requests.jsonl
                systemctl stop test-mc-llm.service 2>/dev/null || true
                systemd-run --quiet --unit=test-mc-llm --collect -p Type=exec /usr/bin/python3 \
                        $TOP/tests/fake-llm/fake-llm.py --script $MC_DIR/script.json --host 127.0.0.1 \
                        --port 18093 --record $MC_DIR/requests.jsonl"
        wait_until 10 curl -sf -o /dev/null http://127.0.0.1:18093/v1/models
}

# The script's model and a second one for OpenCode's session titles, which it asks for on the
# side; fake-upstream answers those, so they do not take a step of the script.
mc_setup() {
        testbed_run sh -ec "
                mkdir -p $MC_DIR
                systemctl stop test-mc-titles.service 2>/dev/null || true
                systemd-run --quiet --unit=test-mc-titles --collect -p Type=exec \
                        /usr/bin/python3 $TOP/tests/integration/fake-upstream.py --port 18094
                install -d -m 0755 /etc/openmono
                cat > /etc/openmono/gateway.conf <<'CONF'
[Upstream]
Name=script
URL=http://127.0.0.1:18093/v1
Models=mc-coder:scripted

[Upstream]
Name=titles
URL=http://127.0.0.1:18094/v1
Models=mc-title:fake-model
CONF
                systemctl enable --now openmono-gatewayd.socket
                systemctl try-restart $MC_GW"
        mc_script
}

mc_cleanup() {
        testbed_run sh -c "
                systemctl stop test-mc-llm.service test-mc-titles.service $MC_GW 2>/dev/null
                rm -rf /etc/openmono/gateway.conf $MC_DIR $MC_WS" || true
}

# The steps the scripted model was asked for, and which session's identity the gateway gave them.
mc_requests() {
        testbed_run /usr/bin/python3 -c "
import json
reqs = [json.loads(l)['body'] for l in open('$MC_DIR/requests.jsonl')]
print(len(reqs), 'requests, users:', sorted(set(r.get('user') for r in reqs)))"
}

mc_run() {      # COMMAND... in a 'none' session of alice on the workspace
        testbed_run runuser -u alice -- openmonoctl run --pipe --network none -w $MC_WS -- "$@"
}

if ! testbed_run test -x "$MC_OPENCODE" || ! testbed_run test -d "$MC_CLIENTS/node_modules/openai"; then
        note "the pinned npm clients are not installed in $MC_CLIENTS (scripts/install-deps.sh): skipped"
        return 0
fi

trap mc_cleanup RETURN
mc_cleanup
mc_setup

echo "# A tiny agent on the openai npm package"
mc_reset
check_output "it fixes the test through \$OPENAI_BASE_URL, told nothing else" \
        "tool bash: tests passed.*openai-agent: done after 5 steps" \
        mc_run /usr/bin/env NODE_PATH=$MC_CLIENTS/node_modules /usr/bin/node $TOP/tests/clients/openai-agent.cjs \
        mc-coder "Make the tests pass."
check_output "... the workspace holds the fix" "return a \+ b" cat $MC_WS/calc.py
check_output "... every step reached the model as alice's session, by the gateway's word" \
        "^5 requests, users: \['alice/[0-9a-f]{16}'\]$" mc_requests
mc_reset
check_fails "control: without the announcement the same client cannot reach a model" \
        mc_run /usr/bin/env -u OPENAI_BASE_URL NODE_PATH=$MC_CLIENTS/node_modules /usr/bin/node \
        $TOP/tests/clients/openai-agent.cjs mc-coder "Make the tests pass."
check_output "... and the fake model heard nothing" "^0 requests" \
        sh -c "test -e $MC_DIR/requests.jsonl && wc -l < $MC_DIR/requests.jsonl | sed 's/\$/ requests/' || echo 0 requests"

echo "# OpenCode"
mc_reset
note "OpenCode $(testbed_run "$MC_OPENCODE" --version 2>/dev/null), run as 'opencode run' in a 'none' session"
check_output "opencode run fixes the test through \$OPENAI_BASE_URL" "tests passed.*Fixed add\(\); the test passes\." \
        mc_run /usr/bin/env OPENCODE_DISABLE_MODELS_FETCH=1 OPENCODE_DISABLE_AUTOUPDATE=1 \
        "$MC_OPENCODE" run "Make the tests pass."
check_output "... the workspace holds the fix" "return a \+ b" cat $MC_WS/calc.py
check_output "... every step reached the model as alice's session, by the gateway's word" \
        "^5 requests, users: \['alice/[0-9a-f]{16}'\]$" mc_requests
