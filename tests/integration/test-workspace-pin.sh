#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The workspace is pinned, never named: a plain user swaps her workspace directory with a symlink
# (renameat2(RENAME_EXCHANGE) in a loop) while sessions start on it, and no session may ever see
# anything at /workspace but the directory the controller verified. Also: what systemd is told
# (BindPaths=) names no user's path, pins do not outlive the start, sessions still build and
# write files as their owner, and control paths below the home are refused as workspaces.
# Sourced by run.sh inside a booted test bed with OpenMono installed.

PIN=/home/alice/pin
WS=$PIN/ws
SWAP=$PIN/swap
HELPER=/srv/om-pin/swap.py
OUT=/srv/om-pin/results
PROJECT_FILE=/etc/openmono/projects/pinproj.project
ROUNDS=${PIN_ROUNDS:-20}

as() {          # USER COMMAND... : runs a command as USER
        local user=$1; shift
        testbed_run runuser -u "$user" -- "$@"
}

testbed_run sh -ec "
        install -d -o alice -g alice -m 0755 $PIN $WS
        touch $WS/REAL-WORKSPACE; chown alice: $WS/REAL-WORKSPACE
        touch /home/alice/DECOY; chown alice: /home/alice/DECOY
        # World-readable files behind a directory only root may enter.
        install -d -m 0700 /srv/om-rootonly
        install -d -m 0755 /srv/om-rootonly/pub /srv/om-pin
        touch /srv/om-rootonly/pub/DECOY /srv/om-rootonly/pub/root-only-file
        rm -rf $OUT; install -d -m 0755 $OUT
        mkdir -p ${PROJECT_FILE%/*}
        printf '[Project]\nOwner=alice\nWorkspace=$WS\n[Sandbox]\nNetwork=none\n' >$PROJECT_FILE
        cat >$HELPER <<'EOF'
# Swaps two names as fast as it can: a directory and a symlink, so that any path naming either
# points at the other a moment later.
import ctypes, sys, time
libc = ctypes.CDLL(None, use_errno=True)
a, b, end = sys.argv[1].encode(), sys.argv[2].encode(), time.time() + float(sys.argv[3])
n = 0
while time.time() < end:
    if libc.renameat2(-100, a, -100, b, 2) != 0:
        sys.exit('renameat2: errno %d' % ctypes.get_errno())
    n += 1
print('swaps:', n)
EOF
        chmod 0644 $HELPER
"
# What each racing session prints: its verdict on /workspace, from the inside.
testbed_run sh -c "cat >/srv/om-pin/probe.sh" <<'EOF'
if [ -e /workspace/REAL-WORKSPACE ] && [ ! -e /workspace/DECOY ]; then echo SEEN=real
else echo "SEEN=other: $(ls -A /workspace 2>&1 | head -n 8 | tr '\n' ' ')"; fi
EOF
PROBE="/bin/sh /srv/om-pin/probe.sh"
ALICE_UID=$(testbed_run id -u alice)

# Starts the swapper as alice, a plain process of hers outside any sandbox, with SWAP a symlink
# to TARGET.
start_swapper() {       # TARGET
        testbed_run sh -ec "
                rm -f $SWAP; ln -s $1 $SWAP; chown -h alice: $SWAP
                systemctl reset-failed om-pin-swap.service 2>/dev/null || true
                systemd-run --quiet --unit=om-pin-swap --uid=alice --gid=alice -p Type=exec \
                        /usr/bin/python3 $HELPER $WS $SWAP 600
        "
}

# Stops it and puts the directory back under its name.
stop_swapper() {
        testbed_run sh -ec "
                systemctl stop om-pin-swap.service 2>/dev/null || true
                if [ -L $WS ]; then mv -T $WS $PIN/tmp && mv -T $SWAP $WS && mv -T $PIN/tmp $SWAP; fi
                test -d $WS && test ! -L $WS && test -e $WS/REAL-WORKSPACE
        "
}

# Starts ROUNDS sessions, two at a time, each with the client's path to the racing name; every
# session's output goes to OUT/TAG-N.
race() {        # TAG CLIENT-COMMAND...
        local tag=$1; shift
        testbed_run bash -c "
                for i in \$(seq 1 $ROUNDS); do
                        $* >$OUT/$tag-\$i.a 2>&1 &
                        $* >$OUT/$tag-\$i.b 2>&1
                        wait
                done
                true
        "
}

# Prints the tally of a race and the evidence of every session that saw something else.
tally() {       # TAG
        testbed_run sh -c "
                real=\$(cat $OUT/$1-* | grep -c '^SEEN=real' || true)
                other=\$(cat $OUT/$1-* | grep -c '^SEEN=other' || true)
                echo \"sessions that saw the real workspace: \$real, something else: \$other, refused or failed: \$(( $ROUNDS * 2 - real - other ))\"
                grep -h '^SEEN=other' $OUT/$1-* | sort | uniq -c | head -n 5
                grep -h -v '^SEEN=' $OUT/$1-* | sort | uniq -c | head -n 5
        " | sed 's/^/# /'
}

# Fails if any session of the race saw anything but the workspace, or if too few saw it at all
# (a race in which nothing started proves nothing).
race_held() {   # TAG
        testbed_run sh -c "
                ! cat $OUT/$1-* | grep -q '^SEEN=other' &&
                test \$(cat $OUT/$1-* | grep -c '^SEEN=real') -ge 3
        "
}

CLIENT="runuser -u alice -- openmonoctl run --pipe --network=none -w $WS -- $PROBE"

echo "# A plain user races a symlink to her home into the workspace's place"
start_swapper /home/alice
race home "$CLIENT"
stop_swapper
tally home
check "no session saw alice's home (or anything but her workspace) at /workspace" race_held home

echo "# ... and a symlink to world-readable files behind a root-only directory"
start_swapper /srv/om-rootonly/pub
race rootonly "$CLIENT"
stop_swapper
tally rootonly
check "no session saw the files behind the root-only directory" race_held rootonly

echo "# An administrator starts her owner project while she races (the controller opens the path)"
start_swapper /home/alice
race project "openmonoctl run --pipe -p pinproj -- $PROBE"
stop_swapper
tally project
check "no project session saw anything but the project's workspace" race_held project
check_output "a path through a symlink is not followed for a project" "Cannot open the workspace" \
        sh -c "sed -i 's|^Workspace=.*|Workspace=$SWAP|' $PROJECT_FILE; ln -sfn $WS $SWAP
               openmonoctl run --pipe -p pinproj -- /bin/true 2>&1; sed -i 's|^Workspace=.*|Workspace=$WS|' $PROJECT_FILE"

echo "# The session sees the very directory that was checked"
check_output "/workspace inside is the inode of $WS on the host" "^SAME$" \
        sh -c "host=\$(stat -c %d:%i $WS)
               in=\$(runuser -u alice -- openmonoctl run --pipe -w $WS -- /usr/bin/stat -c %d:%i /workspace)
               echo \"host \$host, inside \$in\" >&2; [ \"\$host\" = \"\$in\" ] && echo SAME"
check "a session builds and runs code in /workspace" \
        as alice openmonoctl run --pipe -w "$WS" -- /bin/sh -ec \
        'printf "int main(void){return 0;}\n" > pin-t.c && cc -o pin-t pin-t.c && ./pin-t'
check_output "... and what it writes belongs to alice" "^alice alice$" stat -c '%U %G' "$WS/pin-t"
check "/storage is writable" as alice openmonoctl run --pipe -w "$WS" -- /bin/sh -c 'echo kept > /storage/pin-check'
check_output "... and is alice's storage directory on the host" "^alice kept$" \
        sh -c "echo \$(stat -c %U /var/lib/openmono/storage/$ALICE_UID/pin-check) \$(cat /var/lib/openmono/storage/$ALICE_UID/pin-check)"
check_output "a session's mounts are nosuid and nodev" "^nosuid nodev$" \
        as alice openmonoctl run --pipe -w "$WS" -- /bin/sh -c \
        'o=$(findmnt -n -o OPTIONS /workspace); case $o in *nosuid*) printf nosuid;; esac; case $o in *nodev*) echo " nodev";; esac'

echo "# Clients in a mount namespace of their own"
check_output "a client in a unit with ProtectSystem= (as cron jobs run) gets its workspace" "^SEEN=real$" \
        systemd-run --quiet --pipe --wait --uid=alice -p ProtectSystem=strict -p ProtectHome=read-only \
        -p PrivateTmp=yes /usr/bin/openmonoctl run --pipe --network=none -w "$WS" -- $PROBE
if testbed_run runuser -u alice -- unshare -Urm true 2>/dev/null; then
        check_output "a client that mounts her home over the workspace in her own namespace is refused" \
                "Cannot use this directory as a workspace|Cannot pin" \
                sh -c "runuser -u alice -- unshare -Urm sh -c 'mount --bind /home/alice $WS &&
                       openmonoctl run --pipe --network=none -w $WS -- $PROBE' 2>&1; true"
else
        note "unprivileged user namespaces are off in this bed: the unshare -Urm case is not tested"
fi

echo "# What systemd is told, and what is left behind"
ID=$(as alice openmonoctl run --detach --network=none -w "$WS" -- /bin/sleep 60)
wait_until 10 sh -c "systemctl is-active -q openmono-session-$ID.service"
check_output "BindPaths= of the unit names the controller's pin" "/run/openmono/mounts/$ID/workspace:/workspace" \
        as bob systemctl show -p BindPaths "openmono-session-$ID.service"
check_fails "... and no path of alice's (systemctl show, as bob)" \
        sh -c "runuser -u bob -- systemctl show openmono-session-$ID.service | grep -F /home/alice"
check "the pin is gone once the session runs" wait_until 10 test ! -e "/run/openmono/mounts/$ID"
check_fails "... and no pin is mounted on the host" sh -c "findmnt -rn -o TARGET | grep -F /run/openmono/mounts/"
check_output "inside, /proc/self/mountinfo lists no pin (the session's or another's)" "^pins=0$" \
        as alice openmonoctl run --pipe -w "$WS" -- /bin/sh -c \
        'sleep 1; echo pins=$(grep -c " /run/openmono/mounts/" /proc/self/mountinfo)'
testbed_run openmonoctl stop "$ID" >/dev/null 2>&1 || true
check_output "/run/openmono/mounts is root's alone" "^700 root$" stat -c '%a %U' /run/openmono/mounts
check "the controller shares PID 1's mount namespace, where systemd resolves BindPaths=" \
        sh -c 'openmonoctl status >/dev/null; test "$(readlink /proc/$(systemctl show -P MainPID openmonod.service)/ns/mnt)" = "$(readlink /proc/1/ns/mnt)"'

echo "# Control paths below the home are refused"
testbed_run runuser -u alice -- mkdir -p /home/alice/.local/share/systemd/user /home/alice/.config /home/alice/.ssh
for dir in .local/share/systemd/user .config .ssh; do
        check_output "-w ~/$dir is refused, naming the rule, with exit status 1" \
                "dot-directory of the home.*rc=1" \
                sh -c "cd /home/alice; runuser -u alice -- openmonoctl run --pipe -w /home/alice/$dir -- /bin/true 2>&1; echo rc=\$?"
done
check_output "-w ~ is refused as the home directory" "home directory or a directory above it" \
        sh -c "runuser -u alice -- openmonoctl run --pipe -w /home/alice -- /bin/true 2>&1; true"

testbed_run sh -c "rm -rf $PIN /home/alice/DECOY /srv/om-rootonly /srv/om-pin $PROJECT_FILE" || true
