#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Attacks on proxy sessions from the attacker's own position: a program inside a session
# (openmonoctl run --network=proxy) and plain local users on the host, with documented
# interfaces only. Inside, proxy-attack.py tries every way out it knows, through the relay on
# 127.0.0.1:4871 and on the proxy's socket directly, and prints one line per attempt; each line
# is checked here, next to positive controls that show the same requests work where they may.
# Then one user's sessions try to take every connection the proxy has from another user's, and
# lists that are not patterns or are too long try to get past the controller.
# Sourced by run.sh inside a booted test bed.

# shellcheck source=tests/integration/egress-testhosts.sh
source "$TOP/tests/integration/egress-testhosts.sh"

AX=/home/alice/pxa
BX=/home/bob/pxa
CONF=/etc/openmono/openmono.conf.d/50-proxy-attack.conf
ABSTRACT=openmono-attack-$$
BLOCKED="Blocked by the OpenMono egress policy"
SLOW_LOG=$EG/slow-dns.log

pa_setup() {
        eg_hosts_setup
        testbed_run sh -ec "
                install -d -o alice -g alice -m 0755 $AX
                install -d -o bob -g bob -m 0755 $BX
                install -d -m 0755 ${CONF%/*}
                printf '[Sessions]\nAllowDomain=*.allowed.test\n' >$CONF
                # Small limits, so that exhausting them takes a few dozen connections; a long
                # head timeout, so that idle connections stay until the test is done with them.
                # A short connect timeout and few lookups per user, so that lookups outlive their
                # connections and the lookup limit is reached well below the connection limits.
                printf '[Egress]\nMaxConnections=24\nMaxConnectionsPerSession=8\nMaxConnectionsPerUser=12\nHeaderTimeoutSec=60\nConnectTimeoutSec=3\nMaxLookupsPerUser=4\n' \
                        >/etc/openmono/egress.conf
                chmod 0644 $CONF /etc/openmono/egress.conf
                systemctl reload openmonod.service 2>/dev/null || true
                systemctl enable --now openmono-egressd.socket
                # A host service on an abstract socket, which no session may reach.
                systemd-run --unit=test-proxy-abstract --collect -p Type=exec /usr/bin/python3 -c \"
import socket
s = socket.socket(socket.AF_UNIX)
s.bind('\\0$ABSTRACT')
s.listen(16)
while True:
    c, _ = s.accept()
    c.sendall(b'host-abstract-secret')
    c.close()\" >/dev/null"
        testbed_run sh -ec "cat >$EG/proxy-attack.py && chmod 0644 $EG/proxy-attack.py" <"$TOP/tests/integration/proxy-attack.py"
}

pa_cleanup() {
        testbed_run sh -c "
                systemctl stop test-proxy-abstract.service 2>/dev/null
                systemctl stop test-proxy-slow-dns.service 2>/dev/null
                [ -e /etc/resolv.conf.proxy-attack ] || [ -L /etc/resolv.conf.proxy-attack ] &&
                        mv -f /etc/resolv.conf.proxy-attack /etc/resolv.conf
                systemctl stop 'openmono-session-*.service' 2>/dev/null
                systemctl disable --now openmono-egressd.socket openmono-egressd.service 2>/dev/null
                rm -f $CONF /etc/openmono/egress.conf
                systemctl reload openmonod.service 2>/dev/null
                rm -rf $AX $BX" || true
        eg_hosts_cleanup
}

pa_run() {      # USER OPTIONS... -- COMMAND... : a session of USER; its output, then rc=N
        local user=$1 opts=()
        shift
        while [ "$1" != -- ]; do opts+=("$1"); shift; done
        shift
        testbed_run sh -c "$(printf '%q ' runuser -u "$user" -- openmonoctl run --pipe -w "/home/$user/pxa" \
                "${opts[@]}" -- "$@") 2>&1; echo rc=\$?"
}

seen() {        # REGEX : whether the attack's output has a line matching REGEX
        grep -Eq -- "$1" <<<"$OUT"
}

[ "${PROXY_TEST_KEEP:-0}" = 1 ] || trap pa_cleanup EXIT
pa_cleanup
pa_setup

echo "# from inside a proxy session"
OUT=$(pa_run alice --network=proxy -- /usr/bin/python3 $EG/proxy-attack.py probe "$ABSTRACT")
printf '%s\n' "$OUT" | sed 's/^/#   /'
check "positive control: CONNECT to an allowed name is established" seen '^connect-allowed 200$'
check "positive control: plain HTTP to an allowed name is served" seen '^get-allowed 200 hello through the egress proxy$'
check "positive control: the proxy's socket spoken to directly judges by the session too" \
        seen '^socket-allowed 200 hello through the egress proxy$'
check "no route: a direct TCP connection to a test host fails" seen '^tcp-direct (failed|unreachable)'
check "no DNS: a UDP query sent to the resolver's address fails" seen '^udp-dns failed'
check "no host abstract socket: it is another network namespace" seen '^host-abstract failed'
check_output "... which answers on the host (the control)" "host-abstract-secret" \
        runuser -u bob -- /usr/bin/python3 -c "import socket; s = socket.socket(socket.AF_UNIX); \
                s.connect('\\0$ABSTRACT'); print(s.recv(64).decode())"
for a in connect-loopback connect-mapped connect-decimal connect-octal connect-hex connect-compat; do
        check "CONNECT to a loopback literal ($a) is refused as a literal" seen "^$a 403 address-literal$"
done
check "CONNECT localhost. is not a name of the list" seen '^connect-localhost 403 name-not-allowed$'
check "an allowed name resolving to loopback is refused" seen '^connect-rebind 403 forbidden-address$'
check "... to the host's own address too" seen '^connect-self 403 reserved-address$'
check "... to the metadata address too" seen '^connect-meta 403 forbidden-address$'
check "... to a private range too" seen '^connect-private 403 private-address$'
check "a port that is not allowed is refused" seen '^connect-port 403 port-not-allowed$'
check "a name that only ends like an allowed suffix is refused" seen '^connect-suffix 403 name-not-allowed$'
check "a name with the allowed one as a prefix is refused" seen '^connect-prefix 403 name-not-allowed$'
check "a NUL inside the target is refused" seen '^connect-nul 400 '
check "an absolute URI as the CONNECT target is refused" seen '^connect-uri 400 '
check "user info before the host (allowed@denied) is refused" seen '^get-userinfo 400 '
check "a Host header naming an allowed name does not carry a denied URI" seen '^get-host-header 403 name-not-allowed$'
check "origin-form with an allowed Host header is refused" seen '^get-origin-form 400 '
check "forged proxy and session headers on the proxy's socket change nothing" \
        seen '^socket-forged 403 name-not-allowed$'
check "a second request pipelined behind an allowed one gets no answer" seen '^pipelined responses=1$'
check_fails "... and never reached a host with its name" \
        sh -c "journalctl -u $EG_HOSTS_UNIT --no-pager -o cat | grep -q '^denied.test .*pipelined'"

echo "# plain local users on the host"
ID=$(testbed_run runuser -u alice -- openmonoctl run --detach -w $AX --network=proxy -- /bin/sleep 120)
check "positive control: root reads the session's list" test -s /run/openmono/egress/$ID.conf
check_output "bob cannot list the sessions' lists" "Permission denied" \
        sh -c "runuser -u bob -- ls /run/openmono/egress/ 2>&1; true"
check_output "... nor plant a file or a link there" "Permission denied" \
        sh -c "runuser -u bob -- ln -s /home/bob/pxa/x.conf /run/openmono/egress/$ID.conf.new 2>&1; true"
check_output "... nor read a session's counts" "Permission denied" \
        sh -c "runuser -u bob -- ls /run/openmono-egress/ 2>&1; true"
check_output "positive control: alice sees her session's list" "Domains: \*\.allowed\.test" \
        runuser -u alice -- openmonoctl session show "$ID"
check_output "... bob does not, nor its list" "^rc=[1-9]$" \
        sh -c "runuser -u bob -- openmonoctl session show $ID 2>/dev/null | grep -E 'Egress|allowed.test'; echo rc=\$?"
check_output "bob on the proxy's socket outside any session gets nothing" "not-a-session|serves OpenMono sessions only" \
        runuser -u bob -- /usr/bin/python3 $EG/proxy-attack.py host
testbed_run systemctl stop openmono-session-$ID.service

echo "# lists that are not patterns, or too long"
for p in '*' '**.allowed.test' '*.' 'a.*.allowed.test' 'bücher.allowed.test' '127.0.0.1' \
                "$(printf 'a%.0s' {1..64}).allowed.test"; do
        check_output "--allow-domain '$p' is refused" "rc=[1-9]" \
                pa_run alice --network=proxy --allow-domain="$p" -- /bin/true
done
ID=$(testbed_run runuser -u alice -- openmonoctl run --detach -w $AX --network=proxy \
        --allow-domain=WWW.Allowed.TEST. --allow-domain=XN--bcher-kva.allowed.test -- /bin/sleep 60)
check_output "positive control: odd but valid spellings are normalised" \
        "^AllowDomain=www.allowed.test AllowDomain=xn--bcher-kva.allowed.test$" \
        sh -c "echo \$(grep ^AllowDomain= /run/openmono/egress/$ID.conf)"
testbed_run systemctl stop openmono-session-$ID.service
many=()
for i in $(seq 1 256); do many+=("--allow-domain=h$i.allowed.test"); done
check_output "positive control: 256 patterns within the ceiling are taken" "^rc=0$" \
        pa_run alice --network=proxy "${many[@]}" -- /bin/true
many+=("--allow-domain=h257.allowed.test")
check_output "257 are refused, before the proxy matches them on every request" \
        "has 257 patterns, more than the 256 a list may have.*rc=4$" \
        pa_run alice --network=proxy "${many[@]}" -- /bin/true

echo "# one user's sessions against everybody else's"
for n in 1 2 3; do
        testbed_run runuser -u alice -- openmonoctl run --detach -w $AX --network=proxy -- \
                /usr/bin/python3 $EG/proxy-attack.py hold 8 /workspace/held-$n >/dev/null
done
wait_until 30 sh -c "[ \$(cat $AX/held-[0-9] 2>/dev/null | wc -l) = 3 ]"
HELD=$(testbed_run sh -c "cat $AX/held-[0-9]" | awk '{ s += $1 } END { print s }')
note "alice's three sessions asked for 24 connections and hold $HELD of them"
check "alice holds no more than MaxConnectionsPerUser=12" test "$HELD" -le 12
check_output "bob's session is still served" "^hello through the egress proxy" \
        pa_run bob --network=proxy -- curl -sS --max-time 10 http://www.allowed.test/hello.txt
testbed_run systemctl stop 'openmono-session-*.service' 2>/dev/null || true

echo "# slow lookups against the lookup limit"
# A resolver that never answers, as the owner of a name under an allowed wildcard can make its
# DNS: each lookup's thread waits 30 s, far past ConnectTimeoutSec=3. The test hosts stay in
# /etc/hosts, which answers at once.
testbed_run sh -ec "
        mv /etc/resolv.conf /etc/resolv.conf.proxy-attack
        printf 'nameserver 192.0.2.2\noptions timeout:30 attempts:1\n' >/etc/resolv.conf
        : >$SLOW_LOG
        systemd-run --unit=test-proxy-slow-dns --collect -p Type=exec \
                -p NetworkNamespacePath=/run/netns/eghosts \
                /usr/bin/python3 $TOP/tests/integration/dns-logger.py --address 192.0.2.2 \
                --log $SLOW_LOG --no-answer >/dev/null"
# Two floods of eight requests for slow names; the second once the first's connections timed out.
testbed_run sh -ec "cat >$AX/slow.sh && chown alice: $AX/slow.sh" <<'SLOW'
for b in first second; do
        for i in 1 2 3 4 5 6 7 8; do
                curl -s -o /dev/null -w "$b %{http_code}\n" --max-time 40 "http://slow-$b-$i.allowed.test/" &
        done
        wait
done
SLOW
OUT=$(pa_run alice --network=proxy -- sh /workspace/slow.sh)
printf '%s\n' "$OUT" | sed 's/^/#   /'
answers() {     # LINE : how many of the floods' answers are LINE
        awk -v l="$1" '$0 == l { n++ } END { print n + 0 }' <<<"$OUT"
}
STARTED=$(testbed_run sh -c "grep -o '^slow-[a-z]*-[0-9]*' $SLOW_LOG | sort -u | wc -l")
THREADS="awk '/^Threads:/ { print \$2 }' /proc/\$(systemctl show -P MainPID openmono-egressd.service)/status"
LIVE=$(testbed_run sh -c "$THREADS")
note "alice asked for 16 slow names; the resolver was asked for $STARTED of them; the proxy has $LIVE threads"
check "positive control: the first flood's lookups ran until their connections timed out" \
        test "$(answers 'first 504')" -ge 1
check "alice's first flood stops at MaxLookupsPerUser=4, the rest get 503" \
        test "$(answers 'first 503')" -ge 4
check "... and her second one too, while the first one's lookups have no connection left" \
        test "$(answers 'second 503')" = 8
check "the resolver saw no more than 4 of her names" test "$STARTED" -le 4
check "... and the proxy runs no more than 4 lookup threads" test "$LIVE" -le 5
check_output "bob's request for a name that resolves at once is still served" \
        "^hello through the egress proxy" \
        pa_run bob --network=proxy -- curl -sS --max-time 10 http://www.allowed.test/hello.txt
check_output "the refusals are journal decisions" "^[1-9][0-9]*$" \
        sh -c "journalctl --no-pager -o cat _SYSTEMD_UNIT=openmono-egressd.service OPENMONO_USER=alice \
                OPENMONO_EGRESS_RESULT=user-lookups-full | wc -l"
testbed_run sh -c "systemctl stop test-proxy-slow-dns.service
        mv -f /etc/resolv.conf.proxy-attack /etc/resolv.conf"
# The next test needs alice's lookups again.
wait_until 60 sh -c "[ \$($THREADS) = 1 ]" || true
check "the lookups' threads end when the resolver gives up" sh -c "[ \$($THREADS) = 1 ]"

echo "# a flood of refused requests against the journal"
FLOOD=flood$$.test
ID=$(testbed_run runuser -u alice -- openmonoctl run --detach -w $AX --network=proxy -- \
        /usr/bin/python3 $EG/proxy-attack.py flood 1000 $FLOOD)
wait_until 120 sh -c "! runuser -u alice -- openmonoctl session list | grep -q $ID"
ENTRIES=$(testbed_run sh -c "journalctl --no-pager -o cat _SYSTEMD_UNIT=openmono-egressd.service \
        OPENMONO_EGRESS_NAME=$FLOOD | wc -l")
note "alice's session sent 1000 refused requests; the journal has $ENTRIES entries of them"
check_output "positive control: the session's record counts every one of them" "Egress: 1 allowed, 1000 denied" \
        runuser -u alice -- openmonoctl session show "$ID"
check "the journal has no more than the user's budget of them" test "$ENTRIES" -le 400
check_output "... and the next entry of alice's says how many were held back" "^[1-9][0-9]*$" \
        sh -c "journalctl --no-pager -o json _SYSTEMD_UNIT=openmono-egressd.service OPENMONO_SESSION=$ID \
                OPENMONO_EGRESS_NAME=www.allowed.test | /usr/bin/python3 -c \
                'import json, sys; print([json.loads(l) for l in sys.stdin][-1][\"OPENMONO_EGRESS_HELD_BACK\"])'"
check_output "bob's decisions are still logged" "^www.allowed.test allowed$" \
        sh -c "$(printf '%q ' runuser -u bob -- openmonoctl run --pipe -w $BX --network=proxy -- \
                curl -sS --max-time 10 -o /dev/null http://www.allowed.test/hello.txt); \
                journalctl --no-pager -o json _SYSTEMD_UNIT=openmono-egressd.service OPENMONO_USER=bob | \
                /usr/bin/python3 -c 'import json, sys; e = [json.loads(l) for l in sys.stdin][-1]; \
                print(e[\"OPENMONO_EGRESS_NAME\"], e[\"OPENMONO_EGRESS_RESULT\"])'"
