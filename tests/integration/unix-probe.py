#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Plants and probes Unix sockets for the host-sockets test.

  unix-probe.py listen GROUP PATH...   binds every PATH (creating its directory), owned by root and
                                       GROUP with mode 0660, and answers "HELLO PATH" to each
                                       connection until killed
  unix-probe.py connect PATH...        connects to every PATH and prints one line each:
                                       "open PATH: <first line read>" or "blocked PATH: <error>"

Only the standard library: it runs inside sessions with /usr/bin/python3.
"""

import grp
import os
import selectors
import socket
import sys


def listen(group, paths):
    gid = grp.getgrnam(group).gr_gid
    sel = selectors.DefaultSelector()
    for path in paths:
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        os.chown(path, 0, gid)
        os.chmod(path, 0o660)
        s.listen(16)
        sel.register(s, selectors.EVENT_READ, path)
    print("listening", flush=True)
    while True:
        for key, _ in sel.select():
            conn, _ = key.fileobj.accept()
            try:
                conn.sendall(("HELLO %s\n" % key.data).encode())
            finally:
                conn.close()


def connect(paths):
    for path in paths:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.connect(path)
            try:
                first = s.recv(200).decode(errors="replace").strip() or "(connected, nothing read)"
            except OSError:
                first = "(connected, nothing read)"
            print("open %s: %s" % (path, first))
        except OSError as e:
            print("blocked %s: %s" % (path, e.strerror or e))
        finally:
            s.close()


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "listen":
        listen(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) >= 2 and sys.argv[1] == "connect":
        connect(sys.argv[2:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
