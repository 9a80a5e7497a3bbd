#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The inference gateway as sessions use it: openmono-gatewayd.socket on
# /run/openmono/inference.sock, bound into every session; a scripted model server on loopback
# (fake-upstream.py) behind it, next to an upstream that is down. Proves that answers stream
# through byte for byte, that callers are identified by the kernel and not by what they send,
# that broken upstreams give clear errors without taking the gateway down, and that one user's
# flood does not starve another. Sourced by run.sh inside a booted test bed.

GW_SOCK=/run/openmono/inference.sock
GW_UNIT=openmono-gatewayd.service
FAKE=$TOP/tests/integration/fake-upstream.py
FAKE_URL=http://127.0.0.1:18080
KEY=test-upstream-key-$$
MSG_REQUEST=12347139854e484cb24792d1d79e8e07
MSG_REFUSED=4b78021b2dc04785b838666bcda5f666
MSG_CONN_REFUSED=698d0b9d5896463390063296e5d2a867
FLOOD_PY=$TOP/tests/integration/gateway-flood.py
WS_A=/home/alice/app
WS_B=/home/bob/app

gw_setup() {
        testbed_run sh -ec "
                install -d -o alice -g alice -m 0755 $WS_A
                install -d -o bob -g bob -m 0755 $WS_B
                systemctl stop test-fake-llm.service 2>/dev/null || true
                systemd-run --unit=test-fake-llm --collect -p Type=exec \
                        /usr/bin/python3 $FAKE --port 18080 --slow 4 >/dev/null
                install -d -m 0755 /etc/openmono /etc/systemd/system/$GW_UNIT.d
                printf '%s\n' '$KEY' > /etc/openmono/test-fake.key
                chmod 0600 /etc/openmono/test-fake.key
                printf '[Service]\nLoadCredential=fake.key:/etc/openmono/test-fake.key\n' \
                        > /etc/systemd/system/$GW_UNIT.d/50-test.conf
                cat > /etc/openmono/gateway.conf <<'CONF'
[Gateway]
MaxConcurrent=2
PerUserConcurrent=2
MaxQueuedPerUser=50
MaxQueuedPerSession=50
HealthCheckIntervalSec=2s

# Tried first while it is believed up; nothing listens there.
[Upstream]
Name=down
URL=http://127.0.0.1:18081/v1

[Upstream]
Name=fake
URL=$FAKE_URL/v1
FirstByteTimeoutSec=2s
CONF
                systemctl daemon-reload
                systemctl enable --now openmono-gatewayd.socket
        "
        wait_until 10 curl -sf "$FAKE_URL/health"
}

gw_cleanup() {
        testbed_run sh -c "
                systemctl stop test-fake-llm.service openmono-gatewayd.service 2>/dev/null
                rm -rf /etc/systemd/system/$GW_UNIT.d /etc/openmono/gateway.conf /etc/openmono/test-fake.key
                rm -f $WS_A/gw-* $WS_B/gw-*
                systemctl daemon-reload" || true
}

# Runs SHELL-COMMAND in a session of USER on their workspace; prints its output.
in_session() {  # USER SHELL-COMMAND
        testbed_run runuser -u "$1" -- openmonoctl run --pipe -w "/home/$1/app" -- /bin/sh -c "$2"
}

chat_body() {   # MODEL STREAM [USER-TAG]
        printf '{"model":"%s","stream":%s,"user":"%s","messages":[{"role":"user","content":"say hello"}]}' \
                "$1" "$2" "${3:-}"
}

# curl inside a session against the gateway; -w appends the status on a line of its own.
GW_CURL="curl -sS -N --unix-socket $GW_SOCK -H 'Content-Type: application/json'"

journal_json() {        # MATCHES... -> the gateway's entries as JSON lines
        testbed_run journalctl --no-pager -o json _SYSTEMD_UNIT=$GW_UNIT "$@"
}

trap gw_cleanup RETURN
gw_cleanup
gw_setup

echo "# The socket and the service"
check "openmono-gatewayd.socket listens on $GW_SOCK" test -S $GW_SOCK
check_output "every local user may connect to it (0666)" "^srw-rw-rw-" ls -l $GW_SOCK
check_output "/health answers anyone, even before a session asks" '"status":"(ok|degraded)"' \
        curl -sS --unix-socket $GW_SOCK http://localhost/health
check_output "the gateway runs as a dynamic user, not root" "^[1-9][0-9]*$" \
        sh -c "ps -o uid= -p \$(systemctl show -P MainPID $GW_UNIT) | tr -d ' '"
check_output "its unit is sandboxed (systemd-analyze security)" "Overall exposure level for $GW_UNIT: [0-9.]+ (SAFE|OK|MEDIUM)" \
        systemd-analyze security --no-pager $GW_UNIT
note "$(testbed_run systemd-analyze security --no-pager $GW_UNIT 2>/dev/null | tail -n 1)"

echo "# Sessions think through the socket"
check_output "a session lists the models" '"id":"fake-model"' \
        in_session alice "$GW_CURL http://localhost/v1/models"
check_output "a session gets a chat completion" '"content": "Hello from the fake upstream\."' \
        in_session alice "$GW_CURL http://localhost/v1/chat/completions -d '$(chat_body fake-model false)'"
in_session alice "$GW_CURL http://localhost/v1/chat/completions -d '$(chat_body fake-model true)' > /workspace/gw-stream" >/dev/null
testbed_run sh -c "curl -sS -N $FAKE_URL/v1/chat/completions -d '$(chat_body fake-model true)' > $WS_A/gw-direct"
check "a streamed answer arrives byte for byte as the upstream sends it" cmp $WS_A/gw-stream $WS_A/gw-direct
check_output "... the usage chunk the gateway asked for is not passed on" "^0$" \
        sh -c "grep -c usage $WS_A/gw-stream || true"
check_output "a session that asks for usage itself gets it" '"usage": \{"prompt_tokens": 2' \
        in_session alice "$GW_CURL http://localhost/v1/chat/completions -d '{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"say hello\"}]}'"
check_output "the upstream that is down was skipped: failover to the next" '"name":"down","healthy":false' \
        curl -sS --unix-socket $GW_SOCK http://localhost/health

echo "# Identity comes from the kernel"
A_SID=$(in_session alice "sed -n 's|.*openmono-session-\\(.*\\)\\.service\$|\\1|p' /proc/self/cgroup; $GW_CURL http://localhost/v1/chat/completions -d '$(chat_body fake-model false alice-id)' >/dev/null" | head -n 1)
B_SID=$(in_session bob "sed -n 's|.*openmono-session-\\(.*\\)\\.service\$|\\1|p' /proc/self/cgroup; $GW_CURL -H 'X-OpenMono-User: alice' -H 'Authorization: Bearer stolen' http://localhost/v1/chat/completions -d '$(chat_body fake-model false bob-spoof)' >/dev/null" | head -n 1)
note "alice's session $A_SID, bob's session $B_SID"
check_output "alice's request is in the journal as alice's, with her session and tokens" \
        "\"OPENMONO_USER\":\"alice\".*\"OPENMONO_SESSION\":\"$A_SID\"|\"OPENMONO_SESSION\":\"$A_SID\".*\"OPENMONO_USER\":\"alice\"" \
        journal_json MESSAGE_ID=$MSG_REQUEST OPENMONO_SESSION="$A_SID"
check_output "... with the token counts the upstream reported" '"OPENMONO_COMPLETION_TOKENS":"6"' \
        journal_json MESSAGE_ID=$MSG_REQUEST OPENMONO_SESSION="$A_SID"
check_output "bob's request claiming to be alice's is bob's in the journal" '"OPENMONO_USER":"bob"' \
        journal_json MESSAGE_ID=$MSG_REQUEST OPENMONO_SESSION="$B_SID"
check_fails "... and nothing of bob's session was counted for alice" \
        sh -c "journalctl -o json _SYSTEMD_UNIT=$GW_UNIT MESSAGE_ID=$MSG_REQUEST OPENMONO_SESSION=$B_SID | grep -q '\"OPENMONO_USER\":\"alice\"'"
check_output "the caller's Authorization never reaches the upstream; the gateway's key does" "^Bearer $KEY$" \
        /usr/bin/python3 -c "
import json, urllib.request
log = json.load(urllib.request.urlopen('$FAKE_URL/_log'))
e = [x for x in log if x['body'].get('user') == 'bob/$B_SID'][-1]
print(e['headers'].get('Authorization'))
assert 'X-OpenMono-User' not in e['headers'], e['headers']"
check_output "the upstream saw the user field the gateway knows, not the one the session claimed" \
        "^alice/$A_SID bob/$B_SID; claims left: 0$" /usr/bin/python3 -c "
import json, urllib.request
log = json.load(urllib.request.urlopen('$FAKE_URL/_log'))
users = [x['body'].get('user') for x in log]
a = [u for u in users if u == 'alice/$A_SID']
b = [u for u in users if u == 'bob/$B_SID']
print(a[-1] if a else None, (b[-1] if b else None) + ';', 'claims left:',
      sum(1 for u in users if u in ('alice-id', 'bob-spoof')))"
check_output "a local user outside any session is refused with an OpenAI error (403)" \
        '"code":"not_in_session".*403$' \
        testbed_run_as alice curl -sS -w '\n%{http_code}' --unix-socket $GW_SOCK http://localhost/v1/chat/completions \
                -d "$(chat_body fake-model false)"
check_output "... and the refusal is in the journal" '"OPENMONO_USER":"alice"' \
        journal_json MESSAGE_ID=$MSG_REFUSED
check_output "an administrator outside sessions sees every user's totals" '"user":"alice".*"user":"bob"|"user":"bob".*"user":"alice"' \
        curl -sS --unix-socket $GW_SOCK http://localhost/v1/openmono/usage
check_output "a session sees only its owner's totals" '^\{"users":\[\{"uid":[0-9]+,"user":"alice"[^]]*\]' \
        in_session alice "$GW_CURL http://localhost/v1/openmono/usage"

echo "# Broken upstreams give clear errors, and the gateway keeps serving"
check_output "an upstream that answers garbage: 502 with an OpenAI error" 'HTTP/0.9.*"type":"upstream_error".*502$' \
        in_session alice "$GW_CURL -w '\n%{http_code}' http://localhost/v1/chat/completions -d '$(chat_body garbage false)'"
check_output "an upstream that fails with a plain-text 500: wrapped into an OpenAI error" \
        '"message":"Upstream fake answered HTTP 500: kaboom.*500$' \
        in_session alice "$GW_CURL -w '\n%{http_code}' http://localhost/v1/chat/completions -d '$(chat_body error false)'"
check_output "an upstream's own OpenAI error passes through with its status" '"code": "context_length_exceeded".*400$' \
        in_session alice "$GW_CURL -w '\n%{http_code}' http://localhost/v1/chat/completions -d '$(chat_body openai-error false)'"
check_output "an upstream too slow for FirstByteTimeoutSec=: 504" '"code":"upstream_timeout".*504$' \
        in_session alice "$GW_CURL -w '\n%{http_code}' http://localhost/v1/chat/completions -d '$(chat_body slow-first-byte false)'"
check_output "a body that is not JSON: 400" '"code":"invalid_body".*400$' \
        in_session alice "$GW_CURL -w '\n%{http_code}' http://localhost/v1/chat/completions -d 'nonsense'"
check "the gateway is still running" systemctl is-active --quiet $GW_UNIT
check_output "... and still answers" '"content": "Hello from the fake upstream\."' \
        in_session alice "$GW_CURL http://localhost/v1/chat/completions -d '$(chat_body fake-model false)'"
in_session alice "timeout 1 $GW_CURL http://localhost/v1/chat/completions -d '$(chat_body slow-first-byte false)'" >/dev/null 2>&1 || true
check_output "a client that hangs up frees its slot at once" '"running":0,"queued":0' \
        curl -sS --unix-socket $GW_SOCK http://localhost/health
check_output "... and is accounted as gone (499)" '"OPENMONO_RESULT":"client-gone"' \
        journal_json MESSAGE_ID=$MSG_REQUEST OPENMONO_STATUS=499

echo "# Reloading a bad configuration keeps the good one"
testbed_run sh -c "cp /etc/openmono/gateway.conf /etc/openmono/gateway.conf.good
        printf '[Upstream]\nName=broken\nURL=gopher://x\n' >> /etc/openmono/gateway.conf"
check_fails "systemctl reload fails on the broken file" systemctl reload $GW_UNIT
check_output "the error names the file and the line" 'gateway.conf:[0-9]+: \[Upstream\] URL=: invalid' \
        sh -c "sleep 0.5; journalctl --no-pager -u $GW_UNIT -n 20"
check_output "the gateway serves on with the last good configuration" '"content": "Hello from the fake upstream\."' \
        in_session alice "$GW_CURL http://localhost/v1/chat/completions -d '$(chat_body fake-model false)'"
testbed_run mv /etc/openmono/gateway.conf.good /etc/openmono/gateway.conf
check "a good configuration reloads" systemctl reload $GW_UNIT

echo "# Requests answered at once cannot flood the system journal"
FAIL_FLOOD=$TOP/tests/integration/gateway-fail-flood.py
since=$(testbed_run date +%s)
start_ms=$(testbed_run date +%s%3N)
statuses=$(in_session alice "/usr/bin/python3 $FAIL_FLOOD $GW_SOCK 3000")
elapsed_s=$(( ($(testbed_run date +%s%3N) - start_ms) / 1000 + 1 ))
entries=$(journal_json MESSAGE_ID=$MSG_REQUEST OPENMONO_USER=alice --since "@$since" | grep -c . || true)
note "alice's session sent 3000 requests the fake model answers at once, in ${elapsed_s}s: $statuses; $entries journal entries"
check_output "... every one of them was answered (the positive control: they were that fast)" '^\{"200": 3000\}$' \
        echo "$statuses"
check "... but at most 200 and one per 50 ms of them reached the system journal ($entries)" \
        test "$entries" -le $((200 + 20 * elapsed_s + 5))
check_output "... and the entries that did say how many were held back, with their tokens" \
        '"OPENMONO_HELD_BACK":"[0-9]+".*"OPENMONO_HELD_BACK_PROMPT_TOKENS":"[0-9]+"' \
        journal_json MESSAGE_ID=$MSG_REQUEST OPENMONO_USER=alice --since "@$since"

echo "# Fairness: alice floods, bob still gets the next slot"
testbed_run curl -sS -X POST "$FAKE_URL/_log" >/dev/null
FLOOD=$(testbed_run runuser -u alice -- openmonoctl run --detach -w $WS_A -- /bin/sh -c \
        "for i in \$(seq 40); do $GW_CURL http://localhost/v1/chat/completions -d '$(chat_body busy-300 false alice-flood)' >/dev/null & done; wait")
wait_until 20 sh -c "curl -sS --unix-socket $GW_SOCK http://localhost/health | grep -Eq '\"queued\":(3[0-9]|[1-9][0-9])'"
in_session bob "date +%s.%N > /workspace/gw-submit
        $GW_CURL http://localhost/v1/chat/completions -d '$(chat_body busy-300 false bob-1)' >/dev/null &
        $GW_CURL http://localhost/v1/chat/completions -d '$(chat_body busy-300 false bob-2)' >/dev/null &
        wait" >/dev/null
wait_until 60 sh -c "journalctl -o cat _SYSTEMD_UNIT=$GW_UNIT MESSAGE_ID=$MSG_REQUEST OPENMONO_MODEL=busy-300 \
        OPENMONO_USER=alice | wc -l | grep -qx 40"
# The gateway's own journal entries say when each request arrived and when it got its slot
# (the entry's send time less OPENMONO_LATENCY_USEC, plus OPENMONO_QUEUE_USEC), on one clock.
FAIRNESS=$(testbed_run /usr/bin/python3 -c "
import json, subprocess
out = subprocess.run(['journalctl', '-o', 'json', '_SYSTEMD_UNIT=$GW_UNIT', 'MESSAGE_ID=$MSG_REQUEST',
                      'OPENMONO_MODEL=busy-300'], capture_output=True, text=True, check=True).stdout
reqs = []
for line in out.splitlines():
    e = json.loads(line)
    end = int(e.get('_SOURCE_REALTIME_TIMESTAMP') or e['__REALTIME_TIMESTAMP'])
    arrive = end - int(e['OPENMONO_LATENCY_USEC'])
    reqs.append((e['OPENMONO_USER'], arrive, arrive + int(e['OPENMONO_QUEUE_USEC'])))
bob = sorted(r for r in reqs if r[0] == 'bob')
alice = [r for r in reqs if r[0] == 'alice']
assert len(bob) == 2 and len(alice) == 40, (len(bob), len(alice))
ahead = []
for _, arrive, start in bob:
    # alice's requests that got a slot while this one of bob's waited
    ahead.append(sum(1 for _, a, s in alice if arrive <= s < start))
waiting = sum(1 for _, a, s in alice if a < bob[0][1] and s > bob[0][1])
print('bob ok' if ahead[0] <= 1 and ahead[1] <= 2 and waiting >= 30 else 'bob starved',
      '- alice requests started while bob waited:', ahead, '; alice requests waiting when bob came:', waiting,
      '; bob waited (ms):', [round((s - a) / 1000) for _, a, s in bob])" 2>&1) || true
note "$FAIRNESS"
check_output "bob's requests start within one slot of arriving, while 30+ of alice's wait" "^bob ok" echo "$FAIRNESS"
check_output "the journal shows bob's short wait in the queue" '"OPENMONO_QUEUE_USEC":"[0-9]{1,6}"' \
        journal_json MESSAGE_ID=$MSG_REQUEST OPENMONO_USER=bob
note "alice's flood ran as session $FLOOD"

echo "# A flood of half-sent connections does not block another user's session"
# bob's session sends 20 requests one after another and prints "STATUS SECONDS" for each;
# this prints how many got 200 and the median and p99 latency in ms.
victim_latency() {
        in_session bob "for i in \$(seq 20); do $GW_CURL -o /dev/null -w '%{http_code} %{time_total}\\n' \
                http://localhost/v1/chat/completions -d '$(chat_body fake-model false bob-victim)'; done" |
                grep -E '^[0-9]{3} [0-9.]+$' | sort -k 2 -n | {
                        n=0 ok=0 p50=- p99=-
                        while read -r code secs; do
                                n=$((n + 1))
                                [ "$code" = 200 ] && ok=$((ok + 1))
                                ms=$(printf '%.0f' "$(echo "$secs * 1000" | bc)")
                                [ "$n" = 10 ] && p50=$ms
                                p99=$ms         # of 20 samples, p99 is the slowest
                        done
                        echo "$ok/$n ok p50=${p50}ms p99=${p99}ms"
                }
}
# Floods for SECONDS as alice, outside any session or in one of her sessions (WHERE), while
# bob's session measures; prints the flood's JSON summary and then bob's numbers.
flood_and_measure() {   # WHERE SECONDS
        local out
        out=$(mktemp)
        if [ "$1" = session ]; then
                in_session alice "/usr/bin/python3 /workspace/gw-flood.py --seconds $2" >"$out" 2>&1 &
        else
                testbed_run_as alice /usr/bin/python3 "$FLOOD_PY" --seconds "$2" >"$out" 2>&1 &
        fi
        sleep 4                 # the flood is at full strength
        victim_latency
        wait
        grep '^{' "$out" || cat "$out"
        rm -f "$out"
}
testbed_run install -m 0644 -o alice "$FLOOD_PY" $WS_A/gw-flood.py
BASELINE=$(victim_latency)
note "bob's session without a flood: $BASELINE"
PLAIN=$(flood_and_measure plain 20)
note "alice outside any session, 1100 half-sent connections reopened as they close, dripping a byte a second: $(tail -n 1 <<<"$PLAIN")"
note "bob's session meanwhile: $(head -n 1 <<<"$PLAIN")"
# What bob must get under any flood: every answer, none slower than this.
VICTIM_OK='^20/20 ok p50=[0-9]+ms p99=[0-9]{1,3}ms$'
check_output "bob's session got all 20 answers, p99 under 1 s, while alice flooded from outside" "$VICTIM_OK" \
        echo "$(head -n 1 <<<"$PLAIN")"
check_output "... alice's connections beyond the few a user outside sessions may hold were refused at once (429)" \
        '"statuses": \{"429": [0-9]{4,}\}' echo "$PLAIN"
check_output "... and the slow-drip ones she was let keep were closed by RequestReadTimeoutSec= (10s), not held for 20" \
        '"held_then_closed": [1-9][0-9]*, .*"longest_held_s": 1[0-3]\.[0-9]+' echo "$PLAIN"
check_output "... the refusals are in the journal, named by the limit" '"OPENMONO_LIMIT":"outside-full"' \
        journal_json MESSAGE_ID=$MSG_CONN_REFUSED OPENMONO_USER=alice
SESS=$(flood_and_measure session 20)
note "alice's session, the same flood from inside: $(tail -n 1 <<<"$SESS")"
note "bob's session meanwhile: $(head -n 1 <<<"$SESS")"
check_output "bob's session got all 20 answers, p99 under 1 s, while alice's session flooded" "$VICTIM_OK" \
        echo "$(head -n 1 <<<"$SESS")"
check_output "... the flooding session was held to MaxConnectionsPerSession= (64), the rest refused (429)" \
        '"statuses": \{"429": [0-9]{4,}\}' echo "$SESS"
check_output "... and the refusals name the session's limit" '"OPENMONO_LIMIT":"session-full"' \
        journal_json MESSAGE_ID=$MSG_CONN_REFUSED OPENMONO_USER=alice
check_output "the gateway still serves alice's own session afterwards" '"content": "Hello from the fake upstream\."' \
        in_session alice "$GW_CURL http://localhost/v1/chat/completions -d '$(chat_body fake-model false)'"
