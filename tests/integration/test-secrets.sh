#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Secrets: set, listed and removed through openmonoctl, kept encrypted per user, delivered to
# the sessions of a project that grants them as systemd credentials, and found nowhere else:
# not in the unit's properties, on the bus, in /run/systemd/transient, in the journal, in any
# process's environment or command line, nor left in the staging directory.
# Sourced by run.sh inside a booted test bed with OpenMono installed.

WS=/home/alice/sapp
STORE=/var/lib/openmono/secrets
# The canary is kept in a root-only file and only ever passed to grep with -f, so that no
# command line of the test itself contains it.
CANARY_FILE=/root/secret-canary
PROJECT_FILE=/etc/openmono/projects/secretapp.project

as() {          # USER COMMAND... : runs a command as USER
        local user=$1; shift
        testbed_run runuser -u "$user" -- "$@"
}

# Fails if the canary appears in what COMMAND prints, or if it prints nothing: a scan of
# nothing proves nothing.
no_canary_in() {
        testbed_run sh -c "{ $1; } >/root/scan.out 2>/dev/null
                test -s /root/scan.out || { echo 'nothing to scan'; exit 1; }
                ! grep -a -q -F -f $CANARY_FILE /root/scan.out"
}

testbed_run sh -ec "
        install -d -o alice -g alice -m 0755 $WS
        umask 077
        head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >$CANARY_FILE
        mkdir -p ${PROJECT_FILE%/*}
        printf '[Project]\nOwner=alice\nWorkspace=$WS\n[Sandbox]\nNetwork=none\n[Secrets]\nGrant=GIT_TOKEN\nGrant=SITE_PROXY\nGrant=ABSENT\n' \
                >$PROJECT_FILE
"
ALICE_UID=$(testbed_run id -u alice)
SUM=$(testbed_run sh -c "sha256sum <$CANARY_FILE | cut -d' ' -f1")

echo "# A user's own secrets"
check "alice sets GIT_TOKEN from standard input" \
        sh -c "runuser -u alice -- openmonoctl secret set GIT_TOKEN <$CANARY_FILE"
check_output "it is listed with its scope, without its value" "^GIT_TOKEN +user +[0-9]{4}-" \
        as alice openmonoctl secret list
check_output "list --json gives name, scope and date" '"modified_realtime_usec"' \
        as alice openmonoctl secret list --json
check "... and never the value" no_canary_in "runuser -u alice -- openmonoctl secret list --json"
check_output "the store holds one root-only file for it" "^600 root$" stat -c '%a %U' "$STORE/$ALICE_UID/GIT_TOKEN"
check "... which is encrypted" no_canary_in "cat $STORE/$ALICE_UID/GIT_TOKEN"
check_output "the master key is root-only" "^600 root$" stat -c '%a %U' "$STORE/master.key"
check_output "a bad name is refused, named as the user knows it" "Invalid secret name: '../etc'" \
        sh -c "runuser -u alice -- openmonoctl secret set ../etc </dev/null 2>&1; true"
check "alice sets and removes another one" \
        sh -c "echo value | runuser -u alice -- openmonoctl secret set OTHER && runuser -u alice -- openmonoctl secret rm OTHER"
check_output "removing a missing one says so" "No secret 'OTHER'" \
        sh -c "runuser -u alice -- openmonoctl secret rm OTHER 2>&1; true"

echo "# Other users"
check_output "bob does not see alice's secrets" "^0 secrets listed" as bob openmonoctl secret list
check_output "bob cannot list them" "Not allowed" \
        sh -c "runuser -u bob -- openmonoctl secret list --user alice 2>&1; true"
check_output "bob cannot overwrite them" "Not allowed" \
        sh -c "echo stolen | runuser -u bob -- openmonoctl secret set GIT_TOKEN --user alice 2>&1; true"
check_output "bob cannot remove them" "Not allowed" \
        sh -c "runuser -u bob -- openmonoctl secret rm GIT_TOKEN --user alice 2>&1; true"
check_output "bob cannot set defaults" "Not allowed" \
        sh -c "echo x | runuser -u bob -- openmonoctl secret set SITE_PROXY --default 2>&1; true"
check_fails "bob cannot read the store" as bob ls $STORE
check "bob's own GIT_TOKEN is his alone" sh -c "echo bobs | runuser -u bob -- openmonoctl secret set GIT_TOKEN"
check_output "an administrator lists alice's secrets" "^GIT_TOKEN +user" as carol openmonoctl secret list --user alice

echo "# Defaults"
check "an administrator sets a default for everyone" \
        sh -c "echo proxy-default | runuser -u carol -- openmonoctl secret set SITE_PROXY --default"
check_output "alice sees it as a default" "^SITE_PROXY +default" as alice openmonoctl secret list

echo "# Delivery to a session of a project with [Secrets] Grant="
check_output "alice's session reads \$CREDENTIALS_DIRECTORY/GIT_TOKEN" "^$SUM$" \
        as alice openmonoctl run --pipe -p secretapp -- /bin/sh -c 'sha256sum <"$CREDENTIALS_DIRECTORY/GIT_TOKEN" | cut -d" " -f1'
check_output "... and the default it did not override" "^proxy-default$" \
        as alice openmonoctl run --pipe -p secretapp -- /bin/sh -c 'cat "$CREDENTIALS_DIRECTORY/SITE_PROXY"'
check_output "... owned by alice, readable by her only" "^400 alice$" \
        as alice openmonoctl run --pipe -p secretapp -- /bin/sh -c 'stat -c "%a %U" "$CREDENTIALS_DIRECTORY/GIT_TOKEN"'
check_output "a granted secret nobody set is left out" "^absent$" \
        as alice openmonoctl run --pipe -p secretapp -- /bin/sh -c 'test -e "$CREDENTIALS_DIRECTORY/ABSENT" || echo absent'
check_output "... with a warning in the journal" "grants secret ABSENT" \
        sh -c "journalctl -u openmonod.service --no-pager -o cat | grep 'grants secret ABSENT'"
check_output "a delivery is audited with user, name and session" "OPENMONO_SECRET=GIT_TOKEN" \
        journalctl --no-pager -o verbose MESSAGE_ID=92592984e1584d0b93ffda4043e0d1b6 OPENMONO_USER=alice
check "alice grants it to a project of her own" \
        as alice openmonoctl project add mysecretapp -w $WS --network none --grant GIT_TOKEN
check_output "... whose sessions read it" "^$SUM$" \
        as alice openmonoctl run --pipe -p mysecretapp -- /bin/sh -c 'sha256sum <"$CREDENTIALS_DIRECTORY/GIT_TOKEN" | cut -d" " -f1'
check_output "... and which shows the grant" 'Secrets: \[ ?"GIT_TOKEN" ?\]' as alice openmonoctl project show mysecretapp
testbed_run runuser -u alice -- openmonoctl project remove mysecretapp
# Its only credential is the default git identity (openmono-gitconfig), which is no secret.
check_output "an ad-hoc session receives no secrets" "^none$" \
        as alice openmonoctl run --pipe -w $WS -- /bin/sh -c \
        'ls -A "${CREDENTIALS_DIRECTORY:-/nonexistent}" 2>/dev/null | grep -vx openmono-gitconfig | grep -q . || echo none'

echo "# The canary appears nowhere but in the session"
ID=$(testbed_run runuser -u alice -- openmonoctl run -d -p secretapp -- /bin/sleep 120)
UNIT=openmono-session-$ID.service
wait_until 20 systemctl is-active "$UNIT"
check "the staging directory is emptied once the session runs" \
        wait_until 10 sh -c "test -z \"\$(ls -A /run/openmono/credentials)\""
check "not in systemctl show of the session unit" no_canary_in "systemctl show $UNIT"
check "not in the unit's D-Bus properties" no_canary_in \
        "busctl introspect org.freedesktop.systemd1 \$(busctl call org.freedesktop.systemd1 /org/freedesktop/systemd1 \
                org.freedesktop.systemd1.Manager GetUnit s $UNIT | cut -d'\"' -f2)"
check_output "the unit loads it from the staging directory by path" "LoadCredential=GIT_TOKEN:/run/openmono/credentials/$ID/GIT_TOKEN" \
        systemctl cat "$UNIT"
check "not in /run/systemd/transient" no_canary_in "cat /run/systemd/transient/*"
check "not in any journal, the sessions' namespace included" no_canary_in "journalctl --namespace='*' --no-pager -o verbose"
check "not in any process's environment or command line" no_canary_in \
        "cat /proc/[0-9]*/environ /proc/[0-9]*/cmdline 2>/dev/null"
check_output "the scan finds systemd's copy for the session (the scan works)" "^/run/credentials/$UNIT/GIT_TOKEN$" \
        sh -c "grep -r -a -l -F -f $CANARY_FILE /run 2>/dev/null; true"
check_output "not in /run but for that copy, nor in /etc or /var/lib/openmono" "^found: 0$" \
        sh -c "echo found: \$(grep -r -a -l -F -f $CANARY_FILE /run /etc /var/lib/openmono 2>/dev/null |
                grep -c -v '^/run/credentials/$UNIT/GIT_TOKEN$')"
check_fails "bob cannot read systemd's copy" as bob cat "/run/credentials/$UNIT/GIT_TOKEN"
testbed_run systemctl stop "$UNIT" || true

echo "# Damaged files"
testbed_run sh -ec "cp $STORE/$ALICE_UID/GIT_TOKEN /root/git-token.bak
        printf Z | dd of=$STORE/$ALICE_UID/GIT_TOKEN bs=1 seek=40 conv=notrunc status=none"
check_output "a tampered secret stops the session with a clear error" "GIT_TOKEN.*cannot be decrypted" \
        sh -c "runuser -u alice -- openmonoctl run --pipe -p secretapp -- /bin/true 2>&1; true"
check "... and leaves nothing staged" sh -c "test -z \"\$(ls -A /run/openmono/credentials)\""
testbed_run cp "$STORE/$ALICE_UID/GIT_TOKEN" /root/damaged.bak
testbed_run cp "$STORE/$(testbed_run id -u bob)/GIT_TOKEN" "$STORE/$ALICE_UID/GIT_TOKEN"
check_output "bob's file copied over alice's does not open for her" "cannot be decrypted" \
        sh -c "runuser -u alice -- openmonoctl run --pipe -p secretapp -- /bin/true 2>&1; true"
testbed_run cp /root/git-token.bak "$STORE/$ALICE_UID/GIT_TOKEN"
check_output "the intact file works again" "^$SUM$" \
        as alice openmonoctl run --pipe -p secretapp -- /bin/sh -c 'sha256sum <"$CREDENTIALS_DIRECTORY/GIT_TOKEN" | cut -d" " -f1'

echo "# Replacing the master key"
check_output "only administrators may" "Only administrators" \
        sh -c "runuser -u bob -- openmonoctl secret rotate-key 2>&1; true"
testbed_run cp "$STORE/master.key" /root/old-master.key
check_output "rotate-key re-encrypts every secret" "re-encrypted" as carol openmonoctl secret rotate-key
check_fails "the key changed" cmp -s /root/old-master.key "$STORE/master.key"
check_output "alice's session still receives her value" "^$SUM$" \
        as alice openmonoctl run --pipe -p secretapp -- /bin/sh -c 'sha256sum <"$CREDENTIALS_DIRECTORY/GIT_TOKEN" | cut -d" " -f1'
check "nothing of the rotation is left over" test ! -e /var/lib/openmono/secrets.new
check "the audit trail has the set, delete and rotation events" sh -ec "
        journalctl --no-pager -o cat MESSAGE_ID=137a1475c4374426869f840abc6b798d | grep -q 'Secret GIT_TOKEN'
        journalctl --no-pager -o cat MESSAGE_ID=9d6875fe5d3e416bb411df502ce6af78 | grep -q 'Secret OTHER'
        journalctl --no-pager -o cat MESSAGE_ID=a617d0286f5b409b997f74f1a9d49dfe | grep -q 'Master key'"

echo "# Cleaning up"
check "alice removes her secret" as alice openmonoctl secret rm GIT_TOKEN
check "an administrator removes the default" as carol openmonoctl secret rm SITE_PROXY --default
testbed_run sh -c "runuser -u bob -- openmonoctl secret rm GIT_TOKEN; rm -f $PROJECT_FILE $CANARY_FILE /root/scan.out /root/git-token.bak /root/damaged.bak /root/old-master.key" || true
