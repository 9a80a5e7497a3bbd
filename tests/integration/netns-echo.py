#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Echo servers and their probe for tests/integration/test-netns.sh.
#   netns-echo.py serve tcp|udp|unix ADDRESS [PORT]   echo "echo:" + what arrives
#   netns-echo.py probe tcp|udp|unix ADDRESS [PORT [SOURCE]]
#                                                     send a line (tcp: from SOURCE), print what
#                                                     came back, exit 0 only if the echo came
#                                                     back within 3 s
#   netns-echo.py gateway6                            print the other end of the /127 the IPv6
#                                                     default route leaves by (no netlink or
#                                                     /proc/net needed, which sessions lack)
# "unix" addresses starting with "@" are abstract; IPv6 addresses may carry a scope ("fe80::1%eth0").
import socket
import sys
import threading


def unix_address(a):
    return "\0" + a[1:] if a.startswith("@") else a


def ip_family(address):
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def serve(kind, address, port):
    if kind == "udp":
        s = socket.socket(ip_family(address), socket.SOCK_DGRAM)
        s.bind((address, port))
        while True:
            data, peer = s.recvfrom(4096)
            s.sendto(b"echo:" + data, peer)
    if kind == "unix":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(unix_address(address))
    else:
        s = socket.socket(ip_family(address), socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((address, port))
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=answer, args=(c,), daemon=True).start()


def answer(c):
    with c:
        c.settimeout(5)
        try:
            c.sendall(b"echo:" + c.recv(4096))
        except OSError:
            pass


def probe(kind, address, port, source=None):
    if kind == "udp":
        s = socket.socket(ip_family(address), socket.SOCK_DGRAM)
        s.settimeout(3)
        s.sendto(b"ping", (address, port))
        data = s.recv(4096)
    else:
        if kind == "unix":
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(3)
            s.connect(unix_address(address))
        else:
            s = socket.create_connection((address, port), 3, (source, 0) if source else None)
            s.settimeout(3)
        s.sendall(b"ping")
        data = s.recv(4096)
    print(data.decode())
    return 0 if data == b"echo:ping" else 1


def gateway6():
    import ipaddress
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.connect(("2001:db8::1", 9))   # a route lookup only: nothing is sent
    print(ipaddress.IPv6Address(s.getsockname()[0]) - 1)
    return 0


def main():
    if sys.argv[1:] == ["gateway6"]:
        return gateway6()
    verb, kind, address = sys.argv[1:4]
    port = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    if verb == "serve":
        serve(kind, address, port)
    try:
        return probe(kind, address, port, sys.argv[5] if len(sys.argv) > 5 else None)
    except OSError as e:
        print(f"{kind} {address} {port}: {e}")
        return 1


sys.exit(main())
