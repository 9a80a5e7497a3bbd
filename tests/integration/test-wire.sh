#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The agent and the gateway against stand-ins of the real model servers (tests/fake-llm/servers:
# llama.cpp now and as of 2025, vLLM now and 0.10, Ollama, TGI, SGLang, llama-cpp-python). For
# each, alice's agent runs in a session with no IP network and reaches the stand-in through the
# gateway, without --model, streamed and not. Proves that the served model is found through
# the gateway, that a stream passes through byte for byte, that the upstream's reported tokens
# are what the journal says, that an error inside a 200 stream is journalled as an upstream
# error quoting the upstream and ends the agent with exit status 4, and that a stream without
# usage is journalled as estimated, never as a real zero. Sourced by run.sh inside a booted bed.

W_SOCK=/run/openmono/inference.sock
W_UNIT=openmono-gatewayd.service
W_PORT=18095
W_DIR=/run/test-wire
W_WS=/home/alice/wire-app
W_MSG=12347139854e484cb24792d1d79e8e07
FAMILIES="llamacpp llamacpp-2025 vllm vllm-0.10 ollama tgi sglang llama-cpp-python"

# Writes the script of one family's run: a task (reported usage, then none), then a stream
# that fails after its 200.
write_script() {        # FAMILY
        testbed_run /usr/bin/python3 - "$W_DIR/$1.json" "$1" <<'EOF_PY'
import json, sys
path, family = sys.argv[1], sys.argv[2]
call = {"name": "write_file", "arguments": {"path": "wire-%s.txt" % family, "content": "ü ✓\n"}}
task = [
    {"reasoning": "thinking…", "content": "Writing ✓", "chunk_size": 3, "ping": True, "tool_calls": [call],
     "usage": {"prompt_tokens": 1234, "completion_tokens": 56}},
    {"content": "Done ✓", "no_usage": True},
]
json.dump({"responses": task * 2 + [{"content": "x", "error_in_stream": "fake OOM in %s" % family}]},
          open(path, "w"))
EOF_PY
}

start_family() {        # FAMILY
        testbed_run sh -ec "
                systemctl stop test-wire-llm.service 2>/dev/null || true
                rm -f $W_DIR/requests.jsonl
                systemd-run --unit=test-wire-llm --collect -p Type=exec /usr/bin/python3 \
                        $TOP/tests/fake-llm/fake-llm.py --family $1 --script $W_DIR/$1.json --host 127.0.0.1 \
                        --port $W_PORT --record $W_DIR/requests.jsonl >/dev/null"
        wait_until 10 /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $W_PORT), 1)"
        # The gateway learns what the upstream serves from its health checks.
        wait_until 15 sh -c "curl -sf http://127.0.0.1:$W_PORT/v1/models | /usr/bin/python3 -c '
import json, subprocess, sys
want = json.load(sys.stdin)[\"data\"][0][\"id\"]
got = subprocess.run([\"runuser\", \"-u\", \"alice\", \"--\", \"openmonoctl\", \"run\", \"--pipe\", \"--network\", \"none\",
                      \"-w\", \"$W_WS\", \"--\", \"curl\", \"-sS\", \"--unix-socket\", \"$W_SOCK\",
                      \"http://localhost/v1/models\"], capture_output=True, text=True).stdout
sys.exit(0 if want in got else 1)'"
}

agent() {       # ARGS... -> output and "rc=N"
        testbed_run sh -c "runuser -u alice -- openmonoctl run --pipe --network none -w $W_WS -- \
                openmono-agent --no-transcript --retry-delay 0.1 --task x $* 2>&1; echo rc=\$?"
}

# The journal entries of the gateway since START for the stand-in's model, one per line:
# RESULT USAGE PROMPT COMPLETION UPSTREAM_ERROR
journal_requests() {
        testbed_run sh -c "journalctl --since '$START' -o json _SYSTEMD_UNIT=$W_UNIT MESSAGE_ID=$W_MSG" |
                /usr/bin/python3 -c '
import json, sys
for l in sys.stdin:
    e = json.loads(l)
    print(e.get("OPENMONO_RESULT"), e.get("OPENMONO_USAGE"),
          e.get("OPENMONO_PROMPT_TOKENS", e.get("OPENMONO_PROMPT_TOKENS_ESTIMATED")),
          e.get("OPENMONO_COMPLETION_TOKENS", e.get("OPENMONO_COMPLETION_TOKENS_ESTIMATED")),
          e.get("OPENMONO_UPSTREAM_ERROR", "-"), "|", e.get("MESSAGE"))'
}

w_cleanup() {
        testbed_run sh -c "
                systemctl stop test-wire-llm.service test-wire-direct.service $W_UNIT 2>/dev/null
                rm -f /etc/openmono/gateway.conf
                rm -rf $W_DIR $W_WS" || true
}

trap w_cleanup RETURN
w_cleanup
testbed_run sh -ec "
        install -d -o alice -g alice -m 0755 $W_WS
        install -d -m 0755 $W_DIR /etc/openmono
        printf '[Gateway]\nHealthCheckIntervalSec=1s\n\n[Upstream]\nName=wire\nURL=http://127.0.0.1:$W_PORT/v1\n' \
                > /etc/openmono/gateway.conf
        systemctl enable --now openmono-gatewayd.socket
        systemctl restart $W_UNIT 2>/dev/null || true"

for fam in $FAMILIES; do
        echo "# $fam"
        write_script "$fam"
        check "the $fam stand-in serves, and the gateway lists its model" start_family "$fam"
        START=$(testbed_run date '+%Y-%m-%d %H:%M:%S')
        check_output "$fam streamed: the agent without --model finishes its task through the gateway" \
                "done after 2 steps.*rc=0" agent
        check_output "$fam whole: the same, not streamed" "done after 2 steps.*rc=0" agent --no-stream
        check_output "... the file it was asked to write holds its UTF-8" "^ü ✓$" cat "$W_WS/wire-$fam.txt"
        check_output "$fam: the served model went upstream, not \"default\"" "^ok$" /usr/bin/python3 -c "
import json
models = {json.loads(l)['body'].get('model') for l in open('$W_DIR/requests.jsonl')}
assert models and None not in models and 'default' not in models, models
print('ok')"
        if [ "$fam" = ollama ]; then
                # Ollama's stream just ends; the agent retries, the gateway sees streams cut short.
                check_output "$fam: a stream that dies after its 200 ends the agent with exit status 4" \
                        "ended before the response was complete.*rc=4" agent --retries 0
        else
                check_output "$fam: an error after the 200 ends the agent with exit status 4, quoting it" \
                        "fake OOM in $fam.*rc=4" agent
                check_output "... and the gateway journals it as an upstream error, quoting the upstream" \
                        "^upstream-error .* fake OOM in $fam \\|" journal_requests
        fi
        if [ "$fam" = llama-cpp-python ]; then
                # llama-cpp-python sends no usage in a stream at all.
                check_output "$fam: a stream without usage is journalled as estimated" \
                        "^ok estimated [0-9]+ [0-9]+ - \\|.*~[0-9]+\\+~[0-9]+ tokens \\(estimated" journal_requests
        else
                check_output "$fam: the tokens the upstream reported are the journal's" \
                        "^ok reported 1234 56 - \\|" journal_requests
                check_output "... and an answer without usage is estimated, marked, never 0+0" \
                        "^ok estimated [1-9][0-9]* [1-9][0-9]* - \\|.*~[0-9]+\\+~[0-9]+ tokens \\(estimated" journal_requests
        fi
done

echo "# Byte for byte"
# Two stand-ins with fixed ids and times: one behind the gateway, one asked directly.
for fam in vllm llamacpp-2025 tgi llama-cpp-python; do
        testbed_run sh -ec "
                systemctl stop test-wire-llm.service test-wire-direct.service 2>/dev/null || true
                echo '{\"responses\": [{\"content\": \"bytes ✓\", \"reasoning\": \"hm\", \"ping\": true, \"chunk_size\": 2}],
                       \"repeat_last\": true}' > $W_DIR/bytes.json
                systemd-run --unit=test-wire-llm --collect -p Type=exec /usr/bin/python3 \
                        $TOP/tests/fake-llm/fake-llm.py --family $fam --fixed --script $W_DIR/bytes.json \
                        --host 127.0.0.1 --port $W_PORT >/dev/null
                systemd-run --unit=test-wire-direct --collect -p Type=exec /usr/bin/python3 \
                        $TOP/tests/fake-llm/fake-llm.py --family $fam --fixed --script $W_DIR/bytes.json \
                        --host 127.0.0.1 --port $((W_PORT + 1)) >/dev/null"
        wait_until 10 /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $((W_PORT + 1))), 1)"
        model=$(testbed_run sh -c "curl -sf http://127.0.0.1:$((W_PORT + 1))/v1/models" | /usr/bin/python3 -c \
                'import json, sys; print(json.load(sys.stdin)["data"][0]["id"])')
        body="{\"model\":\"$model\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
        wait_until 15 sh -c "runuser -u alice -- openmonoctl run --pipe --network none -w $W_WS -- curl -sSf \
                --unix-socket $W_SOCK http://localhost/v1/models | grep -qF '$model'"
        testbed_run sh -c "runuser -u alice -- openmonoctl run --pipe --network none -w $W_WS -- curl -sS -N \
                --unix-socket $W_SOCK -H 'Content-Type: application/json' http://localhost/v1/chat/completions \
                -d '$body' > $W_DIR/through; curl -sS -N -H 'Content-Type: application/json' \
                http://127.0.0.1:$((W_PORT + 1))/v1/chat/completions -d '$body' > $W_DIR/direct" || true
        check "$fam: a stream through the gateway is the upstream's, byte for byte" \
                cmp "$W_DIR/through" "$W_DIR/direct"
done

echo "# openmonoctl usage"
check_output "estimated totals are marked \"~\" and explained" \
        "~: includes estimates for [0-9]+ requests? whose upstream reported no token usage" openmonoctl usage
check_output "... and the JSON keeps reported and estimated tokens apart" '"estimated_completion_tokens": [1-9]' \
        openmonoctl usage --json
