#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The model as an OpenAI base URL on the session's own loopback: any agent that speaks HTTP
# (OpenCode, the OpenAI SDKs) finds it in OPENAI_BASE_URL. Proves that it lists the aliases and
# answers, that the gateway still knows the caller from the kernel (a forged user field or
# header changes nothing), that the port is the session's alone (other users' sessions and
# local users outside sessions never reach it), and, as the control, that the same relay run
# anywhere but in the session's own unit is refused. Sourced by run.sh inside a booted test bed.

MU_SOCK=/run/openmono/inference.sock
MU_GW=openmono-gatewayd.service
MU_FAKE=$TOP/tests/integration/fake-upstream.py
MU_FAKE_URL=http://127.0.0.1:18090
MU_PORT=4870
MU_URL=http://127.0.0.1:$MU_PORT/v1

mu_setup() {
        testbed_run sh -ec "
                install -d -o alice -g alice -m 0755 /home/alice/mu
                install -d -o bob -g bob -m 0755 /home/bob/mu
                install -d -o carol -g carol -m 0755 /home/carol/mu
                systemctl stop test-mu-llm.service 2>/dev/null || true
                systemd-run --unit=test-mu-llm --collect -p Type=exec \
                        /usr/bin/python3 $MU_FAKE --port 18090 >/dev/null
                install -d -m 0755 /etc/openmono
                cat > /etc/openmono/gateway.conf <<'CONF'
[Upstream]
Name=fake
URL=$MU_FAKE_URL/v1
Models=mu-coder:fake-model mu-big:fake-model
CONF
                systemctl daemon-reload
                systemctl enable --now openmono-gatewayd.socket
                systemctl try-restart $MU_GW"
        wait_until 10 curl -sf "$MU_FAKE_URL/health"
}

mu_cleanup() {
        testbed_run sh -c "
                systemctl stop test-mu-llm.service test-mu-relay.service openmono-gatewayd.service 2>/dev/null
                systemctl stop 'openmono-session-*.service' 2>/dev/null
                rm -f /etc/openmono/gateway.conf
                rm -rf /home/alice/mu /home/bob/mu /home/carol/mu" || true
}

# Runs SHELL-COMMAND in a session of USER with network POLICY; prints its output.
mu_session() {  # USER POLICY SHELL-COMMAND
        testbed_run runuser -u "$1" -- openmonoctl run --pipe --network "$2" -w "/home/$1/mu" -- /bin/sh -c "$3"
}

mu_chat() {     # USER-FIELD [MARKER] -> a request body claiming that user, marked to be found upstream
        printf '{"model":"mu-coder","stream":false,"user":"%s","messages":[{"role":"user","content":"say hello %s"}]}' \
                "$1" "${2:-}"
}

# The user field the fake upstream saw last in the request marked MARKER.
mu_upstream_user() {    # MARKER
        testbed_run /usr/bin/python3 -c "
import json, sys, urllib.request
log = json.load(urllib.request.urlopen('$MU_FAKE_URL/_log'))
hits = [x for x in log if '$1' in json.dumps(x['body'].get('messages'))]
print(hits[-1]['body'].get('user') if hits else 'none')"
}

trap mu_cleanup RETURN
mu_cleanup
mu_setup

echo "# The base URL is announced and answers"
check_output "a 'none' session is told the URL, the API base and a placeholder key" \
        "^OPENAI_BASE_URL=$MU_URL OPENAI_API_BASE=$MU_URL OPENAI_API_KEY=openmono$" \
        mu_session alice none 'echo OPENAI_BASE_URL=$OPENAI_BASE_URL OPENAI_API_BASE=$OPENAI_API_BASE OPENAI_API_KEY=$OPENAI_API_KEY'
check_output "curl \$OPENAI_BASE_URL/models lists the gateway's aliases" '"id":"mu-coder".*"id":"mu-big"' \
        mu_session alice none 'curl -sS --max-time 10 "$OPENAI_BASE_URL/models"'
check_output "a chat completion through it reaches the upstream and comes back" \
        '"content": "Hello from the fake upstream\."' \
        mu_session alice none "curl -sS --max-time 10 -H 'Content-Type: application/json' \
                \"\$OPENAI_BASE_URL/chat/completions\" -d '$(mu_chat alice-plain)'"

echo "# The gateway knows the caller from the kernel"
MU_SID=$(mu_session alice none "sed -n 's|.*openmono-session-\\(.*\\)\\.service\$|\\1|p' /proc/self/cgroup; \
        curl -sS --max-time 10 -H 'X-OpenMono-User: bob' -H 'X-Forwarded-For: 10.1.2.3' \
        -H 'Authorization: Bearer sk-stolen' \"\$OPENAI_BASE_URL/chat/completions\" -d '$(mu_chat bob mu-forged-1)' >/dev/null" |
        head -n 1)
note "alice's session $MU_SID claimed to be bob, in the user field and in headers"
check_output "the upstream saw alice's identity in the user field, not the forged one" "^alice/$MU_SID$" \
        mu_upstream_user mu-forged-1
check_output "... and the gateway's journal counts it for alice" '"OPENMONO_USER":"alice"' \
        testbed_run journalctl --no-pager -o json _SYSTEMD_UNIT=$MU_GW OPENMONO_SESSION="$MU_SID"

echo "# The port is the session's alone"
MU_A=$(testbed_run runuser -u alice -- openmonoctl run --detach --network none -w /home/alice/mu -- /bin/sleep 120)
wait_until 10 sh -c "systemctl is-active --quiet openmono-session-$MU_A.service"
note "alice's session $MU_A listens on its loopback"
check_output "its relay is a process of the session's own unit, not a unit of its own" "systemd-socket-proxyd" \
        systemd-cgls --no-pager -u "openmono-session-$MU_A.service"
note "$(testbed_run systemd-cgls --no-pager -u "openmono-session-$MU_A.service" | tr '\n' ' ')"
check_output "... and its relay answers inside it" '"id":"mu-coder"' \
        sh -c "nsenter -t \$(systemctl show -P MainPID openmono-session-$MU_A.service) -n \
                curl -sS --max-time 5 $MU_URL/models"
check_output "bob, a local user outside any session, cannot connect to 127.0.0.1:$MU_PORT" \
        "^curl: \(7\) Failed to connect" sh -c "runuser -u bob -- curl -sS --max-time 5 $MU_URL/models 2>&1; true"
MU_B=$(mu_session bob none "sed -n 's|.*openmono-session-\\(.*\\)\\.service\$|\\1|p' /proc/self/cgroup; \
        curl -sS --max-time 10 http://127.0.0.1:$MU_PORT/v1/chat/completions -d '$(mu_chat alice mu-bob-1)' >/dev/null" |
        head -n 1)
check_output "bob's session reaching 127.0.0.1:$MU_PORT gets its own relay: counted for bob, never alice" \
        "^bob/$MU_B$" mu_upstream_user mu-bob-1
check "while it runs, the relay is found in the session's cgroup (the control for the next check)" \
        sh -c "for p in \$(pidof systemd-socket-proxyd); do grep -q $MU_A /proc/\$p/cgroup && exit 0; done; exit 1"
testbed_run systemctl stop "openmono-session-$MU_A.service" || true
check_fails "the relay ends with its session: nothing is left of it" \
        sh -c "for p in \$(pidof systemd-socket-proxyd); do grep -q $MU_A /proc/\$p/cgroup && exit 0; done; exit 1"
check_output "the command's exit status is still the session's" "exit=3" \
        sh -c "runuser -u alice -- openmonoctl run --pipe --network none -w /home/alice/mu -- /bin/sh -c 'exit 3'; echo exit=\$?"

echo "# Every policy: the URL only where the loopback is the session's own"
# carol is an administrator, the only kind of user who may start 'internet' sessions.
for pol in intranet internet; do
        sid=$(testbed_run runuser -u carol -- openmonoctl run --detach --network $pol -w /home/carol/mu -- /bin/sleep 60)
        unit=openmono-session-$sid.service
        wait_until 10 sh -c "systemctl is-active --quiet $unit"
        if testbed_run systemctl show -P Environment $unit | grep -q OPENAI_BASE_URL; then
                check_output "an '$pol' session lists the aliases at its URL" '"id":"mu-coder"' \
                        sh -c "nsenter -t \$(systemctl show -P MainPID $unit) -n curl -sS --max-time 5 $MU_URL/models"
        else
                note "'$pol' sessions share the host's network namespace in this build: no model URL there" \
                     "(127.0.0.1 would be every local user's)"
        fi
        check_output "while carol's '$pol' session runs, bob outside sessions cannot reach 127.0.0.1:$MU_PORT" \
                "^curl: \(7\) Failed to connect" sh -c "runuser -u bob -- curl -sS --max-time 5 $MU_URL/models 2>&1; true"
        testbed_run systemctl stop $unit || true
done

echo "# Control: the same relay in a unit of its own is refused"
testbed_run systemd-run --quiet --unit=test-mu-relay --collect -p User=alice -p Type=exec \
        /usr/bin/systemd-socket-activate -l 127.0.0.1:14870 /lib/systemd/systemd-socket-proxyd $MU_SOCK
wait_until 10 sh -c "ss -ltn | grep -q 127.0.0.1:14870"
check_output "systemd-socket-proxyd as alice, outside her session's unit, gets 403 not_in_session" \
        '"code":"not_in_session".*403$' \
        runuser -u alice -- curl -sS -w '\n%{http_code}' --max-time 10 http://127.0.0.1:14870/v1/models
testbed_run systemctl stop test-mu-relay.service || true
