#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Ceilings: plain users cannot give themselves the internet, the host's loopback, metadata
# addresses or unbounded limits, by any spelling, through a project of their own or by widening
# a site project; errors name the ceiling and exit with status 4, nonsense is a usage error
# (status 2); administrators keep their powers; lowered limits and per-user totals reach systemd.
# Sourced by run.sh inside a booted test bed with OpenMono installed.

WS=/home/alice/cws
CWS=/home/carol/cws
CONF=/etc/openmono/openmono.conf.d/50-integration-ceilings.conf
SITE=/etc/openmono/projects/ceilsite.project
PROBE=/srv/ceil-probe.sh
PORT=8083
INTRANET_HOST=10.10.0.3

testbed_run sh -ec "
        install -d -o alice -g alice -m 0755 $WS
        install -d -o carol -g carol -m 0755 $CWS
        mkdir -p /etc/openmono/projects ${CONF%/*}
        # A site project of an administrator that alice may use and that sets no Network=.
        printf '[Project]\nOwner=carol\nIdentity=dynamic\nUsers=alice\n[Sandbox]\nMemoryMax=2G\n' >$SITE
        # A listener on an intranet test host (behind a router: sessions cannot reach the bed's
        # own addresses) and one on host loopback.
        $TOP/tests/integration/netns-hosts.sh $INTRANET_HOST
        systemd-run --unit=test-ceil-http --collect -p Type=exec -p NetworkNamespacePath=/run/netns/omt-hosts \
                /usr/bin/python3 -m http.server --bind 0.0.0.0 $PORT --directory /srv >/dev/null
        systemd-run --unit=test-ceil-http-lo --collect -p Type=exec \
                /usr/bin/python3 -m http.server --bind 127.0.0.1 $PORT --directory /srv >/dev/null
        # What the attacker runs in the session: try both and print what answered.
        cat >$PROBE <<'PROBE'
for h in $INTRANET_HOST 127.0.0.1; do
        if timeout 3 /usr/bin/python3 -c \"import socket; socket.create_connection(('\$h', $PORT), 3)\" 2>/dev/null
        then echo \"\$h=open\"; else echo \"\$h=blocked\"; fi
done
PROBE
        chmod 0644 $PROBE
"
wait_until 10 /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1)"
ALICE_UID=$(testbed_run id -u alice)

props() {        # UNIT PROPERTY... : their values on one line, in the order asked
        local unit=$1; shift
        testbed_run sh -c "for p in $*; do systemctl show -P \$p $unit; done | tr '\n' ' ' | sed 's/ \$//'"
}

# Runs openmonoctl run as USER with ARGS and a command that says it ran; prints one line:
# "rc=N ran=0|1 said: <everything openmonoctl printed>".
attempt() {     # USER WORKSPACE-OR-PROJECT-ARGS... [run options...]
        local user=$1; shift
        testbed_run sh -c "out=\$($(printf '%q ' runuser -u "$user" -- openmonoctl run --pipe "$@" -- /bin/sh -c 'echo SESSION-RAN') 2>&1); rc=\$?
                printf 'rc=%s ran=%s said: %s\n' \$rc \$(echo \"\$out\" | grep -c SESSION-RAN) \"\$(echo \"\$out\" | tr '\n' ' ')\""
}
# Passes if the attempt exits with RC, never ran, and said something matching REGEX.
refused() {     # DESCRIPTION RC REGEX USER ARGS...
        local desc=$1 rc=$2 regex=$3 out; shift 3
        out=$(attempt "$@")
        note "$1 ${*:2}: $out"
        check_output "$desc" "^rc=$rc ran=0 said: .*$regex" echo "$out"
}
allowed() {     # DESCRIPTION USER ARGS...
        local desc=$1; shift
        check_output "$desc" "^rc=0 ran=1 said: " attempt "$@"
}

echo "# Network: what no plain user gets, in any spelling"
refused "--allow 0.0.0.0/0 is refused" 4 "0\.0\.0\.0/0 is every address" alice -w $WS --allow 0.0.0.0/0
refused "--allow ::/0 is refused" 4 "::/0 is every address" alice -w $WS --allow ::/0
refused "--allow 127.0.0.0/8 is refused" 4 "includes loopback addresses" alice -w $WS --allow 127.0.0.0/8
refused "--allow ::ffff:127.0.0.1 is refused" 4 "includes loopback addresses" alice -w $WS --allow ::ffff:127.0.0.1
refused "--allow ::1 is refused" 4 "loopback" alice -w $WS --allow ::1
refused "--allow 169.254.169.254 is refused" 4 "link-local and cloud metadata" alice -w $WS --allow 169.254.169.254
refused "--allow fd00:ec2::254 is refused" 4 "cloud metadata" alice -w $WS --allow fd00:ec2::254
refused "--allow 224.0.0.0/4 is refused" 4 "multicast" alice -w $WS --allow 224.0.0.0/4
refused "an address outside the ceiling is refused, naming it" 4 \
        "198\.51\.100\.1/32 exceeds the ceiling set in /etc/openmono/openmono.conf" \
        alice -w $WS --network allowlist --allow 198.51.100.1/32
refused "--network internet is refused" 4 "Only administrators" alice -w $WS --network internet
allowed "an address inside the ceiling is fine" alice -w $WS --network allowlist --allow $INTRANET_HOST/32

echo "# Network: through projects"
check_output "alice cannot add a project of her own with Allow=0.0.0.0/0" "^rc=4 .*0\.0\.0\.0/0 is every address" \
        sh -c "out=\$(runuser -u alice -- openmonoctl project add ceilwide -w $WS --allow 0.0.0.0/0 2>&1); echo rc=\$? \$out"
# As if written before ceilings existed: the controller checks it again at every start.
testbed_run sh -ec "printf '[Project]\nOwner=alice\nWorkspace=$WS\n[Sandbox]\nAllow=0.0.0.0/0\n' >/var/lib/openmono/projects/ceilwide.project
        chmod 0600 /var/lib/openmono/projects/ceilwide.project"
refused "the sessions of such a project are refused" 4 "Allow= of project 'ceilwide' 0\.0\.0\.0/0 is every address" alice -p ceilwide
check "alice adds a project with Allow= outside the ceiling" \
        testbed_run runuser -u alice -- openmonoctl project add ceilout -w $WS --network allowlist --allow 198.51.100.0/24
refused "... and its sessions are refused" 4 "Allow= of project 'ceilout' 198\.51\.100\.0/24 exceeds the ceiling" alice -p ceilout
refused "a site project with no Network= cannot be widened to 0.0.0.0/0" 4 "is every address" \
        alice -p ceilsite --allow 0.0.0.0/0
refused "... nor to an address outside the site's ceiling" 4 "exceeds the ceiling set in /etc/openmono/openmono.conf" \
        alice -p ceilsite --allow 198.51.100.1/32
refused "... nor to the internet" 4 "Only administrators.*at most network 'intranet'" alice -p ceilsite --network internet
allowed "... but narrowed it runs" alice -p ceilsite --network none

echo "# Network: usage errors"
refused "--network none with --allow is a usage error" 2 "reaches no addresses" alice -w $WS --network none --allow $INTRANET_HOST
refused "--network allowlist without --allow is a usage error" 2 "needs at least one" alice -w $WS --network allowlist

echo "# Attacker's view: loopback stays out of reach (positive control first)"
# The session prints what answered; openmonoctl's exit status follows.
probe_session() {       # RUN-OPTIONS...
        testbed_run sh -c "runuser -u alice -- openmonoctl run --pipe -w $WS $* -- /bin/sh $PROBE 2>&1; echo rc=\$?" |
                tr '\n' ' ' | sed 's/ $//'
}
out=$(probe_session --network allowlist --allow $INTRANET_HOST/32)
note "session with --allow $INTRANET_HOST/32 printed: $out"
check_output "positive control: the listener answers on the intranet address, loopback does not" \
        "^$INTRANET_HOST=open 127\.0\.0\.1=blocked rc=0$" echo "$out"
for spelling in 127.0.0.1/32 127.0.0.0/8 ::ffff:127.0.0.1; do
        out=$(probe_session --network allowlist --allow $INTRANET_HOST/32 --allow $spelling)
        note "session with --allow $INTRANET_HOST/32 --allow $spelling printed: $out"
        check_output "a session that asks for $spelling does not reach host loopback" "rc=4$" echo "$out"
        check_output "... and nothing in it reached the listener on 127.0.0.1" "^loopback-open=0$" \
                echo "loopback-open=$(grep -o '127\.0\.0\.1=open' <<<"$out" | wc -l)"
done

echo "# Limits: only lower, never higher"
refused "--memory-max 64T is refused, naming the ceiling" 4 \
        "memory_max 64T exceeds the ceiling MemoryMaxCeiling=4G set in /etc/openmono/openmono.conf" alice -w $WS --memory-max 64T
refused "--tasks-max 4000000 is refused" 4 "tasks_max 4000000 exceeds the ceiling TasksMaxCeiling=512" \
        alice -w $WS --tasks-max 4000000
refused "--runtime-max 3650d is refused" 4 "runtime_max_usec .* exceeds the ceiling RuntimeMaxSecCeiling=4h" \
        alice -w $WS --runtime-max 3650d
refused "--cpu-quota 102400% is refused" 4 "cpu_quota_percent 102400% exceeds the ceiling CPUQuotaCeiling=" \
        alice -w $WS --cpu-quota 102400%
refused "on an administrator's project its MemoryMax= is the ceiling" 4 \
        "memory_max 3G exceeds the ceiling MemoryMax=2G set in project 'ceilsite'" alice -p ceilsite --memory-max 3G
refused "... and 64T is refused there too" 4 "memory_max 64T exceeds" alice -p ceilsite --memory-max 64T
refused "... as are 4000000 tasks" 4 "tasks_max 4000000 exceeds" alice -p ceilsite --tasks-max 4000000
refused "... 3650 days" 4 "runtime_max_usec .* exceeds" alice -p ceilsite --runtime-max 3650d
refused "... and 102400% CPU" 4 "cpu_quota_percent 102400% exceeds" alice -p ceilsite --cpu-quota 102400%
refused "--memory-max 0 is a usage error" 2 "Invalid value for --memory-max: '0'" alice -w $WS --memory-max 0
refused "--tasks-max 0 is a usage error" 2 "Invalid value for --tasks-max: '0'" alice -w $WS --tasks-max 0
refused "--runtime-max 0 is a usage error" 2 "Invalid value for --runtime-max" alice -w $WS --runtime-max 0
refused "--cpu-quota 0% is a usage error" 2 "Invalid value for --cpu-quota" alice -w $WS --cpu-quota 0%
refused "--memory-max -1 is a usage error" 2 "Invalid value for --memory-max" alice -w $WS --memory-max=-1
check_output "project add --tasks-max 0 is a usage error too" "^rc=2 .*Invalid value for --tasks-max: '0'" \
        sh -c "out=\$(runuser -u alice -- openmonoctl project add ceilzero -w $WS --tasks-max 0 2>&1); echo rc=\$? \$out"

# Straight to the controller, past openmonoctl's own checks.
varlink_start() {       # USER PARAMETERS-JSON: prints the error and its parameter
        testbed_run runuser -u "$1" -- /usr/bin/python3 -c "
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect('/run/openmono/io.openmono.Manager')
p = json.loads(sys.argv[1])
s.sendall(json.dumps({'method': 'io.openmono.Manager.StartSession', 'parameters': p}).encode() + b'\0')
buf = b''
while not buf.endswith(b'\0'):
        buf += s.recv(4096)
r = json.loads(buf[:-1])
print(r.get('error'), r.get('parameters', {}).get('parameter'), r.get('parameters', {}).get('message'))" "$2"
}
check_output "the controller refuses memory_max 0 as InvalidParameter" \
        "^org.varlink.service.InvalidParameter memory_max" varlink_start alice \
        '{"project": "ceilsite", "command": ["/bin/true"], "memory_max": 0}'
check_output "... tasks_max -1 too" "^org.varlink.service.InvalidParameter tasks_max" varlink_start alice \
        '{"project": "ceilsite", "command": ["/bin/true"], "tasks_max": -1}'
check_output "... network none with allow names allow" "^org.varlink.service.InvalidParameter allow" varlink_start alice \
        '{"project": "ceilsite", "command": ["/bin/true"], "network": "none", "allow": ["10.10.0.3/32"]}'
check_output "... allowlist without allow names allow" "^org.varlink.service.InvalidParameter allow" varlink_start alice \
        '{"project": "ceilsite", "command": ["/bin/true"], "network": "allowlist"}'
check_output "... and a huge memory_max is ExceedsCeiling" "^io.openmono.Manager.ExceedsCeiling .*MemoryMax=2G" \
        varlink_start alice '{"project": "ceilsite", "command": ["/bin/true"], "memory_max": 70368744177664}'

echo "# Lowered limits reach the unit"
ID=$(testbed_run runuser -u alice -- openmonoctl run --detach -w $WS --memory-max 1G --tasks-max 100 \
        --cpu-quota 50% --runtime-max 10min -- /bin/sleep 60)
check_output "MemoryMax=1G, TasksMax=100, CPUQuota=50%, RuntimeMaxSec=10min on the unit" \
        "^1073741824 100 500ms 10min$" props openmono-session-$ID.service MemoryMax TasksMax CPUQuotaPerSecUSec RuntimeMaxUSec
check_output "the user's slice has the default per-user totals" "^infinity 4096 infinity$" props openmono-u$ALICE_UID.slice MemoryMax TasksMax CPUQuotaPerSecUSec
check_output "openmono.slice caps all sessions together" "^[0-9]+ [0-9]+$" props openmono.slice MemoryMax TasksMax
testbed_run systemctl stop "openmono-session-$ID.service" || true

echo "# Administrators"
allowed "an administrator may raise a limit above the ceiling" carol -w $CWS --memory-max 8G --cpu-quota 102400%
allowed "... and use the internet" carol -w $CWS --network internet
allowed "... and list addresses outside the ceiling" carol -w $CWS --network allowlist --allow 198.51.100.1/32
refused "... but no allow list holds loopback, even theirs" 4 "includes loopback addresses" carol -w $CWS --allow 127.0.0.1

echo "# The site's ceilings and per-user totals from openmono.conf"
testbed_run sh -ec "printf '[Sessions]\nAllowCeiling=198.51.100.0/24\nMemoryMaxCeiling=6G\n[UserSlice]\nMemoryMax=6G\nTasksMax=1000\nCPUQuota=150%%\n' >$CONF
        systemctl try-reload-or-restart openmonod.service"
allowed "AllowCeiling= lets users list more" alice -w $WS --network allowlist --allow 198.51.100.1/32
allowed "MemoryMaxCeiling= lets users ask for more than the default" alice -w $WS --memory-max 5G
refused "... up to the ceiling" 4 "memory_max 7G exceeds the ceiling MemoryMaxCeiling=6G" alice -w $WS --memory-max 7G
check_output "the user's slice carries the [UserSlice] totals" "^6442450944 1000 1\.5" props openmono-u$ALICE_UID.slice MemoryMax TasksMax CPUQuotaPerSecUSec

testbed_run sh -c "rm -f $CONF $SITE $PROBE; systemctl try-reload-or-restart openmonod.service
        runuser -u alice -- openmonoctl project remove ceilwide; runuser -u alice -- openmonoctl project remove ceilout
        systemctl stop test-ceil-http.service test-ceil-http-lo.service" >/dev/null 2>&1 || true
