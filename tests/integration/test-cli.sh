#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# openmonoctl as a new user meets it, run as the plain user alice: every command and sub-verb
# answers -h/--help with its own text without contacting the controller; mistakes are reported
# in the words of the command line, never as protocol names, with exit status 2; and a session
# whose command cannot start, or that a limit stops, says what systemd reported and exits with
# the documented status.
# Sourced by run.sh inside a booted test bed with OpenMono installed.

WS=/home/alice/cli

as_alice() {    # COMMAND... : runs COMMAND as alice
        testbed_run_as alice "$@"
}

# Runs an openmonoctl command line as alice and prints its output (stdout and stderr) and then
# "rc=STATUS", so that a check can match both.
ctl_rc() {
        testbed_run_as alice sh -c 'openmonoctl "$@" 2>&1; echo "rc=$?"' sh "$@"
}

testbed_run sh -ec "
        install -d -o alice -g alice -m 0755 $WS
        printf '#!/bin/sh\necho hi\n' >$WS/not-executable
        chown alice:alice $WS/not-executable
        chmod 0644 $WS/not-executable
"

echo "# --help of every command and sub-verb, without the controller"
# The list of commands comes from openmonoctl's own help, so a new verb is walked as well.
help_walk() {
        as_alice sh -c '
                export OPENMONO_SOCKET=/nonexistent/io.openmono.Manager
                commands() { sed -n "/^Commands:/,/^\$/p" | awk "NR > 1 && NF { print \$1 }"; }
                n=0
                for v in $(openmonoctl --help | commands); do
                        for s in "" $(openmonoctl "$v" --help | commands); do
                                for args in "--help" "-h" "some-name --help" "--json -h"; do
                                        out=$(openmonoctl $v $s $args 2>&1) ||
                                                { echo "openmonoctl $v $s $args: exit $?: $out"; exit 1; }
                                        first=$(printf "%s\n" "$out" | head -n 1)
                                        case "$first " in
                                        "openmonoctl $v${s:+ $s} "*) ;;
                                        *) echo "openmonoctl $v $s $args printed: $first"; exit 1 ;;
                                        esac
                                        n=$((n + 1))
                                done
                        done
                done
                echo "$n help texts checked"'
}
check_output "every verb and sub-verb answers -h and --help with its own text, exit 0" \
        "^[0-9]{3,} help texts checked$" help_walk
note "$(help_walk | tail -n 1) (every verb and sub-verb, four ways each)"
check_output "'project show --help' is help, not a project named --help" "^openmonoctl project show NAME" \
        as_alice openmonoctl project show --help
check_output "'shell --help' is shell's own help" "^openmonoctl shell " as_alice openmonoctl shell --help
check_output "'cron add NAME --help' is cron add's help" "^openmonoctl cron add NAME" \
        as_alice openmonoctl cron add nightly --help
check_output "'status --help' is status's help" "^openmonoctl status" as_alice openmonoctl status --help
check_output "--help after '--' belongs to the command in the session" "^Usage: /bin/echo" \
        as_alice openmonoctl run -w "$WS" -- /bin/echo --help

echo "# Mistakes in the words of the command line"
no_protocol() {        # EXPECTED-REGEX ARGS... : output matches, says no protocol names, exits 2
        local expect=$1 out
        shift
        out=$(ctl_rc "$@")
        printf '%s\n' "$out"
        printf '%s\n' "$out" | grep -Eq "$expect" || return 1
        ! printf '%s\n' "$out" | grep -Eq 'org\.varlink|io\.openmono|rejected parameter' || return 1
        printf '%s\n' "$out" | grep -q '^rc=2$'
}
check "a bad project name names the rule" \
        no_protocol "Invalid project name 'Bad!': a name is 1 to 28 letters" project add 'Bad!' -w "$WS"
check "neither -w nor -p" \
        no_protocol "^Give a workspace \(-w DIR\) or a project \(-p PROJECT\)\.$" run -- true
check "an allowlist without --allow" \
        no_protocol "allowlist needs at least one --allow=CIDR" run -w "$WS" --network=allowlist -- true
check "an unknown network policy" \
        no_protocol "Invalid value for --network: 'wide' \(use none, proxy, intranet, allowlist or internet\)" \
        run -w "$WS" --network=wide -- true
check "a CIDR with host bits" no_protocol "Invalid value for --allow: '10.0.0.1/8'" \
        run -w "$WS" --network=allowlist --allow=10.0.0.1/8 -- true
check "a limit of 0" no_protocol "Invalid value for --memory-max: '0'" run -w "$WS" --memory-max=0 -- true
check "a name only the controller refuses is named as the user gave it" \
        no_protocol "^Invalid secret name: '\.\./x'\.$" secret set ../x
check "a session ID only the controller refuses" no_protocol "^Invalid session ID: 'no/such'\.$" \
        session show no/such
check_output "a missing project says so, exit 1" "No project 'nosuch'\.[[:space:]]+rc=1$" ctl_rc project show nosuch

echo "# Commands that cannot start, or are stopped, say why"
check_output "a command that does not exist: what systemd reported, exit 127" \
        "Cannot execute /nonexistent/cmd: No such file or directory[[:space:]]+rc=127$" \
        ctl_rc run -w "$WS" -- /nonexistent/cmd
check_output "a bare name found nowhere on the sandbox's PATH: exit 127" \
        "Command 'no-such-command' not found\.[[:space:]]+rc=127$" ctl_rc run -w "$WS" -- no-such-command
check_output "a file that is not executable: exit 126" \
        "Cannot execute /workspace/not-executable: Permission denied[[:space:]]+rc=126$" \
        ctl_rc run -w "$WS" -- /workspace/not-executable
check_output "--runtime-max: stopped at the limit, exit 124" \
        "stopped: runtime limit 2s reached\.[[:space:]]+rc=124$" ctl_rc run -w "$WS" --runtime-max=2s -- sleep 60
check_output "a command's own status stays its own, silently" "^rc=7$" \
        ctl_rc run -w "$WS" -- sh -c 'exit 7'
check_output "a command killed by a signal: 128+N, silently" "^rc=143$" \
        ctl_rc run -w "$WS" -- sh -c 'kill -TERM $$'
