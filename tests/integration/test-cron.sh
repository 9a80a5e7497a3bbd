#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Scheduled jobs: openmonoctl cron writes job files, openmono-generator turns them into timers
# on daemon-reload, the timers start sessions of the job's project, and each run's result lands
# in the journal, which the controller reads for 'cron history'. Who may manage jobs is polkit's
# io.openmono.cron.manage.
# Sourced by run.sh inside a booted test bed with OpenMono installed.

AWS=/home/alice/cronapp
BWS=/home/bob/cronapp
RULE=/etc/polkit-1/rules.d/50-openmono-cron-test.rules

as() {          # USER COMMAND... : runs a command as USER
        local user=$1; shift
        testbed_run runuser -u "$user" -- "$@"
}

# Calls GetCronHistory as USER with the JSON parameters PARAMS on the controller's socket; prints
# the error's name, or how many runs came back and whether they are newest first.
history_call() {        # USER PARAMS
        testbed_run_as "$1" /usr/bin/python3 -c '
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect("/run/openmono/io.openmono.Manager")
s.sendall(json.dumps({"method": "io.openmono.Manager.GetCronHistory",
                      "parameters": json.loads(sys.argv[1])}).encode() + b"\0")
buf = b""
while not buf.endswith(b"\0"):
    d = s.recv(65536)
    if not d:
        break
    buf += d
reply = json.loads(buf.rstrip(b"\0"))
if "error" in reply:
    print(reply["error"])
else:
    t = [r["time_usec"] for r in reply["parameters"]["runs"]]
    print("%d runs, %s" % (len(t), "newest first" if t == sorted(t, reverse=True) else "unordered"))' "$2"
}

# The calendar expression for SECONDS from now, to the second, in the bed's time zone.
soon() {
        testbed_run date -d "+$1 sec" '+%Y-%m-%d %H:%M:%S'
}

note "a script stands in for openmono-agent: it appends its task (read from the credential the controller names) to the workspace, and exits 3 for tasks with 'fail'"
testbed_run sh -ec "
        install -d -o alice -g alice -m 0755 $AWS
        install -d -o bob -g bob -m 0755 $BWS
        if [ -e /usr/bin/openmono-agent ]; then mv /usr/bin/openmono-agent /usr/bin/openmono-agent.real; fi
        printf '#!/bin/sh\nt=\$(cat \"\$CREDENTIALS_DIRECTORY/\$2\")\necho \"task: \$t\" >> /workspace/cron-ran.txt\ncase \"\$t\" in *fail*) exit 3;; esac\n' \
                >/usr/bin/openmono-agent
        chmod 755 /usr/bin/openmono-agent
        runuser -u alice -- openmonoctl project add cronapp -w $AWS --network none
        runuser -u bob -- openmonoctl project add bobcron -w $BWS --network none
"

echo "# Who may schedule"
check_output "alice, with no polkit grant, cannot add a job" "Not allowed to add" \
        sh -c "runuser -u alice -- openmonoctl cron add mine --project cronapp --every hourly 2>&1; true"
check_fails "... and no job file was written" test -e /var/lib/openmono/cron/mine.job
check_output "an administrator (carol) adds a job on alice's project" "Calendar: \*-\*-\* \*:00:00" \
        as carol openmonoctl cron add nightly --project cronapp --every hourly --task 'record 100% "quoted" $HOME'
check_output "its file is in /var/lib/openmono/cron, root-only" "^600 root$" \
        stat -c '%a %U' /var/lib/openmono/cron/nightly.job
check_output "a schedule systemd does not understand is refused with systemd-analyze's reason" \
        "Invalid schedule 'Someday 25:99'.*calendar" \
        sh -c "openmonoctl cron add bad --project cronapp --on-calendar 'Someday 25:99' 2>&1; true"
check_output "an unknown shorthand is refused by openmonoctl" "Invalid value for --every" \
        sh -c "openmonoctl cron add bad --project cronapp --every 7-minutes 2>&1; true"
check_output "a task with a newline is refused" "Task=" \
        sh -c "openmonoctl cron add bad --project cronapp --every hourly --task \"\$(printf 'a\nb')\" 2>&1; true"
testbed_run sh -ec "groupadd -f cronmgr; usermod -a -G cronmgr bob
        printf '%s\n' 'polkit.addRule(function(action, subject) {' \
                '        if (action.id == \"io.openmono.cron.manage\" &&' \
                '            (subject.isInGroup(\"cronmgr\") || subject.user == \"alice\"))' \
                '                return polkit.Result.YES;' '});' >$RULE"
wait_until 10 test -e $RULE
sleep 1         # polkitd notices new rules through inotify
check "bob, granted io.openmono.cron.manage by a polkit rule for his group, adds a job" \
        as bob openmonoctl cron add bobjob --project bobcron --on-calendar 'Mon *-*-* 10:00' --disabled \
        --task "bob's task"
check_output "bob sees his own job only" "^bobjob " as bob openmonoctl cron list --no-legend
check_fails "... not carol's" sh -c "runuser -u bob -- openmonoctl cron list --no-legend | grep -q nightly"
check_output "bob cannot remove carol's job" "No scheduled job 'nightly'" \
        sh -c "runuser -u bob -- openmonoctl cron remove nightly 2>&1; true"
check_output "bob cannot schedule alice's project" "No project 'cronapp'" \
        sh -c "runuser -u bob -- openmonoctl cron add steal --project cronapp --every daily 2>&1; true"

echo "# The generated timer and service"
next_hour=$(testbed_run sh -c 'date -d "@$(( ($(date +%s) / 3600 + 1) * 3600 ))" "+%Y-%m-%d %H:%M:%S"')
check_output "systemctl list-timers shows the job's timer, next at the top of the hour" \
        "$next_hour.*openmono-cron-nightly.timer" systemctl list-timers --all 'openmono-cron-*'
check_output "cron list shows the same next run" "^nightly +cronapp +yes +hourly +$next_hour +- +-" \
        openmonoctl cron list --no-legend
# Every local user can read a unit's ExecStart= and its unit file: the task stays in the job file
# (root's), which the service receives as a credential.
check_output "the task is not on the service's command line, the job file is its credential" \
        "argv\\[\\]=/usr/bin/openmonoctl run --pipe --project=cronapp --project-id=[0-9a-f]{32} --job-credential=openmono-job ;" \
        systemctl show -p ExecStart openmono-cron-nightly.service
check_fails "bob sees nothing of the task in the service's properties or unit file" sh -c \
        "runuser -u bob -- sh -c 'systemctl show --all openmono-cron-nightly.service; cat /run/systemd/generator/openmono-cron-*' | grep -F quoted"
check_output "the timer is linked into timers.target" "openmono-cron-nightly.timer" \
        ls /run/systemd/generator/timers.target.wants/
check_fails "a job added disabled has no timer" systemctl is-active openmono-cron-bobjob.timer

echo "# Running now"
check "bob enables his job" as bob openmonoctl cron enable bobjob
check_output "its service asks for the session as bob, so the controller checks him at every run" "^bob$" \
        systemctl show -P User openmono-cron-bobjob.service
check "bob runs it now" as bob openmonoctl cron run-now bobjob
wait_until 30 grep -q "bob's task" $BWS/cron-ran.txt
check_output "... his project's session ran it, as bob" "^bob$" stat -c %U $BWS/cron-ran.txt
check "... and it reaches the history, logged by root" \
        wait_until 45 sh -c "openmonoctl cron history --no-legend bobjob | grep -q success"

check_output "run-now starts the job's service" "Started openmono-cron-nightly.service" \
        as carol openmonoctl cron run-now nightly
wait_until 30 grep -q "record 100%" $AWS/cron-ran.txt
check_output "... which ran the project's session with the job's task, in alice's workspace" \
        '^task: record 100% "quoted" \$HOME$' cat $AWS/cron-ran.txt
check_output "... as alice" "^alice$" stat -c %U $AWS/cron-ran.txt
check "the run reaches the history" wait_until 45 sh -c "openmonoctl cron history --no-legend nightly | grep -q success"
check_output "cron history shows the run: time, result, exit status, duration" \
        "^[0-9-]+ [0-9:]+ +success +0 +[0-9.]+m?s" openmonoctl cron history nightly
check_output "history --json prints one JSON object per run" '^\{"time_usec":[0-9]+,"result":"success","exit_code":"exited","exit_status":"0","duration_usec":[0-9]+\}$' \
        openmonoctl --json cron history nightly
check_output "cron list shows the last result" "^nightly .* success$" openmonoctl cron list --no-legend
check_output "the run is in the journal with OPENMONO_CRON_JOB= and the catalogued MESSAGE_ID" \
        "OPENMONO_CRON_JOB=nightly" \
        journalctl -o verbose MESSAGE_ID=8793f47a11804cf98ead5d813cc3a8c2 _UID=0
check "a failing run" openmonoctl cron add failing --project cronapp --every daily --task "please fail"
check "... started now" openmonoctl cron run-now failing
check "... ends" wait_until 45 sh -c "openmonoctl cron history --no-legend failing | grep -q exit-code"
check_output "... is recorded as failed with its exit status" "exit-code +3 " openmonoctl cron history failing

echo "# Who may read the history: who may see the job, not who may read the journal"
check_fails "alice may neither read the system journal (adm, systemd-journal) nor administer (openmono-admin)" \
        sh -c "id -nG alice | grep -qwE 'adm|systemd-journal|openmono-admin'"
check "alice, granted io.openmono.cron.manage by the polkit rule too, adds a job of her own" \
        as alice openmonoctl cron add alicejob --project cronapp --every daily --task "alice's task"
check "... and runs it now" as alice openmonoctl cron run-now alicejob
check "alice reads her job's history through the controller" \
        wait_until 45 sh -c "runuser -u alice -- openmonoctl cron history --no-legend alicejob | grep -q success"
check_output "... time, result, exit status, duration" "^[0-9-]+ [0-9:]+ +success +0 +[0-9.]+m?s" \
        as alice openmonoctl cron history alicejob
check_output "... also with --json" '^\{"time_usec":[0-9]+,"result":"success",' \
        as alice openmonoctl --json cron history alicejob
check "alice runs it a second time" as alice openmonoctl cron run-now alicejob
check "... which reaches the history too" \
        wait_until 45 sh -c "runuser -u alice -- openmonoctl cron history alicejob | grep -q '^2 runs\.'"
check_output "GetCronHistory returns both runs, newest first" "^2 runs, newest first$" \
        history_call alice '{"name": "alicejob"}'
check_output "... and only the newest with limit 1" "^1 runs, newest first$" \
        history_call alice '{"name": "alicejob", "limit": 1}'
check_output "... and refuses a limit of 0" "^org.varlink.service.InvalidParameter$" \
        history_call alice '{"name": "alicejob", "limit": 0}'
check_output "... or over 1000" "^org.varlink.service.InvalidParameter$" \
        history_call alice '{"name": "alicejob", "limit": 1001}'
check_fails "... which journalctl does not show her: the controller read it for her" \
        sh -c "runuser -u alice -- journalctl -q --no-pager MESSAGE_ID=8793f47a11804cf98ead5d813cc3a8c2 \
                OPENMONO_CRON_JOB=alicejob 2>/dev/null | grep -q ."
check_output "bob cannot read the history of alice's job" "No scheduled job 'alicejob'" \
        sh -c "runuser -u bob -- openmonoctl cron history alicejob 2>&1; true"
check_output "... nor of carol's" "No scheduled job 'nightly'" \
        sh -c "runuser -u bob -- openmonoctl cron history nightly 2>&1; true"
check_output "an administrator reads any job's history" "^[0-9-]+ [0-9:]+ +success +0 " \
        as carol openmonoctl cron history --no-legend alicejob

echo "# On schedule"
at=$(soon 12)
check "a job set to run in 12 s" openmonoctl cron add soon --project cronapp --on-calendar "$at" --task "on time"
check "a second job at the same time" openmonoctl cron add later --project cronapp --on-calendar "$at" --task "disabled"
check "... which is disabled at once" openmonoctl cron disable later
check_fails "... and its timer is gone" systemctl is-active openmono-cron-later.timer
wait_until 45 grep -q "task: on time" $AWS/cron-ran.txt
check "the first fired on its own" grep -q "task: on time" $AWS/cron-ran.txt
check "... and its run reaches the history" wait_until 45 sh -c "openmonoctl cron history --no-legend soon | grep -q success"
check_output "... with its result" "success +0" openmonoctl cron history soon
sleep 2
check_fails "the disabled one did not run" grep -q "task: disabled" $AWS/cron-ran.txt
check_output "enable brings its timer back" "Enabled: yes" openmonoctl cron enable later
check "... active" systemctl is-active openmono-cron-later.timer

echo "# Persistent= catches up on a run missed while the timer was stopped"
# Stopping the timer across the elapse time stands in for the machine being off; the stamp file
# in /var/lib/systemd/timers is what makes the catch-up survive a reboot.
at=$(soon 6)
check "a persistent job due in 6 s, its timer stopped before then" sh -ec "
        openmonoctl cron add caught --project cronapp --on-calendar '$at' --persistent --task 'caught up'
        systemctl stop openmono-cron-caught.timer"
check "systemd keeps its stamp file" test -e /var/lib/systemd/timers/stamp-openmono-cron-caught.timer
sleep 8
check_fails "it did not run while stopped" grep -q "task: caught up" $AWS/cron-ran.txt
check "its timer starts again after the time passed" systemctl start openmono-cron-caught.timer
wait_until 30 grep -q "task: caught up" $AWS/cron-ran.txt
check "the missed run happens at once" grep -q "task: caught up" $AWS/cron-ran.txt
note "within one boot systemd also catches up on a stopped non-persistent timer; only the stamp file survives a reboot, and rebooting the bed is not part of a test run"

echo "# Administrators' files in /etc/openmono/cron, and broken ones"
testbed_run sh -ec "
        mkdir -p /etc/openmono/cron
        printf '[Job]\nProject=cronapp\nSchedule=weekly\nTask=site report\n' >/etc/openmono/cron/site.job
        printf '[Job]\nProject=cronapp\nSchedule=daily\nPersistent=maybe\n' >/etc/openmono/cron/broken.job
        printf '[Job]\nProject=cronapp\nSchedule=Someday 25:99\n' >/etc/openmono/cron/badcal.job
"
check "systemctl daemon-reload runs the generator" systemctl daemon-reload
check_output "the broken file is reported in the journal with file and line" \
        "broken.job:4: .*Persistent" journalctl -b -t openmono-generator --no-pager
check_output "... and the other jobs still load" "^loaded$" \
        systemctl show -P LoadState openmono-cron-site.timer openmono-cron-nightly.timer
check_output "a site job is listed with scope system" '"scope": "system"' openmonoctl cron show site --json
check_output "a site job cannot be removed through the API" "belongs to the administrator" \
        sh -c "openmonoctl cron remove site 2>&1; true"
check_output "a schedule the generator lets through but systemd rejects fails the timer loudly" \
        "^(bad-setting|error)$" systemctl show -P LoadState openmono-cron-badcal.timer

echo "# The site switch [Features] Cron="
testbed_run sh -ec "mkdir -p /etc/openmono/openmono.conf.d
        printf '[Features]\nCron=no\n' >/etc/openmono/openmono.conf.d/50-no-cron.conf
        systemctl reload openmonod.service 2>/dev/null || true"
check_output "with Cron=no the cron methods are refused" "switched off" \
        sh -c "openmonoctl cron list 2>&1; true"
testbed_run sh -ec "rm -f /etc/openmono/openmono.conf.d/50-no-cron.conf
        systemctl reload openmonod.service 2>/dev/null || true"

echo "# Removing"
check "remove drops a job" openmonoctl cron remove soon
check_fails "... its timer is gone" systemctl is-active openmono-cron-soon.timer
check_fails "... and so is its unit" test -e /run/systemd/generator/openmono-cron-soon.timer
testbed_run sh -ec "
        for j in nightly failing later caught alicejob; do openmonoctl cron remove \$j || true; done
        runuser -u bob -- openmonoctl cron remove bobjob || true
        rm -f /etc/openmono/cron/site.job /etc/openmono/cron/broken.job /etc/openmono/cron/badcal.job $RULE
        systemctl daemon-reload
        runuser -u alice -- openmonoctl project remove cronapp
        runuser -u bob -- openmonoctl project remove bobcron
        rm -f /usr/bin/openmono-agent
        if [ -e /usr/bin/openmono-agent.real ]; then mv /usr/bin/openmono-agent.real /usr/bin/openmono-agent; fi
"
