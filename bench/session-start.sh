#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Session start-up cost: `openmonoctl run -- /bin/true` against a raw `systemd-run --wait` of a unit
# with exactly the same sandbox (properties from the same policy function), in one run, then
# CONCURRENT sessions started at once with the controller's memory use.
#
# Runs as root on a host whose PID 1 is systemd and where OpenMono is installed; on any other
# machine run it in the test bed: scripts/setup.sh --keep; scripts/testbed.sh run bench/session-start.sh
set -euo pipefail

RUNS=${1:-50}
CONCURRENT=${2:-100}
PER_USER=15                     # below the default per-user session cap
ARGS_TOOL=${SESSION_RUN_ARGS:-$(dirname "$0")/../build/bench/session-run-args}

usage() { echo "Usage: $0 [RUNS] [CONCURRENT]"; }
[[ "${1:-}" == -h || "${1:-}" == --help ]] && { usage; exit 0; }
[[ -x "$ARGS_TOOL" ]] || { echo "session-run-args not found at $ARGS_TOOL (set SESSION_RUN_ARGS)" >&2; exit 1; }

ensure_user() {
        id "$1" >/dev/null 2>&1 || useradd -m "$1"
        install -d -o "$1" -g "$1" "/home/$1/ws"
}

# Prints the median and 95th percentile of the numbers on stdin (µs) in ms.
stats() {
        sort -n | awk '{ v[NR] = $1 } END {
                m = v[int((NR + 1) / 2)]; p = v[int(NR * 0.95 + 0.999)];
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
# per command: its median and p95 (ms).
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

# Runs the next raw unit of a kind (props, plain_props) that bench_round_trip wrote to $argdir.
raw_run() {
        local -a p
        local n=raw_n_$1
        mapfile -t p <"$argdir/$1.${!n}"
        printf -v "$n" %d $((${!n} + 1))
        systemd-run --wait --quiet --pipe "${p[@]}"
}

# One policy: openmonoctl run against raw systemd-run with the same properties, and for a policy
# that gets the model URL also the raw unit without it (NO_MODEL_URL=1), the reference for the
# cost of the relay (goal: openmonoctl at most 1.15 times that). openmonoctl runs as the user
# through setpriv, which costs about as much as starting /bin/true.
bench_round_trip() {    # POLICY
        local policy=$1 user=omb0 ws=/home/omb0/ws storage uid gid
        local -a lines names cmds
        ensure_user $user
        uid=$(id -u $user)
        gid=$(id -g $user)
        # The first session creates the user's storage directory.
        runuser -u $user -- openmonoctl run --pipe -w $ws -- /bin/true
        storage=/var/lib/openmono/storage/$uid
        mapfile -t props < <("$ARGS_TOOL" $user $ws "$storage" "$policy" /bin/true)
        mapfile -t plain_props < <(NO_MODEL_URL=1 "$ARGS_TOOL" $user $ws "$storage" "$policy" /bin/true)

        # Sessions with a network get one named after their id: each raw run has an id of its own,
        # as each openmonoctl session has, so that it does not wait for the last one's to go.
        argdir=$(mktemp -d)
        for ((i = 0; i < RUNS; i++)); do
                BENCH_SESSION_ID=b$policy$i "$ARGS_TOOL" $user $ws "$storage" "$policy" /bin/true >"$argdir/props.$i"
                BENCH_SESSION_ID=p$policy$i NO_MODEL_URL=1 "$ARGS_TOOL" $user $ws "$storage" "$policy" /bin/true \
                        >"$argdir/plain_props.$i"
        done
        raw_n_props=0 raw_n_plain_props=0

        names=("systemd-run --wait, same properties")
        cmds=('raw_run plain_props')
        if [ "${props[*]}" != "${plain_props[*]}" ]; then
                names[0]="systemd-run --wait, same sandbox, no model URL"
                names+=("systemd-run --wait, same properties")
                cmds+=('raw_run props')
        fi
        names+=("openmonoctl run --network $policy -- /bin/true")
        cmds+=("setpriv --reuid=$uid --regid=$gid --init-groups env HOME=/home/$user openmonoctl run --pipe --network $policy -w $ws -- /bin/true")
        mapfile -t lines < <(time_interleaved "${cmds[@]}")

        echo "Session round trip, network $policy, $RUNS interleaved runs each (ms)   median      p95"
        for i in "${!names[@]}"; do printf "  %-48s %s\n" "${names[$i]}" "${lines[$i]}"; done
        printf "  %-48s %8.2f\n" "ratio of medians, openmonoctl / first line" \
                "$(awk -v a="$(awk '{ print $1 }' <<<"${lines[-1]}")" -v b="$(awk '{ print $1 }' <<<"${lines[0]}")" \
                   'BEGIN { print a / b }')"
}

bench_client_cost() {
        local user=omb0
        printf "  %-44s %s\n" "runuser -u $user -- /bin/true (client side cost)" \
                "$(time_runs runuser -u $user -- /bin/true | stats)"
}

active_sessions() {
        systemctl list-units --no-legend --state=active,activating 'openmono-session-*' | wc -l
}

bench_concurrent() {
        local users=$(((CONCURRENT + PER_USER - 1) / PER_USER)) t0 t1 pid u n=0
        for ((u = 1; u <= users; u++)); do ensure_user omb$u; done
        t0=$(date +%s%N)
        for ((u = 1; u <= users && n < CONCURRENT; u++)); do
                for ((i = 0; i < PER_USER && n < CONCURRENT; i++, n++)); do
                        runuser -u omb$u -- openmonoctl run --detach -w /home/omb$u/ws -- /bin/sleep 120 >/dev/null &
                done
        done
        wait
        while [ "$(active_sessions)" -lt "$CONCURRENT" ]; do
                sleep 0.05
                (( $(date +%s%N) - t0 < 120000000000 )) || { echo "only $(active_sessions) sessions came up" >&2; break; }
        done
        t1=$(date +%s%N)
        pid=$(systemctl show -P MainPID openmonod.service)
        echo
        echo "$CONCURRENT concurrent sessions ($users users)"
        printf "  %-44s %8.1f ms\n" "time until all are active" "$(awk -v d=$((t1 - t0)) 'BEGIN { print d / 1000000 }')"
        printf "  %-44s %8s\n" "controller peak RSS (VmHWM)" "$(awk '/VmHWM/ { print $2 " kB" }' /proc/$pid/status)"
        printf "  %-44s %8s\n" "controller RSS now (VmRSS)" "$(awk '/VmRSS/ { print $2 " kB" }' /proc/$pid/status)"
        systemctl stop 'openmono-session-*.service'
}

bench_round_trip intranet
bench_round_trip none
bench_client_cost
[ "$CONCURRENT" -gt 0 ] && bench_concurrent
