#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Test hosts for the egress proxy: serves one directory over HTTPS (port 443, with the
certificate given) and plain HTTP (port 80) on one address. The directory holds what real
clients fetch: a "dumb" git repository, an npm registry document with its tarball and a pip
simple index with its wheel. Every request is logged to stdout with the Host header, so a test
can tell which name was asked for."""

import argparse
import http.server
import ssl
import threading


class Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):
        print(f"{self.headers.get('Host')} {fmt % args}", flush=True)

    def guess_type(self, path):
        # The npm registry document is served at /NAME without an extension.
        if "/" not in path.strip("/") and "." not in path.rsplit("/", 1)[-1]:
            return "application/json"
        return super().guess_type(path)


def serve(address, port, directory, context=None):
    handler = lambda *a, **kw: Handler(*a, directory=directory, **kw)  # noqa: E731
    server = http.server.ThreadingHTTPServer((address, port), handler)
    if context:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--address", required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    a = p.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    serve(a.address, 80, a.dir)
    serve(a.address, 443, a.dir, ctx)
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
