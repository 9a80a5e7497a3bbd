#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A broken openmono.conf never fails open: with Network=none set and a typo elsewhere in the
# file, no session of alice runs with any other network, whether the controller reloads,
# restarts or is started again by its socket after exiting; "systemctl reload" fails,
# "openmonoctl config check" names file, line and key and exits 1, and the status and the
# journal say the configuration is broken. Sourced by run.sh inside a booted test bed.

CONF=/etc/openmono/openmono.conf
SAVED=/etc/openmono/openmono.conf.integration-saved
WS=/home/alice/config-ws
CONFIG_ERROR_ID=5a6092da7350440a902de275e09f2571

# Starts a detached session of alice and prints the network policy the controller gave it, or
# "refused: <message>" if it would not start one.
alice_session_network() {
        local id out
        if ! out=$(testbed_run runuser -u alice -- openmonoctl run --detach -w "$WS" -- /bin/sleep 30 2>&1); then
                echo "refused: $out"
                return 0
        fi
        id=$(tail -n1 <<<"$out")
        testbed_run openmonoctl --json session show "$id" | /usr/bin/python3 -c \
                'import json,sys; print("network=" + str(json.load(sys.stdin).get("network")))'
        testbed_run systemctl stop "openmono-session-$id.service" >/dev/null 2>&1 || true
}

# Passes if alice's session runs with network none, or is refused; prints what happened.
alice_not_widened() {
        local r
        r=$(alice_session_network)
        echo "$r"
        [ "$r" = "network=none" ] || [[ $r == refused:* ]]
}

alice_refused_as_broken() {
        local r
        r=$(alice_session_network)
        echo "$r"
        [[ $r == refused:* ]] && grep -qi "configuration is broken" <<<"$r"
}

testbed_run sh -ec "
        install -d -o alice -g alice -m 0755 $WS
        mkdir -p ${CONF%/*}
        if [ -e $CONF ]; then cp -a $CONF $SAVED; fi
        printf '[Sessions]\nNetwork=none\n' > $CONF
"
check "the controller (re)starts with Network=none in openmono.conf" systemctl restart openmonod.service

echo "# Positive control: the good file applies"
check_output "alice's session gets network none" "^network=none$" alice_session_network
check_output "openmonoctl config check passes the good file" "configuration: good" openmonoctl config check
check_output "openmonoctl status says the configuration is loaded" "Config: loaded" openmonoctl status

echo "# A typo elsewhere in the file"
testbed_run sh -ec "printf '[Sessions]\nNetwork=none\nMemoryMax=2GG\n' > $CONF"
check_fails "systemctl reload openmonod fails on the broken file" systemctl reload openmonod.service
check_output "... and the reloaded controller refuses alice's session, saying why" "refused: .*[Cc]onfiguration is broken" \
        alice_session_network
check_output "openmonoctl config check names file, line and key" \
        "^error: $CONF:3: \[Sessions\] MemoryMax=: invalid size '2GG'" sh -c 'openmonoctl config check; true'
check_output "... and exits 1" "^rc=1$" sh -c 'openmonoctl config check >/dev/null 2>&1; echo rc=$?'
check_output "... also for alice, who may read /etc/openmono" "^rc=1$" \
        sh -c 'runuser -u alice -- openmonoctl config check >/dev/null 2>&1; echo rc=$?'
check_output "openmonoctl status says the configuration is broken" "Config: BROKEN.*" openmonoctl status
check_output "... to alice too" "Config: BROKEN" testbed_run_as alice openmonoctl status
check_output "the journal has the catalogued entry naming the file" "$CONF" \
        journalctl -b -u openmonod.service "MESSAGE_ID=$CONFIG_ERROR_ID" -o cat --no-pager -n 1

echo "# Restarts do not fall back to the defaults"
check "the controller restarts with the broken file" systemctl restart openmonod.service
check "alice's session is refused after the restart (it would get the default network otherwise)" \
        alice_refused_as_broken
check "the controller is stopped, as after its idle exit" systemctl stop openmonod.service
check "the socket starts it again on alice's next call, and her session is still refused" alice_refused_as_broken
check "no session of alice ran with a network other than none at any point" alice_not_widened
check_output "systemd's status line says so too" "configuration broken" systemctl show -P StatusText openmonod.service

echo "# Fixed again"
testbed_run sh -ec "printf '[Sessions]\nNetwork=none\n' > $CONF"
check "systemctl reload succeeds on the fixed file" systemctl reload openmonod.service
check_output "alice's session starts again, with network none" "^network=none$" alice_session_network

echo "# Other files: warnings, never silence"
testbed_run sh -ec "mkdir -p /etc/openmono/openmono.conf.d /etc/openmono/projects
        printf '[Sessions]\nNetwork=internet\n' > /etc/openmono/openmono.conf.d/override.cof
        printf '[Project]\n' > /etc/openmono/projects/misnamed.projct"
check_output "a misnamed drop-in is named by config check" "warning: .*openmono.conf.d/override.cof: not a \*.conf file" \
        openmonoctl config check
check_output "... and so is a misnamed project file" "warning: .*projects/misnamed.projct: not a NAME.project file" \
        openmonoctl config check
check "systemctl reload succeeds (warnings are not errors)" systemctl reload openmonod.service
check_output "... and openmonoctl status lists the warning" "override.cof" openmonoctl status
testbed_run rm -f /etc/openmono/openmono.conf.d/override.cof /etc/openmono/projects/misnamed.projct

testbed_run sh -ec "rm -f $CONF; if [ -e $SAVED ]; then mv $SAVED $CONF; fi"
testbed_run systemctl restart openmonod.service || true
