#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Benchmarks openmono-egressd against a direct connection to the same upstream, in one run.

Sets up a network namespace with a veth pair (the upstream must not be on loopback or on one
of the host's own addresses: the proxy refuses those), runs bench/egress-target there and the
proxy from a build directory on a socket of its own, with a name for the target in /etc/hosts,
then measures:

  request     N requests one after another, each on a new connection: direct (TCP connect,
              request, answer) against the proxy (Unix connect, CONNECT with name resolution
              and the policy checks, request, answer); median and p95, and what the proxy adds
  round trip  N one-byte round trips on one open connection, direct and through a tunnel
  throughput  CLIENTS processes with CONNS connections each (200 in all by default) read
              MIB MiB per connection at once: MB/s direct and through the proxy, and the ratio,
              with the proxy's CPU time per GB moved. Twice: first CPU-bound (the veth pair at
              full speed: test server, proxy and clients share this machine's CPUs, so the
              ratio measures the proxy's kernel work per byte against the clients'), then
              link-bound (the test server's link shaped with tc tbf to each --link-rate, as a
              proxy in front of a real network sees it; each connection then reads as many MiB
              as take about three seconds in all)

The throughput goal (at least 90 % of direct) is judged on the link-bound ratio: in front of a
real network the link, not the proxy's CPU, bounds a tunnel, and the question is whether the
proxy keeps up with it. The CPU-bound ratio is printed next to it all the same: it is what the
proxy costs where nothing else is slower, and it is far below 90 % on a machine with 2 CPUs.

Each throughput client runs in a unit of its own placed exactly like a session of root's
(openmono-session-egbenchNN.service in openmono-u0.slice), so the proxy identifies it as
that session from the kernel, judges it by its own list in /run/openmono/egress/ and keeps
its counts, as for real sessions. They are not sessions started by openmonod (no sandbox, no
private network, no relay on the session's loopback: they reach the proxy's socket
directly); --no-sessions runs them as plain processes outside sessions instead. The request
and round-trip measurements run outside sessions, with AllowNonSession=yes.

Runs as root in the test bed (scripts/testbed.sh run bench/egress.py BUILDDIR). The last line
is JSON; --check exits 1 unless the added median request latency is under 1 ms and the
link-bound throughput through the proxy is at least 90 % of direct at every --link-rate.
"""

import argparse, json, os, selectors, shutil, socket, statistics, subprocess, sys, tempfile, time

NAME = "bench.allowed.test"
ADDR = "198.51.100.2"
PORT = 443
SOCK = "/run/openmono-egress-bench.sock"
POLICY_DIR = "/run/openmono/egress"
SESSION = "egbench%02d"


def sh(*cmd):
    subprocess.run(cmd, check=True)


def setup_network():
    teardown_network()
    sh("ip", "netns", "add", "egbench")
    sh("ip", "link", "add", "egb0", "type", "veth", "peer", "name", "egb1")
    sh("ip", "link", "set", "egb1", "netns", "egbench")
    sh("ip", "addr", "add", "198.51.100.1/24", "dev", "egb0")
    sh("ip", "link", "set", "egb0", "up")
    sh("ip", "netns", "exec", "egbench", "ip", "addr", "add", ADDR + "/24", "dev", "egb1")
    sh("ip", "netns", "exec", "egbench", "ip", "link", "set", "egb1", "up")
    sh("ip", "netns", "exec", "egbench", "ip", "link", "set", "lo", "up")


def teardown_network():
    subprocess.run(["ip", "link", "del", "egb0"], stderr=subprocess.DEVNULL)
    subprocess.run(["ip", "netns", "del", "egbench"], stderr=subprocess.DEVNULL)


def wait_for(f, what):
    for _ in range(100):
        try:
            f()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit("%s did not come up" % what)


def direct():
    s = socket.create_connection((ADDR, PORT))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def proxied():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(SOCK)
    s.sendall(b"CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (NAME.encode(), PORT, NAME.encode(), PORT))
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            raise OSError("proxy closed: %r" % head)
        head += chunk
    if not head.startswith(b"HTTP/1.1 200"):
        raise OSError("proxy refused: %r" % head)
    return s


def read_all(s):
    n = 0
    while True:
        b = s.recv(262144)
        if not b:
            return n
        n += len(b)


def one_request(connect):
    t = time.perf_counter()
    s = connect()
    s.sendall(b"R")
    read_all(s)
    s.close()
    return time.perf_counter() - t


def round_trips(connect, n):
    s = connect()
    s.sendall(b"P")
    out = []
    for _ in range(n):
        t = time.perf_counter()
        s.sendall(b"x")
        s.recv(1)
        out.append(time.perf_counter() - t)
    s.close()
    return out


def client(connect_name, conns, mib):
    """One throughput client: opens its connections, says "ready", reads one line, then reads
    MIB MiB on each connection at once and prints how many bytes it got."""
    connect = direct if connect_name == "direct" else proxied
    socks = [connect() for _ in range(conns)]
    print("ready", flush=True)
    sys.stdin.readline()
    sel = selectors.DefaultSelector()
    for s in socks:
        s.sendall(b"B" + bytes([mib]))
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    total, open_ = 0, len(socks)
    while open_:
        for key, _ in sel.select():
            b = key.fileobj.recv(262144)
            if b:
                total += len(b)
            else:
                sel.unregister(key.fileobj)
                key.fileobj.close()
                open_ -= 1
    print(total, flush=True)


def client_command(a, connect_name, i, mib):
    cmd = ["/usr/bin/python3", os.path.abspath(__file__), "--client", connect_name,
           "--conns", str(a.conns), "--mib", str(mib), a.builddir]
    if not a.sessions:
        return cmd
    return ["systemd-run", "--quiet", "--wait", "--pipe", "--collect", "--slice=openmono-u0.slice",
            "--unit=openmono-session-%s" % (SESSION % i), "-p", "Type=exec"] + cmd


def cpu_ticks(pid):
    """The user and system time of pid, and the whole machine's busy and total time, in ticks."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rpartition(")")[2].split()
    with open("/proc/stat") as f:
        cpu = [int(x) for x in f.readline().split()[1:]]
    return int(fields[11]), int(fields[12]), sum(cpu) - cpu[3] - cpu[4], sum(cpu)


def throughput(connect_name, a, proxy_pid, mib):
    procs = [subprocess.Popen(client_command(a, connect_name, i, mib), stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True) for i in range(a.clients)]
    for p in procs:
        if p.stdout.readline().strip() != "ready":
            sys.exit("%s: a client did not start" % connect_name)
    t, before = time.perf_counter(), cpu_ticks(proxy_pid)
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    total = sum(int(p.stdout.readline()) for p in procs)
    elapsed, after = time.perf_counter() - t, cpu_ticks(proxy_pid)
    for p in procs:
        p.wait()
    expected = a.clients * a.conns * mib * 1024 * 1024
    if total != expected:
        sys.exit("%s: read %d bytes, expected %d" % (connect_name, total, expected))
    hz = os.sysconf("SC_CLK_TCK")
    utime, stime, busy, all_ = (y - x for x, y in zip(before, after))
    return {"throughput_mbs": total / elapsed / 1e6,
            "proxy_user_s": utime / hz, "proxy_system_s": stime / hz,
            "proxy_cpu_s_per_gb": (utime + stime) / hz / (total / 1e9),
            "machine_busy": busy / all_ if all_ else 0.0}


def shape_link(rate):
    """Shapes what the test server sends (its side of the veth pair) to rate, or not at all."""
    cmd = ["ip", "netns", "exec", "egbench", "tc", "qdisc"]
    if rate:
        sh(*cmd, "replace", "dev", "egb1", "root", "tbf", "rate", rate, "burst", "256k", "latency", "50ms")
    else:
        subprocess.run(cmd + ["del", "dev", "egb1", "root"], stderr=subprocess.DEVNULL)


def rate_mbs(rate):
    """tc's "1gbit", "200mbit" in MB/s."""
    units = {"kbit": 1e3, "mbit": 1e6, "gbit": 1e9}
    for u, f in units.items():
        if rate.endswith(u):
            return float(rate[:-len(u)]) * f / 8 / 1e6
    sys.exit("--link-rate: %s: use kbit, mbit or gbit" % rate)


def link_mib(a, rate):
    """MiB per connection that take about three seconds in all at rate."""
    return max(1, min(255, round(rate_mbs(rate) * 1e6 * 3 / (a.clients * a.conns * 1024 * 1024))))


def write_policies(a):
    os.makedirs(POLICY_DIR, mode=0o750, exist_ok=True)
    for i in range(a.clients):
        with open(os.path.join(POLICY_DIR, SESSION % i + ".conf"), "w") as f:
            f.write("# openmono: egress policy of session %s\n[Session]\nAllowDomain=%s\n" % (SESSION % i, NAME))


def remove_policies(a):
    for i in range(a.clients):
        try:
            os.unlink(os.path.join(POLICY_DIR, SESSION % i + ".conf"))
        except FileNotFoundError:
            pass


def session_counts(a, countsdir):
    """Sums the proxy's counts files of the client sessions."""
    total = dict(allowed=0, denied=0, bytes_sent=0, bytes_received=0)
    for i in range(a.clients):
        try:
            with open(os.path.join(countsdir, SESSION % i)) as f:
                for line in f:
                    k, _, v = line.strip().partition("=")
                    total[k] += int(v)
        except FileNotFoundError:
            pass
    return total


def ms(x):
    return x * 1000


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("builddir")
    p.add_argument("-n", type=int, default=2000, help="requests and round trips (default 2000)")
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--conns", type=int, default=10, help="connections per client (default 10)")
    p.add_argument("--mib", type=int, default=16, help="MiB per connection (default 16)")
    p.add_argument("--link-rate", action="append", dest="link_rates",
                   help="a tc rate for a link-bound measurement (repeatable; default 1gbit and "
                   "200mbit; \"none\" for none)")
    p.add_argument("--congestion", help="TCP congestion control the test server sends with "
                   "(default: the system's), the same for direct and proxied connections")
    p.add_argument("--no-sessions", dest="sessions", action="store_false",
                   help="run the throughput clients outside sessions")
    p.add_argument("--check", action="store_true")
    p.add_argument("--client", choices=("direct", "proxy"), help=argparse.SUPPRESS)
    a = p.parse_args()
    a.link_rates = [r for r in (a.link_rates or ["1gbit", "200mbit"]) if r != "none"]
    if a.client:
        return client(a.client, a.conns, a.mib)

    target = os.path.join(a.builddir, "bench/egress-target")
    egressd = os.path.join(a.builddir, "src/egress/openmono-egressd")
    confdir = tempfile.mkdtemp(prefix="egress-bench-")
    with open(os.path.join(confdir, "openmono.conf"), "w") as f:
        f.write("[Sessions]\nAllowDomain=%s\n" % NAME)
    with open(os.path.join(confdir, "egress.conf"), "w") as f:
        f.write("[Egress]\nAllowNonSession=yes\nMaxConnectionsPerSession=%d\nMaxConnectionsPerUser=%d\n"
                % ((a.clients * a.conns + 10,) * 2))
    shutil.copy("/etc/hosts", confdir + "/hosts.orig")
    countsdir = os.path.join(confdir, "counts")
    os.mkdir(countsdir, 0o700)
    procs = []
    try:
        with open("/etc/hosts", "a") as f:
            f.write("%s %s\n" % (ADDR, NAME))
        setup_network()
        procs.append(subprocess.Popen(["ip", "netns", "exec", "egbench", target, ADDR, str(PORT)] +
                                      ([a.congestion] if a.congestion else [])))
        if a.sessions:
            write_policies(a)
        procs.append(subprocess.Popen([egressd, "--socket=" + SOCK, "--config-dir=" + confdir],
                                      env=dict(os.environ, OPENMONO_LOG_LEVEL="info",
                                               RUNTIME_DIRECTORY=countsdir)))
        wait_for(lambda: direct().close(), "the target")
        wait_for(lambda: proxied().close(), "the proxy")
        res = run(a, procs[-1].pid)
        time.sleep(1.5)         # the proxy writes its counts at most once a second
        res["counts"] = session_counts(a, countsdir)
    finally:
        for pr in procs:
            pr.terminate()
            pr.wait()
        shutil.copy(confdir + "/hosts.orig", "/etc/hosts")
        shutil.rmtree(confdir)
        remove_policies(a)
        teardown_network()
    report(a, res)


def run(a, proxy_pid):
    res = {}
    for name, connect in (("direct", direct), ("proxy", proxied)):
        for _ in range(50):
            one_request(connect)
        lat = sorted(one_request(connect) for _ in range(a.n))
        rtt = sorted(round_trips(connect, a.n))
        res[name] = {"request_median_ms": ms(statistics.median(lat)),
                     "request_p95_ms": ms(lat[int(len(lat) * 0.95)]),
                     "rtt_median_ms": ms(statistics.median(rtt)),
                     "rtt_p95_ms": ms(rtt[int(len(rtt) * 0.95)])}
    for name in ("direct", "proxy"):
        res[name].update(throughput(name, a, proxy_pid, a.mib))
    res["links"] = {}
    try:
        for rate in a.link_rates:
            shape_link(rate)
            mib = link_mib(a, rate)
            res["links"][rate] = {name: throughput(name, a, proxy_pid, mib) for name in ("direct", "proxy")}
            res["links"][rate]["mib"] = mib
    finally:
        shape_link(None)
    return res


def report(a, res):
    d, pr = res["direct"], res["proxy"]
    added = pr["request_median_ms"] - d["request_median_ms"]
    ratio = pr["throughput_mbs"] / d["throughput_mbs"]
    print("%-34s %12s %12s %12s" % ("", "direct", "proxy", "added/ratio"))
    print("%-34s %12.3f %12.3f %+12.3f" % ("request, new connection, median ms", d["request_median_ms"],
                                           pr["request_median_ms"], added))
    print("%-34s %12.3f %12.3f %+12.3f" % ("request, new connection, p95 ms", d["request_p95_ms"],
                                           pr["request_p95_ms"], pr["request_p95_ms"] - d["request_p95_ms"]))
    print("%-34s %12.3f %12.3f %+12.3f" % ("round trip in a tunnel, median ms", d["rtt_median_ms"],
                                           pr["rtt_median_ms"], pr["rtt_median_ms"] - d["rtt_median_ms"]))
    print("%-34s %12.0f %12.0f %11.1f%%" % ("CPU-bound, %d conns from %d, MB/s" % (a.clients * a.conns, a.clients),
                                            d["throughput_mbs"], pr["throughput_mbs"], ratio * 100))
    print("%-34s %12.0f %12.0f" % ("  machine busy during it, %", d["machine_busy"] * 100, pr["machine_busy"] * 100))
    who = ("%d units placed like sessions (not started by openmonod, no session relay)" % a.clients
           if a.sessions else "%d processes outside sessions (AllowNonSession=yes)" % a.clients)
    print("%-34s %12s %12.2f" % ("  proxy's CPU per GB moved, s", "", pr["proxy_cpu_s_per_gb"]))
    links = {}
    for rate, l in res["links"].items():
        ld, lp = l["direct"], l["proxy"]
        links[rate] = lp["throughput_mbs"] / ld["throughput_mbs"]
        print("%-34s %12.0f %12.0f %11.1f%%" % ("link-bound, tbf %s, MB/s" % rate, ld["throughput_mbs"],
                                                lp["throughput_mbs"], links[rate] * 100))
        print("%-34s %12s %12.2f" % ("  proxy's CPU per GB moved, s", "", lp["proxy_cpu_s_per_gb"]))
    judged = min(links.values()) if links else ratio
    print("throughput goal, at least 90 %% of direct: judged %s: %.1f %% (CPU-bound: %.1f %%)"
          % ("link-bound, the lowest over the rates" if links else "CPU-bound, no --link-rate",
             judged * 100, ratio * 100))
    print("throughput clients: %s; test server congestion control: %s" % (who, a.congestion or "system default"))
    if a.sessions:
        c = res["counts"]
        print("the proxy's counts files for them: allowed=%d denied=%d bytes_sent=%d bytes_received=%d"
              % (c["allowed"], c["denied"], c["bytes_sent"], c["bytes_received"]))
    ok = added < 1.0 and judged >= 0.9
    print(json.dumps({"direct": d, "proxy": pr, "added_request_median_ms": added,
                      "throughput_ratio": ratio, "throughput_ratio_cpu_bound": ratio,
                      "links": res["links"], "throughput_ratio_link_bound": links,
                      "throughput_ratio_judged": judged, "sessions": a.sessions, "congestion": a.congestion,
                      "counts": res.get("counts"), "goals_met": ok}))
    if a.check and not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
