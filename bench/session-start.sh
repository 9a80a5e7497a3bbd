#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Session start-up cost, per network policy: `openmonoctl run -- /bin/true` against a raw
# `systemd-run --wait` of a unit with the same properties, in one run, interleaved. The raw unit
# gets them from the same policy function (bench/session-run-args): the same sandbox, the same
# openmono-netns@ unit for its own network namespace, the same openmono-session-init relay in
# front of the command, plus the git identity credential the controller adds. Before timing, one
# session of each kind is started side by side and every unit property that still differs is
# printed. Then CONCURRENT sessions are started at once (for each policy in
# CONCURRENT_POLICIES, default intranet), with the controller's memory use.
#
# Goal (issue "Every session in its own network"): openmonoctl at most 1.15 times the raw unit,
# by the medians. A JSON line per policy follows its table.
#
# Runs as root on a host whose PID 1 is systemd and where OpenMono is installed; anywhere else
# use bench/run.sh, which runs it in the test bed.
set -euo pipefail

RUNS=${1:-50}
CONCURRENT=${2:-100}
POLICIES=${POLICIES-none intranet proxy}
GOAL=1.15
PER_USER=15                     # below the default per-user session cap
ARGS_TOOL=${SESSION_RUN_ARGS:-$(dirname "$0")/../build/bench/session-run-args}
BENCH_DIR=/run/openmono-bench
USER_NAME=omb0
WS=/home/$USER_NAME/ws

usage() { echo "Usage: $0 [RUNS] [CONCURRENT]   (POLICIES=\"none intranet proxy\" in the environment)"; }
[[ "${1:-}" == -h || "${1:-}" == --help ]] && { usage; exit 0; }
[[ -x "$ARGS_TOOL" ]] || { echo "session-run-args not found at $ARGS_TOOL (set SESSION_RUN_ARGS)" >&2; exit 1; }

ensure_user() {
        id "$1" >/dev/null 2>&1 || useradd -m "$1"
        install -d -o "$1" -g "$1" "/home/$1/ws"
}

# Prints the median and 90th percentile of the numbers on stdin (µs) in ms.
stats() {
        sort -n | awk '{ v[NR] = $1 } END {
                m = v[int((NR + 1) / 2)]; p = v[int(NR * 0.90 + 0.999)];
                printf "%8.1f %8.1f", m / 1000, p / 1000 }'
}

# Times each of RUNS executions of the command, one number (µs) per line.
time_runs() {
        local i t0 t1
        for ((i = 0; i < RUNS; i++)); do
                t0=$(date +%s%N)
                "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; return 1; }
                t1=$(date +%s%N)
                echo $(((t1 - t0) / 1000))
        done
}

# Times RUNS rounds of the commands given as strings, one after the other in each round, so that
# a load that drifts (other jobs on a shared machine) weighs on all of them alike. Prints one line
# per command: its median and p90 (ms).
time_interleaved() {    # COMMAND...
        local dir i j t0 t1
        dir=$(mktemp -d)
        for ((i = 0; i < RUNS; i++)); do
                for ((j = 1; j <= $#; j++)); do
                        t0=$(date +%s%N)
                        eval "${!j}" >/dev/null 2>&1 || { echo "failed: ${!j}" >&2; rm -rf "$dir"; return 1; }
                        t1=$(date +%s%N)
                        echo $(((t1 - t0) / 1000)) >>"$dir/$j"
                done
        done
        for ((j = 1; j <= $#; j++)); do stats <"$dir/$j"; echo; done
        rm -rf "$dir"
}

# What the controller adds to every session outside the policy function: the owner's git
# identity as a credential, and the variable that points git at it (stage_git_identity()).
# The raw unit gets the same, from a file staged once.
git_identity_args() {   # UNIT
        echo "-p"
        echo "LoadCredential=openmono-gitconfig:$BENCH_DIR/gitconfig"
        echo "--setenv=GIT_CONFIG_SYSTEM=/run/credentials/$1/openmono-gitconfig"
}

# Drops the properties that join the session's own network namespace from the arguments on stdin.
drop_netns() {
        awk 'prev == "-p" && /^(BindsTo|After)=openmono-netns@|^NetworkNamespacePath=/ { prev = ""; next }
             NR > 1 && prev != "" { print prev } { prev = $0 } END { if (prev != "") print prev }'
}

# Writes the systemd-run arguments of raw unit number N of KIND to $argdir: props, the same
# properties as openmonoctl's session; plain, without the model relay; hostnet, without the relay
# and in the host's network, as sessions other than 'none' ran before each had its own.
write_raw_args() {      # POLICY KIND N
        local policy=$1 kind=$2 n=$3 id=b$2$1$3 filter=cat
        local -a env=()
        [ "$kind" = props ] || env=(NO_MODEL_URL=1)
        [ "$kind" = hostnet ] && filter=drop_netns
        {
                echo "--unit=bench-raw-$id.service"
                git_identity_args "bench-raw-$id.service"
                env BENCH_SESSION_ID="$id" "${env[@]}" "$ARGS_TOOL" $USER_NAME $WS "$storage" "$policy" /bin/true |
                        $filter
        } >"$argdir/$kind.$n"
}

# Runs the next raw unit of a kind that bench_round_trip wrote to $argdir.
raw_run() {
        local -a p
        local n=raw_n_$1
        mapfile -t p <"$argdir/$1.${!n}"
        printf -v "$n" %d $((${!n} + 1))
        systemd-run --wait --quiet --pipe "${p[@]}"
}

# `systemctl show` of UNIT without what differs between any two runs of one unit (times, PIDs,
# counters), the unit's name replaced by UNIT and the session id by ID, and the words of every
# value sorted. Refs= is left out too: the controller holds a reference on its unit, as
# systemd-run --wait does in the timed runs but not in this comparison.
normalised_show() {     # UNIT ID
        systemctl show "$1" |
                grep -v -E '^(MainPID|ExecMainPID|ControlPID|InvocationID|ControlGroupId|[A-Za-z]*Timestamp(Monotonic)?|CPUUsageNSec|Memory[A-Za-z]*|Tasks(Current)|IP(Ingress|Egress)(Bytes|Packets)|IO(Read|Write)(Bytes|Operations)|ExecMain(Code|Status)|Id|Names|ControlGroup|FragmentPath|Refs)=' |
                sed -E "s/start_time=\[[^]]*\]//g; s/stop_time=\[[^]]*\]//g; s/pid=[0-9]+//g; s/(openmono-session|bench-raw)-$2/UNIT/g; s/$2/ID/g" |
                perl -ne 'chomp; my ($k, $v) = split /=/, $_, 2; print "$k=", join(" ", sort split / /, $v // ""), "\n"' |
                sort
}

# Starts one openmonoctl session and one raw unit of POLICY side by side and prints every
# property in which they (and their netns units) still differ.
compare_units() {       # POLICY
        local policy=$1 sid raw_id=bcmp$1 k
        local -a p
        sid=$(setpriv --reuid="$uid" --regid="$gid" --init-groups env HOME=/home/$USER_NAME \
                openmonoctl run --detach --network "$policy" -w $WS -- /bin/sleep 30)
        systemctl stop "bench-raw-$raw_id.service" 2>/dev/null || true    # left by an interrupted run
        mapfile -t p < <(git_identity_args "bench-raw-$raw_id.service"
                         BENCH_SESSION_ID=$raw_id "$ARGS_TOOL" $USER_NAME $WS "$storage" "$policy" /bin/sleep 30)
        systemd-run --quiet --unit="bench-raw-$raw_id.service" "${p[@]}"
        sleep 0.5
        echo "  Unit properties that differ, openmonoctl's session against the raw unit:"
        diff <(normalised_show "openmono-session-$sid.service" "$sid") \
             <(normalised_show "bench-raw-$raw_id.service" "$raw_id") |
                awk '/^[<>]/ { side = $1 == "<" ? "openmonoctl" : "raw"; sub(/^[<>] /, "");
                               printf "    %-12s %s\n", side ":", (length($0) > 150 ? substr($0, 1, 147) "..." : $0) }' || true
        # systemctl show cannot list LoadCredential= on every systemd: compare what arrived.
        printf "    credentials: openmonoctl: %s; raw: %s\n" \
                "$(ls /run/credentials/openmono-session-$sid.service 2>/dev/null | tr '\n' ' ')" \
                "$(ls /run/credentials/bench-raw-$raw_id.service 2>/dev/null | tr '\n' ' ')"
        if [ "$(systemctl show -P ActiveState "openmono-netns@$sid.service")" = active ]; then
                k=$(diff <(normalised_show "openmono-netns@$sid.service" "$sid" | grep -v -E '^(Before|BoundBy)=') \
                         <(normalised_show "openmono-netns@$raw_id.service" "$raw_id" | grep -v -E '^(Before|BoundBy)=') |
                    grep -c '^[<>]' || true)
                echo "  Their openmono-netns@ units differ in $k properties (besides the id and the unit they serve)."
        fi
        systemctl stop "openmono-session-$sid.service" "bench-raw-$raw_id.service"
}

# Prints the median of a line printed by time_interleaved.
median_of() { awk '{ print $1 }' <<<"$1"; }
p90_of() { awk '{ print $2 }' <<<"$1"; }

# One policy: openmonoctl run against raw systemd-run with the same properties; for reference
# also the raw unit without the model relay and, for a policy with a network, without the
# session's own namespace. openmonoctl runs as the user through setpriv, which costs about as
# much as starting /bin/true (the last line of the output).
bench_round_trip() {    # POLICY
        local policy=$1 i rc=0 ratio met out
        local -a lines names cmds kinds
        "$ARGS_TOOL" $USER_NAME $WS "$storage" "$policy" /bin/true >/dev/null 2>&1 || rc=$?
        if [ "$rc" = 3 ]; then
                echo "Session round trip, network $policy: SKIPPED, this build does not know the policy '$policy'"
                echo "{\"bench\": \"session-start\", \"policy\": \"$policy\", \"skipped\": \"unknown policy\"}"
                return 0
        fi
        if ! out=$(setpriv --reuid="$uid" --regid="$gid" --init-groups env HOME=/home/$USER_NAME \
                   openmonoctl run --pipe --network "$policy" -w $WS -- /bin/true 2>&1); then
                echo "Session round trip, network $policy: SKIPPED, openmonoctl refuses it: $out"
                echo "{\"bench\": \"session-start\", \"policy\": \"$policy\", \"skipped\": \"refused\"}"
                return 0
        fi

        kinds=(props plain)
        names=("raw systemd-run --wait, same properties" "raw, same but without the model relay")
        if [ "$policy" != none ]; then
                kinds+=(hostnet)
                names+=("raw, no relay, in the host's network (as before)")
        fi
        # Each raw run has an id, and so a network, of its own, as each openmonoctl session has,
        # so that it does not wait for the last one's network to go.
        argdir=$(mktemp -d)
        for ((i = 0; i < RUNS; i++)); do
                for k in "${kinds[@]}"; do write_raw_args "$policy" "$k" "$i"; done
        done
        cmds=()
        for k in "${kinds[@]}"; do
                cmds+=("raw_run $k")
                printf -v "raw_n_$k" %d 0
        done
        names+=("openmonoctl run --network $policy -- /bin/true")
        cmds+=("setpriv --reuid=$uid --regid=$gid --init-groups env HOME=/home/$USER_NAME openmonoctl run --pipe --network $policy -w $WS -- /bin/true")

        echo "Session round trip, network $policy, $RUNS interleaved runs each (ms)"
        compare_units "$policy"
        wait_networks_gone
        mapfile -t lines < <(time_interleaved "${cmds[@]}")
        rm -rf "$argdir"
        printf "  %-50s %8s %8s\n" "" median p90
        for i in "${!names[@]}"; do printf "  %-50s %s\n" "${names[$i]}" "${lines[$i]}"; done
        ratio=$(awk -v a="$(median_of "${lines[-1]}")" -v b="$(median_of "${lines[0]}")" 'BEGIN { printf "%.3f", a / b }')
        met=$(awk -v r="$ratio" -v g=$GOAL 'BEGIN { print (r <= g) ? "true" : "false" }')
        printf "  %-50s %8.2f   goal <= %s: %s\n" "ratio of medians, openmonoctl / raw same properties" \
                "$ratio" "$GOAL" "$([ "$met" = true ] && echo met || echo NOT met)"
        printf '{"bench": "session-start", "policy": "%s", "runs": %d, "raw_median_ms": %s, "raw_p90_ms": %s, "raw_no_relay_median_ms": %s, %s"openmonoctl_median_ms": %s, "openmonoctl_p90_ms": %s, "ratio": %s, "goal": %s, "goal_met": %s}\n' \
                "$policy" "$RUNS" "$(median_of "${lines[0]}")" "$(p90_of "${lines[0]}")" "$(median_of "${lines[1]}")" \
                "$([ "$policy" != none ] && echo "\"raw_host_network_median_ms\": $(median_of "${lines[2]}"), ")" \
                "$(median_of "${lines[-1]}")" "$(p90_of "${lines[-1]}")" "$ratio" "$GOAL" "$met"
}

# What the clients cost before they ask anything: starting the binary and parsing the command
# line. systemd-run links all of systemd's shared library, openmonoctl a small one.
bench_client_cost() {
        printf "  %-50s %s\n" "setpriv ... /bin/true (the user switch alone)" \
                "$(time_runs setpriv --reuid="$uid" --regid="$gid" --init-groups /bin/true | stats)"
        printf "  %-50s %s\n" "systemd-run --version" "$(time_runs systemd-run --version | stats)"
        printf "  %-50s %s\n" "openmonoctl --version" "$(time_runs openmonoctl --version | stats)"
}

active_sessions() {
        systemctl list-units --no-legend --state=active,activating 'openmono-session-*' | wc -l
}

# Waits until the networks of the sessions just stopped are gone, so that their removal does not
# weigh on what is measured next.
wait_networks_gone() {
        local i
        for ((i = 0; i < 600; i++)); do
                [ "$(systemctl list-units --no-legend --state=active,activating,deactivating 'openmono-netns@*' |
                     wc -l)" = 0 ] && return 0
                sleep 0.1
        done
        echo "networks of stopped sessions still there after 60 s" >&2
}

# Waits until the controller has forgotten the sessions just stopped: they count against each
# user's cap until it has seen them go.
wait_sessions_gone() {
        local i
        for ((i = 0; i < 600; i++)); do
                openmonoctl session list 2>/dev/null | grep -q ' omb[0-9]* ' || return 0
                sleep 0.1
        done
        echo "the controller still lists stopped sessions after 60 s" >&2
}

bench_concurrent() {    # POLICY
        local policy=$1 users=$(((CONCURRENT + PER_USER - 1) / PER_USER)) t0 t1 pid u n=0 hwm0
        for ((u = 1; u <= users; u++)); do ensure_user omb$u; done
        pid=$(systemctl show -P MainPID openmonod.service)
        hwm0=$(awk '/VmHWM/ { print $2 }' /proc/$pid/status)
        t0=$(date +%s%N)
        for ((u = 1; u <= users && n < CONCURRENT; u++)); do
                for ((i = 0; i < PER_USER && n < CONCURRENT; i++, n++)); do
                        runuser -u omb$u -- openmonoctl run --detach --network "$policy" -w /home/omb$u/ws -- \
                                /bin/sleep 120 >/dev/null &
                done
        done
        wait
        while [ "$(active_sessions)" -lt "$CONCURRENT" ]; do
                sleep 0.05
                (( $(date +%s%N) - t0 < 120000000000 )) || { echo "only $(active_sessions) sessions came up" >&2; break; }
        done
        t1=$(date +%s%N)
        echo
        echo "$CONCURRENT concurrent sessions ($users users, network $policy)"
        printf "  %-50s %8.1f ms\n" "time until all are active" "$(awk -v d=$((t1 - t0)) 'BEGIN { print d / 1000000 }')"
        printf "  %-50s %8s\n" "controller peak RSS (VmHWM; before: $hwm0 kB)" "$(awk '/VmHWM/ { print $2 " kB" }' /proc/$pid/status)"
        printf "  %-50s %8s\n" "controller RSS now (VmRSS)" "$(awk '/VmRSS/ { print $2 " kB" }' /proc/$pid/status)"
        printf '{"bench": "session-concurrent", "policy": "%s", "sessions": %d, "all_active_ms": %d, "controller_vmhwm_kb": %d}\n' \
                "$policy" "$CONCURRENT" $(((t1 - t0) / 1000000)) "$(awk '/VmHWM/ { print $2 }' /proc/$pid/status)"
        systemctl stop 'openmono-session-*.service'
        wait_sessions_gone
        wait_networks_gone
}

ensure_user $USER_NAME
uid=$(id -u $USER_NAME)
gid=$(id -g $USER_NAME)
# The first session creates the user's storage directory.
runuser -u $USER_NAME -- openmonoctl run --pipe -w $WS -- /bin/true
storage=/var/lib/openmono/storage/$uid
install -d -m 0700 $BENCH_DIR
printf '[user]\n\tname = %s\n\temail = %s@localhost\n' $USER_NAME $USER_NAME >$BENCH_DIR/gitconfig
trap 'rm -rf $BENCH_DIR' EXIT
for policy in $POLICIES; do
        bench_round_trip "$policy"
done
bench_client_cost
if [ "$CONCURRENT" -gt 0 ]; then
        for policy in ${CONCURRENT_POLICIES-intranet}; do bench_concurrent "$policy"; done
fi
exit 0
