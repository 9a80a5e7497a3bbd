# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# The OpenMono test bed: boots this machine's own OS as a throw-away systemd container, so
# integration tests drive a real service manager, a real system bus and a real polkit even
# on hosts whose PID 1 is not systemd. Source this file; it defines functions only.
#
#   testbed_boot                  mount a volatile root, boot it, create the test users
#   testbed_install BUILDDIR      meson install BUILDDIR inside and set it up like a package
#   testbed_run CMD...            run CMD inside as root
#   testbed_run_as USER CMD...    run CMD inside as USER, without a login session
#   testbed_teardown              power off, unmount, remove; safe to call more than once
#   testbed_is_running            true if the bed is up
#   testbed_bind_for DIR          prints DIR if it must go into TESTBED_BIND to be seen inside
#
# The root is an overlay whose lower layer is the host's "/" and whose upper layer lives on
# a tmpfs, so the build tree is visible at the same path inside and nothing the bed writes
# reaches the host. Several beds with different names may run at the same time.
#
# Settings (environment variables, read when a function runs):
#   TESTBED_NAME          machine name, also names the state directory (default: openmono-test)
#   TESTBED_STATE_ROOT    where each bed keeps its mounts, PIDs and log (default: /run/openmono-testbed)
#   TESTBED_KEEP=1        do not tear the bed down when the calling script exits
#   TESTBED_BOOT_TIMEOUT  seconds to wait for the boot to finish (default: 120)
#   TESTBED_TIMEOUT       seconds any one testbed_run may take, 0 = unlimited (default: 0)
#   TESTBED_TMPFS_SIZE    size of the tmpfs holding the writable layer (default: 50%)
#   TESTBED_BIND          directories to bind into the bed at the same path, separated by
#                         spaces; needed only for trees that are not on the root file system,
#                         which the overlay does not show (see testbed_bind_for)

# The machine name is a host name to nspawn and part of our paths: letters, digits, dashes.
_tb_name() {
        local name=${TESTBED_NAME:-openmono-test}
        if ! [[ $name =~ ^[A-Za-z0-9][A-Za-z0-9-]{0,62}$ ]]; then
                echo "testbed: invalid machine name '$name'" >&2
                return 1
        fi
        echo "$name"
}

_tb_dir() {
        local name
        name=$(_tb_name) || return 1
        echo "${TESTBED_STATE_ROOT:-/run/openmono-testbed}/$name"
}

_tb_log() {
        echo "testbed: $*" >&2
}

_tb_now_ms() {
        echo $(($(date +%s%N) / 1000000))
}

# Prints seconds with one decimal for a duration in milliseconds.
_tb_secs() {
        printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100))
}

# True if PID exists and is not a zombie (kill -0 succeeds on zombies, which would make a
# dead nspawn look alive until its parent reaps it).
_tb_alive() {
        local pid=$1 stat
        [[ $pid =~ ^[0-9]+$ ]] || return 1
        stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
        stat=${stat##*) }
        [ "${stat%% *}" != Z ]
}

# The process start time (field 22 of /proc/PID/stat) tells a PID from a later reuse of it.
_tb_starttime() {
        local stat
        stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
        stat=${stat##*) }
        # After the comm field, field 3 (state) is the first word; starttime is field 22.
        echo "$stat" | cut -d' ' -f20
}

# PID of this bed's systemd-nspawn, found from its own command line ("-D <our root>"), so a
# crashed run's nspawn is found even when its PID file is gone, and no other bed is touched.
_tb_find_nspawn() {
        local root=$1 p cmdline
        for p in /proc/[0-9]*; do
                [ "$(cat "$p/comm" 2>/dev/null)" = systemd-nspawn ] || continue
                cmdline=$(tr '\0' '\n' <"$p/cmdline" 2>/dev/null) || continue
                if grep -qxF -- "$root" <<<"$cmdline" && _tb_alive "${p#/proc/}"; then
                        echo "${p#/proc/}"
                        return 0
                fi
        done
        return 1
}

# Children of PID, from the parent field of /proc/*/stat (/proc/PID/task/*/children needs a
# kernel option that not every kernel has).
_tb_children() {
        local parent=$1 p stat
        for p in /proc/[0-9]*; do
                stat=$(cat "$p/stat" 2>/dev/null) || continue
                stat=${stat##*) }
                stat=${stat#* }
                [ "${stat%% *}" = "$parent" ] && echo "${p#/proc/}"
        done
        return 0
}

# The container's init is the child of nspawn that runs in a PID namespace of its own and
# has executed systemd. Before that, the child is still nspawn's own setup code.
_tb_find_leader() {
        local nspawn=$1 c
        for c in $(_tb_children "$nspawn"); do
                [ "$(readlink "/proc/$c/ns/pid")" != "$(readlink /proc/self/ns/pid)" ] || continue
                [ "$(cat "/proc/$c/comm" 2>/dev/null)" = systemd ] || continue
                echo "$c"
                return 0
        done
        return 1
}

# Prints the leader PID of the running bed, or fails with a message if there is none.
_tb_leader() {
        local dir pid
        dir=$(_tb_dir) || return 1
        pid=$(cat "$dir/leader.pid" 2>/dev/null) || pid=
        if ! _tb_alive "$pid"; then
                _tb_log "no running test bed named '$(_tb_name)' (boot one with testbed_boot)"
                return 1
        fi
        echo "$pid"
}

# True if a bed with this name is up.
testbed_is_running() {
        local dir pid
        dir=$(_tb_dir) || return 1
        pid=$(cat "$dir/leader.pid" 2>/dev/null) || return 1
        _tb_alive "$pid"
}

# nspawn wants a system bus on the host even with --register=no. Start one if nothing
# answers; it stays up afterwards because other beds may be using it.
_tb_host_bus() {
        local lock
        lock="${TESTBED_STATE_ROOT:-/run/openmono-testbed}/.host-bus.lock"
        (
                flock -w 30 9 || true
                if timeout 5 dbus-send --system --print-reply --dest=org.freedesktop.DBus \
                        /org/freedesktop/DBus org.freedesktop.DBus.GetId >/dev/null 2>&1; then
                        exit 0
                fi
                _tb_log "no system bus on the host, starting dbus-daemon --system"
                mkdir -p /run/dbus
                # A crashed daemon leaves its PID file and socket behind and a new one refuses
                # to start over them.
                rm -f /run/dbus/pid /run/dbus/system_bus_socket
                dbus-daemon --system --fork
        ) 9>"$lock"
}

_tb_mounted() {
        findmnt -rn -M "$1" >/dev/null 2>&1
}

_tb_umount() {
        local m=$1 i
        for i in 1 2 3 4 5; do
                _tb_mounted "$m" || return 0
                umount "$m" 2>/dev/null && return 0
                sleep 0.5
        done
        # Something still holds it open (a shell cd'ed into the bed, say): detach it so the
        # next boot starts clean; the kernel frees it when the last user goes.
        _tb_log "$m is busy, detaching it lazily"
        umount -l "$m"
}

# Stops the bed whose nspawn is NSPAWN_PID: an orderly poweroff first, then signals.
_tb_stop_nspawn() {
        local nspawn=$1 leader=$2 i
        if _tb_alive "$leader"; then
                timeout 10 nsenter -t "$leader" -a systemctl poweroff --no-block >/dev/null 2>&1 || true
        fi
        for ((i = 0; i < ${TESTBED_STOP_TIMEOUT:-30} * 10; i++)); do
                _tb_alive "$nspawn" || break
                sleep 0.1
        done
        if _tb_alive "$nspawn"; then
                # nspawn turns SIGTERM into another poweroff request; SIGKILL on the container's
                # init takes the whole PID namespace with it.
                _tb_log "the bed did not power off in time, killing it"
                kill -TERM "$nspawn" 2>/dev/null || true
                sleep 3
                _tb_alive "$leader" && kill -KILL "$leader" 2>/dev/null
                _tb_alive "$nspawn" && kill -KILL "$nspawn" 2>/dev/null
                for ((i = 0; i < 50; i++)); do
                        _tb_alive "$nspawn" || break
                        sleep 0.1
                done
        fi
        # Reap it if it is our child, so it does not linger as a zombie.
        wait "$nspawn" 2>/dev/null || true
}

# Powers the bed off and removes its mounts. Safe to call more than once, for a bed that
# never finished booting, and for leftovers of a run that crashed or was killed.
testbed_teardown() {
        local - dir nspawn leader
        set +e
        dir=$(_tb_dir) || return 1
        [ -d "$dir" ] || return 0
        nspawn=$(cat "$dir/nspawn.pid" 2>/dev/null)
        if ! _tb_alive "$nspawn" || [ "$(cat "/proc/$nspawn/comm" 2>/dev/null)" != systemd-nspawn ]; then
                nspawn=$(_tb_find_nspawn "$dir/fs/root")
        fi
        leader=$(cat "$dir/leader.pid" 2>/dev/null)
        if [ -n "$nspawn" ]; then
                [ -n "$leader" ] || leader=$(_tb_find_leader "$nspawn")
                _tb_stop_nspawn "$nspawn" "$leader"
        fi
        _tb_umount "$dir/fs/root"
        _tb_umount "$dir/fs"
        # Keep nspawn's log for post-mortems; the next boot with this name removes it.
        rm -rf "$dir/fs" "$dir/nspawn.pid" "$dir/leader.pid" "$dir/owner"
        # nspawn's mount propagation directory for this name, if nspawn could not remove it.
        rmdir "/run/systemd/nspawn/propagate/$(_tb_name)" 2>/dev/null
        return 0
}

# An EXIT trap must not change the script's exit status.
_tb_on_exit() {
        local rc=$?
        testbed_teardown
        exit "$rc"
}

# A bed of this name may be left over from a run that crashed. Remove it, unless the process
# that booted it is still alive: then someone else is using that name right now.
_tb_cleanup_leftovers() {
        local dir pid start
        dir=$(_tb_dir) || return 1
        [ -d "$dir" ] || return 0
        if read -r pid start 2>/dev/null <"$dir/owner" && [ "$pid" != "$$" ] &&
           _tb_alive "$pid" && [ "$(_tb_starttime "$pid")" = "$start" ]; then
                _tb_log "a bed named '$(_tb_name)' is in use by PID $pid; set TESTBED_NAME to another name"
                return 1
        fi
        if [ -e "$dir/fs" ] || [ -e "$dir/nspawn.pid" ]; then
                _tb_log "cleaning up the leftovers of an earlier bed named '$(_tb_name)'"
                testbed_teardown
        fi
        rm -f "$dir/nspawn.log"
}

# The bed's PATH: the pyenv shims a host may have under /root would be run by units too,
# which cannot execute them (see TESTBED.md).
_TB_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# Prints DIR if the overlay of "/" would not show it, so a caller can add it to
# TESTBED_BIND; prints nothing otherwise. The overlay misses trees on other mounts, and
# anything below /tmp: systemd-nspawn mounts a fresh tmpfs there, over the lower layer's
# /tmp (binds are applied after it, so a bound tree shows through).
testbed_bind_for() {
        local dir
        dir=$(realpath "$1") || return 1
        if [ "$(findmnt -n -o TARGET -T "$dir")" != / ] || [[ $dir == /tmp/* ]]; then
                echo "$dir"
        fi
}

# Runs CMD inside the bed as root with a clean environment, stdin/stdout/stderr passed
# through. Returns CMD's exit status. With TESTBED_TIMEOUT set, a command that runs longer
# is killed, returns 124 and says so on stderr.
testbed_run() {
        local leader limit=${TESTBED_TIMEOUT:-0} start rc=0
        leader=$(_tb_leader) || return 125
        local cmd=(nsenter -t "$leader" -a env -i PATH="$_TB_PATH" HOME=/root USER=root
                   LOGNAME=root SHELL=/bin/bash LANG=C.UTF-8 TERM="${TERM:-dumb}"
                   SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@")
        if [ "$limit" = 0 ]; then
                "${cmd[@]}"
                return
        fi
        start=$(_tb_now_ms)
        timeout -k 10 "$limit" "${cmd[@]}" || rc=$?
        if [ "$rc" = 124 ] && [ $(($(_tb_now_ms) - start)) -ge $((limit * 1000)) ]; then
                echo "testbed_run: timed out after ${limit}s: $*" >&2
        fi
        return "$rc"
}

# Runs CMD inside the bed as USER (uid, gid and supplementary groups of USER) from USER's
# home directory. There is no login session: no XDG_RUNTIME_DIR, no user manager, no
# inherited environment, which is how a caller of openmonoctl must be able to work.
testbed_run_as() {
        local user=$1 gid
        shift
        gid=$(testbed_run id -g "$user") || return 125
        testbed_run setpriv --reuid="$user" --regid="$gid" --init-groups --reset-env \
                /bin/sh -c 'cd "$HOME" 2>/dev/null || cd /; exec "$@"' sh "$@"
}

# Creates an unprivileged test user with a home directory unless it exists.
_tb_add_user() {
        testbed_run sh -ec "id -u '$1' >/dev/null 2>&1 || useradd --create-home --shell /bin/bash '$1'"
}

# Waits until the bed's systemd has finished booting. Prints the state on stdout.
_tb_wait_booted() {
        local dir=$1 nspawn=$2 deadline state leader=
        deadline=$(($(_tb_now_ms) + ${TESTBED_BOOT_TIMEOUT:-120} * 1000))
        while [ "$(_tb_now_ms)" -lt "$deadline" ]; do
                if ! _tb_alive "$nspawn"; then
                        _tb_log "systemd-nspawn exited during boot"
                        return 1
                fi
                if [ -z "$leader" ] && leader=$(_tb_find_leader "$nspawn"); then
                        echo "$leader" >"$dir/leader.pid"
                fi
                if [ -n "$leader" ]; then
                        state=$(timeout 10 nsenter -t "$leader" -a systemctl is-system-running 2>/dev/null) || true
                        case "$state" in
                        running|degraded)
                                echo "$state"
                                return 0 ;;
                        stopping|offline|maintenance)
                                _tb_log "the bed's systemd is '$state' instead of booting"
                                return 1 ;;
                        esac
                fi
                sleep 0.2
        done
        _tb_log "the bed did not finish booting within ${TESTBED_BOOT_TIMEOUT:-120}s (state: ${state:-unknown})"
        return 1
}

_tb_boot_failed() {
        local dir=$1
        _tb_log "boot failed; the end of $dir/nspawn.log:"
        tail -n 40 "$dir/nspawn.log" 2>/dev/null | sed 's/^/    /' >&2
        testbed_teardown
        return 1
}

# Boots the bed and creates the test users alice and bob (unprivileged) and carol (made an
# administrator by testbed_install once the admin group exists). Unless TESTBED_KEEP=1, an
# EXIT trap tears it down again when the calling script ends, however it ends.
testbed_boot() {
        local dir name root start state nspawn
        name=$(_tb_name) || return 1
        dir=$(_tb_dir) || return 1
        if [ "$(id -u)" != 0 ]; then
                _tb_log "the test bed needs root (mounts and systemd-nspawn)"
                return 1
        fi
        mkdir -p "$dir"
        _tb_cleanup_leftovers || return 1
        echo "$$ $(_tb_starttime $$)" >"$dir/owner"
        if [ "${TESTBED_KEEP:-0}" != 1 ]; then
                trap _tb_on_exit EXIT
                trap 'exit 130' INT
                trap 'exit 143' TERM
        fi

        start=$(_tb_now_ms)
        root="$dir/fs/root"
        mkdir -p "$dir/fs"
        mount -t tmpfs -o "mode=0755,size=${TESTBED_TMPFS_SIZE:-50%}" "testbed-$name" "$dir/fs" ||
                { _tb_boot_failed "$dir"; return 1; }
        mkdir "$dir/fs/upper" "$dir/fs/work" "$root"
        mount -t overlay "testbed-$name" \
                -o "lowerdir=/,upperdir=$dir/fs/upper,workdir=$dir/fs/work" "$root" ||
                { _tb_boot_failed "$dir"; return 1; }
        # Without a machine ID of the host's, the bed's systemd makes up its own.
        rm -f "$root/etc/machine-id"
        _tb_host_bus || { _tb_boot_failed "$dir"; return 1; }

        # The unified hierarchy, the bpf system call and CAP_BPF/CAP_NET_ADMIN make
        # IPAddressAllow=/IPAddressDeny= work inside; without them systemd accepts the
        # properties and filters nothing. setsid keeps a terminal's ^C away from nspawn, so
        # the EXIT trap can power the bed off in order.
        local binds=() b
        for b in ${TESTBED_BIND:-}; do
                binds+=("--bind=$b")
        done
        SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 setsid systemd-nspawn -D "$root" --boot \
                --machine="$name" --register=no --keep-unit --link-journal=no --private-network \
                --system-call-filter=bpf --capability=CAP_BPF,CAP_NET_ADMIN "${binds[@]}" \
                </dev/null >"$dir/nspawn.log" 2>&1 &
        nspawn=$!
        echo "$nspawn" >"$dir/nspawn.pid"

        state=$(_tb_wait_booted "$dir" "$nspawn") || { _tb_boot_failed "$dir"; return 1; }
        _tb_log "'$name' booted in $(_tb_secs $(($(_tb_now_ms) - start)))s ($state, init is PID $(cat "$dir/leader.pid") on the host)"
        if [ "$state" = degraded ]; then
                _tb_log "failed units in the bed (the bed still works):"
                testbed_run systemctl --failed --no-legend --plain 2>&1 | sed 's/^/    /' >&2 || true
        fi

        if ! { _tb_add_user alice && _tb_add_user bob && _tb_add_user carol; }; then
                _tb_log "could not create the test users"
                _tb_boot_failed "$dir"
                return 1
        fi
}

# Installs a configured and built meson build directory into the bed the way a package
# would land: files, system users, tmpfiles, catalog, units; enables openmonod.socket if
# the build has it. carol joins the admin group once sysusers has created it.
testbed_install() {
        local builddir start tmpfiles
        builddir=$(realpath "${1:?testbed_install: missing BUILDDIR}") || return 1
        start=$(_tb_now_ms)
        if ! testbed_run test -f "$builddir/meson-info/intro-installed.json"; then
                _tb_log "$builddir is not a meson build directory visible inside the bed"
                return 1
        fi
        testbed_run meson install -C "$builddir" --no-rebuild --quiet || return 1
        testbed_run systemd-sysusers || return 1
        # Only our own tmpfiles.d entries: the host's full set includes lines that cannot
        # apply in a container, and that is not what we are testing.
        tmpfiles=$(testbed_run sh -c 'for f in /usr/lib/tmpfiles.d/openmono*.conf /etc/tmpfiles.d/openmono*.conf; do
                [ -e "$f" ] && basename "$f"; done | sort -u')
        if [ -n "$tmpfiles" ]; then
                # shellcheck disable=SC2086 # one word per file name
                testbed_run systemd-tmpfiles --create $tmpfiles || return 1
        fi
        testbed_run journalctl --update-catalog || return 1
        testbed_run systemctl daemon-reload || return 1
        if testbed_run getent group openmono-admin >/dev/null; then
                testbed_run usermod -a -G openmono-admin carol || return 1
        fi
        if testbed_run systemctl cat openmonod.socket >/dev/null 2>&1; then
                testbed_run systemctl enable --now openmonod.socket || return 1
        else
                _tb_log "this build has no openmonod.socket; not enabling it"
        fi
        if testbed_run systemctl cat openmono-gatewayd.socket >/dev/null 2>&1; then
                testbed_run systemctl enable --now openmono-gatewayd.socket || return 1
        fi
        _tb_log "installed $builddir in $(_tb_secs $(($(_tb_now_ms) - start)))s"
}
