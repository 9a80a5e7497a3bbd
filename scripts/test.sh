#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The test command of the project: everything CI runs, in one go.
#   1. install the Debian packages (scripts/install-deps.sh)
#   2. gcc with ASan+UBSan and -Werror: build, run the unit and fuzz suites
#   3. clang, the same
#   4. a plain build as a distribution would make it, installed into a test bed with a real
#      systemd, system bus and polkit: tests/integration/run.sh
# Every stage runs even if an earlier one failed, so one run shows everything that is broken.
# The last line is "N passed, N failed" over all stages; the exit status is nonzero if
# anything failed.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$TOP"

usage() {
        cat <<EOF
Usage: ${0##*/} [OPTIONS]

Runs OpenMono's whole test suite as root: installs dependencies, builds with gcc and clang
under AddressSanitizer and UndefinedBehaviorSanitizer and runs the unit and fuzz suites,
then boots a test bed (a throw-away systemd container of this machine's OS) and runs the
integration tests against the installed build. The last line of output is
"N passed, N failed".

Options:
  --skip-deps      do not run scripts/install-deps.sh
  --no-clang       leave out the clang build
  --no-integration leave out the integration tests
  -h, --help       show this help

Build directories: build-test-gcc, build-test-clang, build-test-integration.
EOF
}

SANITIZE=(-Dwerror=true "-Db_sanitize=address,undefined" -Dtests=enabled)
# Sanitizer reports must fail the test that triggers them, with a stack to look at.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:halt_on_error=1:print_summary=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1:print_summary=1}

TOTAL_PASSED=0
TOTAL_FAILED=0
SUMMARY=()
N_STAGES=4
STAGE_NO=0
STAGE_START=0

now() {
        date +%s
}

duration() {
        local s=$1
        if [ "$s" -ge 60 ]; then
                printf '%dm%02ds' $((s / 60)) $((s % 60))
        else
                printf '%ds' "$s"
        fi
}

stage_begin() {
        STAGE_NO=$((STAGE_NO + 1))
        STAGE_START=$(now)
        echo
        echo "==> [$STAGE_NO/$N_STAGES] $*  ($(date +%H:%M:%S))"
}

# stage_end NAME PASSED FAILED: adds a stage's counts to the totals and reports it.
stage_end() {
        local name=$1 passed=$2 failed=$3 took
        took=$(duration $(($(now) - STAGE_START)))
        TOTAL_PASSED=$((TOTAL_PASSED + passed))
        TOTAL_FAILED=$((TOTAL_FAILED + failed))
        SUMMARY+=("$(printf '%-22s %4d passed, %3d failed  %8s' "$name" "$passed" "$failed" "$took")")
        echo "<== $name: $passed passed, $failed failed in $took"
}

stage_skipped() {
        SUMMARY+=("$(printf '%-22s skipped: %s' "$1" "$2")")
        echo "<== $1: skipped ($2)"
}

# Runs a command with its output in LOG; shows the end of LOG if it fails. Builds are long
# and noisy when they work and only their errors matter when they do not.
quietly() {
        local log=$1
        shift
        if "$@" >"$log" 2>&1; then
                return 0
        fi
        echo "    failed: $*"
        tail -n 80 "$log" | sed 's/^/    | /'
        echo "    (full log: $log)"
        return 1
}

# Configures BUILDDIR with the given meson options, or updates an existing configuration.
configure() {
        local dir=$1
        shift
        if [ -f "$dir/meson-private/coredata.dat" ]; then
                meson setup --reconfigure "$dir" "$@"
        else
                meson setup "$dir" "$@"
        fi
}

# Prints "PASSED FAILED" from the results of the last meson test run in BUILDDIR.
meson_counts() {
        /usr/bin/python3 - "$1/meson-logs/testlog.json" <<'EOF'
import json, sys
passed = failed = 0
try:
    with open(sys.argv[1]) as f:
        for line in f:
            r = json.loads(line).get("result")
            if r in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif r != "SKIP":
                failed += 1   # FAIL, UNEXPECTEDPASS, TIMEOUT, ERROR, INTERRUPT
except FileNotFoundError:
    pass                      # no test in the selected suites
print(passed, failed)
EOF
}

stage_deps() {
        stage_begin "dependencies (scripts/install-deps.sh)"
        # Not a test: counts only when it fails.
        if scripts/install-deps.sh; then
                stage_end dependencies 0 0
        else
                echo "    installing dependencies failed; later stages will probably fail too"
                stage_end dependencies 0 1
        fi
}

# stage_sanitized NAME CC [extra meson options]: the unit and fuzz suites under ASan+UBSan.
stage_sanitized() {
        local name=$1 cc=$2 dir="build-test-$2" rc=0 passed failed
        shift 2
        stage_begin "$name: -Werror, ASan+UBSan build in $dir; unit and fuzz suites"
        mkdir -p "$dir"
        if ! CC=$cc quietly "$dir/build.log" configure "$dir" "${SANITIZE[@]}" "$@" ||
           ! quietly "$dir/build.log" meson compile -C "$dir"; then
                stage_end "$name" 0 1
                return
        fi
        echo "    built ($(duration $(($(now) - STAGE_START)))), running meson test"
        # A stale log from an earlier run would be counted if the suites are empty now.
        rm -f "$dir/meson-logs/testlog.json"
        meson test -C "$dir" --suite unit --suite fuzz --print-errorlogs 2>&1 | sed 's/^/    /' || rc=$?
        read -r passed failed <<<"$(meson_counts "$dir")"
        if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then
                echo "    meson test failed (status $rc) without a failing test"
                failed=1
        fi
        stage_end "$name" "$passed" "$failed"
}

stage_integration() {
        local dir=build-test-integration log=build-test-integration/integration.log line
        local passed=0 failed=1 rc=0
        stage_begin "integration: plain build in $dir, installed into a test bed"
        mkdir -p "$dir"
        if ! quietly "$dir/build.log" configure "$dir" --prefix=/usr --sysconfdir=/etc \
                        --localstatedir=/var -Dintegration-tests=true ||
           ! quietly "$dir/build.log" meson compile -C "$dir"; then
                stage_end integration 0 1
                return
        fi
        echo "    built ($(duration $(($(now) - STAGE_START)))), running tests/integration/run.sh"
        tests/integration/run.sh "$dir" 2>&1 | tee "$log" | sed 's/^/    /' || rc=$?
        line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1 || true)
        if [ -n "$line" ]; then
                read -r passed _ failed _ <<<"${line//,/}"
        fi
        if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then
                echo "    run.sh failed (status $rc) without a failing test"
                failed=1
        fi
        stage_end integration "$passed" "$failed"
}

main() {
        local deps=1 clang=1 integration=1 start s

        while [ $# -gt 0 ]; do
                case "$1" in
                -h|--help) usage; exit 0 ;;
                --skip-deps) deps=0 ;;
                --no-clang) clang=0 ;;
                --no-integration) integration=0 ;;
                *) echo "${0##*/}: unknown argument $1 (see --help)" >&2; exit 2 ;;
                esac
                shift
        done
        if [ "$(id -u)" != 0 ]; then
                echo "${0##*/}: needs root (packages, mounts, the test bed): sudo $0" >&2
                exit 2
        fi
        start=$(now)
        echo "OpenMono tests on $(. /etc/os-release && echo "$PRETTY_NAME"), $(nproc) CPUs, CI=${CI:-false}"

        if [ "$deps" = 1 ]; then stage_deps; else STAGE_NO=$((STAGE_NO + 1)); stage_skipped dependencies "--skip-deps"; fi
        stage_sanitized gcc gcc
        if [ "$clang" = 1 ]; then
                # clang puts the sanitizer runtimes into executables only, so meson advises
                # against linking with -Wl,--no-undefined (b_lundef) there.
                stage_sanitized clang clang -Db_lundef=false
        else
                STAGE_NO=$((STAGE_NO + 1))
                stage_skipped clang "--no-clang"
        fi
        if [ "$integration" = 1 ]; then
                stage_integration
        else
                STAGE_NO=$((STAGE_NO + 1))
                stage_skipped integration "--no-integration"
        fi

        echo
        echo "Summary ($(duration $(($(now) - start))) in all):"
        for s in "${SUMMARY[@]}"; do
                echo "  $s"
        done
        echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed"
        [ "$TOTAL_FAILED" = 0 ]
}

main "$@"
