#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Prints the command lines of README.md's ```sh blocks, one per line, as
LINE<TAB>WHO<TAB>COMMAND, for test-readme.sh to run. WHO is "user" (a plain user), "root" or
"admin" (a member of the administrators' group), as the README implies it:

  - a comment on the line that says "as root" means root; one that begins "administrators:"
    means an administrator;
  - an HTML comment "<!-- readme-test: as an administrator -->" or "... as root -->" right
    before a block sets who runs the whole block;
  - "<!-- readme-test: skip: REASON -->" right before a block leaves it out (commands that
    cannot run in a test bed; keep those few).

Lines that are empty or only a comment are not commands. Anything else in a marker is an error,
so a mistyped marker cannot silently skip a block."""

import re
import sys

MARKER = re.compile(r"^<!--\s*readme-test:\s*(.*?)\s*-->$")


def block_setting(marker):
    if marker.startswith("skip:") and marker[5:].strip():
        return "skip"
    if marker == "as an administrator":
        return "admin"
    if marker == "as root":
        return "root"
    raise SystemExit(f"README.md: unknown readme-test marker '{marker}'")


def line_user(line, default):
    comment = line.partition("  #")[2]
    if re.search(r"\bas root\b", comment):
        return "root"
    if comment.strip().startswith("administrators:"):
        return "admin"
    return default


def main(path):
    setting, block, last = None, None, ""
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if block is None:
                if line.startswith("```sh"):
                    m = MARKER.match(last.strip())
                    block = block_setting(m.group(1)) if m else "user"
                elif line.startswith("```"):
                    block = "other"
                if line.strip():
                    last = line
                continue
            if line.startswith("```"):
                block = None
                last = ""
                continue
            if block in ("skip", "other") or not line.strip() or line.lstrip().startswith("#"):
                continue
            print(f"{n}\t{line_user(line, block)}\t{line}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "README.md")
