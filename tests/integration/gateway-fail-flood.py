#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Sends COUNT chat requests for a model no upstream serves, one after another over one
kept-alive connection to the gateway's Unix socket, as fast as the gateway answers, and
prints how many answers of each HTTP status came back. Bounded by COUNT and by 60 s."""

import collections
import http.client
import json
import socket
import sys
import time


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=10)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(self.path)


def main():
    path, count = sys.argv[1], int(sys.argv[2])
    body = json.dumps({"model": "no-such-model", "messages": [{"role": "user", "content": "x"}]})
    statuses = collections.Counter()
    deadline = time.monotonic() + 60
    conn = UnixConnection(path)
    for _ in range(count):
        if time.monotonic() > deadline:
            break
        try:
            conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            statuses[resp.status] += 1
        except (OSError, http.client.HTTPException):
            statuses["error"] += 1
            conn.close()
            conn = UnixConnection(path)
    print(json.dumps({str(k): v for k, v in statuses.items()}))


if __name__ == "__main__":
    main()
