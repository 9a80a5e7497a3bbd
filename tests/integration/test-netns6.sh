#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Session networks route IPv6 too, and change the host's forwarding only as far as sessions need
# and only while they run. From inside an intranet or internet session an attacker reaches an IPv6
# ULA intranet host over raw TCP, but not the host's ::1, the host's own IPv6 addresses or the
# link-local address of the host's end of its link. A host that did not forward before forwards
# only session traffic while sessions run, and forwards nothing again after the last one, also
# after a SIGKILLed controller or a crashed openmono-netns; a host that forwarded (docker, a
# router) is left alone. The address pools of openmono.conf are used, and bad ones refused.
# Sourced by run.sh inside a booted test bed with OpenMono installed.

WS=/home/alice/nsapp6
CWS=/home/carol/nsapp6  # carol is an administrator: only they may run internet sessions
ECHO="/usr/bin/python3 $TOP/tests/integration/netns-echo.py"
NETNS=/usr/libexec/openmono/openmono-netns
STATE=/run/openmono/netns.state
POOL_CONF=/etc/openmono/openmono.conf.d/60-netns6-test.conf
A6=fd42:4242:1::2       # an IPv6 intranet host (network A), with no route to any session pool
A4=10.78.1.2
B6=fd42:4242:2::2       # a host of network B, which A reaches only if the bed routes A to B
B4=10.78.2.2
BED6=fd42:4242:1::1     # the bed's (the host's) own address on its link to network A

run_in() {      # NETWORK-OPTIONS... -- COMMAND : prints the command's output and RESULT=open|blocked
        local opts=() user=alice ws=$WS
        while [ "$1" != -- ]; do opts+=("$1"); shift; done
        shift
        [[ " ${opts[*]} " != *" internet "* ]] || { user=carol; ws=$CWS; }
        testbed_run runuser -u $user -- openmonoctl run --pipe "${opts[@]}" -w $ws -- \
                /bin/sh -c "$* && echo RESULT=open || echo RESULT=blocked"
}
evidence() {    # DESCRIPTION EXPECTED(open|blocked) NETWORK-OPTIONS... -- COMMAND: prints what the session saw
        local desc=$1 want=$2 out
        shift 2
        out=$(run_in "$@" 2>&1) || true
        sed 's/^/#   session: /' <<<"$out"
        check_output "$desc" "^RESULT=$want$" echo "$out"
}
leftovers() {   # every trace of session networks on the host: none when all is clean
        testbed_run sh -c "ip netns list | grep '^openmono-'; ip -o link show | grep -o ' om-[0-9]*@'
                           nft list table inet openmono 2>/dev/null | head -1; ls $STATE 2>/dev/null" || true
}
no_leftovers() {
        [ -z "$(leftovers)" ]
}
forwarding() {  # "IPV4 IPV6" forwarding of the bed
        testbed_run sh -c 'echo $(cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding)'
}
detach() {      # NETWORK-OPTIONS...: starts a long session, prints its id
        testbed_run runuser -u alice -- openmonoctl run --detach "$@" -w $WS -- /bin/sleep 300
}
has_network() {
        leftovers | grep -q "openmono-$1"
}

# Networks A and B on either side of the bed, each a namespace behind a veth pair; the hosts know
# only their own network and, for the routing test, the other one through the bed.
testbed_run sh -ec "
        install -d -o alice -g alice -m 0755 $WS
        install -d -o carol -g carol -m 0755 $CWS
        mkdir -p /etc/openmono/openmono.conf.d
        for n in 1 2; do
                ns=omt-net\$n
                ip netns add \$ns
                ip link add \$ns type veth peer name eth0 netns \$ns
                ip addr add fd42:4242:\$n::1/64 dev \$ns nodad
                ip addr add 10.78.\$n.1/24 dev \$ns
                ip link set \$ns up
                ip -n \$ns link set lo up
                ip -n \$ns addr add fd42:4242:\$n::2/64 dev eth0 nodad
                ip -n \$ns addr add 10.78.\$n.2/24 dev eth0
                ip -n \$ns link set eth0 up
                other=\$((3 - n))
                ip -n \$ns route add fd42:4242:\$other::/64 via fd42:4242:\$n::1
                ip -n \$ns route add 10.78.\$other.0/24 via 10.78.\$n.1
                systemd-run --unit=omt6-echo-\$n --collect -p NetworkNamespacePath=/run/netns/\$ns \
                        $ECHO serve tcp :: 701\$n
        done
        # On the bed itself: every address (its ends of the links and link-locals included), ::1.
        systemd-run --unit=omt6-bed --collect $ECHO serve tcp :: 7014
        systemd-run --unit=omt6-loopback --collect $ECHO serve tcp ::1 7013
        # The bed starts as a host that forwards nothing, and takes router advertisements on A's link.
        sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0 net.ipv6.conf.omt-net1.accept_ra=1
"
wait_until 10 $ECHO probe tcp $A6 7011
wait_until 10 $ECHO probe tcp ::1 7013
check "no session network is there at the start" no_leftovers

echo "# Positive controls, from the bed and from network A"
check "the bed reaches intranet host A over IPv6" $ECHO probe tcp $A6 7011
check "the bed reaches its own ::1 listener" $ECHO probe tcp ::1 7013
check "the bed reaches its own listener on its IPv6 address" $ECHO probe tcp $BED6 7014
check "host A reaches the bed's own IPv6 address" ip netns exec omt-net1 $ECHO probe tcp $BED6 7014
check_fails "host A has no route to the session pool (only masquerade lets it answer sessions)" \
        ip netns exec omt-net1 ip -6 route get fd6f:6d6f:6e6f::1

echo "# An intranet session, over IPv6"
evidence "reaches the IPv6 ULA intranet host over raw TCP" open --network intranet -- $ECHO probe tcp $A6 7011
check_output "sends from its own address in the IPv6 pool fd6f:6d6f:6e6f::/64" "^fd6f:6d6f:6e6f::[0-9a-f]*[13579bdf]$" \
        testbed_run runuser -u alice -- openmonoctl run --pipe --network intranet -w $WS -- /usr/bin/python3 -c \
        "import socket; s = socket.create_connection(('$A6', 7011), 3); print(s.getsockname()[0])"
GW="\$($ECHO gateway6)"
for net in intranet internet; do
        evidence "$net: cannot reach the host's ::1 (its own loopback answers, the host's never)" blocked \
                --network $net -- $ECHO probe tcp ::1 7013
        evidence "$net: cannot reach the host's own IPv6 address $BED6" blocked \
                --network $net -- $ECHO probe tcp $BED6 7014
        evidence "$net: cannot reach the host's end of its link (its IPv6 gateway)" blocked \
                --network $net -- "echo gateway $GW; $ECHO probe tcp $GW 7014"
        evidence "$net: cannot reach the link-local address of the host's end, fe80::1" blocked \
                --network $net -- $ECHO probe tcp fe80::1%eth0 7014
        evidence "$net: ... while the same probe reaches the intranet host (positive control)" open \
                --network $net -- $ECHO probe tcp $A6 7011
done
ID=$(detach --network intranet)
check "a running session has its network" wait_until 10 has_network "$ID"
LINK=$(testbed_run sh -c "for l in /sys/class/net/om-*; do grep -qx openmono-$ID \$l/ifalias && basename \$l; done")
note "the session's link on the host is $LINK"
check "the bed reaches fe80::1%$LINK itself: a listener answers there" $ECHO probe tcp "fe80::1%$LINK" 7014
check_output "the host's end takes no router advertisements from the session" "^0$" cat /proc/sys/net/ipv6/conf/$LINK/accept_ra
# A session cannot add addresses (no CAP_NET_ADMIN, no raw sockets); root in its namespace stands
# in for one that could, sending from an address of the pool that is not its own. Replies to it
# could not come back anyway: counters after the host's own rules see what it forwards.
SELF6=$(testbed_run sh -c "ip -n openmono-$ID -6 -o addr show eth0 scope global | grep -o 'fd6f[0-9a-f:]*'")
SPOOF6=fd6f:6d6f:6e6f::99
testbed_run sh -c "ip -n openmono-$ID addr add $SPOOF6/127 dev eth0 nodad
        nft -f - <<EOF
table inet omt6count {
        chain forward {
                type filter hook forward priority filter + 10; policy accept;
                ip6 saddr $SELF6 counter
                ip6 saddr $SPOOF6 counter
        }
}
EOF"
forwarded_from() {      # ADDRESS: how many packets from ADDRESS the host forwarded
        testbed_run nft list table inet omt6count | grep "saddr $1 counter" | grep -o 'packets [0-9]*' | cut -d' ' -f2
}
check "from its own address $SELF6, the session's namespace reaches host A (positive control)" \
        ip netns exec openmono-$ID $ECHO probe tcp $A6 7011 $SELF6
check_output "... and the host forwarded those packets" "^[1-9][0-9]*$" forwarded_from $SELF6
check_fails "from $SPOOF6, not its own, it does not reach host A" \
        ip netns exec openmono-$ID $ECHO probe tcp $A6 7011 $SPOOF6
check_output "... as the host forwarded nothing from that address" "^0$" forwarded_from $SPOOF6
testbed_run nft delete table inet omt6count

echo "# Forwarding on a host that did not forward"
check_output "while a session runs, the bed forwards IPv4 and IPv6" "^1 1$" forwarding
check_output "... having recorded what it was before" "Undo=ipv4/ip_forward 1 0" cat $STATE
check_output "... and accept_ra of A's link went from 1 to 2, so the host keeps its IPv6 routes" "^2$" \
        cat /proc/sys/net/ipv6/conf/omt-net1/accept_ra
check_fails "... but the bed does not route network A to network B over IPv6" ip netns exec omt-net1 $ECHO probe tcp $B6 7012
check_fails "... nor over IPv4" ip netns exec omt-net1 $ECHO probe tcp $B4 7012
check "the session is stopped" systemctl stop "openmono-session-$ID.service"
check "... and with the last session network everything is gone" wait_until 10 no_leftovers
check_output "... forwarding is off again" "^0 0$" forwarding
check_output "... and A's link takes router advertisements as before" "^1$" cat /proc/sys/net/ipv6/conf/omt-net1/accept_ra

echo "# A host that forwards already (docker, a router) is left alone"
testbed_run sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
check "the forwarding bed routes network A to network B (positive control for the probes above)" \
        ip netns exec omt-net1 $ECHO probe tcp $B6 7012
ID=$(detach --network intranet)
check "a session starts" wait_until 10 has_network "$ID"
check "... and the bed still routes A to B over IPv6" ip netns exec omt-net1 $ECHO probe tcp $B6 7012
check "... and over IPv4" ip netns exec omt-net1 $ECHO probe tcp $B4 7012
check_fails "... as the table has no drop of other forwarding" sh -c "nft list table inet openmono | grep 'meta nfproto'"
# A listener in an unfiltered (internet) session, and network A with a route to the pools.
LID=$(testbed_run runuser -u carol -- openmonoctl run --detach --network internet -w $CWS -- $ECHO serve tcp :: 7099)
check "a session listens on its own addresses" wait_until 10 \
        sh -c "ip netns exec openmono-$LID $ECHO probe tcp 127.0.0.1 7099"
check "... reachable inside its namespace (positive control)" \
        sh -c "ip netns exec openmono-$LID $ECHO probe tcp \$(ip -n openmono-$LID -6 -o addr show eth0 scope global | grep -o 'fd6f[0-9a-f:]*') 7099"
testbed_run sh -c "ip -n omt-net1 route replace fd6f:6d6f:6e6f::/64 via $BED6; ip -n omt-net1 route replace 100.64.0.0/10 via 10.78.1.1"
check_fails "... but the forwarding bed does not let network A into the session over IPv6" \
        sh -c "ip netns exec omt-net1 $ECHO probe tcp \$(ip -n openmono-$LID -6 -o addr show eth0 scope global | grep -o 'fd6f[0-9a-f:]*') 7099"
check_fails "... nor over IPv4" \
        sh -c "ip netns exec omt-net1 $ECHO probe tcp \$(ip -n openmono-$LID -4 -o addr show eth0 | grep -o '100\.[0-9.]*' | head -1) 7099"
testbed_run sh -c "ip -n omt-net1 route del fd6f:6d6f:6e6f::/64; ip -n omt-net1 route del 100.64.0.0/10
                   systemctl stop openmono-session-$LID.service" || true
check "the session is stopped" systemctl stop "openmono-session-$ID.service"
check "... its network goes" wait_until 10 no_leftovers
check_output "... and forwarding stays on" "^1 1$" forwarding
testbed_run sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0

echo "# Crashes"
ID=$(detach --network intranet)
check "a session network is up" wait_until 10 has_network "$ID"
check "the controller is killed with SIGKILL" systemctl kill --kill-who=main -s SIGKILL openmonod.service
check "the session ends while no controller runs" systemctl stop "openmono-session-$ID.service"
check "... its network goes without the controller" wait_until 10 no_leftovers
check_output "... and forwarding is off again" "^0 0$" forwarding
# What openmono-netns SIGKILLed at its worst point leaves: the state file written, forwarding
# switched on, and a namespace and link half made.
testbed_run sh -c "printf 'Pool=100.64.0.0/10\nPool6=fd6f:6d6f:6e6f::/64\nUndo=ipv4/ip_forward 1 0\nUndo=ipv6/conf/all/forwarding 1 0\n' >$STATE
                   sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
                   ip netns add openmono-0123456789abcdef
                   ip link add om-77 type veth peer name eth0 netns openmono-0123456789abcdef
                   ip link set om-77 alias openmono-0123456789abcdef"
check_output "a crashed helper's leftovers are there, forwarding on" "^1 1$" forwarding
check "the controller is stopped" systemctl stop openmonod.service
check "... and starts again" testbed_run_as alice openmonoctl session list
check "... having removed namespace, link and state" no_leftovers
check_output "... and switched forwarding off again" "^0 0$" forwarding
check_output "... saying so in the journal" "Set ipv4/ip_forward back to 0" \
        journalctl -b -u openmonod.service --no-pager -o cat

echo "# Configured pools"
testbed_run sh -c "printf '[Network]\nSessionAddressPool=198.18.7.0/28\nSessionAddressPool6=fd11:2233:4455:6677::ff00/120\n' >$POOL_CONF
                   systemctl reload openmonod.service"
check_output "a session sends from the configured IPv4 pool" "^198\.18\.7\.[0-9]*[13579]$" \
        testbed_run runuser -u alice -- openmonoctl run --pipe --network intranet -w $WS -- /usr/bin/python3 -c \
        "import socket; s = socket.create_connection(('$A4', 7011), 3); print(s.getsockname()[0])"
check_output "... and from the configured IPv6 pool" "^fd11:2233:4455:6677::ff[0-9a-f]*[13579bdf]$" \
        testbed_run runuser -u alice -- openmonoctl run --pipe --network intranet -w $WS -- /usr/bin/python3 -c \
        "import socket; s = socket.create_connection(('$A6', 7011), 3); print(s.getsockname()[0])"
testbed_run sh -c "printf '[Network]\nSessionAddressPool6=fe80::/64\n' >$POOL_CONF"
check_output "a link-local pool is refused, naming file, line and key" \
        "^error: $POOL_CONF:2: \[Network\] SessionAddressPool6=: invalid IPv6 address pool \(link-local addresses\) 'fe80::/64'" \
        sh -c 'openmonoctl config check; true'
check_fails "... reload fails" systemctl reload openmonod.service
check_output "... and openmono-netns, were it asked, builds nothing" "SessionAddressPool6=: invalid IPv6 address pool" \
        sh -c "$NETNS add 0123456789abcdef 2>&1; true"
check "... and leaves nothing behind" no_leftovers
testbed_run sh -c "rm -f $POOL_CONF; systemctl reload openmonod.service" || true
check_output "with the file gone sessions use the default pools again" "^fd6f:6d6f:6e6f::[0-9a-f]*[13579bdf]$" \
        testbed_run runuser -u alice -- openmonoctl run --pipe --network intranet -w $WS -- /usr/bin/python3 -c \
        "import socket; s = socket.create_connection(('$A6', 7011), 3); print(s.getsockname()[0])"

testbed_run sh -c "systemctl stop omt6-echo-1 omt6-echo-2 omt6-bed omt6-loopback
                   ip netns del omt-net1; ip netns del omt-net2; rm -f $POOL_CONF
                   sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0" >/dev/null 2>&1 || true
