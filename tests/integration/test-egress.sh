#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The egress proxy as clients use it: openmono-egressd.socket on /run/openmono/egress.sock,
# test hosts with names (an /etc/hosts entry each) in a network namespace of their own behind a
# veth pair, HTTPS with a test CA made here, and real clients (curl, git over dumb HTTPS, npm,
# pip) sending their requests through it. Allowed names work; other names, address literals in
# every spelling, and allowed names that resolve to loopback, the host itself, link-local or
# private ranges get the 403 that names the policy; every decision is in the journal.
#
# Sessions cannot reach the proxy yet (their own network namespaces and loopback relays are
# separate work), so the clients run on the bed's host side and reach the proxy through
# systemd-socket-proxyd on 127.0.0.1:3128, which runs in a unit named and placed like a session
# of alice's: the proxy identifies "the session" from that relay's cgroup, as it will from the
# relay inside real sessions. Each such session is judged by its own list,
# /run/openmono/egress/<SESSION-ID>.conf, written here as the controller writes it; the site's
# [Sessions] AllowDomain= (which also names denied.test) only serves callers outside sessions.
# The proxy's counts per session land in /run/openmono-egress/<SESSION-ID>. Sourced by run.sh
# inside a booted test bed.

EG_SOCK=/run/openmono/egress.sock
EG_UNIT=openmono-egressd.service
# shellcheck source=tests/integration/egress-testhosts.sh
source "$TOP/tests/integration/egress-testhosts.sh"

PROXY=http://127.0.0.1:3128
SESSION=egtest$$
SESSION2=egcount$$               # a session with no list at first, then one for the counts
POLICY_DIR=/run/openmono/egress
COUNTS_DIR=/run/openmono-egress
PROXY2=http://127.0.0.1:3129
MSG_ALLOWED=4823c4f08a2d462095e834b2f2dff2c9
MSG_DENIED=8b2389dd4f764a8290e77bb4e71a8859
ALICE_UID=$(testbed_run id -u alice)

eg_setup() {
        eg_hosts_setup
        testbed_run systemd-tmpfiles --create --prefix=$POLICY_DIR
        write_policy $SESSION '*.allowed.test'
        testbed_run sh -ec "
                # What rebinding and SSRF would reach: a service of the host on all its addresses.
                mkdir -p $EG/secret && echo 'host-secret' >$EG/secret/index.html
                systemd-run --unit=test-egress-secret --collect -p Type=exec \
                        /usr/bin/python3 -m http.server --bind 0.0.0.0 --directory $EG/secret 80 >/dev/null
                install -d -m 0755 /etc/openmono/openmono.conf.d
                printf '[Sessions]\nAllowDomain=*.allowed.test\nAllowDomain=denied.test\n' \
                        >/etc/openmono/openmono.conf.d/50-egress-test.conf
                printf '[Egress]\nMaxConnectionsPerSession=64\n' >/etc/openmono/egress.conf
                chmod 0644 /etc/openmono/openmono.conf.d/50-egress-test.conf /etc/openmono/egress.conf
                systemctl enable --now openmono-egressd.socket
                systemd-run --unit=openmono-session-$SESSION --slice=openmono-u$ALICE_UID.slice \
                        -p User=alice --socket-property=ListenStream=127.0.0.1:3128 \
                        /lib/systemd/systemd-socket-proxyd $EG_SOCK >/dev/null
                systemd-run --unit=openmono-session-$SESSION2 --slice=openmono-u$ALICE_UID.slice \
                        -p User=alice --socket-property=ListenStream=127.0.0.1:3129 \
                        /lib/systemd/systemd-socket-proxyd $EG_SOCK >/dev/null"
        wait_until 10 curl -sf http://127.0.0.1/
}

# SESSION PATTERN... : the session's list as the controller writes it (a temporary file, owner
# root:openmono-egress, mode 0640, renamed over the old one).
write_policy() {
        testbed_run sh -ec '
                id=$1; shift
                t=/run/openmono/egress/.$id.tmp
                { echo "# openmono: egress policy of session $id"; echo "[Session]"
                  for p in "$@"; do echo "AllowDomain=$p"; done; } >$t
                chown root:openmono-egress $t && chmod 0640 $t && mv $t /run/openmono/egress/$id.conf' sh "$@"
}

eg_cleanup() {
        testbed_run sh -c "
                systemctl stop openmono-session-$SESSION.socket openmono-session-$SESSION.service \
                        openmono-session-$SESSION2.socket openmono-session-$SESSION2.service \
                        test-egress-secret.service $EG_UNIT 2>/dev/null
                systemctl disable --now openmono-egressd.socket 2>/dev/null
                rm -f /etc/openmono/openmono.conf.d/50-egress-test.conf /etc/openmono/egress.conf
                rm -f $POLICY_DIR/$SESSION.conf $POLICY_DIR/$SESSION2.conf $COUNTS_DIR/$SESSION $COUNTS_DIR/$SESSION2
                rm -rf /tmp/egress-*" || true
        eg_hosts_cleanup
}

curl_p() {      # ARGS... : curl through the proxy, trusting the test CA
        testbed_run curl -sS --max-time 20 --proxy "$PROXY" --cacert "$EG/ca.pem" "$@"
}

curl_2() {      # ARGS... : the same from the second session
        testbed_run curl -sS --max-time 20 --proxy "$PROXY2" --cacert "$EG/ca.pem" "$@"
}

proxy_pid() {
        testbed_run systemctl show -P MainPID $EG_UNIT
}

# What the journal's decisions for session $1 add up to, in the counts file's format.
journal_counts() {
        testbed_run sh -c "journalctl --no-pager -o json _SYSTEMD_UNIT=$EG_UNIT OPENMONO_SESSION=$1 | /usr/bin/python3 -c '
import json, sys
c = dict(allowed=0, denied=0, bytes_sent=0, bytes_received=0)
for l in sys.stdin:
    e = json.loads(l)
    r = e.get(\"OPENMONO_EGRESS_RESULT\")
    if r is None:
        continue
    c[\"allowed\" if r == \"allowed\" else \"denied\"] += 1
    c[\"bytes_sent\"] += int(e[\"OPENMONO_EGRESS_BYTES_OUT\"])
    c[\"bytes_received\"] += int(e[\"OPENMONO_EGRESS_BYTES_IN\"])
print(\"\".join(\"%s=%d\\n\" % kv for kv in c.items()), end=\"\")'"
}

# The proxy's journal entries as "NAME RESULT SESSION BYTES_IN" lines.
decisions() {
        testbed_run sh -c "journalctl --no-pager -o json _SYSTEMD_UNIT=$EG_UNIT OPENMONO_EVENT=egress-allowed + \
                _SYSTEMD_UNIT=$EG_UNIT OPENMONO_EVENT=egress-denied | /usr/bin/python3 -c '
import json, sys
for l in sys.stdin:
    e = json.loads(l)
    print(e.get(\"OPENMONO_EGRESS_NAME\"), e.get(\"OPENMONO_EGRESS_PORT\"), e.get(\"OPENMONO_EGRESS_RESULT\"),
          e.get(\"OPENMONO_SESSION\"), e.get(\"OPENMONO_USER\"), e.get(\"OPENMONO_EGRESS_BYTES_IN\"), e.get(\"MESSAGE_ID\"))'"
}

[ "${EGRESS_TEST_KEEP:-0}" = 1 ] || trap eg_cleanup EXIT
eg_cleanup
eg_setup

echo "# curl, allowed names"
check_output "HTTPS through CONNECT to an allowed name" "^hello through the egress proxy$" \
        curl_p https://www.allowed.test/hello.txt
check_output "plain HTTP forwarding to an allowed name" "^hello through the egress proxy$" \
        curl_p http://www.allowed.test/hello.txt
check_output "the name's spelling does not matter (case, trailing dot)" "^hello through the egress proxy$" \
        curl_p http://WWW.Allowed.TEST./hello.txt

echo "# curl, names that are not allowed"
check_output "a name the site allows but the session's own list does not is refused" \
        "^Blocked by the OpenMono egress policy AllowDomain=: denied.test port 80 is not allowed \(name-not-allowed\)" \
        curl_p http://denied.test/hello.txt
check_output "... over CONNECT too" "CONNECT tunnel failed, response 403" \
        sh -c "curl -sS --max-time 20 --proxy $PROXY --cacert $EG/ca.pem https://denied.test/hello.txt 2>&1; true"
check_output "a port outside Ports= is refused" "port-not-allowed" \
        curl_p http://www.allowed.test:8080/hello.txt
for literal in 192.0.2.2 2130706433 0177.0.0.1 0x7f.1 '[::ffff:127.0.0.1]' '[::1]'; do
        check_output "the address literal $literal is refused" "\(address-literal\)" \
                curl_p -g "http://$literal/"
done

echo "# rebinding and SSRF: allowed names that resolve where they must not"
check_output "a positive control: the host's service answers on loopback" "^host-secret$" \
        curl -sS --max-time 5 http://127.0.0.1/
check_output "an allowed name resolving to 127.0.0.1 is refused" "\(forbidden-address\)" \
        curl_p http://rebind.allowed.test/
check_output "... over CONNECT too" "CONNECT tunnel failed, response 403" \
        sh -c "curl -sS --max-time 20 --proxy $PROXY -k https://rebind.allowed.test/ 2>&1; true"
check_output "an allowed name resolving to the host's own address is refused" "\(reserved-address\)" \
        curl_p http://self.allowed.test/
check_output "an allowed name resolving to the metadata address is refused" "\(forbidden-address\)" \
        curl_p http://meta.allowed.test/
check_output "an allowed name resolving to a private range is refused" "\(private-address\)" \
        curl_p http://private.allowed.test/
check_output "an allowed name that does not resolve gets 502" "could not be resolved" \
        curl_p http://nowhere.allowed.test/

echo "# real clients"
check_output "git clone over HTTPS (dumb protocol) from an allowed name" "egress test repo" \
        sh -c "rm -rf /tmp/egress-git && git -c http.proxy=$PROXY -c http.sslCAInfo=$EG/ca.pem \
                clone -q https://git.allowed.test/repo.git /tmp/egress-git && cat /tmp/egress-git/README"
check_output "... and from a name not allowed it fails with the 403" "403" \
        sh -c "git -c http.proxy=$PROXY -c http.sslCAInfo=$EG/ca.pem \
                clone -q https://denied.test/repo.git /tmp/egress-git-denied 2>&1; true"
NPM="npm --no-audit --no-fund --no-update-notifier --cache /tmp/egress-npm-cache --cafile $EG/ca.pem \
        --proxy $PROXY --https-proxy $PROXY --fetch-retries 0"
check_output "npm install from a registry on an allowed name" '"name":"tinypkg"' \
        sh -c "rm -rf /tmp/egress-npm && mkdir -p /tmp/egress-npm && cd /tmp/egress-npm && echo '{}' >package.json &&
                $NPM --registry https://npm.allowed.test/ install tinypkg >/dev/null 2>&1 &&
                tr -d ' \n' <node_modules/tinypkg/package.json"
check_output "... and from a name not allowed it fails with the 403" "403" \
        sh -c "mkdir -p /tmp/egress-npm2 && cd /tmp/egress-npm2 && echo '{}' >package.json &&
                $NPM --registry https://denied.test/ install tinypkg 2>&1; true"
PIP="/usr/bin/python3 -m pip download --no-deps --no-cache-dir --disable-pip-version-check --retries 0 \
        --timeout 10 --cert $EG/ca.pem --proxy $PROXY"
check_output "pip download from a simple index on an allowed name" "tinypkg-1.0-py3-none-any.whl" \
        sh -c "rm -rf /tmp/egress-pip && $PIP --index-url https://pypi.allowed.test/simple/ -d /tmp/egress-pip tinypkg >/dev/null 2>&1 &&
                ls /tmp/egress-pip"
check_output "... and from a name not allowed it fails with the 403" "403" \
        sh -c "$PIP -vvv --index-url https://denied.test/simple/ -d /tmp/egress-pip2 tinypkg 2>&1; true"

echo "# each session is judged by its own list, which the controller may rewrite at any time"
check_output "a session without a list of its own is refused even a name the site allows, and told why" \
        "^Blocked by the OpenMono egress policy: session $SESSION2 has no usable list of allowed names \($POLICY_DIR/$SESSION2.conf: No such file or directory\)" \
        curl_2 http://www.allowed.test/hello.txt
check_output "... and the journal says why" "Session $SESSION2: denying every request.*$SESSION2.conf" \
        journalctl --no-pager -u $EG_UNIT OPENMONO_EVENT=egress-session-policy OPENMONO_SESSION=$SESSION2
PID=$(proxy_pid)
write_policy "$SESSION2" www.allowed.test
check_output "once its list is written, the session's next connection is judged by it" \
        "^hello through the egress proxy$" curl_2 http://www.allowed.test/hello.txt
check_output "... and by nothing else" "\(name-not-allowed\)" curl_2 http://git.allowed.test/hello.txt
write_policy "$SESSION2" git.allowed.test
check_output "a rewritten list (as on reload) applies to the next connection" \
        "^hello through the egress proxy$" curl_2 http://git.allowed.test/hello.txt
check_output "... and what it dropped is refused" "\(name-not-allowed\)" curl_2 http://www.allowed.test/hello.txt
check "... without restarting the proxy" test "$(proxy_pid)" = "$PID"
testbed_run sh -c "printf '[Session]\nAllowDomain=*\n' >$POLICY_DIR/.broken && mv $POLICY_DIR/.broken $POLICY_DIR/$SESSION2.conf"
check_output "a list that does not parse allows nothing, and the 403 names the line" \
        "no usable list of allowed names \($POLICY_DIR/$SESSION2.conf:2: " curl_2 http://git.allowed.test/hello.txt
check_output "the other session kept its own list meanwhile" "^hello through the egress proxy$" \
        curl_p http://git.allowed.test/hello.txt

echo "# each session's counts"
# Known so far for the second session: 2 relayed, 4 refused (no list, 2 names, a broken list).
check "the counts file appears within a second or two" \
        wait_until 5 sh -c "grep -qx allowed=2 $COUNTS_DIR/$SESSION2 && grep -qx denied=4 $COUNTS_DIR/$SESSION2"
check_output "it says what the session did" "^allowed=2 denied=4 bytes_sent=[1-9][0-9]* bytes_received=[1-9][0-9]*$" \
        sh -c "tr '\n' ' ' <$COUNTS_DIR/$SESSION2 | sed 's/ $//'"
expected=$(journal_counts "$SESSION2")
check "... byte for byte what the journal's entries for the session add up to" \
        sh -c "test \"\$(cat $COUNTS_DIR/$SESSION2)\" = '$expected'"
testbed_run cat $COUNTS_DIR/$SESSION2 | sed 's/^/#   /'
# With DynamicUser=, systemd keeps a preserved runtime directory below /run/private (0700 root).
check_output "only root can read it" "^700 " stat -L -c '%a %U' $COUNTS_DIR
check_fails "... not the session's user" testbed_run_as alice cat $COUNTS_DIR/$SESSION2
write_policy "$SESSION2" www.allowed.test
testbed_run systemctl restart $EG_UNIT
check_output "a restarted proxy goes on from the numbers it wrote" "^allowed=3$" \
        sh -c "curl -s -o /dev/null --proxy $PROXY2 http://www.allowed.test/hello.txt; sleep 2.5; cat $COUNTS_DIR/$SESSION2"

echo "# who may ask, and the journal"
check_output "a local user outside any session is refused" "OpenMono sessions only" \
        testbed_run_as bob /usr/bin/python3 -c "
import socket
s = socket.socket(socket.AF_UNIX); s.connect('$EG_SOCK')
s.sendall(b'GET http://www.allowed.test/hello.txt HTTP/1.1\r\n\r\n')
print(s.recv(4096).decode())"
check_output "relayed connections are journaled with session, user, name and bytes" \
        "^www.allowed.test 443 allowed $SESSION alice [1-9][0-9]* $MSG_ALLOWED$" decisions
check_output "refusals are journaled with their reason" \
        "^rebind.allowed.test 80 forbidden-address $SESSION alice [0-9]+ $MSG_DENIED$" decisions
check_output "... and so are refused literals" "^127.0.0.1 80 address-literal $SESSION" decisions
note "from inside real sessions (proxy-only, no DNS, HTTP(S)_PROXY): see test-proxy-sessions.sh"
