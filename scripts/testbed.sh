#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A command line for humans over tests/integration/testbed.sh: boot a test bed (a throw-away
# systemd container of this machine's own OS), look around in it, stop it.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=tests/integration/testbed.sh
source "$TOP/tests/integration/testbed.sh"

usage() {
        cat <<EOF
Usage: ${0##*/} [--name NAME] COMMAND [ARGS...]

Commands:
  boot              boot a test bed and leave it running; creates the users alice, bob
                    (unprivileged) and carol (administrator once OpenMono is installed)
  install BUILDDIR  install a meson build directory into the running bed
  shell             open a root shell inside
  run CMD...        run CMD inside as root
  run-as USER CMD...
                    run CMD inside as USER (no login session)
  status            say whether the bed is running
  stop              power the bed off and remove it

Options:
  --name NAME       machine name (default: \$TESTBED_NAME or openmono); beds with different
                    names can run at the same time
  -h, --help        show this help

The bed's root is an overlay over this machine's "/" on a tmpfs: the source tree is
visible inside at the same path, and whatever happens inside is gone after "stop".
Needs root.
EOF
}

need_running() {
        if ! testbed_is_running; then
                echo "${0##*/}: no test bed '$TESTBED_NAME' is running; start one with: ${0##*/} boot" >&2
                exit 1
        fi
}

main() {
        local verb

        while [ $# -gt 0 ]; do
                case "$1" in
                -h|--help) usage; exit 0 ;;
                --name) TESTBED_NAME=${2:?--name needs a value}; shift ;;
                --name=*) TESTBED_NAME=${1#--name=} ;;
                -*) echo "${0##*/}: unknown option $1 (see --help)" >&2; exit 2 ;;
                *) break ;;
                esac
                shift
        done
        export TESTBED_NAME=${TESTBED_NAME:-openmono}
        # The bed outlives this script; commands typed by a human have no time limit.
        export TESTBED_KEEP=1 TESTBED_TIMEOUT=0
        verb=${1:-}
        [ $# -gt 0 ] && shift
        if [ -z "$verb" ]; then
                usage >&2
                exit 2
        fi
        if [ "$(id -u)" != 0 ]; then
                echo "${0##*/}: needs root (try sudo)" >&2
                exit 2
        fi

        case "$verb" in
        boot)
                if testbed_is_running; then
                        echo "test bed '$TESTBED_NAME' is already running"
                        exit 0
                fi
                TESTBED_BIND="${TESTBED_BIND:-} $(testbed_bind_for "$TOP")" testbed_boot
                echo "enter it with: $0 --name $TESTBED_NAME shell; stop it with: $0 --name $TESTBED_NAME stop"
                ;;
        install)
                need_running
                testbed_install "${1:?install needs a build directory}"
                ;;
        shell)
                need_running
                testbed_run /bin/bash -l
                ;;
        run)
                need_running
                [ $# -gt 0 ] || { echo "${0##*/}: run needs a command" >&2; exit 2; }
                testbed_run "$@"
                ;;
        run-as)
                need_running
                [ $# -gt 1 ] || { echo "${0##*/}: run-as needs a user and a command" >&2; exit 2; }
                testbed_run_as "$@"
                ;;
        status)
                if testbed_is_running; then
                        echo "test bed '$TESTBED_NAME' is running: $(testbed_run systemctl is-system-running || true)"
                else
                        echo "test bed '$TESTBED_NAME' is not running"
                        exit 3
                fi
                ;;
        stop)
                testbed_teardown
                echo "test bed '$TESTBED_NAME' is stopped"
                ;;
        *)
                echo "${0##*/}: unknown command '$verb' (see --help)" >&2
                exit 2
                ;;
        esac
}

main "$@"
