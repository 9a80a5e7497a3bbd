#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Benchmarks openmono-gatewayd against the model server behind it.

Starts the scripted model server (tests/integration/fake-upstream.py) on loopback and the
gateway from a build directory on a socket of its own, then measures in one run:

  latency     N non-streamed requests one after another, direct and through the gateway:
              median and p95, and what the gateway adds;
  throughput  long streamed answers (thousands of server-sent events), direct and through
              the gateway: events and MB per second;
  fairness    four users (separate uids) start bursts of 40, 20, 8 and 8 requests a few ms
              apart while the upstream has 2 slots; Jain's index over the requests each
              user completed while all four were still waiting, and the light users' median
              wait, for the gateway's fair scheduler and for plain FIFO (--fifo);
  flood       one user (a separate uid) keeps 1100 half-sent requests open, reopening each
              one the gateway closes and dripping a header byte a second on the rest
              (tests/integration/gateway-flood.py), while another user sends requests one
              after another: their median and p99 latency with and without the flood.

Run as root (the fairness part runs its clients under other uids):

    bench/gateway.py BUILDDIR

Nothing leaves the machine: every server listens on 127.0.0.1 or a Unix socket.
"""

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "..", "tests", "integration", "fake-upstream.py")
FLOOD = os.path.join(HERE, "..", "tests", "integration", "gateway-flood.py")
PYTHON = "/usr/bin/python3"


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=120):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


def connection(target):
    if target.startswith("/"):
        return UnixHTTPConnection(target)
    host, port = target.split(":")
    return http.client.HTTPConnection(host, int(port), timeout=120)


def chat(target, model, stream=False, tag=""):
    """One request on a fresh connection; returns (seconds, body bytes, number of events)."""
    body = json.dumps({"model": model, "stream": stream, "user": tag,
                       "messages": [{"role": "user", "content": "benchmark me"}]})
    path = "/v1/chat/completions"
    c = connection(target)
    t0 = time.monotonic()
    c.request("POST", path, body, {"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    t = time.monotonic() - t0
    c.close()
    if r.status != 200:
        raise RuntimeError(f"{target}: HTTP {r.status}: {data[:200]!r}")
    return t, len(data), data.count(b"\ndata: ") + data.startswith(b"data: ")


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def wait_for(check, what, secs=10):
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not come up")


def start_gateway(gatewayd, workdir, name, extra_conf, fifo=False):
    confdir = os.path.join(workdir, name)
    os.makedirs(confdir)
    with open(os.path.join(confdir, "gateway.conf"), "w") as f:
        f.write(extra_conf)
    sock = os.path.join(workdir, name + ".sock")
    args = [gatewayd, "--socket", sock, "--config-dir", confdir] + (["--fifo"] if fifo else [])
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=open(os.path.join(workdir, name + ".log"), "w"),
                         env=dict(os.environ, OPENMONO_LOG_LEVEL="warning"))
    wait_for(lambda: os.path.exists(sock) and health(sock), "the gateway")
    return p, sock


def health(sock):
    c = UnixHTTPConnection(sock, timeout=2)
    c.request("GET", "/health")
    ok = c.getresponse().status == 200
    c.close()
    return ok


def bench_latency(direct, gw, n):
    res = {}
    for name, target in (("direct", direct), ("gateway", gw)):
        for _ in range(5):
            chat(target, "fake-model")          # warm up
        res[name] = [chat(target, "fake-model")[0] * 1000 for _ in range(n)]
    return res


def bench_throughput(direct, gw, n, events):
    res = {}
    for name, target in (("direct", direct), ("gateway", gw)):
        runs = [chat(target, f"long-{events}", stream=True) for _ in range(n)]
        secs = sum(r[0] for r in runs)
        res[name] = (sum(r[2] for r in runs) / secs, sum(r[1] for r in runs) / secs / 1e6)
    return res


def client_main(args):
    """Runs as one benchmark user: a burst of concurrent requests; prints their end times."""
    import threading
    ends = []
    lock = threading.Lock()

    def one(i):
        t0 = time.time()
        chat(args.client, args.model, tag=f"{os.getuid()}-{i}")
        with lock:
            ends.append((t0, time.time()))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(args.count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    json.dump(ends, sys.stdout)


def jain(xs):
    return sum(xs) ** 2 / (len(xs) * sum(x * x for x in xs)) if any(xs) else 0.0


def bench_fairness(sock, model):
    users = [(40001, 40), (40002, 20), (40003, 8), (40004, 8)]
    procs = []
    for uid, count in users:
        procs.append(subprocess.Popen(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                                       PYTHON, os.path.abspath(__file__), "--client", sock,
                                       "--count", str(count), "--model", model],
                                      stdout=subprocess.PIPE, text=True))
        time.sleep(0.02)                        # the heavy user is first at the door
    results = [json.loads(p.communicate()[0]) for p in procs]
    if any(p.returncode for p in procs):
        raise RuntimeError("a benchmark client failed")
    # The window in which every user still had work waiting: until the first one is done.
    window_end = min(max(end for _, end in r) for r in results)
    done = [sum(1 for _, end in r if end <= window_end) for r in results]
    light_wait = [e - s for r in results[2:] for s, e in r]
    return jain(done), done, statistics.median(light_wait) * 1000


def victim_series(sock, n):
    """n requests one after another; returns their latencies in ms and how many failed."""
    times, failed = [], 0
    for _ in range(n):
        try:
            times.append(chat(sock, "fake-model")[0] * 1000)
        except (OSError, RuntimeError, http.client.HTTPException):
            failed += 1
    return times, failed


def bench_flood(sock, n, seconds):
    quiet = victim_series(sock, n)
    flood = subprocess.Popen(["setpriv", "--reuid=40001", "--regid=40001", "--clear-groups", PYTHON, FLOOD,
                              "--socket", sock, "--seconds", str(seconds)], stdout=subprocess.PIPE, text=True)
    time.sleep(min(3, seconds / 4))             # the flood is at full strength
    loud = victim_series(sock, n)
    stats = json.loads(flood.communicate(timeout=seconds + 60)[0])
    return quiet, loud, stats


def print_flood(flood, n):
    quiet, loud, stats = flood
    print(f"{'victim under a flood (' + str(n) + ' requests)':<34}{'no flood':>12}{'flood':>12}")
    for name, f in (("median (ms)", statistics.median), ("p99 (ms)", lambda xs: percentile(xs, 99))):
        q = f(quiet[0]) if quiet[0] else float("nan")
        lo = f(loud[0]) if loud[0] else float("nan")
        print(f"{'  ' + name:<34}{q:>12.1f}{lo:>12.1f}")
    print(f"{'  failed':<34}{quiet[1]:>12}{loud[1]:>12}")
    print(f"{'  flooder: opened / refused':<34}{stats['opened']:>12}{stats['refused']:>12}")
    print(f"{'  flooder: longest held (s)':<34}{stats['longest_held_s']:>24.1f}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("builddir", nargs="?")
    p.add_argument("--requests", type=int, default=200, help="requests per latency series")
    p.add_argument("--streams", type=int, default=10, help="streams per throughput series")
    p.add_argument("--events", type=int, default=5000, help="events per stream")
    p.add_argument("--victim-requests", type=int, default=50, help="requests per flood series")
    p.add_argument("--flood-seconds", type=float, default=15, help="how long the flood lasts")
    p.add_argument("--only-flood", action="store_true", help="run only the flood part")
    p.add_argument("--port", type=int, default=18190)
    p.add_argument("--client", help=argparse.SUPPRESS)
    p.add_argument("--count", type=int, help=argparse.SUPPRESS)
    p.add_argument("--model", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.client:
        return client_main(args)
    if not args.builddir or os.getuid() != 0:
        p.error("needs BUILDDIR and root")
    gatewayd = os.path.join(args.builddir, "src", "gateway", "openmono-gatewayd")

    workdir = tempfile.mkdtemp(prefix="openmono-bench-gateway.")
    os.chmod(workdir, 0o755)                    # the fairness clients run as other users
    procs = []
    try:
        fake = subprocess.Popen([PYTHON, FAKE, "--port", str(args.port)], stderr=subprocess.DEVNULL)
        procs.append(fake)
        direct = f"127.0.0.1:{args.port}"
        wait_for(lambda: socket.create_connection(("127.0.0.1", args.port), 1).close() is None, "the fake upstream")
        conf = (f"[Gateway]\nAllowLocalUsers=yes\nMaxQueuedPerUser=100\n{{extra}}\n"
                f"[Upstream]\nName=fake\nURL=http://{direct}/v1\n")
        # The connection limits as shipped: the flooder is a local user like the victim.
        gw, sock = start_gateway(gatewayd, workdir, "flood", conf.format(extra=""))
        procs.append(gw)
        flood = bench_flood(sock, args.victim_requests, args.flood_seconds)
        gw.terminate()
        gw.wait()
        if args.only_flood:
            print_flood(flood, args.victim_requests)
            return 0

        gw, sock = start_gateway(gatewayd, workdir, "fair", conf.format(extra="MaxConcurrent=8\nPerUserConcurrent=8"))
        procs.append(gw)

        lat = bench_latency(direct, sock, args.requests)
        thr = bench_throughput(direct, sock, args.streams, args.events)
        gw.terminate()
        gw.wait()

        fair_conf = conf.format(extra="MaxConcurrent=2\nPerUserConcurrent=2")
        gw, sock = start_gateway(gatewayd, workdir, "rr", fair_conf)
        procs.append(gw)
        rr = bench_fairness(sock, "busy-50")
        gw.terminate()
        gw.wait()
        gw, sock = start_gateway(gatewayd, workdir, "fifo", fair_conf, fifo=True)
        procs.append(gw)
        fifo = bench_fairness(sock, "busy-50")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"openmono-gatewayd benchmark ({args.requests} requests, {args.streams} streams of "
          f"{args.events} events, {os.cpu_count()} CPUs)")
    print()
    print(f"{'request latency (ms)':<34}{'direct':>12}{'gateway':>12}{'added':>12}")
    for name, f in (("median", statistics.median), ("p95", lambda xs: percentile(xs, 95))):
        d, g = f(lat["direct"]), f(lat["gateway"])
        print(f"{'  ' + name:<34}{d:>12.2f}{g:>12.2f}{g - d:>+12.2f}")
    print(f"{'streaming throughput':<34}{'direct':>12}{'gateway':>12}{'ratio':>12}")
    print(f"{'  events/s':<34}{thr['direct'][0]:>12.0f}{thr['gateway'][0]:>12.0f}"
          f"{thr['gateway'][0] / thr['direct'][0]:>12.2f}")
    print(f"{'  MB/s':<34}{thr['direct'][1]:>12.2f}{thr['gateway'][1]:>12.2f}"
          f"{thr['gateway'][1] / thr['direct'][1]:>12.2f}")
    print(f"{'fairness, 4 users, 2 slots':<34}{'fair (RR)':>12}{'FIFO':>12}")
    print(f"{'  Jain index while all wait':<34}{rr[0]:>12.3f}{fifo[0]:>12.3f}")
    print(f"{'  done per user (40/20/8/8 sent)':<34}{'/'.join(map(str, rr[1])):>12}{'/'.join(map(str, fifo[1])):>12}")
    print(f"{'  light users median wait (ms)':<34}{rr[2]:>12.0f}{fifo[2]:>12.0f}")
    print_flood(flood, args.victim_requests)


if __name__ == "__main__":
    sys.exit(main())
