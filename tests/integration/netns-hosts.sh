#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# netns-hosts.sh ADDRESS...: puts test "hosts" on the far side of a router. Sessions run in network
# namespaces of their own and cannot reach the host's own addresses, so a test host has to be
# elsewhere: each ADDRESS goes on lo of the namespace omt-hosts, which the bed reaches through the
# veth pair omt-hosts/eth0 (bed end 10.255.255.1). Start a test server in it with
#   systemd-run -p NetworkNamespacePath=/run/netns/omt-hosts ...
# "netns-hosts.sh --remove" takes it all away again.
set -eu
NS=omt-hosts
BED=10.255.255.1

if [ "${1:-}" = --remove ]; then
        ip netns del $NS 2>/dev/null || true
        exit 0
fi
if [ ! -e /run/netns/$NS ]; then
        # A namespace removed while a process still held it keeps its veth pair alive.
        ip link del $NS 2>/dev/null || true
        ip netns add $NS
        ip link add $NS type veth peer name eth0 netns $NS
        ip addr add $BED/32 dev $NS
        ip link set $NS up
        ip -n $NS link set lo up
        ip -n $NS link set eth0 up
        ip -n $NS route add $BED/32 dev eth0
        ip -n $NS route add default via $BED dev eth0
fi
for a in "$@"; do
        ip -n $NS addr add "$a/32" dev lo 2>/dev/null || true
        ip route replace "$a/32" dev $NS
done
