#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every command line of README.md's code blocks, verbatim and in order, run by the user the README
# implies (alice; root where it says "as root"; carol, an administrator, where it says
# administrators), each expected to exit 0. The lines are read from README.md now, by
# readme-commands.py, so an example that rots fails here. The test only provides what the
# examples assume exists: ~/src/app with a Makefile, build.sh and long-job, a scripted model
# behind the gateway, a terminal for the shell, a value on stdin for secret set. A variable a
# line assigns (ID=$(...)) is kept for the lines after it.
# Sourced by run.sh inside a booted test bed with OpenMono installed.

APP=/home/alice/src/app
STATE=/tmp/readme-test          # variables the README's lines assign, for the lines after them
LLM_PORT=18091
GW_CONF=/etc/openmono/gateway.conf

readme_setup() {
        testbed_run sh -ec "
                rm -rf $APP $STATE && install -d -o alice -g alice -m 0755 /home/alice/src $APP
                install -d -m 1777 $STATE
                cd $APP
                printf 'test:\n\t@echo tests pass\nlint:\n\t@echo lint clean\n' >Makefile
                printf '#!/bin/sh\necho built\n' >build.sh
                printf '#!/bin/sh\necho working\nexec sleep 300\n' >long-job
                chmod +x build.sh long-job && chown -R alice:alice $APP
                printf '{\"responses\": [{\"content\": \"Done.\"}], \"repeat_last\": true}' >$STATE/script.json
                systemd-run --unit=test-readme-llm --collect -p Type=exec /usr/bin/python3 \
                        $TOP/tests/fake-llm/fake-llm.py --script $STATE/script.json --host 127.0.0.1 \
                        --port $LLM_PORT >/dev/null
                mkdir -p /etc/openmono
                printf '[Upstream]\nName=fake\nURL=http://127.0.0.1:$LLM_PORT/v1\n' >$GW_CONF
                systemctl enable --now openmono-gatewayd.socket
                systemctl restart openmono-gatewayd.service 2>/dev/null || true
        "
}

readme_cleanup() {
        testbed_run sh -c "
                systemctl stop test-readme-llm.service openmono-gatewayd.service 2>/dev/null
                for job in nightly deps; do openmonoctl cron remove \$job; done
                for p in app shared; do openmonoctl project remove \$p; done
                runuser -u alice -- openmonoctl secret rm GIT_TOKEN
                openmonoctl secret rm --default PROXY_TOKEN
                rm -rf $APP $STATE $GW_CONF" >/dev/null 2>&1 || true
}

# Runs one README line as WHO with what it needs on stdin. The line itself goes to bash as it
# is, between loading the variables earlier lines set and saving the one it sets, if any.
readme_run() {
        local who=$1 line=$2 var='' input=/dev/null prog
        [[ $line =~ ^([A-Za-z_][A-Za-z0-9_]*)= ]] && var=${BASH_REMATCH[1]}
        prog="set -a; . $STATE/vars 2>/dev/null; set +a
$line
rc=\$?"
        [ -n "$var" ] && prog+="
printf '%s=%q\n' $var \"\$$var\" >>$STATE/vars"
        prog+="
exit \$rc"
        case $line in
        *"openmonoctl shell "*)         # a terminal, and "exit" typed once the shell is there
                prog="{ sleep 3; echo exit; } | script -qec $(printf %q "$prog") /dev/null" ;;
        *"openmonoctl secret set "*)
                input=readme-test-value ;;
        esac
        case $who in
        root)   testbed_run timeout 60 bash -c 'cd /root && exec bash -c "$1"' sh "$prog" <<<"$input" ;;
        admin)  testbed_run_as carol timeout 60 bash -c "$prog" <<<"$input" ;;
        *)      testbed_run_as alice timeout 60 bash -c "$prog" <<<"$input" ;;
        esac
}

readme_cleanup
readme_setup
wait_until 10 /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $LLM_PORT), 1)" ||
        note "the scripted model did not come up; the agent lines will fail"

commands=$(python3 "$TOP/tests/integration/readme-commands.py" "$TOP/README.md")
check "README.md has command lines to run ($(wc -l <<<"$commands"))" test -n "$commands"
while IFS=$'\t' read -r n who line; do
        out=$(readme_run "$who" "$line" 2>&1) && rc=0 || rc=$?
        if [ "$rc" = 0 ]; then
                _pass "README.md:$n as $who: $line"
        else
                _fail "README.md:$n as $who: $line" "$rc" "$out" "$line"
        fi
done <<<"$commands"

readme_cleanup
