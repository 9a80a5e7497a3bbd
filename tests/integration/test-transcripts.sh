#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Users read their agents' transcripts on the host with openmonoctl transcript list|show,
# although the files are where only sessions and root reach them: alice's /storage and a
# dynamic project's per-caller state. bob cannot read alice's; carol (an administrator) can.
# A symlink alice plants in her storage, named like a transcript, does not make the controller
# (root) read /etc/shadow for her: it is not listed and cannot be shown. The positive control is
# her real transcript next to it.
# Sourced by run.sh inside a booted test bed with OpenMono installed.

APP=/home/alice/src/transcripts
ID=20260101-120000-a1b2c3
LINK=20260101-120001-dead00
DYN=20260101-120002-beef00
DYN_DIR=/var/lib/private/openmono-transcripts/tproj

in_session() {  # SHELL-COMMAND: runs it as alice in a session, HOME=/storage
        testbed_run_as alice openmonoctl run -w "$APP" -- /bin/sh -ec "$1"
}

ALICE=$(testbed_run id -u alice)
testbed_run sh -ec "rm -rf $APP $DYN_DIR && install -d -o alice -g alice -m 0755 /home/alice/src $APP"
in_session "d=\$HOME/.local/state/openmono/transcripts; mkdir -p \$d; rm -f \$d/$ID.jsonl \$d/$LINK.jsonl
        printf '{\"type\":\"status\",\"status\":\"done\",\"marker\":\"alice-transcript\"}\n' >\$d/$ID.jsonl
        ln -s /etc/shadow \$d/$LINK.jsonl"
testbed_run sh -ec "install -d -m 0755 $DYN_DIR/$ALICE/transcripts
        printf '{\"type\":\"status\",\"marker\":\"dynamic-transcript\"}\n' >$DYN_DIR/$ALICE/transcripts/$DYN.jsonl"

echo "# alice, on the host"
check_fails "alice cannot read her transcript directly (storage is root's 0700)" \
        testbed_run_as alice cat "/var/lib/openmono/storage/$ALICE/.local/state/openmono/transcripts/$ID.jsonl"
check_output "transcript list shows her run" "^$ID +alice +- " testbed_run_as alice openmonoctl transcript list
check_output "... and her dynamic project's, with the project" "^$DYN +alice +tproj " \
        testbed_run_as alice openmonoctl transcript list
check_output "transcript show prints it" "alice-transcript" testbed_run_as alice openmonoctl transcript show "$ID"
check_output "... and the dynamic project's" "dynamic-transcript" testbed_run_as alice openmonoctl transcript show "$DYN"
check_output "--json lists them as objects" "\"id\": \"$ID\"" testbed_run_as alice openmonoctl --json transcript list

echo "# A symlink planted in her storage"
note "what alice is told: $(testbed_run_as alice openmonoctl transcript show "$LINK" 2>&1 | head -c 200; true)"
check_fails "it is not shown (no /etc/shadow for alice)" sh -c \
        "runuser -u alice -- openmonoctl transcript show $LINK | grep -q root:"
check_fails "... and not listed" sh -c "runuser -u alice -- openmonoctl transcript list | grep -q $LINK"

echo "# Other users"
check_fails "bob cannot show alice's transcript" testbed_run_as bob openmonoctl transcript show "$ID"
check_fails "... nor ask for her list" testbed_run_as bob openmonoctl transcript list --user alice
check_fails "... and his own list does not have it" sh -c "runuser -u bob -- openmonoctl transcript list | grep -q $ID"
check_output "carol, an administrator, lists everyone's" "^$ID +alice " testbed_run_as carol openmonoctl transcript list --all
check_output "... and reads alice's" "alice-transcript" testbed_run_as carol openmonoctl transcript show --user alice "$ID"

in_session "rm -rf \$HOME/.local/state/openmono/transcripts/$ID.jsonl \$HOME/.local/state/openmono/transcripts/$LINK.jsonl" || true
testbed_run rm -rf "$APP" "$DYN_DIR" || true
