#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Renders each man page to text as man(1) shows it and checks what scdoc may have lost:
every line of every code block comes out as written (scdoc treats a backslash as an escape
even there, so a shell example must double each one), and no scdoc markup (*bold*, _underline_)
or unfilled @placeholder@ reaches the reader.

Usage: test-render.py PAGE.scd PAGE [PAGE.scd PAGE ...]  (the configured .scd and its output)"""

import os
import re
import shutil
import subprocess
import sys

MARKUP = [
    (re.compile(r"(?:^|[\s(])\*[A-Za-z][A-Za-z0-9=.-]*\*(?=$|[\s,.;:)])"), "scdoc bold markup"),
    (re.compile(r"(?:^|[\s(])_[A-Za-z/][A-Za-z0-9/.-]*_(?=$|[\s,.;:)])"), "scdoc underline markup"),
    (re.compile(r"@[a-z_]+@"), "an unfilled @placeholder@"),
]


def render(page):
    env = dict(os.environ, MANWIDTH="250", MAN_KEEP_FORMATTING="", LANG="C.UTF-8")
    if shutil.which("man"):
        cmd = ["man", "--no-hyphenation", "--no-justification", "-l", page]
    else:
        cmd = ["groff", "-man", "-Tutf8", "-P-cbou", "-rLL=250n", page]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    # Drop overstrike sequences (bold as X\bX, underline as _\bX) some formatters still emit.
    return re.sub(r".\x08", "", out)


def code_lines(scd):
    lines, inside = [], False
    with open(scd, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip().startswith("```"):
                inside = not inside
                continue
            if inside and line.strip():
                lines.append((n, line.strip().replace("\\\\", "\\")))
    return lines


def squash(s):
    return " ".join(s.split())


def check(scd, page):
    errors = []
    text = render(page)
    flat = squash(text)
    for n, line in code_lines(scd):
        if squash(line) not in flat:
            errors.append(f"{scd}:{n}: code line does not render as written: {line}")
    for line in text.splitlines():
        for regex, what in MARKUP:
            if regex.search(line):
                errors.append(f"{page}: {what} in the rendered text: {line.strip()}")
    return errors


def main(args):
    errors = []
    for scd, page in zip(args[0::2], args[1::2]):
        errors += check(scd, page)
    for e in errors:
        print(e)
    print(f"{len(args) // 2} pages rendered, {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
