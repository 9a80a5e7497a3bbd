#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Floods the inference gateway's socket the way a hostile local user would, for a bounded time.

Keeps up to --connections connections open, each with a request that is never finished (the
request line and a few headers, no blank line), opens a new one for each the gateway closes,
and on every connection still open sends one more header byte per second (slowloris). Prints
what happened as one JSON object: how many connections were opened, refused with an HTTP
answer, or closed by the gateway after being held, the most held at once, and the longest a
connection was held. Bounded in count (--connections open at once, --max-opens in all) and in
time (--seconds); it talks only to the Unix socket it is given. Python standard library only.
"""

import argparse
import json
import resource
import selectors
import socket
import time

PARTIAL = b"POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nX-Drip: "


def raise_fd_limit(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, n + 64))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


class Flood:
    def __init__(self, args):
        self.args = args
        self.sel = selectors.DefaultSelector()
        self.open = {}                  # socket -> time it was opened
        self.stats = {"opened": 0, "refused": 0, "held_then_closed": 0, "connect_failed": 0,
                      "max_open": 0, "longest_held_s": 0.0, "statuses": {}}

    def top_up(self, now):
        while len(self.open) < self.args.connections and self.stats["opened"] < self.args.max_opens:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                s.connect(self.args.socket)
                s.send(PARTIAL)
            except OSError:
                # The listen backlog is full, or the gateway closed it already: try next round.
                s.close()
                self.stats["connect_failed"] += 1
                return
            self.stats["opened"] += 1
            self.open[s] = now
            self.sel.register(s, selectors.EVENT_READ)

    def close(self, s, now, answer):
        held = now - self.open.pop(s)
        self.sel.unregister(s)
        s.close()
        if answer:
            status = answer.split(b" ", 2)[1].decode(errors="replace") if answer.startswith(b"HTTP/") else "?"
            self.stats["statuses"][status] = self.stats["statuses"].get(status, 0) + 1
            self.stats["refused"] += 1
        else:
            self.stats["held_then_closed"] += 1
        self.stats["longest_held_s"] = max(self.stats["longest_held_s"], round(held, 2))

    def read_ready(self, timeout):
        for key, _ in self.sel.select(timeout):
            s = key.fileobj
            try:
                data = s.recv(512)
            except OSError:
                data = b""
            self.close(s, time.monotonic(), data)

    def drip(self, now):
        for s in list(self.open):
            try:
                s.send(b"a")
            except OSError:
                pass                    # the gateway is closing it: read_ready() notices

    def run(self):
        start = time.monotonic()
        next_drip = start + 1
        while (now := time.monotonic()) < start + self.args.seconds:
            self.top_up(now)
            self.stats["max_open"] = max(self.stats["max_open"], len(self.open))
            self.read_ready(self.args.round)
            if now >= next_drip:
                self.drip(now)
                next_drip = now + 1
        now = time.monotonic()
        for s, t in self.open.items():
            self.stats["longest_held_s"] = max(self.stats["longest_held_s"], round(now - t, 2))
        self.stats["still_open"] = len(self.open)
        return self.stats


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--socket", default="/run/openmono/inference.sock")
    p.add_argument("--connections", type=int, default=1100, help="connections kept open at once")
    p.add_argument("--max-opens", type=int, default=200000, help="connections opened in all")
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--round", type=float, default=0.1, help="seconds between rounds of opening")
    args = p.parse_args()
    raise_fd_limit(args.connections)
    print(json.dumps(Flood(args).run()), flush=True)


if __name__ == "__main__":
    main()
