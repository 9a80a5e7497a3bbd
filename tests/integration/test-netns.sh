#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every session with a network runs in a network namespace of its own, routed to the host. From
# inside such a session an attacker reaches intranet hosts over raw TCP and UDP, but not host
# loopback, a host abstract Unix socket, the host's own addresses or the gateway's upstream model
# server; an allowlist session reaches only its list. Nothing a session added stays behind when it
# ends, also when the controller was killed meanwhile, and a restarted controller removes leftovers.
# Sourced by run.sh inside a booted test bed with OpenMono installed.

WS=/home/alice/nsapp
ECHO="/usr/bin/python3 $TOP/tests/integration/netns-echo.py"
HOSTS=$TOP/tests/integration/netns-hosts.sh
INTRANET=10.77.0.2      # a TCP and UDP echo host
OTHER=10.77.0.4         # another intranet host, outside the allow list
UPSTREAM=10.77.0.3      # the gateway's upstream model server, on an intranet address
BED=10.255.255.1        # the bed's (the host's) own address on its link to those hosts

run_in() {      # NETWORK-OPTIONS... -- COMMAND : prints the command's output and RESULT=open|blocked
        local opts=()
        while [ "$1" != -- ]; do opts+=("$1"); shift; done
        shift
        testbed_run runuser -u alice -- openmonoctl run --pipe "${opts[@]}" -w $WS -- \
                /bin/sh -c "$* && echo RESULT=open || echo RESULT=blocked"
}
reaches() {     # DESCRIPTION NETWORK-OPTIONS... -- COMMAND
        local desc=$1; shift
        check_output "$desc" "^RESULT=open$" run_in "$@"
}
refused() {     # DESCRIPTION NETWORK-OPTIONS... -- COMMAND
        local desc=$1; shift
        check_output "$desc" "^RESULT=blocked$" run_in "$@"
}
leftovers() {   # prints every trace of session networks on the host: none when all is clean
        testbed_run sh -c "ip netns list | grep '^openmono-'; ip -o link show | grep -o ' om-[0-9]*@'; \
                           nft list table inet openmono 2>/dev/null | head -1" || true
}
no_leftovers() {
        [ -z "$(leftovers)" ]
}

testbed_run sh -ec "
        install -d -o alice -g alice -m 0755 $WS
        mkdir -p /etc/openmono
        $HOSTS $INTRANET $OTHER $UPSTREAM
        for a in $INTRANET $OTHER; do
                systemd-run --unit=omt-tcp-\${a##*.} --collect -p NetworkNamespacePath=/run/netns/omt-hosts \
                        $ECHO serve tcp \$a 7001
        done
        systemd-run --unit=omt-udp --collect -p NetworkNamespacePath=/run/netns/omt-hosts $ECHO serve udp $INTRANET 7002
        systemd-run --unit=omt-upstream --collect -p NetworkNamespacePath=/run/netns/omt-hosts \
                $ECHO serve tcp $UPSTREAM 8080
        # On the bed itself: loopback, every address (its end of the links included), abstract.
        systemd-run --unit=omt-loopback --collect $ECHO serve tcp 127.0.0.1 7003
        systemd-run --unit=omt-bed --collect $ECHO serve tcp 0.0.0.0 7004
        systemd-run --unit=omt-abstract --collect $ECHO serve unix @omt-abstract
        printf '[Upstream]\nName=fake\nURL=http://$UPSTREAM:8080/v1\n' >/etc/openmono/gateway.conf
        systemctl try-reload-or-restart openmonod.service
"
wait_until 10 $ECHO probe tcp $INTRANET 7001
wait_until 10 $ECHO probe unix @omt-abstract

echo "# Positive controls, from the bed and from the test hosts' network"
check "the bed reaches the intranet host over TCP" $ECHO probe tcp $INTRANET 7001
check "the bed reaches the upstream model server" $ECHO probe tcp $UPSTREAM 8080
check "alice, on the bed, reaches the abstract socket" testbed_run_as alice $ECHO probe unix @omt-abstract
check "alice, on the bed, reaches the listener on 127.0.0.1" testbed_run_as alice $ECHO probe tcp 127.0.0.1 7003
check "the test hosts reach the bed's own address" ip netns exec omt-hosts $ECHO probe tcp $BED 7004

echo "# An intranet session"
reaches "reaches an intranet host over raw TCP" --network intranet -- $ECHO probe tcp $INTRANET 7001
reaches "reaches an intranet host over raw UDP" --network intranet -- $ECHO probe udp $INTRANET 7002
reaches "reaches a second intranet host" --network intranet -- $ECHO probe tcp $OTHER 7001
check_output "sends from its own address in 100.64.0.0/10" "^100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\.[0-9]+\.[0-9]+$" \
        testbed_run runuser -u alice -- openmonoctl run --pipe --network intranet -w $WS -- /usr/bin/python3 -c \
        "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(('$INTRANET', 7002)); print(s.getsockname()[0])"
refused "cannot reach the host's abstract Unix socket" --network intranet -- $ECHO probe unix @omt-abstract
refused "cannot reach a listener on host loopback" --network intranet -- $ECHO probe tcp 127.0.0.1 7003
refused "cannot reach the host's own address on its link (an intranet address)" \
        --network intranet -- $ECHO probe tcp $BED 7004
refused "cannot reach the upstream model server on its intranet address" \
        --network intranet -- $ECHO probe tcp $UPSTREAM 8080
check_output "... which is cut out of its IPAddressAllow= (neighbours stay)" "^ok$" sh -c "
        id=\$(runuser -u alice -- openmonoctl run --detach --network intranet -w $WS -- /bin/sleep 30)
        allow=\$(systemctl show -P IPAddressAllow openmono-session-\$id.service)
        systemctl stop openmono-session-\$id.service
        echo \"\$allow\" | grep -qw '$INTRANET/32' && ! echo \"\$allow\" | grep -qw '$UPSTREAM/32' && echo ok"

echo "# An allowlist session"
reaches "reaches the host of its list" --network allowlist --allow $INTRANET/32 -- $ECHO probe tcp $INTRANET 7001
refused "... and no other intranet host" --network allowlist --allow $INTRANET/32 -- $ECHO probe tcp $OTHER 7001

echo "# A session without network"
refused "a 'none' session reaches no intranet host" --network none -- $ECHO probe tcp $INTRANET 7001
check_output "... and keeps PrivateNetwork=yes, without a routed namespace" "^PrivateNetwork=yes NetworkNamespacePath= $" \
        sh -c "id=\$(runuser -u alice -- openmonoctl run --detach --network none -w $WS -- /bin/sleep 30)
               systemctl show -p PrivateNetwork -p NetworkNamespacePath openmono-session-\$id.service | tr '\n' ' '
               systemctl stop openmono-session-\$id.service"

echo "# Nothing stays behind"
check "when the sessions have ended, no namespace, link or nft table is left" wait_until 10 no_leftovers
ID=$(testbed_run runuser -u alice -- openmonoctl run --detach --network intranet -w $WS -- /bin/sleep 300)
has_network() { leftovers | grep -q "openmono-$1"; }
# --detach returns once the start job is queued; the session's network comes first.
check "a running session has its namespace, link and table" wait_until 10 has_network "$ID"
check "the controller runs while the session does" systemctl is-active --quiet openmonod.service
check "the controller is killed with SIGKILL" systemctl kill --kill-who=main -s SIGKILL openmonod.service
check_fails "... and is gone" systemctl is-active --quiet openmonod.service
check "the session ends while no controller runs" systemctl stop "openmono-session-$ID.service"
check "... and its network goes with it, without the controller" wait_until 10 no_leftovers
# What a crash of openmono-netns itself would leave: a namespace and a link of no session.
testbed_run sh -c "ip netns add openmono-0123456789abcdef
                   ip link add om-77 type veth peer name eth0 netns openmono-0123456789abcdef
                   ip link set om-77 alias openmono-0123456789abcdef"
check_output "a stray namespace and link are there" "openmono-0123456789abcdef" leftovers
check "the controller starts again" testbed_run_as alice openmonoctl session list
check "... and has removed them before taking requests" no_leftovers
check_output "... saying so in the journal" "Removing the network of ended session 0123456789abcdef" \
        journalctl -b -u openmonod.service --no-pager -o cat

testbed_run sh -c "systemctl stop omt-tcp-2 omt-tcp-4 omt-udp omt-upstream omt-loopback omt-bed omt-abstract
                   rm -f /etc/openmono/gateway.conf; systemctl try-reload-or-restart openmonod.service
                   $HOSTS --remove" >/dev/null 2>&1 || true
