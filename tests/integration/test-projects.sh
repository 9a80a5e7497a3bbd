#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Projects: created by users through openmonoctl or kept by administrators in /etc, started with
# run -p and openmono@NAME.service, and the per-user session cap from openmono.conf.
# Sourced by run.sh inside a booted test bed with OpenMono installed.

WS=/home/alice/papp
CONF_DROPIN=/etc/openmono/openmono.conf.d/50-integration-cap.conf

as() {          # USER COMMAND... : runs an openmonoctl command as USER
        local user=$1; shift
        testbed_run runuser -u "$user" -- "$@"
}

testbed_run sh -ec "
        install -d -o alice -g alice -m 0755 $WS
        install -d -o bob -g bob -m 0755 /home/bob/papp
"

echo "# Projects of a user"
check "alice adds a project on her workspace" \
        as alice openmonoctl project add demo -w $WS --network none --task "tidy up" --description "Demo app"
check_output "it is listed" "^demo +user +owner +alice +none +$WS" as alice openmonoctl project list
check_output "show --json gives its settings" '"task": "tidy up"' as alice openmonoctl project show demo --json
check_output "its file is in /var/lib/openmono/projects, root-only" "^600 root$" \
        stat -c '%a %U' /var/lib/openmono/projects/demo.project
check_output "run -p runs as alice in the project's workspace" "^alice /workspace$" \
        as alice openmonoctl run --pipe -p demo -- /bin/sh -c 'echo "$(id -un) $(pwd)"; touch /workspace/by-project'
check "... and its files land in the workspace" test -f $WS/by-project
check_output "the project's network policy applies (none)" "^RESULT=blocked$" \
        as alice openmonoctl run --pipe -p demo -- /bin/sh -c \
        'timeout 3 /usr/bin/python3 -c "import socket; socket.create_connection((\"10.10.0.1\", 8080), 3)" 2>/dev/null && echo RESULT=open || echo RESULT=blocked'
check_output "a user cannot widen the project's network" "allows at most network 'none'" \
        sh -c "runuser -u alice -- openmonoctl run --pipe -p demo --network intranet -- /bin/true 2>&1; true"
check_output "set changes a setting" "Network: intranet" \
        sh -c "runuser -u alice -- openmonoctl project set demo --network intranet && runuser -u alice -- openmonoctl project show demo"
check_output "a user cannot give a project the internet" "Only administrators" \
        sh -c "runuser -u alice -- openmonoctl project set demo --network internet 2>&1; true"
check_output "set --template names a template, show shows it" "Template: reviewer" \
        sh -c "runuser -u alice -- openmonoctl project set demo --template reviewer && runuser -u alice -- openmonoctl project show demo"
check_output "... and --template= removes it again" "Template: -" \
        sh -c "runuser -u alice -- openmonoctl project set demo --template= && runuser -u alice -- openmonoctl project show demo"
check_output "a template name with a slash is refused" "template" \
        sh -c "runuser -u alice -- openmonoctl project set demo --template=../x 2>&1; true"

echo "# Other users"
check_output "bob does not see alice's project" "^0 projects listed" as bob openmonoctl project list
check_output "bob cannot run it" "No project 'demo'" \
        sh -c "runuser -u bob -- openmonoctl run --pipe -p demo -- /bin/true 2>&1; true"
check_output "bob cannot change it" "No project|Not allowed" \
        sh -c "runuser -u bob -- openmonoctl project set demo --network none 2>&1; true"
check_output "bob cannot make a project of alice's workspace" "does not belong" \
        sh -c "runuser -u bob -- openmonoctl project add stolen -w $WS 2>&1; true"
check_output "the name is taken for everyone" "exists already" \
        sh -c "runuser -u bob -- openmonoctl project add demo -w /home/bob/papp 2>&1; true"

echo "# A shared project with a dynamic user"
check "alice adds a dynamic project shared with bob" \
        as alice openmonoctl project add shared --identity dynamic --user bob
check_output "bob's session of it runs as om-shared, not as bob or alice" "^om-shared$" \
        as bob openmonoctl run --pipe -p shared -- /usr/bin/id -un
check_output "the managed workspace keeps files between sessions" "^kept$" \
        sh -c "runuser -u bob -- openmonoctl run --pipe -p shared -- /bin/sh -c 'echo kept > /workspace/f' &&
               runuser -u alice -- openmonoctl run --pipe -p shared -- /bin/cat /workspace/f"

echo "# Projects of the site, in /etc/openmono/projects"
testbed_run sh -ec "
        mkdir -p /etc/openmono/projects
        printf '[Project]\nOwner=alice\nWorkspace=$WS\n[Sandbox]\nNetwork=none\nTasksMax=99\n[Agent]\nTask=write the report\n' \
                >/etc/openmono/projects/site.project
        printf '[Project]\nOwner=alice\nWorkspace=$WS\n[Sandbox]\nNetwork=sideways\n' >/etc/openmono/projects/broken.project
"
check_output "a site project is listed for its owner" "^site +system +owner +alice +none" \
        as alice openmonoctl project list
check_output "a broken project file is reported to administrators with file and line" "broken.project:5.*Network" \
        sh -c "runuser -u carol -- openmonoctl project show broken 2>&1; true"
check_output "... and to others as no project at all: whose it is cannot be read" "^No project 'broken'\.$" \
        sh -c "runuser -u bob -- openmonoctl project show broken 2>&1; true"
check_output "... and does not hide the others" "^demo " as alice openmonoctl project list
check_output "a site project cannot be removed through the API" "system project" \
        sh -c "openmonoctl project remove site 2>&1; true"
check_output "its limits reach the session unit" "^TasksMax=99$" \
        sh -c "id=\$(runuser -u alice -- openmonoctl run -d -p site -- /bin/sleep 30) &&
               systemctl show -p TasksMax openmono-session-\$id.service; runuser -u alice -- openmonoctl session stop \$id"

echo "# A template gives the project's agent its instructions and model"
# The real agent runs the project's task and reaches tests/fake-llm through the inference gateway
# (the session has no network); fake-llm records the requests, so the system prompt can be read.
TPL_DIR=/run/test-template
TPL_PORT=18091
testbed_run sh -ec "
        mkdir -p /etc/openmono/templates $TPL_DIR
        printf '[Template]\nInstructions=You are reviewer-tpl-7731.\nInstructions=Second template line.\nModel=tpl-model-9\n' \
                >/etc/openmono/templates/reviewer.template
        printf '[Template]\nInstructions=fine\nnot an assignment\n' >/etc/openmono/templates/broken.template
        printf '[Project]\nOwner=alice\nWorkspace=$WS\n[Sandbox]\nNetwork=none\n[Agent]\nTask=review\nTemplate=reviewer\n' \
                >/etc/openmono/projects/tpl.project
        printf '[Project]\nOwner=alice\nWorkspace=$WS\n[Agent]\nTask=review\nTemplate=broken\n' \
                >/etc/openmono/projects/tplbad.project
        printf '[Project]\nOwner=alice\nWorkspace=$WS\n[Agent]\nTask=review\nTemplate=nowhere\n' \
                >/etc/openmono/projects/tplnone.project
        printf 'agents-md-marker-5521\n' >$WS/AGENTS.md
        chown alice:alice $WS/AGENTS.md
        echo '{\"responses\": [{\"content\": \"Reviewed.\"}]}' >$TPL_DIR/script.json
        rm -f $TPL_DIR/requests.jsonl
        systemd-run --unit=test-fake-llm-tpl --collect -p Type=exec /usr/bin/python3 \
                $TOP/tests/fake-llm/fake-llm.py --script $TPL_DIR/script.json --host 127.0.0.1 \
                --port $TPL_PORT --record $TPL_DIR/requests.jsonl >/dev/null
        printf '[Upstream]\nName=fake\nURL=http://127.0.0.1:$TPL_PORT/v1\n' >/etc/openmono/gateway.conf
        systemctl enable --now openmono-gatewayd.socket
        systemctl restart openmono-gatewayd.service 2>/dev/null || true
"
wait_until 10 /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $TPL_PORT), 1)"
check_output "the project's agent runs its task with the template" "openmono-agent: done after 1 step.*\\(exit status 0\\)" \
        sh -c "runuser -u alice -- openmonoctl run --pipe -p tpl 2>&1"
tpl_request() {
        testbed_run /usr/bin/python3 -c "
import json
b = json.loads(open('$TPL_DIR/requests.jsonl').readline())['body']
print('model=' + b['model'])
print(json.dumps([m['content'] for m in b['messages'] if m['role'] == 'system']))"
}
check_output "the system prompt is the template's instructions, lines joined" \
        '^\["You are reviewer-tpl-7731\.\\nSecond template line\.\\n' tpl_request
check_output "... followed by the workspace's AGENTS.md" "AGENTS.md says:.*agents-md-marker-5521" tpl_request
check_output "the agent asked for the template's model" "^model=tpl-model-9$" tpl_request
check_fails "the staged instructions are gone once the session started" \
        sh -c "find /run/openmono/credentials -name openmono-template | grep ."
check_output "a broken template is refused naming its file and line" "broken.template:3" \
        sh -c "runuser -u alice -- openmonoctl run --pipe -p tplbad 2>&1; true"
check_output "a missing template is refused by name" "template 'nowhere'.*nowhere.template" \
        sh -c "runuser -u alice -- openmonoctl run --pipe -p tplnone 2>&1; true"
testbed_run sh -c "systemctl stop test-fake-llm-tpl.service openmono-gatewayd.service 2>/dev/null
        rm -rf /etc/openmono/gateway.conf /etc/openmono/templates $TPL_DIR $WS/AGENTS.md
        rm -f /etc/openmono/projects/tpl.project /etc/openmono/projects/tplbad.project /etc/openmono/projects/tplnone.project" || true

echo "# openmono@NAME.service"
# These checks are about the template's plumbing (task, identity, sandbox, stop), not about the
# agent, which test-agent.sh drives against a scripted model: a script stands in for it here
# and the real one is put back afterwards.
note "a script stands in for openmono-agent: it records its task, or sleeps for the stop test"
testbed_run sh -ec "
        if [ -e /usr/bin/openmono-agent ]; then mv /usr/bin/openmono-agent /usr/bin/openmono-agent.real; fi
        printf '#!/bin/sh\nt=\$(cat \"\$CREDENTIALS_DIRECTORY/\$2\")\ncase \"\$t\" in sleep) exec sleep 300;; esac\necho \"task: \$t\" > /workspace/task-ran.txt\n' \
                >/usr/bin/openmono-agent
        chmod 755 /usr/bin/openmono-agent
        printf '[Project]\nOwner=alice\nWorkspace=$WS\n[Agent]\nTask=sleep\n' >/etc/openmono/projects/long.project
"
check "systemctl start openmono@site runs the project's task" systemctl start openmono@site
wait_until 20 test -f $WS/task-ran.txt
check_output "... in the project's sandbox, as its owner, with its task" "^task: write the report$" cat $WS/task-ran.txt
check_output "... owned by alice" "^alice$" stat -c %U $WS/task-ran.txt
check_output "stopping openmono@ stops its session" "^(inactive|failed)$" sh -ec "
        systemctl start openmono@long; sleep 1
        unit=\$(systemctl list-units --plain --no-legend 'openmono-session-*' | awk '{print \$1}' | head -1)
        test -n \"\$unit\"
        systemctl stop openmono@long
        sleep 1; systemctl is-active \$unit || true"
testbed_run sh -ec "
        rm -f /usr/bin/openmono-agent /etc/openmono/projects/long.project
        if [ -e /usr/bin/openmono-agent.real ]; then mv /usr/bin/openmono-agent.real /usr/bin/openmono-agent; fi
"

echo "# Removing"
check "alice removes her project" as alice openmonoctl project remove demo
check_fails "... and it is gone" as alice openmonoctl project show demo
check "alice removes the shared one" as alice openmonoctl project remove shared
testbed_run rm -f /etc/openmono/projects/site.project /etc/openmono/projects/broken.project

echo "# Per-user session cap from openmono.conf (reloaded with systemctl reload)"
testbed_run sh -ec "mkdir -p ${CONF_DROPIN%/*}; printf '[Sessions]\nMaxSessionsPerUser=1\n' >$CONF_DROPIN"
testbed_run openmonoctl status >/dev/null
check "systemctl reload openmonod reads it" systemctl reload openmonod.service
check_output "the first session starts" "^[0-9a-f]{16}$" as alice openmonoctl run -d -w $WS -- /bin/sleep 30
check_output "a second one is refused with the cap named" "most allowed" \
        sh -c "runuser -u alice -- openmonoctl run -d -w $WS -- /bin/true 2>&1; true"
testbed_run sh -c "rm -f $CONF_DROPIN; systemctl reload openmonod.service; systemctl stop 'openmono-session-*'" || true
