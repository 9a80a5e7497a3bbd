#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks that each example configuration lists every key its man page documents, under the
section the man page puts it in, and no key the man page does not.

Usage: test-examples.py EXAMPLE PAGE.scd [EXAMPLE PAGE.scd ...]"""

import re
import sys

SECTION = re.compile(r"^# \[([A-Z]+)\] SECTIONS?( OPTIONS)?$")
ITEM = re.compile(r"^\*([A-Za-z][A-Za-z0-9]*)=\*")


def documented(scd):
    keys, section, code = set(), None, False
    with open(scd, encoding="utf-8") as f:
        for line in f:
            if line.startswith("```"):
                code = not code
            if code:
                continue
            m = SECTION.match(line.rstrip())
            if m:
                section = m.group(1).lower()
                continue
            if line.startswith("# "):
                section = None
            if section:
                keys.update((section, k) for k in re.findall(r"\*([A-Za-z][A-Za-z0-9]*)=\*", line) if ITEM.match(line))
    return keys


def listed(example):
    keys, section = set(), None
    with open(example, encoding="utf-8") as f:
        for line in f:
            line = line.strip().lstrip("#")
            m = re.match(r"^\[([A-Za-z]+)\]$", line)
            if m:
                section = m.group(1).lower()
            m = re.match(r"^([A-Za-z][A-Za-z0-9]*)=", line)
            if m and section:
                keys.add((section, m.group(1)))
    return keys


def main(args):
    problems = 0
    for example, scd in zip(args[0::2], args[1::2]):
        doc, ex = documented(scd), listed(example)
        for s, k in sorted(doc - ex):
            print(f"{example}: [{s}] {k}= is documented in {scd} but missing")
        for s, k in sorted(ex - doc):
            print(f"{example}: [{s}] {k}= is not documented in {scd}")
        problems += len(doc ^ ex)
        print(f"{example}: {len(ex)} keys, {len(doc)} documented")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
