#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs the benchmarks of sessions' networks in one go, in a test bed booted for them (a
# throw-away systemd container of this machine's own OS, tests/integration/testbed.sh) with
# BUILDDIR installed: session start-up against raw systemd-run (bench/session-start.sh), the
# model endpoint's added latency from inside a session (bench/model-endpoint.py) and, where the
# tree has it, the egress proxy against direct connections (bench/egress.py). Every benchmark
# prints its table with the goal next to the numbers and JSON lines ({"bench": ...}); the JSON
# lines are also collected in BUILDDIR/bench-results.json.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

ARG_QUICK=0
ARG_KEEP=0
ARG_NAME=openmono-bench

usage() {
        cat <<EOF
Usage: ${0##*/} [OPTIONS] BUILDDIR

Boots a test bed, installs BUILDDIR (a plain build: meson setup BUILDDIR --prefix=/usr
--sysconfdir=/etc --localstatedir=/var) and runs the benchmarks there. Needs root.

Options:
  --quick           a few runs of each, to see that they work (the numbers mean little)
  --keep            leave the test bed running afterwards
  --name NAME       machine name of the test bed (default: $ARG_NAME)
  -h, --help        show this help
EOF
}

main() {
        local builddir runs concurrent requests results out rc=0

        while [ $# -gt 0 ]; do
                case "$1" in
                -h|--help) usage; exit 0 ;;
                --quick) ARG_QUICK=1 ;;
                --keep) ARG_KEEP=1 ;;
                --name) ARG_NAME=${2:?--name needs a value}; shift ;;
                --name=*) ARG_NAME=${1#--name=} ;;
                -*) echo "${0##*/}: unknown option $1 (see --help)" >&2; exit 2 ;;
                *) break ;;
                esac
                shift
        done
        [ $# = 1 ] || { usage >&2; exit 2; }
        [ "$(id -u)" = 0 ] || { echo "${0##*/}: needs root (it boots a test bed)" >&2; exit 2; }
        builddir=$(realpath "$1")
        [ -x "$builddir/bench/session-run-args" ] ||
                { echo "${0##*/}: $builddir has no bench/session-run-args; build it first" >&2; exit 1; }
        if [ "$ARG_QUICK" = 1 ]; then
                runs=3 concurrent=10 requests=20
        else
                runs=50 concurrent=100 requests=500
        fi

        # shellcheck source=tests/integration/testbed.sh
        source "$TOP/tests/integration/testbed.sh"
        export TESTBED_NAME=$ARG_NAME TESTBED_KEEP=$ARG_KEEP
        # Bound even when the overlay of "/" shows them: the overlay may keep showing a binary
        # as it was when the bed booted after a rebuild replaced it.
        export TESTBED_BIND="${TESTBED_BIND:-} $TOP $builddir"
        if ! testbed_is_running; then
                testbed_boot
        fi
        testbed_install "$builddir"

        results=$builddir/bench-results.json
        : >"$results"
        out=$(mktemp)
        run_one "$out" env SESSION_RUN_ARGS="$builddir/bench/session-run-args" \
                "$TOP/bench/session-start.sh" $runs $concurrent || rc=1
        for policy in none intranet; do
                run_one "$out" /usr/bin/python3 "$TOP/bench/model-endpoint.py" --requests $requests --policy $policy || rc=1
        done
        if [ -x "$TOP/bench/egress.py" ]; then
                run_one "$out" /usr/bin/python3 "$TOP/bench/egress.py" "$builddir" || rc=1
        else
                echo "bench/egress.py is not in this tree: no egress proxy numbers"
        fi
        grep '^{' "$out" >"$results" || true
        rm -f "$out"
        echo
        echo "JSON results: $results"
        return $rc
}

# Runs CMD in the bed, shows its output and appends it to OUT.
run_one() {     # OUT CMD...
        local out=$1
        shift
        echo
        echo "==> ${*##*/}"
        testbed_run "$@" 2>&1 | tee -a "$out"
        return "${PIPESTATUS[0]}"
}

main "$@"
