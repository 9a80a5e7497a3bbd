#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What an attacker inside a proxy session tries, for test-proxy-attack.sh: one line per attempt,
"NAME RESULT", where RESULT is the proxy's status and verdict or how the attempt failed.

  probe ABSTRACT      every way out, through the relay and on the proxy's socket directly
  hold N FILE         opens N connections to the relay, writes how many the proxy kept to FILE
  flood N NAME        N refused requests for NAME, then an allowed one
  host                a request on the proxy's socket from outside any session"""

import os
import re
import socket
import sys
import time

RELAY = ("127.0.0.1", 4871)
SOCKET = "/run/openmono/egress.sock"
ALLOWED = b"www.allowed.test"


def exchange(data, unix=False, until_eof=False):
    """Sends data, returns what came back: up to the end of the head, or everything until EOF."""
    s = socket.socket(socket.AF_UNIX if unix else socket.AF_INET)
    s.settimeout(8)
    s.connect(SOCKET if unix else RELAY)
    s.sendall(data)
    buf = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            buf += b
            end = buf.find(b"\r\n\r\n")
            if end < 0 or until_eof:
                continue
            n = re.search(rb"\r\nContent-Length: (\d+)", buf[:end], re.I)
            if (not n and buf.startswith(b"HTTP/1.1 200")) or (n and len(buf) >= end + 4 + int(n.group(1))):
                break
    except socket.timeout:
        pass
    s.close()
    return buf


def verdict(buf):
    m = re.match(rb"HTTP/1\.[01] (\d+)", buf)
    if not m:
        return "no-answer %r" % buf[:60]
    status = m.group(1).decode()
    body = buf.split(b"\r\n\r\n", 1)[-1]
    why = re.search(rb"\(([a-z-]+)\)\. Ask", body)
    if why:
        return "%s %s" % (status, why.group(1).decode())
    first = body.split(b"\n", 1)[0].decode(errors="replace")
    return ("%s %s" % (status, first)).strip()


def connect(target):
    return b"CONNECT " + target + b" HTTP/1.1\r\nHost: " + target + b"\r\n\r\n"


def get(uri, host=ALLOWED, extra=b""):
    return b"GET " + uri + b" HTTP/1.1\r\nHost: " + host + b"\r\n" + extra + b"\r\n"


def try_channel(name, f):
    try:
        print(name, f())
    except OSError as e:
        print(name, "failed (%s)" % (e.strerror or e))


def tcp_direct():
    s = socket.socket()
    s.settimeout(3)
    s.connect(("192.0.2.2", 80))
    return "connected"


def udp_dns():
    q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x06attack\x04test\x00\x00\x01\x00\x01"
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.sendto(q, ("192.0.2.2", 53))
    s.recv(512)
    return "answered"


def host_abstract(name):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(3)
    s.connect("\0" + name)
    return "connected %r" % s.recv(64)


ATTEMPTS = [
    ("connect-allowed", connect(ALLOWED + b":443")),
    ("get-allowed", get(b"http://www.allowed.test/hello.txt")),
    ("connect-loopback", connect(b"127.0.0.1:443")),
    ("connect-mapped", connect(b"[::ffff:7f00:1]:443")),
    ("connect-decimal", connect(b"2130706433:443")),
    ("connect-octal", connect(b"0177.0.0.1:443")),
    ("connect-hex", connect(b"0x7f.1:443")),
    ("connect-compat", connect(b"[::127.0.0.1]:443")),
    ("connect-localhost", connect(b"localhost.:443")),
    ("connect-rebind", connect(b"rebind.allowed.test:443")),
    ("connect-self", connect(b"self.allowed.test:80")),
    ("connect-meta", connect(b"meta.allowed.test:80")),
    ("connect-private", connect(b"private.allowed.test:443")),
    ("connect-port", connect(ALLOWED + b":22")),
    ("connect-suffix", connect(b"wwwallowed.test:443")),
    ("connect-prefix", connect(b"www.allowed.test.denied.test:443")),
    ("connect-nul", connect(b"www.allowed.test\0.denied.test:443")),
    ("connect-uri", connect(b"http://www.allowed.test:443")),
    ("get-userinfo", get(b"http://www.allowed.test@denied.test/hello.txt")),
    ("get-host-header", get(b"http://denied.test/hello.txt")),
    ("get-origin-form", get(b"/hello.txt")),
]


def probe(abstract):
    for name, data in ATTEMPTS:
        try_channel(name, lambda: verdict(exchange(data)))
    try_channel("socket-allowed", lambda: verdict(exchange(get(b"http://www.allowed.test/hello.txt"), unix=True)))
    forged = b"X-OpenMono-Session: other\r\nProxy-Authorization: Basic cm9vdDpyb290\r\nForwarded: for=127.0.0.1\r\n"
    try_channel("socket-forged", lambda: verdict(exchange(get(b"http://denied.test/hello.txt", extra=forged), unix=True)))
    both = get(b"http://www.allowed.test/hello.txt") + get(b"http://denied.test/pipelined.txt", host=b"denied.test")
    try_channel("pipelined", lambda: "responses=%d" % exchange(both, until_eof=True).count(b"HTTP/1."))
    try_channel("tcp-direct", tcp_direct)
    try_channel("udp-dns", udp_dns)
    try_channel("host-abstract", lambda: host_abstract(abstract))


def hold(n, path):
    held = []
    for _ in range(n):
        s = socket.socket()
        s.connect(RELAY)
        held.append(s)
    time.sleep(3)
    kept = 0
    for s in held:
        s.setblocking(False)
        try:
            kept += s.recv(1) != b""
        except BlockingIOError:
            kept += 1
        except OSError:
            pass
    with open(path + ".tmp", "w") as f:
        f.write("%d\n" % kept)
    os.rename(path + ".tmp", path)
    time.sleep(60)


def flood(n, name):
    """n refused requests as fast as they go, then, after a second, one allowed one."""
    for _ in range(n):
        exchange(connect(name.encode() + b":443"))
    time.sleep(1.5)
    print("allowed", verdict(exchange(get(b"http://www.allowed.test/hello.txt"))))
    time.sleep(2)  # the proxy writes the counts within a second; the record copies them at the end


def main():
    if sys.argv[1] == "probe":
        probe(sys.argv[2])
    elif sys.argv[1] == "flood":
        flood(int(sys.argv[2]), sys.argv[3])
    elif sys.argv[1] == "hold":
        hold(int(sys.argv[2]), sys.argv[3])
    else:
        try_channel("host-socket", lambda: verdict(exchange(get(b"http://www.allowed.test/hello.txt"), unix=True)))


if __name__ == "__main__":
    main()
