#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A DNS server that only listens: every query that reaches it is logged (the name asked for,
one per line) and answered NXDOMAIN. Tests use it to see whether a query left a session at all,
since a name that a resolver sends anywhere is a channel out, whatever the answer."""

import argparse
import socket


def qname(packet):
    labels, i = [], 12
    while i < len(packet) and packet[i] != 0:
        n = packet[i]
        labels.append(packet[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    return ".".join(labels), i + 5


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--address", required=True)
    ap.add_argument("--port", type=int, default=53)
    ap.add_argument("--log", required=True)
    # A resolver that is slow on purpose: queries are logged and left unanswered.
    ap.add_argument("--no-answer", action="store_true")
    args = ap.parse_args()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((args.address, args.port))
    with open(args.log, "a", buffering=1) as log:
        while True:
            packet, peer = s.recvfrom(4096)
            if len(packet) < 17:
                continue
            name, end = qname(packet)
            log.write(f"{name.lower()} {peer[0]}\n")
            if args.no_answer:
                continue
            # The question echoed, QR set, RCODE 3 (NXDOMAIN), no answers.
            flags = bytes([0x80 | (packet[2] & 0x01), 0x83])
            s.sendto(packet[:2] + flags + packet[4:6] + b"\0\0\0\0\0\0" + packet[12:end], peer)


if __name__ == "__main__":
    main()
