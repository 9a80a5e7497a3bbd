#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""How the controller answers one user while another floods it.

Measures ListSessions latency (p50, p99, max) for USER over one connection, first with the
controller left alone, then while FLOODER
  - opens as many connections as the controller takes and on each pipelines calls whose
    replies it never reads (GetInterfaceDescription: a small call, a large reply), and
  - keeps calling StartSession (on /bin/true, in a directory of its own) on several more
    connections, so that the controller keeps talking to PID 1,
and reports the controller's resident memory before, at the peak of and after the flood.

Runs as root on a host whose PID 1 is systemd and where OpenMono is installed; on any other
machine run it in the test bed (scripts/testbed.sh run bench/controller-flood.py). The last
line is JSON; --check exits 1 unless flooded p99 < --p99-ms, the RSS growth stays under
--rss-mb and a client that pipelines calls and reads them only later gets every reply (what
tests/integration/test-flood.sh asserts, loosely).
"""

import argparse, json, os, pwd, select, signal, socket, subprocess, sys, time

SOCKET = "/run/openmono/io.openmono.Manager"


def controller_pid():
    out = subprocess.run(["systemctl", "show", "-P", "MainPID", "openmonod.service"],
                         capture_output=True, text=True).stdout.strip()
    return int(out or 0)


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def as_user(name, fn, *args):
    """Runs fn(*args) in a child process as user name; returns (pid, fd of its JSON result)."""
    pw = pwd.getpwnam(name)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        code = 0
        try:
            os.setgroups([])
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)
            res = fn(*args)
            os.write(w, json.dumps(res).encode())
        except BaseException as e:
            os.write(w, json.dumps({"error": repr(e)}).encode())
            code = 1
        os._exit(code)
    os.close(w)
    return pid, r


def collect(pid, fd):
    data = b""
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
    os.close(fd)
    os.waitpid(pid, 0)
    return json.loads(data or b"{}")


def call(s, method, parameters=None, fds=None):
    msg = json.dumps({"method": method, "parameters": parameters or {}}).encode() + b"\0"
    if fds:
        socket.send_fds(s, [msg], fds)
    else:
        s.sendall(msg)
    buf = b""
    while not buf.endswith(b"\0"):
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("controller closed the connection")
        buf += chunk
    return json.loads(buf[:-1])


def latencies(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(SOCKET)
    s.settimeout(30)
    out = []
    for _ in range(n):
        t = time.monotonic()
        reply = call(s, "io.openmono.Manager.ListSessions")
        out.append((time.monotonic() - t) * 1000)
        if "error" in reply:
            raise RuntimeError(reply["error"])
    return out


def pipeline_flood(connections, nbytes, hold):
    """Opens connections, pipelines calls on each until the controller stops reading, never reads."""
    one = json.dumps({"method": "org.varlink.service.GetInterfaceDescription",
                      "parameters": {"interface": "io.openmono.Manager"}}).encode() + b"\0"
    data = one * (nbytes // len(one) + 1)
    socks, sent, refused = [], 0, 0
    for _ in range(connections):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(SOCKET)
        except OSError:
            refused += 1
            continue
        s.setblocking(False)
        socks.append([s, 0])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        progress = False
        for entry in socks:
            s, off = entry
            if off >= len(data):
                continue
            try:
                k = s.send(data[off:off + 65536])
                entry[1] += k
                sent += k
                progress = True
            except BlockingIOError:
                pass
            except OSError:
                entry[1] = len(data)     # closed on us: refused or cut off
        if not progress:
            _, w, _ = select.select([], [e[0] for e in socks if e[1] < len(data)], [], 0.5)
            if not w:
                break
    time.sleep(hold)
    return {"connections": len(socks), "refused_connects": refused, "bytes_sent": sent}


def slow_reader(nbytes):
    """Pipelines calls until the controller stops reading, waits, then reads every reply."""
    one = json.dumps({"method": "org.varlink.service.GetInterfaceDescription",
                      "parameters": {"interface": "io.openmono.Manager"}}).encode() + b"\0"
    data = one * (nbytes // len(one))
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(SOCKET)
    s.setblocking(False)
    off = 0
    while off < len(data):
        try:
            off += s.send(data[off:off + 65536])
        except BlockingIOError:
            if not select.select([], [s], [], 1.0)[1]:
                break
    sent = off // len(one)
    time.sleep(1)
    s.setblocking(True)
    s.settimeout(10)
    replies = 0
    try:
        while replies < sent:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            replies += chunk.count(b"\0")
    except OSError:
        pass
    return {"calls": sent, "replies": replies}


def start_flood(seconds, workers, workspace):
    """Keeps calling StartSession from several connections, one call at a time on each."""
    deadline = time.monotonic() + seconds
    counts = {"started": 0, "refused": 0, "failed": 0}
    socks = []
    for _ in range(workers):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(SOCKET)
        s.settimeout(30)
        socks.append(s)
    while time.monotonic() < deadline:
        for s in socks:
            fd = os.open(workspace, os.O_RDONLY | os.O_DIRECTORY)
            try:
                reply = call(s, "io.openmono.Manager.StartSession", {"command": ["/bin/true"]}, [fd])
            except OSError:
                counts["failed"] += 1
                time.sleep(0.05)
                continue
            finally:
                os.close(fd)
            counts["started" if "error" not in reply else "refused"] += 1
    return counts


def stats(ms):
    ms = sorted(ms)
    pick = lambda q: round(ms[min(len(ms) - 1, int(q * len(ms)))], 2)
    return {"n": len(ms), "p50_ms": pick(0.50), "p99_ms": pick(0.99), "max_ms": round(ms[-1], 2)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--user", default="alice")
    ap.add_argument("--flooder", default="bob")
    ap.add_argument("--calls", type=int, default=500, help="ListSessions calls per measurement")
    ap.add_argument("--connections", type=int, default=40, help="flooding connections (more than allowed)")
    ap.add_argument("--bytes", type=int, default=2 << 20, help="pipelined bytes per flooding connection")
    ap.add_argument("--start-workers", type=int, default=4, help="connections calling StartSession")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--p99-ms", type=float, default=50)
    ap.add_argument("--rss-mb", type=float, default=64)
    a = ap.parse_args()

    home = pwd.getpwnam(a.flooder).pw_dir
    workspace = os.path.join(home, "flood-ws")
    os.makedirs(workspace, exist_ok=True)
    pw = pwd.getpwnam(a.flooder)
    os.chown(workspace, pw.pw_uid, pw.pw_gid)

    collect(*as_user(a.user, latencies, 5))        # socket-activates the controller
    pid = controller_pid()
    rss_before = rss_kb(pid)
    quiet = collect(*as_user(a.user, latencies, a.calls))
    if isinstance(quiet, dict):
        sys.exit("baseline failed: %s" % quiet)

    # The StartSession connections first: the pipelining ones then run into the per-user cap.
    starts = as_user(a.flooder, start_flood, 60, a.start_workers, workspace)
    time.sleep(0.5)
    flood = as_user(a.flooder, pipeline_flood, a.connections, a.bytes, 60)
    time.sleep(3)                                   # let the flood fill what it can
    peak = rss_kb(pid)
    measure = as_user(a.user, latencies, a.calls)
    flooded = None
    while flooded is None:
        r, _, _ = select.select([measure[1]], [], [], 0.1)
        peak = max(peak, rss_kb(pid))
        if r:
            flooded = collect(*measure)
    for p, _ in (flood, starts):
        os.kill(p, signal.SIGKILL)
    for (p, fd) in (flood, starts):
        os.close(fd)
        os.waitpid(p, 0)
    time.sleep(1)
    rss_after = rss_kb(pid)
    # A client that is only slow to read loses nothing: it is paused, not cut off.
    slow = collect(*as_user(a.flooder, slow_reader, a.bytes))
    alive = controller_pid() == pid

    if isinstance(flooded, dict):
        sys.exit("flooded measurement failed: %s" % flooded)
    res = {
        "quiet": stats(quiet),
        "flooded": stats(flooded),
        "rss_kb": {"before": rss_before, "peak": peak, "after": rss_after},
        "controller_survived": alive,
        "slow_reader": slow,
        "flood": {"connections": a.connections, "bytes_per_connection": a.bytes,
                  "start_workers": a.start_workers},
    }
    print("ListSessions as %s, %d calls each:" % (a.user, a.calls))
    for k in ("quiet", "flooded"):
        s = res[k]
        print("  %-8s p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms" % (k, s["p50_ms"], s["p99_ms"], s["max_ms"]))
    print("openmonod RSS: %d kB before, %d kB at the peak of the flood, %d kB after"
          % (rss_before, peak, rss_after))
    print("a slow reader pipelined %s calls and got %s replies" % (slow.get("calls"), slow.get("replies")))
    print(json.dumps(res))
    if a.check:
        ok = (res["flooded"]["p99_ms"] < a.p99_ms and alive and
              peak - rss_before < a.rss_mb * 1024 and
              slow.get("calls", 0) > 0 and slow.get("replies") == slow.get("calls"))
        sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
