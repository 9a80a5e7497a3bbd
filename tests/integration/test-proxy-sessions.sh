#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Egress by name from inside real sessions. A proxy session (openmonoctl run --network=proxy) has
# a loopback and nothing else: its clients (curl, git over HTTPS, pip, npm) reach the test hosts
# only through the egress relay that HTTP(S)_PROXY names, get what the session's names allow and
# the 403 naming the policy for the rest, and cannot resolve a name at all: a DNS server that logs
# every query (dns-logger.py) hears an internet session's lookups (the control) and never a proxy
# session's. Lists come from the site's [Sessions] AllowDomain= (default and ceiling), a project
# and the command line, which may only narrow it (exit status 4 naming the pattern otherwise);
# systemctl reload openmonod applies a changed site list to running sessions, narrowing them
# and widening them back no further than they asked; so do openmonoctl project set and a changed
# project file for that project's sessions. intranet sessions get names on top.
# Sourced by run.sh inside a booted test bed.

# shellcheck source=tests/integration/egress-testhosts.sh
source "$TOP/tests/integration/egress-testhosts.sh"

PX=/home/alice/px
CX=/home/carol/px
CONF=/etc/openmono/openmono.conf.d/50-proxy-sessions.conf
POLICIES=/run/openmono/egress
DNS_LOG=$EG/dns.log
CA=$EG/ca.pem
TAG=px$$
BLOCKED="Blocked by the OpenMono egress policy"

px_site() {     # PATTERN... : the site's AllowDomain= list, then a reload of the controller
        testbed_run sh -ec "
                { echo '[Sessions]'; for p in $*; do echo \"AllowDomain=\$p\"; done; } >$CONF
                chmod 0644 $CONF
                systemctl reload openmonod.service 2>/dev/null || true
                systemctl reload openmono-egressd.service 2>/dev/null || true"
}

px_setup() {
        eg_hosts_setup
        testbed_run sh -ec "
                install -d -o alice -g alice -m 0755 $PX $PX/req $PX/res
                install -d -o carol -g carol -m 0755 $CX
                install -d -m 0755 ${CONF%/*}
                # The bed's resolver becomes one that logs what reaches it; sessions see /etc as is.
                mv /etc/resolv.conf /etc/resolv.conf.proxy-test
                echo 'nameserver 192.0.2.2' >/etc/resolv.conf
                : >$DNS_LOG
                systemd-run --unit=test-proxy-dns --collect -p Type=exec \
                        -p NetworkNamespacePath=/run/netns/eghosts \
                        /usr/bin/python3 $TOP/tests/integration/dns-logger.py --address 192.0.2.2 \
                        --log $DNS_LOG >/dev/null
                systemctl enable --now openmono-egressd.socket"
        px_site '*.allowed.test'
        # What a session runs to look a name up twice: through the resolver, and by asking the
        # DNS server's address directly. In $EG, which every session sees.
        testbed_run sh -ec "cat >$EG/dnsprobe.sh && chmod 0644 $EG/dnsprobe.sh" <<'PROBE'
getent hosts "$1" >/dev/null 2>&1 && echo "resolver=answered" || echo "resolver=failed"
/usr/bin/python3 - "$1" <<'PY'
import socket, sys
q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
q += b"".join(bytes([len(l)]) + l.encode() for l in ("direct-" + sys.argv[1]).split(".")) + b"\x00\x00\x01\x00\x01"
try:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.sendto(q, ("192.0.2.2", 53))
    s.recv(512)
    print("direct=answered")
except OSError as e:
    print("direct=failed (%s)" % e.strerror)
PY
PROBE
        # A session that serves the test: it fetches each URL dropped in req/N into res/N.
        testbed_run runuser -u alice -- sh -ec "cat >$PX/loop.sh" <<LOOP
n=1
while :; do
        while [ ! -e /workspace/req/\$n ]; do [ -e /workspace/req/stop ] && exit 0; sleep 0.2; done
        curl -sS --max-time 20 --cacert $CA "\$(cat /workspace/req/\$n)" >/workspace/res/\$n.tmp 2>&1
        mv /workspace/res/\$n.tmp /workspace/res/\$n
        n=\$((n + 1))
done
LOOP
}

px_cleanup() {
        testbed_run sh -c "
                systemctl stop test-proxy-dns.service 2>/dev/null
                systemctl stop 'openmono-session-*.service' 2>/dev/null
                runuser -u alice -- openmonoctl project remove pxproj 2>/dev/null
                systemctl disable --now openmono-egressd.socket openmono-egressd.service 2>/dev/null
                [ -e /etc/resolv.conf.proxy-test ] || [ -L /etc/resolv.conf.proxy-test ] &&
                        mv -f /etc/resolv.conf.proxy-test /etc/resolv.conf
                rm -f $CONF
                systemctl reload openmonod.service 2>/dev/null
                rm -rf $PX $CX" || true
        eg_hosts_cleanup
}

# Runs SHELL-COMMAND in a session of USER with the openmonoctl run options given; prints its
# output and, last, "rc=N" with openmonoctl's exit status.
px_in() {       # USER OPTIONS... -- SHELL-COMMAND
        local user=$1 opts=() ws
        shift
        while [ "$1" != -- ]; do opts+=("$1"); shift; done
        shift
        ws=/home/$user/px
        [ "$user" = alice ] || ws=$CX
        testbed_run sh -c "$(printf '%q ' runuser -u "$user" -- openmonoctl run --pipe -w "$ws" "${opts[@]}" \
                -- /bin/sh -c "$1") 2>&1; echo rc=\$?"
}
px_in_project() {       # OPTIONS... -- SHELL-COMMAND : the same for alice's project pxproj
        local opts=()
        while [ "$1" != -- ]; do opts+=("$1"); shift; done
        shift
        testbed_run sh -c "$(printf '%q ' runuser -u alice -- openmonoctl run --pipe -p pxproj "${opts[@]}" \
                -- /bin/sh -c "$1") 2>&1; echo rc=\$?"
}
CURL="curl -sS --max-time 20 --cacert $CA"

[ "${PROXY_TEST_KEEP:-0}" = 1 ] || trap px_cleanup EXIT
px_cleanup
px_setup

echo "# a proxy session: loopback only, out through the relay"
check_output "HTTP(S)_PROXY name the relay on the session's loopback, NO_PROXY its loopback" \
        "^https=http://127.0.0.1:4871 http=http://127.0.0.1:4871 no=localhost,127.0.0.1,::1$" \
        px_in alice --network=proxy -- 'echo "https=$HTTPS_PROXY http=$http_proxy no=$NO_PROXY"'
check_output "... and it has no route anywhere: a direct connection to a test host fails" \
        "direct=(Network is unreachable|.*unreachable)" \
        px_in alice --network=proxy -- "/usr/bin/python3 -c \"import os, socket; s = socket.socket(); \
                s.settimeout(3); r = s.connect_ex(('192.0.2.2', 80)); print('direct=' + (os.strerror(r) if r else 'connected'))\""
check_output "a positive control: a session with the internet reaches that host directly" \
        "^hello through the egress proxy$" \
        px_in carol --network=internet -- "$CURL http://192.0.2.2/hello.txt"

check_output "a none session does not even see the proxy's socket" "^absent$" \
        runuser -u alice -- openmonoctl run --pipe -w $PX --network=none -- \
                /bin/sh -c 'test -S /run/openmono/egress.sock && echo present || echo absent'
check_output "... a proxy session does (the control)" "^present$" \
        runuser -u alice -- openmonoctl run --pipe -w $PX --network=proxy -- \
                /bin/sh -c 'test -S /run/openmono/egress.sock && echo present || echo absent'

echo "# curl, git, pip and npm through the proxy, names allowed and not"
check_output "curl over HTTPS (CONNECT) to an allowed name" "^hello through the egress proxy$" \
        px_in alice --network=proxy -- "$CURL https://www.allowed.test/hello.txt"
check_output "curl over plain HTTP to an allowed name" "^hello through the egress proxy$" \
        px_in alice --network=proxy -- "$CURL http://www.allowed.test/hello.txt"
check_output "a name outside the list gets the 403 naming the policy and the name" \
        "^$BLOCKED.*denied.test" \
        px_in alice --network=proxy -- "$CURL http://denied.test/hello.txt"
check_output "... and over CONNECT too" "CONNECT tunnel failed, response 403" \
        px_in alice --network=proxy -- "$CURL https://denied.test/hello.txt"
check_output "git clone over HTTPS from an allowed name" "^egress test repo$" \
        px_in alice --network=proxy -- "git -c http.sslCAInfo=$CA clone -q https://git.allowed.test/repo.git \
                /workspace/clone && cat /workspace/clone/README && rm -rf /workspace/clone"
check_output "... and from a name not allowed the 403" "(403|$BLOCKED)" \
        px_in alice --network=proxy -- "git -c http.sslCAInfo=$CA clone -q https://denied.test/repo.git /workspace/no 2>&1"
PIP="/usr/bin/python3 -m pip download --no-deps --no-cache-dir --disable-pip-version-check --retries 0 --timeout 10 \
        --cert $CA -d /workspace/pip"
check_output "pip download from an index on an allowed name" "^tinypkg-1.0-py3-none-any.whl$" \
        px_in alice --network=proxy -- "$PIP --index-url https://pypi.allowed.test/simple/ tinypkg >/dev/null 2>&1; \
                ls /workspace/pip; rm -rf /workspace/pip"
check_output "... and from a name not allowed the 403" "403" \
        px_in alice --network=proxy -- "$PIP -vvv --index-url https://denied.test/simple/ tinypkg 2>&1"
NPM="npm --no-audit --no-fund --no-update-notifier --cache /workspace/.npm --cafile $CA --fetch-retries 0"
check_output "npm install from a registry on an allowed name" '"name":"tinypkg"' \
        px_in alice --network=proxy -- "mkdir -p /workspace/npm && cd /workspace/npm && echo '{}' >package.json && \
                $NPM --registry https://npm.allowed.test/ install tinypkg >/dev/null 2>&1; \
                tr -d ' \n' <node_modules/tinypkg/package.json; cd / && rm -rf /workspace/npm"
check_output "... and from a name not allowed the 403" "403" \
        px_in alice --network=proxy -- "mkdir -p /workspace/npm2 && cd /workspace/npm2 && echo '{}' >package.json && \
                $NPM --registry https://denied.test/ install tinypkg 2>&1; cd / && rm -rf /workspace/npm2"

echo "# DNS: no lookup leaves a proxy session"
check_output "a positive control: an internet session's lookups reach the logging DNS server" \
        "resolver=failed direct=answered" \
        px_in carol --network=internet -- "sh $EG/dnsprobe.sh ctl-$TAG.exfil.test | tr '\n' ' '"
check_output "... which logged both of its queries" "^ctl-$TAG.exfil.test direct-ctl-$TAG.exfil.test $" \
        sh -c "awk '{ print \$1 }' $DNS_LOG | grep -- '-$TAG' | sort -u | tr '\n' ' '"
check_output "a proxy session's lookups fail, through the resolver and sent to the server directly" \
        "resolver=failed direct=failed" \
        px_in alice --network=proxy -- "sh $EG/dnsprobe.sh leak-$TAG.exfil.test | tr '\n' ' '"
check_output "... a name the proxy refuses is not looked up for the session either" "$BLOCKED" \
        px_in alice --network=proxy -- "$CURL http://proxied-$TAG.exfil.test/"
check_output "... and the DNS server heard none of them" "^0$" \
        sh -c "grep -c -e 'leak-$TAG' -e 'proxied-$TAG' $DNS_LOG; true"

echo "# lists: the site's is the ceiling, the command line and projects narrow it"
check_output "--allow-domain narrows: the name given is reached" "^hello through the egress proxy$" \
        px_in alice --network=proxy --allow-domain=www.allowed.test -- "$CURL http://www.allowed.test/hello.txt"
check_output "... and another name of the site's list is not" "^$BLOCKED.*npm.allowed.test" \
        px_in alice --network=proxy --allow-domain=www.allowed.test -- "$CURL http://npm.allowed.test/hello.txt"
check_output "a name outside the site's list is refused with status 4, naming it" \
        "denied.test exceeds the ceiling set in /etc/openmono/openmono.conf.*rc=4$" \
        px_in alice --network=proxy --allow-domain=denied.test -- "echo SESSION-RAN"
check_output "... so is a wildcard wider than the site's" "\*\.test exceeds the ceiling.*rc=4$" \
        px_in alice --network=proxy --allow-domain='*.test' -- "echo SESSION-RAN"
check_output "... for an administrator too: the proxy serves nothing beyond the site's list" \
        "allowed.test exceeds the ceiling.*rc=4$" \
        px_in carol --network=proxy --allow-domain=allowed.test -- "echo SESSION-RAN"
check_output "a project beyond the site's list is refused too" "^rc=4 .*denied.test exceeds the ceiling" \
        sh -c "out=\$(runuser -u alice -- openmonoctl project add pxbad -w $PX --network=proxy \
                --allow-domain=denied.test 2>&1); echo rc=\$? \$out"
check "a project with its own list within the site's" \
        runuser -u alice -- openmonoctl project add pxproj -w $PX --network=proxy \
                --allow-domain=www.allowed.test --allow-domain=GIT.allowed.test.
check_output "... shows it, normalised" 'Domains: \[ "www.allowed.test", "git.allowed.test" \]' \
        runuser -u alice -- openmonoctl project show pxproj
check_output "... its sessions reach its names" "^hello through the egress proxy$" \
        px_in_project -- "$CURL https://www.allowed.test/hello.txt"
check_output "... and no other name of the site's" "^$BLOCKED.*npm.allowed.test" \
        px_in_project -- "$CURL http://npm.allowed.test/hello.txt"
check_output "... the command line narrows a project's list further" "^$BLOCKED.*www.allowed.test" \
        px_in_project --allow-domain=git.allowed.test -- "$CURL http://www.allowed.test/hello.txt"
check_output "... but cannot widen it, even within the site's" "npm.allowed.test exceeds the ceiling set in project 'pxproj'.*rc=4$" \
        px_in_project --allow-domain=npm.allowed.test -- "echo SESSION-RAN"

echo "# intranet sessions with names on top"
check_output "an intranet session with --allow-domain reaches that name through the proxy" \
        "^proxy=http://127.0.0.1:4871 hello through the egress proxy$" \
        px_in alice --network=intranet --allow-domain=www.allowed.test -- \
                "echo proxy=\$HTTPS_PROXY \$($CURL https://www.allowed.test/hello.txt)"
check_output "... keeps the ranges it reaches directly out of the proxy" "no=localhost,127.0.0.1,::1,10.0.0.0/8," \
        px_in alice --network=intranet --allow-domain=www.allowed.test -- "echo no=\$NO_PROXY"
check_output "... and is refused the names it did not ask for" "^$BLOCKED.*git.allowed.test" \
        px_in alice --network=intranet --allow-domain=www.allowed.test -- "$CURL http://git.allowed.test/hello.txt"

# A detached session fetching what the test asks for, to watch one session across reloads.
px_ask() {      # N URL : the answer the loop session got for its N-th request
        testbed_run runuser -u alice -- sh -c "echo '$2' >$PX/req/$1.tmp && mv $PX/req/$1.tmp $PX/req/$1"
        wait_until 30 test -e "$PX/res/$1"
        testbed_run cat "$PX/res/$1"
}
px_policy() {   # ID [REGEX] : the AllowDomain= values of its policy file on one line, or
                #   "missing"; with REGEX, once they match it (the controller reloads after
                #   systemctl reload has returned), or after 10 s
        local out i
        for i in $(seq 50); do
                out=$(testbed_run sh -c "[ -e $POLICIES/$1.conf ] || { echo missing; exit 0; }
                        sed -n 's/^AllowDomain=//p' $POLICIES/$1.conf | tr '\n' ' '; echo")
                if [ -z "${2:-}" ] || grep -Eq -- "$2" <<<"$out"; then break; fi
                sleep 0.2
        done
        echo "$out"
}
px_counts() {   # ID REGEX : session show, once its egress line matches REGEX (the proxy writes its
                #   counts at most once a second), or after 10 s
        local out i
        for i in $(seq 50); do
                out=$(testbed_run runuser -u alice -- openmonoctl session show "$1")
                if grep -Eq -- "$2" <<<"$out"; then break; fi
                sleep 0.2
        done
        echo "$out"
}

echo "# the per-session policy file"
ASKED=$(testbed_run runuser -u alice -- openmonoctl run --detach -w $PX --network=proxy \
        --allow-domain='*.allowed.test' -- /bin/sh /workspace/loop.sh)
DEFAULT=$(testbed_run runuser -u alice -- openmonoctl run --detach -w $PX --network=proxy -- /bin/sleep 600)
note "sessions: $ASKED asked for *.allowed.test, $DEFAULT took the site's default"
check_output "it exists while the session runs, root's, for the proxy's group only" \
        "^-rw-r----- root openmono-egress$" stat -c '%A %U %G' "$POLICIES/$ASKED.conf"
check_output "... and says what the session asked for" '^\*\.allowed\.test $' px_policy "$ASKED"
check_output "... the session itself does not see the policies" "No such file or directory" \
        px_in alice --network=proxy -- "ls $POLICIES 2>&1"
check_output "... nor does another local user" "Permission denied" \
        testbed_run_as bob sh -c "ls $POLICIES 2>&1; cat $POLICIES/$ASKED.conf 2>&1; true"
check_output "the session reaches an allowed name" "^hello through the egress proxy$" \
        px_ask 1 http://www.allowed.test/hello.txt
check_output "session show counts what the proxy did for it" "Egress: [1-9][0-9]* allowed, 0 denied" \
        px_counts "$ASKED" "Egress: [1-9]"
# The bytes may reach the counts file a second after the request's decision did.
check_output "... so does --json" '"egress_allowed": *[1-9].*"egress_bytes_received": *[1-9]' \
        sh -c "for i in \$(seq 50); do
                       o=\$(runuser -u alice -- openmonoctl session show --json $ASKED | tr -d '\n')
                       echo \"\$o\" | grep -Eq '\"egress_bytes_received\": *[1-9]' && break
                       sleep 0.2
               done; echo \"\$o\""

echo "# systemctl reload openmonod: a changed site list reaches running sessions"
px_site git.allowed.test
check_output "narrowed: the session's list is what is left of its request" '^git\.allowed\.test $' \
        px_policy "$ASKED" '^git\.allowed\.test $'
check_output "... the default session follows the site" '^git\.allowed\.test $' px_policy "$DEFAULT" '^git'

check_output "... the change is logged per session" "Session $ASKED now reaches git.allowed.test through the egress proxy \(was: \*.allowed.test\)" \
        journalctl --no-pager -o cat -u openmonod.service OPENMONO_EVENT=egress-policy-changed OPENMONO_SESSION=$ASKED
check_output "... and the running session's next request to a name no longer allowed gets the 403" \
        "^$BLOCKED.*www.allowed.test" px_ask 2 http://www.allowed.test/hello.txt
check_output "... while the name still allowed works" "^hello through the egress proxy$" \
        px_ask 3 http://git.allowed.test/hello.txt
px_site '*.allowed.test' denied.test
check_output "... the default session gets the whole new list" '^\*\.allowed\.test denied\.test $' \
        px_policy "$DEFAULT" 'denied'
check_output "widened: the session gets back no more than it asked for" '^\*\.allowed\.test $' px_policy "$ASKED"
check_output "... the asked-for names work again" "^hello through the egress proxy$" \
        px_ask 4 http://www.allowed.test/hello.txt
check_output "... a name it never asked for stays refused" "^$BLOCKED.*denied.test" \
        px_ask 5 http://denied.test/hello.txt
testbed_run sh -c "systemctl stop openmonod.service; printf '[Sessions]\nAllowDomain=www.allowed.test\n' >$CONF"
check "a controller started later catches up with a list changed while it was away" \
        runuser -u alice -- openmonoctl session show "$ASKED"
check_output "... the session's list is narrowed" '^www\.allowed\.test $' px_policy "$ASKED"

echo "# the end of a session"
check_output "before it ends, the proxy counted its refusals too" "Egress: [1-9][0-9]* allowed, 2 denied" \
        px_counts "$ASKED" "2 denied"
testbed_run runuser -u alice -- sh -c "touch $PX/req/stop"
testbed_run runuser -u alice -- openmonoctl session stop "$DEFAULT"
wait_until 30 sh -c "! runuser -u alice -- openmonoctl session list | grep -q $ASKED"
check_output "an ended session's policy file is gone" "^missing$" px_policy "$ASKED" '^missing'
check_output "... so is the stopped one's" "^missing$" px_policy "$DEFAULT" '^missing'
check_output "... its record keeps the proxy's last counts" "Egress: [1-9][0-9]* allowed, [1-9][0-9]* denied" \
        runuser -u alice -- openmonoctl session show "$ASKED"
check_output "... and the proxy's counts file is gone" "^gone$" \
        sh -c "[ -e /run/openmono-egress/$ASKED ] && echo present || echo gone"

echo "# a project's changed list reaches its running sessions"
px_site '*.allowed.test'
testbed_run runuser -u alice -- sh -c "rm -rf $PX/req/* $PX/res/*"
FOLLOWS=$(testbed_run runuser -u alice -- openmonoctl run --detach -p pxproj -- /bin/sh /workspace/loop.sh)
OWN=$(testbed_run runuser -u alice -- openmonoctl run --detach -p pxproj --allow-domain=git.allowed.test -- \
        /bin/sleep 600)
note "sessions of pxproj: $FOLLOWS took its list, $OWN asked for git.allowed.test"
check_output "a project session reaches a name of its project's list" "^hello through the egress proxy$" \
        px_ask 1 http://www.allowed.test/hello.txt
check "the owner narrows the project's list" \
        runuser -u alice -- openmonoctl project set pxproj --allow-domain=git.allowed.test
check_output "... the running session's list follows at once" '^git\.allowed\.test $' \
        px_policy "$FOLLOWS" '^git\.allowed\.test $'
check_output "... the change is logged" "Session $FOLLOWS now reaches git.allowed.test through the egress proxy \(was: www.allowed.test git.allowed.test\)" \
        journalctl --no-pager -o cat -u openmonod.service OPENMONO_EVENT=egress-policy-changed OPENMONO_SESSION=$FOLLOWS
check_output "... and its next request to the name no longer allowed gets the 403" \
        "^$BLOCKED.*www.allowed.test" px_ask 2 http://www.allowed.test/hello.txt
check_output "... while the name still allowed works" "^hello through the egress proxy$" \
        px_ask 3 http://git.allowed.test/hello.txt
check "the owner widens it to the site's whole list" \
        runuser -u alice -- openmonoctl project set pxproj --allow-domain='*.allowed.test'
check_output "... the session that took the project's list gets it" '^\*\.allowed\.test $' \
        px_policy "$FOLLOWS" '^\*'
check_output "... and reaches the name again" "^hello through the egress proxy$" \
        px_ask 4 http://www.allowed.test/hello.txt
check_output "... the session that asked for less keeps its own list" '^git\.allowed\.test $' px_policy "$OWN"
check "an administrator changes the project's file and reloads" \
        sh -ec "sed -i 's/^AllowDomain=.*/AllowDomain=www.allowed.test/' /var/lib/openmono/projects/pxproj.project
                grep -qx AllowDomain=www.allowed.test /var/lib/openmono/projects/pxproj.project
                systemctl reload openmonod.service"
check_output "a project file changed and a reload narrow the session too" '^www\.allowed\.test $' \
        px_policy "$FOLLOWS" '^www\.allowed\.test $'
check_output "... its next request to a name dropped gets the 403" "^$BLOCKED.*git.allowed.test" \
        px_ask 5 http://git.allowed.test/hello.txt
check_output "... and the asked-for name outside the project's new list is gone" '^$' px_policy "$OWN" '^$'
testbed_run runuser -u alice -- sh -c "touch $PX/req/stop"
testbed_run runuser -u alice -- openmonoctl session stop "$OWN"
