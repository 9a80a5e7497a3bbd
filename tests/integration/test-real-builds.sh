#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Real projects build in a session: make, a C program with a Makefile, git init and commit, a
# Python virtual environment running unittest, and npm test of a package without dependencies,
# each run by alice with `openmonoctl run -w ~/src/app -- ...` as the README says. Everything the
# builds write belongs to alice on the host. make is the canary: ~@privileged used to answer EPERM
# to the setresuid() behind glibc's seteuid(), and make failed in every session.
# Sourced by run.sh inside a booted test bed with OpenMono installed.

APP=/home/alice/src/app

build() {       # SHELL-COMMAND: runs it as alice in a session on ~/src/app, from her home
        testbed_run_as alice openmonoctl run -w "$APP" -- /bin/sh -c "$1"
}
owned_by_alice() {      # PATH...: every file below PATH belongs to alice
        testbed_run sh -c 'n=$(find "$@" ! -user alice | tee /dev/stderr | wc -l); echo "$n not alice'"'"'s"; [ "$n" = 0 ]' \
                sh "$@"
}

testbed_run sh -ec "
        rm -rf $APP
        install -d -o alice -g alice -m 0755 /home/alice/src $APP
        cd $APP
        printf 'all:\n\t@echo hello from make\n' >Makefile
        mkdir c
        printf '#include <stdio.h>\nint main(void) { puts(\"hello from C\"); return 0; }\n' >c/hello.c
        printf 'hello: hello.o\n\t\$(CC) -o \$@ hello.o\nhello.o: hello.c\n\t\$(CC) -c -o \$@ hello.c\n' >c/Makefile
        mkdir py
        printf 'import unittest\nclass T(unittest.TestCase):\n    def test_add(self):\n        self.assertEqual(1 + 1, 2)\n' >py/test_add.py
        mkdir js
        printf '{\"name\": \"app\", \"version\": \"1.0.0\", \"scripts\": {\"test\": \"node test.js\"}}\n' >js/package.json
        printf 'const assert = require(\"assert\");\nassert.strictEqual(1 + 1, 2);\nconsole.log(\"js tests passed\");\n' >js/test.js
        chown -R alice:alice $APP
"

echo "# make"
check_output "make runs a Makefile that echoes" "^hello from make$" build make
check_output "make -n, make -j2 and a recursive make work too" "^hello from make$" \
        build 'make -n >/dev/null && make -j2 -C /workspace'

echo "# A C build"
check_output "cc and a Makefile build a program that runs" "^hello from C$" build 'make -C c && ./c/hello'
check "... whose files belong to alice" owned_by_alice $APP/c

echo "# git"
check_output "git init and git commit" "first commit" build '
        git init -q repo && cd repo && echo a >a && git add a &&
        git -c user.name="Alice" -c user.email=alice@example.org commit -q -m "first commit" &&
        git log --oneline'
check "... the repository belongs to alice" owned_by_alice $APP/repo

echo "# Python"
check_output "python3 -m venv, then unittest in it" "OK" \
        build '/usr/bin/python3 -m venv py/venv && cd py && venv/bin/python -m unittest -v test_add 2>&1'
check "... the venv belongs to alice" owned_by_alice $APP/py

echo "# npm"
if testbed_run test -x /usr/bin/npm; then
        check_output "npm test of a package without dependencies" "js tests passed" build 'cd js && npm test 2>&1'
        check "... what it wrote belongs to alice" owned_by_alice $APP/js
else
        note "no /usr/bin/npm in the bed (install Debian's npm); npm test not tried"
fi

echo "# What else plain tools do with identities"
check "seteuid() to the own uid (setresuid) succeeds" \
        build "/usr/bin/python3 -c 'import os; os.seteuid(os.getuid()); os.setegid(os.getgid())'"
check "chown of an own file to the own group succeeds" build 'touch own && chown "$(id -u):$(id -g)" own'
check_output "chown to another user still fails" "^refused rc=1$" \
        build 'touch other && { chown 0 other 2>/dev/null; echo refused rc=$?; }'
check_output "setuid to root still fails" "PermissionError" \
        build "/usr/bin/python3 -c 'import os; os.setuid(0)' 2>&1; true"

echo "# Rating of the sandbox (systemd-analyze security)"
SID=$(testbed_run_as alice openmonoctl run --detach --network=none -w "$APP" -- /bin/sleep 60)
rating=$(testbed_run systemd-analyze security --no-pager "openmono-session-$SID.service" | tail -1)
note "a 'none' session with set*id and chown allowed: $rating"
check_output "it stays SAFE" "exposure level for .*: 0\.[0-9] SAFE" echo "$rating"
testbed_run systemctl stop "openmono-session-$SID.service" || true
testbed_run rm -rf $APP || true
