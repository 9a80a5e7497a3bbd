#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# git commit works in a session with no identity configured: the commit's author is the session's
# owner, by the name in their passwd entry and an address at [Sessions] MailDomain=. What the user
# configured in /storage/.gitconfig wins, and so does an identity given to git directly.
# Sourced by run.sh inside a booted test bed with OpenMono installed.

APP=/home/alice/src/app
CONF_D=/etc/openmono/openmono.conf.d

commit() {      # SHELL-PREFIX: a fresh repository in ~/src/app, one commit, its author
        testbed_run_as alice openmonoctl run -w "$APP" -- /bin/sh -ec '
                rm -rf repo && git init -q repo && cd repo && echo a >a && git add a
                git commit -q -m first && git log -1 --format="author=%an <%ae> committer=%cn <%ce>"'
}
storage_gitconfig() {   # ARGS: runs git config --global ARGS in a session (HOME=/storage)
        testbed_run_as alice openmonoctl run -w "$APP" -- git config --global "$@"
}

testbed_run sh -ec "
        rm -rf $APP && install -d -o alice -g alice -m 0755 /home/alice/src $APP
        usermod -c 'Alice Liddell,Room 1' alice
        mkdir -p $CONF_D && printf '[Sessions]\nMailDomain=example.org\n' >$CONF_D/50-test-mail.conf
        systemctl reload openmonod.service 2>/dev/null || true
"
testbed_run_as alice openmonoctl run -w "$APP" -- rm -f /storage/.gitconfig || true

echo "# No identity configured"
note "$(commit 2>&1 | tail -1)"
check_output "git commit works and its author is alice, named from GECOS" \
        "^author=Alice Liddell <alice@example.org> committer=Alice Liddell <alice@example.org>$" commit
check_output "the session sees the default as read-only system config, not in /storage" \
        "^absent$" testbed_run_as alice openmonoctl run -w "$APP" -- /bin/sh -c \
        'test -w "$GIT_CONFIG_SYSTEM" && echo writable; test -e /storage/.gitconfig || echo absent'

echo "# /storage/.gitconfig wins"
check "alice sets her own identity in a session" storage_gitconfig user.name "Lewis Carroll"
check "... and address" storage_gitconfig user.email a@l.example
check_output "the commit's author is hers" "^author=Lewis Carroll <a@l\.example> " commit
check_output "... and it is kept in her storage" 'name = Lewis Carroll' \
        testbed_run_as alice openmonoctl run -w "$APP" -- cat /storage/.gitconfig

echo "# Without a mail domain, the host's name"
testbed_run_as alice openmonoctl run -w "$APP" -- rm -f /storage/.gitconfig || true
testbed_run sh -c "usermod -c '' alice; rm -f $CONF_D/50-test-mail.conf; systemctl reload openmonod.service 2>/dev/null || true"
check_output "an empty GECOS gives the login name, the address is alice@$(testbed_run uname -n)" \
        "^author=alice <alice@$(testbed_run uname -n)> " commit

testbed_run rm -rf "$APP" || true
