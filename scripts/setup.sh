#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# First command on a fresh Debian 12 machine: install the dependencies, build OpenMono,
# install it and check that the controller answers. On a machine booted with systemd the
# install goes onto the machine itself; anywhere else (a container, a CI runner) it goes
# into a test bed, a throw-away systemd container of this machine's own OS.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$TOP"

ARG_KEEP=0
ARG_DEPS=1
ARG_BUILDDIR=build-release
ARG_NAME=openmono

usage() {
        cat <<EOF
Usage: ${0##*/} [OPTIONS]

Installs the Debian packages OpenMono needs, builds it (release build, prefix /usr) and
installs it. If systemd runs this machine, OpenMono is installed here: system users,
tmpfiles, units, and openmonod.socket is enabled. Otherwise a test bed (named "openmono"
unless --name says otherwise) is booted, OpenMono is installed there, and the bed is removed again unless --keep is given.
Either way "openmonoctl status" shows the controller at the end. Needs root.

Options:
  --keep            leave the test bed running (only when systemd does not run this machine)
  --builddir DIR    build directory (default: $ARG_BUILDDIR)
  --name NAME       machine name of the test bed (default: $ARG_NAME), so that several
                    beds can run side by side
  --skip-deps       do not run scripts/install-deps.sh
  -h, --help        show this help
EOF
}

step() {
        echo
        echo "==> $*"
}

build() {
        local dir=$1 opts=(--prefix=/usr --sysconfdir=/etc --localstatedir=/var
                           -Dbuildtype=release -Dmode=release)
        if [ -f "$dir/meson-private/coredata.dat" ]; then
                meson setup --reconfigure "$dir" "${opts[@]}"
        else
                meson setup "$dir" "${opts[@]}"
        fi
        meson compile -C "$dir"
}

# Installs on this machine and sets it up as a package's scripts would.
install_host() {
        local dir=$1 tmpfiles
        meson install -C "$dir" --no-rebuild
        systemd-sysusers
        tmpfiles=$(for f in /usr/lib/tmpfiles.d/openmono*.conf; do [ -e "$f" ] && basename "$f"; done | sort -u)
        # shellcheck disable=SC2086 # one word per file name
        [ -z "$tmpfiles" ] || systemd-tmpfiles --create $tmpfiles
        journalctl --update-catalog
        systemctl daemon-reload
        systemctl enable --now openmonod.socket openmono-gatewayd.socket
        step "openmonoctl status"
        openmonoctl status
        cat <<EOF

OpenMono is installed and its controller answers. Users in the group openmono-admin may
manage everyone's sessions (usermod -a -G openmono-admin USER). Try, as a user:
    openmonoctl run -w ~/src/app -- make test
EOF
}

# Installs into a test bed and shows the controller answering there.
install_testbed() {
        local dir=$1
        # shellcheck source=tests/integration/testbed.sh
        source "$TOP/tests/integration/testbed.sh"
        export TESTBED_NAME=$ARG_NAME TESTBED_KEEP=$ARG_KEEP
        TESTBED_BIND="${TESTBED_BIND:-} $(testbed_bind_for "$TOP") $(testbed_bind_for "$dir")"
        export TESTBED_BIND
        if testbed_is_running; then
                echo "A test bed named '$TESTBED_NAME' is already running; stop it first:" >&2
                echo "    TESTBED_NAME=$TESTBED_NAME scripts/testbed.sh stop" >&2
                exit 1
        fi
        step "systemd is not PID 1 here: booting a test bed '$TESTBED_NAME'"
        if [ "$ARG_KEEP" = 1 ]; then
                # With --keep there is no EXIT trap; remove a half-set-up bed ourselves.
                trap '[ $? = 0 ] || testbed_teardown' EXIT
        fi
        testbed_boot
        step "installing into the test bed"
        testbed_install "$dir"
        step "openmonoctl status (inside the test bed)"
        testbed_run openmonoctl status
        step "openmonoctl status as the unprivileged user alice (inside the test bed)"
        testbed_run_as alice openmonoctl status
        step "alice runs a command in a sandboxed session on ~/demo (inside the test bed)"
        testbed_run_as alice mkdir -p demo
        testbed_run_as alice openmonoctl run -w /home/alice/demo -- \
                /bin/sh -c 'echo "hello from $(id -un) in $PWD; home: $(ls -A /home 2>&1 | wc -l) entries"'
        step "alice runs an agent task in a session; the model is a scripted stand-in (tests/fake-llm) behind the gateway"
        testbed_run sh -ec "
                systemd-run --unit=openmono-demo-model --collect -p Type=exec /usr/bin/python3 \
                        $TOP/tests/fake-llm/fake-llm.py --script $TOP/scripts/demo/model-script.json \
                        --host 127.0.0.1 --port 18099 >/dev/null
                mkdir -p /etc/openmono
                printf '[Upstream]\\nName=demo\\nURL=http://127.0.0.1:18099/v1\\n' >/etc/openmono/gateway.conf
                systemctl restart openmono-gatewayd.service 2>/dev/null || true
                sleep 0.5"
        testbed_run_as alice openmonoctl run --network none -w /home/alice/demo "write hello.py and run it"
        testbed_run_as alice openmonoctl usage
        if [ "$ARG_KEEP" = 1 ]; then
                cat <<EOF

The test bed '$TESTBED_NAME' keeps running with OpenMono installed (users alice, bob, carol).
    scripts/testbed.sh shell                      # a root shell inside
    scripts/testbed.sh run-as alice openmonoctl status
    scripts/testbed.sh stop                       # power it off and remove it
EOF
        else
                step "removing the test bed (use --keep to leave it running)"
                testbed_teardown
        fi
}

main() {
        local start

        while [ $# -gt 0 ]; do
                case "$1" in
                -h|--help) usage; exit 0 ;;
                --keep) ARG_KEEP=1 ;;
                --skip-deps) ARG_DEPS=0 ;;
                --builddir) ARG_BUILDDIR=${2:?--builddir needs a value}; shift ;;
                --builddir=*) ARG_BUILDDIR=${1#--builddir=} ;;
                --name) ARG_NAME=${2:?--name needs a value}; shift ;;
                --name=*) ARG_NAME=${1#--name=} ;;
                *) echo "${0##*/}: unknown argument $1 (see --help)" >&2; exit 2 ;;
                esac
                shift
        done
        if [ "$(id -u)" != 0 ]; then
                echo "${0##*/}: needs root to install packages and OpenMono (try sudo)" >&2
                exit 2
        fi
        start=$(date +%s)

        if [ "$ARG_DEPS" = 1 ]; then
                step "installing dependencies"
                scripts/install-deps.sh
        fi
        step "building in $ARG_BUILDDIR"
        build "$ARG_BUILDDIR"
        # sd_booted()'s test (systemd creates this directory when it is PID 1), plus a look
        # at PID 1 itself in case a directory was left behind.
        if [ -d /run/systemd/system ] && [ "$(cat /proc/1/comm)" = systemd ]; then
                step "installing on this machine"
                install_host "$ARG_BUILDDIR"
        else
                install_testbed "$ARG_BUILDDIR"
        fi
        echo
        echo "Done in $(($(date +%s) - start))s."
}

main "$@"
