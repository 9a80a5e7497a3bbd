#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs OpenMono's integration tests: boots one test bed (testbed.sh), installs a build into
# it and runs every tests/integration/test-*.sh in name order against the real systemd,
# system bus and polkit in there. Output is TAP-like; the last line is "N passed, N failed".
#
# A test file is sourced in a subshell with this file's assertion API:
#   check DESC CMD...               ok if CMD exits 0
#   check_fails DESC CMD...         ok if CMD exits nonzero (not a harness failure)
#   check_output DESC REGEX CMD...  ok if CMD exits 0 and its output (stdout and stderr)
#                                   matches the extended REGEX, as a whole or on one line
#   note TEXT                       says something the reader should know, e.g. a limit of
#                                   the bed that a test had to work around
#   wait_until SECONDS CMD...       polls CMD until it exits 0; fails after SECONDS
# CMD runs inside the bed as root, unless it is a shell function (testbed_run,
# testbed_run_as or one the test file defines), which runs as is. CMD's stdin is /dev/null.
# A test file that stops on an error counts as one failure; the files after it still run.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
# shellcheck source=tests/integration/testbed.sh
source "$HERE/testbed.sh"

usage() {
        cat <<EOF
Usage: ${0##*/} [OPTIONS] BUILDDIR [FILTER]

Boots a test bed (a throw-away systemd container of this machine's OS), installs the meson
build directory BUILDDIR into it and runs tests/integration/test-*.sh, or only the files
whose name contains FILTER. Needs root. The last line of output is "N passed, N failed";
the exit status is nonzero if anything failed.

Options:
  --name NAME   machine name of the bed (default: \$TESTBED_NAME or openmono-test);
                beds with different names can run at the same time
  --keep        leave the bed running afterwards (enter it with scripts/testbed.sh shell)
  -h, --help    show this help

Environment: TESTBED_TIMEOUT (seconds one command may take in the bed, default 300),
TESTBED_BOOT_TIMEOUT (default 120).
EOF
}

RESULTS=
# Results so far, one line per check ("ok" or "not ok"); a file, because test files run
# in subshells and their counts must survive them.
_count() {
        grep -c "^$1\$" "$RESULTS" || true
}

_record() {
        local status=$1 desc=$2 n
        n=$(($(wc -l <"$RESULTS") + 1))
        echo "$status" >>"$RESULTS"
        echo "$status $n - $desc"
}

_pass() {
        _record ok "$1"
}

# Prints the failing command, its exit status and the end of its output, indented.
_fail() {
        local desc=$1 rc=$2 out=$3
        shift 3
        _record "not ok" "$desc"
        {
                echo "command: $*"
                echo "exit status: $rc"
                if [ -n "$out" ]; then
                        echo "output:"
                        tail -n 60 <<<"$out" | sed 's/^/  /'
                fi
        } | sed 's/^/#   /'
}

# Shell functions run on the host (they call testbed_run themselves); commands run in the bed.
_in_bed() {
        if [ "$(type -t "$1")" = function ]; then
                "$@"
        else
                testbed_run "$@"
        fi
}

check() {
        local desc=$1 out rc=0
        shift
        out=$(_in_bed "$@" 2>&1 </dev/null) || rc=$?
        if [ "$rc" = 0 ]; then
                _pass "$desc"
        else
                _fail "$desc" "$rc" "$out" "$@"
        fi
}

# A command that timed out or could not be started in the bed (status 125, or the timeout
# note from testbed_run) has not shown the failure the test is about.
check_fails() {
        local desc=$1 out rc=0
        shift
        out=$(_in_bed "$@" 2>&1 </dev/null) || rc=$?
        if [ "$rc" != 0 ] && [ "$rc" != 125 ] && ! grep -q '^testbed_run: timed out' <<<"$out"; then
                _pass "$desc"
        else
                _fail "$desc (expected to fail)" "$rc" "$out" "$@"
        fi
}

check_output() {
        local desc=$1 regex=$2 out rc=0
        shift 2
        out=$(_in_bed "$@" 2>&1 </dev/null) || rc=$?
        if [ "$rc" = 0 ] && { [[ $out =~ $regex ]] || grep -Eq -- "$regex" <<<"$out"; }; then
                _pass "$desc"
        else
                _fail "$desc (expected output matching /$regex/)" "$rc" "$out" "$@"
        fi
}

note() {
        echo "# NOTE: $*"
}

wait_until() {
        local secs=$1 deadline
        shift
        deadline=$(($(_tb_now_ms) + secs * 1000))
        until _in_bed "$@" >/dev/null 2>&1 </dev/null; do
                if [ "$(_tb_now_ms)" -ge "$deadline" ]; then
                        echo "still failing after ${secs}s: $*" >&2
                        return 1
                fi
                sleep 0.2
        done
}

# Sources one test file in a subshell that stops at the first unchecked error, and counts
# that as a failure.
_run_file() {
        local file=$1 name rc=0 before_ok before_fail start
        name=${file##*/}
        before_ok=$(_count ok)
        before_fail=$(_count "not ok")
        start=$(_tb_now_ms)
        echo "# ---- $name"
        # Every file starts from daemons that may start: a file that restarts the controller
        # several times leaves it near systemd's start limit, which the next file would hit.
        testbed_run systemctl reset-failed 'openmono*' >/dev/null 2>&1 || true
        testbed_run systemctl start openmonod.socket openmono-gatewayd.socket >/dev/null 2>&1 || true
        set +e
        (
                set -eEuo pipefail
                trap 'echo "# $name stopped at line $LINENO: \"$BASH_COMMAND\" exited with status $?"' ERR
                cd "$TOP"
                # shellcheck source=/dev/null
                source "$file"
        ) </dev/null
        rc=$?
        set -e
        if [ "$rc" != 0 ]; then
                _record "not ok" "$name ran to its end (it stopped with status $rc)"
        fi
        echo "# $name: $(($(_count ok) - before_ok)) passed, $(($(_count "not ok") - before_fail)) failed" \
             "in $(_tb_secs $(($(_tb_now_ms) - start)))s"
}

main() {
        local builddir='' filter='' files=() f start

        while [ $# -gt 0 ]; do
                case "$1" in
                -h|--help) usage; exit 0 ;;
                --keep) export TESTBED_KEEP=1 ;;
                --name) export TESTBED_NAME=${2:?--name needs a value}; shift ;;
                --name=*) export TESTBED_NAME=${1#--name=} ;;
                -*) echo "${0##*/}: unknown option $1 (see --help)" >&2; exit 2 ;;
                *)
                        if [ -z "$builddir" ]; then builddir=$1
                        elif [ -z "$filter" ]; then filter=$1
                        else echo "${0##*/}: too many arguments (see --help)" >&2; exit 2
                        fi ;;
                esac
                shift
        done
        if [ -z "$builddir" ]; then
                usage >&2
                exit 2
        fi
        builddir=$(realpath "$builddir")
        if [ ! -f "$builddir/meson-info/intro-installed.json" ]; then
                echo "${0##*/}: $builddir is not a configured meson build directory" >&2
                exit 2
        fi
        if [ "$(id -u)" != 0 ]; then
                echo "${0##*/}: needs root to boot the test bed (try sudo)" >&2
                exit 2
        fi
        for f in "$HERE"/test-*.sh; do
                [ -e "$f" ] || continue
                [[ ${f##*/} == *"$filter"* ]] && files+=("$f")
        done
        if [ ${#files[@]} -eq 0 ]; then
                echo "${0##*/}: no test file matches '$filter'" >&2
                exit 2
        fi

        export TESTBED_NAME=${TESTBED_NAME:-openmono-test}
        export TESTBED_TIMEOUT=${TESTBED_TIMEOUT:-300}
        # The overlay shows only the root file system; a tree elsewhere must be bound in.
        TESTBED_BIND="${TESTBED_BIND:-} $(testbed_bind_for "$TOP") $(testbed_bind_for "$builddir")"
        export TESTBED_BIND
        export TOP BUILDDIR=$builddir
        RESULTS=$(mktemp)

        echo "# test bed '$TESTBED_NAME', build $builddir"
        if testbed_boot; then
                _pass "the test bed boots"
        else
                _fail "the test bed boots" 1 "see the messages above"
                rm -f "$RESULTS"
                echo "0 passed, 1 failed"
                exit 1
        fi
        if testbed_install "$builddir"; then
                _pass "the build installs into the bed"
        else
                # Every test would fail for the same reason; one failure says it better.
                _fail "the build installs into the bed" 1 "see the messages above; no test was run"
                testbed_teardown
                rm -f "$RESULTS"
                echo "0 passed, 1 failed"
                exit 1
        fi

        for f in "${files[@]}"; do
                _run_file "$f"
        done

        if [ "${TESTBED_KEEP:-0}" = 1 ]; then
                echo "# the bed keeps running: TESTBED_NAME=$TESTBED_NAME scripts/testbed.sh shell|stop"
        else
                start=$(_tb_now_ms)
                testbed_teardown
                echo "# the bed was torn down in $(_tb_secs $(($(_tb_now_ms) - start)))s"
        fi
        local passed failed
        passed=$(_count ok)
        failed=$(_count "not ok")
        rm -f "$RESULTS"
        echo "$passed passed, $failed failed"
        [ "$failed" = 0 ]
}

# Sourcing this file gives the assertion API without running anything.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
        main "$@"
fi
