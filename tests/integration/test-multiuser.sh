#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Boundaries between users of one host, attacked from the attacker's side:
#  - alice shares a dynamic project whose Grant= lists GIT_TOKEN; bob, the administrator carol
#    and root (systemctl start openmono@NAME, and a cron job carol creates) start it; none of
#    their own GIT_TOKEN canaries may reach $CREDENTIALS_DIRECTORY (alice's own may: her
#    project, her choice, and her own session receives it — the positive control);
#  - a project named after a real account om-NAME would run as that account (DynamicUser=);
#  - a removed project must not leave its workspace, or a cron job, to the next owner of the name;
#  - each caller's agent transcripts of a shared project are theirs alone.
# Sourced by run.sh inside a booted test bed with OpenMono installed.

CANARIES=/root/mu-canary
LLM_DIR=/run/test-multiuser
LLM_ADDR=10.10.0.4
LLM_PORT=8085
PRIV=/var/lib/private/openmono-workspaces
TPRIV=/var/lib/private/openmono-transcripts

as() {          # USER COMMAND... : runs a command as USER
        local user=$1; shift
        testbed_run runuser -u "$user" -- "$@"
}

# Fails if FILE holds USER's canary, or if FILE is empty: a scan of nothing proves nothing.
# The canaries are only ever passed to grep with -f, so no command line holds one.
no_canary_of() {        # USER FILE
        testbed_run sh -c "test -s '$2' || { echo 'nothing to scan in $2'; exit 1; }
                echo \"scanned \$(wc -c <'$2') bytes of $2\"
                ! grep -a -q -F -f $CANARIES.$1 '$2'"
}

has_canary_of() {       # USER FILE
        testbed_run grep -a -q -F -f "$CANARIES.$1" "$2"
}

# Also when the file stops early: what it leaves (secrets, a fake model server in the test
# hosts' namespace, projects) would make later files fail for no fault of theirs.
mu_cleanup() {
        testbed_run systemctl stop test-fake-llm-mu.service >/dev/null 2>&1 || true
        testbed_run sh -c "
                runuser -u alice -- openmonoctl project remove muprivate
                runuser -u alice -- openmonoctl project remove mushared
                runuser -u alice -- openmonoctl project remove mutx
                for u in alice bob carol; do runuser -u \$u -- openmonoctl secret rm GIT_TOKEN; done
                openmonoctl secret rm GIT_TOKEN
                if [ -e /usr/bin/openmono-agent.real ]; then mv /usr/bin/openmono-agent.real /usr/bin/openmono-agent; fi
                rm -rf $LLM_DIR $CANARIES.*" >/dev/null 2>&1 || true
}
trap mu_cleanup EXIT

testbed_run sh -ec "
        umask 077
        for u in alice bob carol root; do
                head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >$CANARIES.\$u
        done
        for u in alice bob carol; do runuser -u \$u -- openmonoctl secret set GIT_TOKEN <$CANARIES.\$u; done
        openmonoctl secret set GIT_TOKEN <$CANARIES.root
"
ALICE_UID=$(testbed_run id -u alice)
BOB_UID=$(testbed_run id -u bob)

echo "# Transcripts of a shared project are each caller's own"
testbed_run sh -ec "
        mkdir -p $LLM_DIR
        echo '{\"responses\": [{\"content\": \"Done for alice.\"}, {\"content\": \"Done for bob.\"}]}' \
                >$LLM_DIR/script.json
        $TOP/tests/integration/netns-hosts.sh $LLM_ADDR
        systemd-run --unit=test-fake-llm-mu --collect -p Type=exec -p NetworkNamespacePath=/run/netns/omt-hosts /usr/bin/python3 \
                $TOP/tests/fake-llm/fake-llm.py --script $LLM_DIR/script.json --host $LLM_ADDR \
                --port $LLM_PORT --record $LLM_DIR/requests.jsonl >/dev/null
"
wait_until 30 /usr/bin/python3 -c "import socket; socket.create_connection(('$LLM_ADDR', $LLM_PORT), 1)"
check "alice shares a dynamic project with bob" \
        as alice openmonoctl project add mutx --identity dynamic --user bob
check_output "alice's agent runs her private task in it" "done after 1 step" \
        as alice openmonoctl run --pipe -p mutx -- openmono-agent --endpoint http://$LLM_ADDR:$LLM_PORT/v1 \
        --task "alice-private-task-8812"
check_output "bob's agent runs his" "done after 1 step" \
        as bob openmonoctl run --pipe -p mutx -- openmono-agent --endpoint http://$LLM_ADDR:$LLM_PORT/v1 \
        --task "bob-task-3307"
check_output "alice's transcript is in her own directory (the scan works)" "alice-private-task-8812" \
        sh -c "cat $TPRIV/mutx/$ALICE_UID/transcripts/*.jsonl"
check_fails "... and not in the workspace the project's users share" \
        grep -r -q alice-private-task-8812 $PRIV/mutx
check_output "alice reads it from her next session" "alice-private-task-8812" \
        as alice openmonoctl run --pipe -p mutx -- /bin/sh -c 'cat "$OPENMONO_STATE_DIRECTORY"/transcripts/*'
check_output "bob's session finds nothing of it, searching all it can see" "^found: 0$" \
        as bob openmonoctl run --pipe -p mutx -- /bin/sh -c "
                { grep -r -l -s -D skip alice-private-task-8812 /workspace /var/lib /tmp /var/tmp
                  cat /var/lib/openmono-transcripts/mutx/$ALICE_UID/transcripts/*; } 2>/dev/null >/tmp/found
                echo found: \$(wc -l </tmp/found)"
check_output "... though his own transcript is there for him" "bob-task-3307" \
        as bob openmonoctl run --pipe -p mutx -- /bin/sh -c 'cat "$OPENMONO_STATE_DIRECTORY"/transcripts/*'
check_fails "bob cannot read alice's transcript from the host" \
        as bob sh -c "cat /var/lib/openmono-transcripts/mutx/$ALICE_UID/transcripts/* $TPRIV/mutx/$ALICE_UID/transcripts/*"
check_output "... where it is root's to read only" "^700 root$" stat -c '%a %U' /var/lib/private
testbed_run systemctl stop test-fake-llm-mu.service || true

note "a script stands in for openmono-agent: it writes what \$CREDENTIALS_DIRECTORY holds to /workspace/scan-TASK.txt (TASK from its credential)"
testbed_run sh -ec "
        if [ -e /usr/bin/openmono-agent ] && [ ! -e /usr/bin/openmono-agent.real ]; then
                mv /usr/bin/openmono-agent /usr/bin/openmono-agent.real
        fi
        printf '#!/bin/sh\nt=\$(cat \"\$CREDENTIALS_DIRECTORY/\$2\")\n{ echo \"scan by \$(id -un) for \$t:\"; ls \"\$CREDENTIALS_DIRECTORY\"; cat \"\$CREDENTIALS_DIRECTORY\"/* 2>/dev/null; } >/workspace/scan-\$t.txt\necho \"task: \$t\" >>/workspace/ran.txt\n' \
                >/usr/bin/openmono-agent
        chmod 755 /usr/bin/openmono-agent
"

echo "# Whose secrets a session of alice's shared project receives"
check "alice shares mushared with bob; its Grant= lists GIT_TOKEN" \
        as alice openmonoctl project add mushared --identity dynamic --user bob --network none \
        --grant GIT_TOKEN --task byroot
# What the session's credentials hold, with a header so that a session without any still
# leaves something to scan.
SCAN='{ echo "scan by $(id -un):"; ls -A "$CREDENTIALS_DIRECTORY"; cat "$CREDENTIALS_DIRECTORY"/*; } \
        >/workspace/scan-direct.txt 2>&1; true'
check "positive control: alice's own session of her project" as alice openmonoctl run --pipe -p mushared -- /bin/sh -c "$SCAN"
check "... receives her GIT_TOKEN" has_canary_of alice $PRIV/mushared/scan-direct.txt
check "bob starts it" as bob openmonoctl run --pipe -p mushared -- /bin/sh -c "$SCAN"
check "... and his GIT_TOKEN is not there" no_canary_of bob $PRIV/mushared/scan-direct.txt
check "... alice's is, she listed it for her project's users" has_canary_of alice $PRIV/mushared/scan-direct.txt
check "the administrator carol starts it" as carol openmonoctl run --pipe -p mushared -- /bin/sh -c "$SCAN"
check "... and carol's GIT_TOKEN is not there" no_canary_of carol $PRIV/mushared/scan-direct.txt
check "... nor alice's: alice did not let carol in, she uses it as an administrator" \
        no_canary_of alice $PRIV/mushared/scan-direct.txt
check "root starts it" openmonoctl run --pipe -p mushared -- /bin/sh -c "$SCAN"
check "... and root's GIT_TOKEN is not there" no_canary_of root $PRIV/mushared/scan-direct.txt
check "root starts it with systemctl start openmono@mushared" systemctl start openmono@mushared.service
check "... which runs the project's task" wait_until 30 test -s $PRIV/mushared/scan-byroot.txt
check "... without root's GIT_TOKEN" no_canary_of root $PRIV/mushared/scan-byroot.txt
check_output "... and audited as a delivery of alice's secret to a session root started" "^OPENMONO_USER=alice$" \
        sh -c "journalctl --no-pager -o export MESSAGE_ID=92592984e1584d0b93ffda4043e0d1b6 OPENMONO_PROJECT=mushared \
                OPENMONO_CALLER_UID=0 | grep -a ^OPENMONO_USER= | sort -u"
check "carol adds a cron job on alice's project" \
        as carol openmonoctl cron add muscan --project mushared --every hourly --task bycron
check "... and runs it now" as carol openmonoctl cron run-now muscan
check "... which runs" wait_until 30 test -s $PRIV/mushared/scan-bycron.txt
check "... without carol's GIT_TOKEN" no_canary_of carol $PRIV/mushared/scan-bycron.txt
check "... nor root's" no_canary_of root $PRIV/mushared/scan-bycron.txt
check_output "carol handing over her own secret with --grant is refused" "never hand their own secrets" \
        sh -c "runuser -u carol -- openmonoctl run --pipe -p mushared --grant GIT_TOKEN -- /bin/true 2>&1; true"
check_output "... and so is root" "never hand their own secrets" \
        sh -c "openmonoctl run --pipe -p mushared --grant GIT_TOKEN -- /bin/true 2>&1; true"
check "bob may hand over his own, for this run, by asking" \
        as bob openmonoctl run --pipe -p mushared --grant GIT_TOKEN -- /bin/sh -c "$SCAN"
check "... and then it is his" has_canary_of bob $PRIV/mushared/scan-direct.txt
check_output "every delivery names the secret's owner, the project's owner and the caller" \
        "OPENMONO_USER=alice.*OPENMONO_PROJECT_OWNER=alice.*OPENMONO_CALLER_UID=$BOB_UID" \
        sh -c "journalctl --no-pager -o export MESSAGE_ID=92592984e1584d0b93ffda4043e0d1b6 OPENMONO_PROJECT=mushared \
                OPENMONO_CALLER_UID=$BOB_UID | grep -a -E '^OPENMONO_(USER|PROJECT_OWNER|CALLER_UID)=' | tr '\n' ' '"
testbed_run sh -c "runuser -u carol -- openmonoctl cron remove muscan" || true

echo "# A project named after a real account"
testbed_run sh -ec "
        id om-victim >/dev/null 2>&1 || useradd --create-home --shell /bin/bash om-victim
        echo victim-file-5150 >/home/om-victim/private.txt
        chown om-victim: /home/om-victim/private.txt
        chmod 600 /home/om-victim/private.txt
"
check_output "alice cannot create project victim (om-victim is a real account)" "om-victim is an account" \
        sh -c "runuser -u alice -- openmonoctl project add victim --identity dynamic 2>&1; true"
check_fails "... and no project file was written" test -e /var/lib/openmono/projects/victim.project
check "alice creates project latecomer" as alice openmonoctl project add latecomer --identity dynamic
testbed_run sh -c "id om-latecomer >/dev/null 2>&1 || useradd --create-home om-latecomer
        echo late-file-6262 >/home/om-latecomer/private.txt; chown om-latecomer: /home/om-latecomer/private.txt"
check_output "once om-latecomer exists, its sessions are refused" "om-latecomer is an account" \
        sh -c "runuser -u alice -- openmonoctl run --pipe -p latecomer -- /usr/bin/id -un 2>&1; true"
check_fails "... so nothing runs as om-latecomer" \
        sh -c "runuser -u alice -- openmonoctl run --pipe -p latecomer -- /usr/bin/id -un 2>&1 | grep -x om-latecomer"
testbed_run sh -c "runuser -u alice -- openmonoctl project remove latecomer
        userdel -r om-victim; userdel -r om-latecomer" >/dev/null 2>&1 || true

echo "# A removed project leaves nothing to the next owner of its name"
check "bob creates rtreuse" as bob openmonoctl project add rtreuse --identity dynamic
check "... writes a file into its workspace" \
        as bob openmonoctl run --pipe -p rtreuse -- /bin/sh -c 'echo bob-was-here-4242 >/workspace/bobs-notes.txt'
check "... and removes it" as bob openmonoctl project remove rtreuse
check_fails "its workspace is gone with it" test -e $PRIV/rtreuse
check_fails "... and so are its transcripts" test -e $TPRIV/rtreuse
check "alice creates rtreuse" as alice openmonoctl project add rtreuse --identity dynamic
check_output "... and sees nothing of bob's" "^listing: *$" \
        as alice openmonoctl run --pipe -p rtreuse -- /bin/sh -c 'echo "listing: $(ls -A /workspace | tr "\n" " ")"'
testbed_run runuser -u alice -- openmonoctl project remove rtreuse || true

check "alice creates rtcron, with a task" as alice openmonoctl project add rtcron --identity dynamic --task bycron
check "carol schedules a job on it" as carol openmonoctl cron add rtjob --project rtcron --every hourly
check_output "the job names the project's id" "^ProjectId=[0-9a-f]{32}$" grep ^ProjectId= /var/lib/openmono/cron/rtjob.job
check "alice removes rtcron" as alice openmonoctl project remove rtcron
check "bob creates a project named rtcron" as bob openmonoctl project add rtcron --identity dynamic --task bycron
testbed_run systemctl reset-failed openmono-cron-rtjob.service 2>/dev/null || true
testbed_run sh -c "runuser -u carol -- openmonoctl cron run-now rtjob" || true
check "carol's job fails rather than run bob's project" \
        wait_until 30 sh -c "systemctl show -P Result openmono-cron-rtjob.service | grep -qv success &&
                ! systemctl is-active -q openmono-cron-rtjob.service"
check_output "... with 'No project'" "No project 'rtcron'" \
        sh -c "journalctl --no-pager -o cat -u openmono-cron-rtjob.service | tail -n 20"
check_fails "... and bob's workspace saw no run" test -e $PRIV/rtcron/ran.txt
testbed_run sh -c "runuser -u carol -- openmonoctl cron remove rtjob; runuser -u bob -- openmonoctl project remove rtcron" || true

echo "# \"Exists but not yours\" is \"does not exist\""
testbed_run runuser -u alice -- openmonoctl project add muprivate --identity dynamic >/dev/null
for verb in "show" "set" "remove"; do
        opt=; [ "$verb" = set ] && opt="--network none"
        check_output "bob: project $verb of alice's project and of none say the same" "^same: No project 'X'" \
                sh -c "a=\$(runuser -u bob -- openmonoctl project $verb muprivate $opt 2>&1 | sed s/muprivate/X/g)
                       b=\$(runuser -u bob -- openmonoctl project $verb mununknown $opt 2>&1 | sed s/mununknown/X/g)
                       [ \"\$a\" = \"\$b\" ] && echo \"same: \$a\" || echo \"differ: \$a / \$b\""
done
check_output "bob: run of alice's project and of none say the same" "^same: No project 'X'" \
        sh -c "a=\$(runuser -u bob -- openmonoctl run --pipe -p muprivate -- /bin/true 2>&1 | sed s/muprivate/X/g)
               b=\$(runuser -u bob -- openmonoctl run --pipe -p mununknown -- /bin/true 2>&1 | sed s/mununknown/X/g)
               [ \"\$a\" = \"\$b\" ] && echo \"same: \$a\" || echo \"differ: \$a / \$b\""

echo "# Cleaning up"
mu_cleanup
trap - EXIT
