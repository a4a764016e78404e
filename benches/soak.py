#!/usr/bin/env python3
"""Soak run of `pulse serve` (loopback only, bounded): everything a busy deployment meets at once.

For DURATION (default 30 minutes), against `pulse serve --max --loop 0` (the demo replay at full
speed, forever, each pass shifted in time):

* wrk (Debian's) on every route in turn (`/v1/stories`, `/v1/trends`, a story page, a topic,
  search, ask, `/healthz`, `/readyz`, `/metrics`), 8 connections;
* 200 event-stream clients that connect, read for 1 to 20 s, and leave, over and over;
* 20 slow clients that send a request head a few bytes at a time and never finish it, over and
  over (the server must cut them off);
* a `/healthz` probe ten times a second on its own connection, timing each answer;
* each route once a second on its own connection, tallying status codes;
* the server's resident memory every 10 s, total and anonymous (the rest is file pages, mostly the
  search index's memory-mapped segments, which follow the index's size).

Prints, and writes as JSON with --json: requests and non-2xx per route (a 503 refusal of a stream
over the cap counts apart), 5xx seen anywhere, the probe's p50/p99/max, and RSS after the warm-up
(the first fifth of the run) against its maximum and its value at the end, and against the warm-up's
high-water mark; the series of RSS and searchable posts every 10 s.

    PULSE_DATA_DIR=../shared/replay-data python3 benches/soak.py [--minutes 30] [--json out.json]
"""

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROUTES = [
    "/v1/stories", "/v1/trends?window=1h", "/v1/topics/boston", "/v1/search?q=explosion",
    "/v1/search?q=boston&sort=recent", "/v1/ask?q=what%20do%20people%20think%20about%20boston",
    "/healthz", "/readyz", "/metrics",
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def index_documents(port):
    """Searchable posts (`pulse_index_documents`), or None when /metrics does not answer."""
    try:
        status, body = get(port, "/metrics")
    except OSError:
        return None
    for line in body.decode(errors="replace").splitlines():
        if line.startswith("pulse_index_documents "):
            return int(float(line.split()[1]))
    return None


def rss_kib(pid):
    """Resident memory in KiB: (total, anonymous). The difference is file pages, mostly the search
    index's memory-mapped segments, which the kernel can drop and which follow the index's size."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "RssAnon"):
                fields[name] = int(value.split()[0])
    return fields.get("VmRSS", 0), fields.get("RssAnon", 0)


def get(port, path, timeout=5.0):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class Soak:
    def __init__(self, port, pid, seconds):
        self.port, self.pid, self.seconds = port, pid, seconds
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.server_errors = 0
        self.streams = {"opened": 0, "refused": 0, "errors": 0}
        self.slow = {"sent": 0, "cut_off": 0}
        self.probe_ms = []
        self.rss = []
        self.documents = []
        self.routes = {}
        self.statuses = {}

    def streamer(self):
        rng = random.Random()
        while not self.stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=30) as s:
                    s.sendall(b"GET /v1/stream HTTP/1.1\r\nHost: soak\r\n\r\n")
                    head = s.recv(64)
                    with self.lock:
                        if head.startswith(b"HTTP/1.1 200"):
                            self.streams["opened"] += 1
                        elif head.startswith(b"HTTP/1.1 503"):
                            self.streams["refused"] += 1
                        elif head.startswith(b"HTTP/1.1 5"):
                            self.server_errors += 1
                    until = time.time() + rng.uniform(1, 20)
                    while time.time() < until and not self.stop.is_set():
                        s.settimeout(max(0.1, until - time.time()))
                        try:
                            if not s.recv(65536):
                                break
                        except socket.timeout:
                            break
            except OSError:
                with self.lock:
                    self.streams["errors"] += 1
                time.sleep(0.5)

    def slowloris(self):
        while not self.stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=60) as s:
                    s.sendall(b"GET /v1/trends HTTP/1.1\r\n")
                    with self.lock:
                        self.slow["sent"] += 1
                    for n in range(1000):
                        if self.stop.is_set():
                            return
                        s.sendall(f"X-Slow-{n}: 1\r\n".encode())
                        time.sleep(1)
            except OSError:
                with self.lock:
                    self.slow["cut_off"] += 1

    def probe(self):
        while not self.stop.is_set():
            started = time.perf_counter()
            try:
                status, _ = get(self.port, "/healthz")
            except OSError:
                status = 0
            elapsed = (time.perf_counter() - started) * 1000
            with self.lock:
                self.probe_ms.append(elapsed)
                if status >= 500 or status == 0:
                    self.server_errors += 1
            time.sleep(0.1)

    def statuses_per_route(self):
        """Each route once a second on its own, tallying status codes (wrk counts only non-2xx)."""
        while not self.stop.is_set():
            for route in ROUTES:
                try:
                    status, _ = get(self.port, route)
                except OSError:
                    status = 0
                with self.lock:
                    counts = self.statuses.setdefault(route, {})
                    counts[str(status)] = counts.get(str(status), 0) + 1
                    if status >= 500 or status == 0:
                        self.server_errors += 1
            self.stop.wait(1)

    def memory(self):
        while not self.stop.is_set():
            self.rss.append((time.time(), rss_kib(self.pid)))
            self.documents.append(index_documents(self.port))
            self.stop.wait(10)

    def load(self, deadline):
        i = 0
        while time.time() < deadline:
            route = ROUTES[i % len(ROUTES)]
            i += 1
            out = subprocess.run(
                ["wrk", "-t1", "-c8", "-d10s", "--latency", f"http://127.0.0.1:{self.port}{route}"],
                capture_output=True, text=True).stdout
            requests = next((int(l.split()[0]) for l in out.splitlines() if "requests in" in l), 0)
            non2xx = next((int(l.split()[-1]) for l in out.splitlines() if "Non-2xx" in l), 0)
            entry = self.routes.setdefault(route, {"requests": 0, "non_2xx": 0})
            entry["requests"] += requests
            entry["non_2xx"] += non2xx

    def run(self):
        workers = [threading.Thread(target=self.streamer, daemon=True) for _ in range(200)]
        workers += [threading.Thread(target=self.slowloris, daemon=True) for _ in range(20)]
        workers += [threading.Thread(target=t, daemon=True) for t in (self.probe, self.memory, self.statuses_per_route)]
        for w in workers:
            w.start()
        started = time.time()
        self.load(started + self.seconds)
        self.stop.set()
        self.rss.append((time.time(), rss_kib(self.pid)))
        return started


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--pulse", default=os.path.join(ROOT, "target/release/pulse"))
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()
    port = free_port()
    state = tempfile.mkdtemp()
    server = subprocess.Popen(
        [args.pulse, "serve", "--max", "--loop", "0", "--listen", f"127.0.0.1:{port}", "--state-dir", state],
        stderr=open(os.path.join(state, "serve.log"), "w"))
    try:
        for _ in range(100):
            try:
                if get(port, "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        soak = Soak(port, server.pid, args.minutes * 60)
        started = soak.run()
        warm = started + args.minutes * 60 / 5
        after_warmup = [kib for at, (kib, _) in soak.rss if at >= warm]
        anon = [kib for at, (_, kib) in soak.rss if at >= warm]
        # The replay cycles through busy and quiet days of data every few minutes, so memory moves
        # within a band; the warm-up's high-water mark is the top of that band once every part of
        # the data has been through the window, and growth past it is what a leak would show.
        warmup_peak = max(kib for at, (kib, _) in soak.rss if at < warm)
        warmup_anon_peak = max(kib for at, (_, kib) in soak.rss if at < warm)
        probe = sorted(soak.probe_ms)
        result = {
            "minutes": args.minutes,
            "routes": soak.routes,
            "statuses": soak.statuses,
            "server_errors": soak.server_errors,
            "streams": soak.streams,
            "slow_clients": soak.slow,
            "healthz_ms": {
                "count": len(probe),
                "p50": round(statistics.median(probe), 2),
                "p99": round(probe[int(len(probe) * 0.99) - 1], 2),
                "max": round(probe[-1], 2),
            },
            "rss_mib": {
                "after_warmup": round(after_warmup[0] / 1024, 1),
                "max_after_warmup": round(max(after_warmup) / 1024, 1),
                "end": round(after_warmup[-1] / 1024, 1),
                "growth_after_warmup": round(max(after_warmup) / after_warmup[0] - 1, 3),
                "anon_after_warmup": round(anon[0] / 1024, 1),
                "anon_max_after_warmup": round(max(anon) / 1024, 1),
                "anon_end": round(anon[-1] / 1024, 1),
                "anon_growth_after_warmup": round(max(anon) / anon[0] - 1, 3),
                "warmup_peak": round(warmup_peak / 1024, 1),
                "growth_over_warmup_peak": round(max(after_warmup) / warmup_peak - 1, 3),
                "anon_warmup_peak": round(warmup_anon_peak / 1024, 1),
                "anon_growth_over_warmup_peak": round(max(anon) / warmup_anon_peak - 1, 3),
            },
            # Every 10 s: seconds since the start, RSS and anonymous RSS in MiB, searchable posts.
            "series": [
                [round(at - started), round(kib / 1024, 1), round(anon_kib / 1024, 1), docs]
                for (at, (kib, anon_kib)), docs in zip(soak.rss, soak.documents + [None])
            ],
            "server_alive": server.poll() is None,
        }
        print(json.dumps(result, indent=1))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result, f, indent=1)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
