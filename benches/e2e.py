#!/usr/bin/env python3
"""End-to-end benchmark: every real command over the same posts, beside the parse-only floor.

The posts are crisislex-t6 replayed N times (`pulse replay crisislex-t6 --loop N --max`; each pass
shifted past the previous one in time, so the stream is *sparse*: 13.5 years of data time at N = 20)
and the same posts made *dense* (their times rewritten to 10,000 posts per 10 minutes, in order).
In alternating rounds (each command once per round, so a noisy neighbour hits them all alike) it
runs:

* floor: typed serde_json parse of the JSONL (`pulse-core`'s `parse_floor` example);
* `pulse replay FILE --max > /dev/null`;
* `pulse analyze FILE > /dev/null`;
* `pulse trends FILE --bucket 10m` on the sparse and on the dense posts (a report every 10 min);
* `pulse serve --replay FILE --max --loop 1 --workers 2` (analysis, trends and the search index),
  timed from start until it has counted and indexed every post and written the checkpoint that
  follows the end of the replay;
* `kafka` (only when asked for with `--only`, and with `tansu` on the PATH): the distributed path on
  a Tansu broker of its own — the posts are produced to a 4-partition topic first (not timed), then
  2 `pulse ingest` workers and a `pulse query` node start, timed until the node has merged every post;
  CPU and max RSS are the workers' and the node's together (the broker's are left out).

and prints, per command, the best and median posts per second of CPU time (user + system, all
threads), wall-clock posts per second, the largest max RSS, and the ratio of its CPU rate to the
floor's in the same round. CPU time is what a 2-core box pays; wall time shows what threads buy.

    PULSE_DATA_DIR=../shared/replay-data python3 benches/e2e.py [--loops 20] [--rounds 3] [--only replay,trends-dense]
    PULSE_DATA_DIR=../shared/replay-data python3 benches/e2e.py --loops 2 --only kafka

Builds `target/release/pulse` and the floor first (release profile).
"""

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PULSE = os.path.join(ROOT, "target", "release", "pulse")
FLOOR = os.path.join(ROOT, "target", "release", "examples", "parse_floor")


def build():
    subprocess.run(["cargo", "build", "--release", "-p", "pulse", "--bin", "pulse", "-p", "pulse-core", "--example", "parse_floor"],
                   cwd=ROOT, check=True)


def make_inputs(work, loops):
    """The sparse replay of crisislex-t6 × loops, and the same posts dense in time."""
    sparse = os.path.join(work, f"t6x{loops}.jsonl")
    if not os.path.exists(sparse):
        with open(sparse, "w") as out:
            subprocess.run([PULSE, "replay", "crisislex-t6", "--loop", str(loops), "--max"], stdout=out,
                           stderr=subprocess.DEVNULL, check=True)
    dense = os.path.join(work, f"t6x{loops}-dense.jsonl")
    if not os.path.exists(dense):
        start = 1_700_000_000
        with open(sparse) as src, open(dense, "w") as out:
            for i, line in enumerate(src):
                post = json.loads(line)
                at = start + i * 600 // 10_000
                post["created_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))
                out.write(json.dumps(post, separators=(",", ":")) + "\n")
    with open(sparse) as f:
        posts = sum(1 for _ in f)
    return sparse, dense, posts


def timed(argv, stdout=subprocess.DEVNULL):
    """Runs argv under /usr/bin/time; (wall s, cpu s, max RSS MiB)."""
    started = time.monotonic()
    proc = subprocess.run(["/usr/bin/time", "-f", "%U %S %M"] + argv, stdout=stdout, stderr=subprocess.PIPE,
                          text=True)
    wall = time.monotonic() - started
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{proc.stderr[-2000:]}")
    user, system, rss_kb = proc.stderr.strip().splitlines()[-1].split()
    return wall, float(user) + float(system), int(rss_kb) / 1024


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def metric(base, name):
    try:
        text = urllib.request.urlopen(f"{base}/metrics", timeout=2).read().decode()
    except OSError:
        return None
    total = None
    for line in text.splitlines():
        if line.startswith(name) and line[len(name):len(name) + 1] in (" ", "{"):
            total = (total or 0) + float(line.rsplit(" ", 1)[1])
    return total


def cpu_seconds(pid):
    """User + system seconds of a process and its threads, from /proc."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve(path, posts):
    """`pulse serve --max --loop 1` until every post is in the trend state and the index: when the
    replay has ended, serve waits for the ingest threads to count every post, commits the index and
    writes a checkpoint, and says so on standard error ("checkpoint written after post N")."""
    with tempfile.TemporaryDirectory() as state:
        port = free_port()
        log = os.path.join(state, "serve.log")
        started = time.monotonic()
        with open(log, "w") as err:
            proc = subprocess.Popen([PULSE, "serve", "--replay", path, "--max", "--loop", "1", "--workers", "2",
                                     "--listen", f"127.0.0.1:{port}", "--state-dir", os.path.join(state, "s")],
                                    stdout=subprocess.DEVNULL, stderr=err)
        try:
            while f"checkpoint written after post {posts}" not in open(log).read():
                if proc.poll() is not None:
                    sys.exit(f"pulse serve exited early:\n{open(log).read()[-2000:]}")
                if time.monotonic() - started > 3600:
                    sys.exit("pulse serve did not finish within an hour")
                time.sleep(0.05)
            wall = time.monotonic() - started
            cpu = cpu_seconds(proc.pid)
            rss = int(re.search(r"VmHWM:\s+(\d+)", open(f"/proc/{proc.pid}/status").read()).group(1)) / 1024
        finally:
            proc.terminate()
            proc.wait()
    return wall, cpu, rss


def kafka(path, posts):
    """The posts of `path` through Kafka: 2 ingest workers and a query node (see the docstring)."""
    with tempfile.TemporaryDirectory() as work:
        port = free_port()
        brokers = f"127.0.0.1:{port}"
        procs = []
        try:
            broker = subprocess.Popen(["tansu", "broker", "--listener-url", f"tcp://{brokers}",
                                       "--advertised-listener-url", f"tcp://{brokers}",
                                       "--storage-engine", "memory://tansu/"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(broker)
            time.sleep(1)
            args = ["--brokers", brokers, "--topic", "posts", "--rollups", "rollups", "--dlq", "dlq", "--group", "g"]
            subprocess.run([PULSE, "topics", "create", "--partitions", "4"] + args, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            # One record per batch: Tansu 0.6 serves fetches only from batch starts (README, Tansu notes).
            env = dict(os.environ, PULSE_KAFKA_BATCH_NUM_MESSAGES="1")
            subprocess.run([PULSE, "replay", path, "--max", "--to", "kafka"] + args, check=True, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            qport = free_port()
            node = subprocess.Popen([PULSE, "query"] + args + ["--listen", f"127.0.0.1:{qport}", "--state-dir",
                                                               os.path.join(work, "q")],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(node)
            while metric(f"http://127.0.0.1:{qport}", "pulse_posts_ingested_total") is None:
                time.sleep(0.1)
            started = time.monotonic()
            workers = []
            for _ in range(2):
                workers.append(subprocess.Popen([PULSE, "ingest"] + args + ["--listen", f"127.0.0.1:{free_port()}"],
                                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            procs.extend(workers)
            while metric(f"http://127.0.0.1:{qport}", "pulse_posts_ingested_total") != posts:
                if any(w.poll() is not None for w in workers):
                    sys.exit("an ingest worker exited")
                if time.monotonic() - started > 3600:
                    sys.exit("the Kafka path did not finish within an hour")
                time.sleep(0.05)
            wall = time.monotonic() - started
            cpu = sum(cpu_seconds(p.pid) for p in [node] + workers)
            rss = sum(int(re.search(r"VmHWM:\s+(\d+)", open(f"/proc/{p.pid}/status").read()).group(1))
                      for p in [node] + workers) / 1024
        finally:
            for p in reversed(procs):
                p.terminate()
                p.wait()
    return wall, cpu, rss


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loops", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated commands to run besides the floor")
    parser.add_argument("--work", default=os.path.join(ROOT, "target", "e2e"))
    args = parser.parse_args()
    build()
    os.makedirs(args.work, exist_ok=True)
    sparse, dense, posts = make_inputs(args.work, args.loops)
    commands = {
        "floor": lambda: timed([FLOOR, sparse]),
        "replay": lambda: timed([PULSE, "replay", sparse, "--max"]),
        "analyze": lambda: timed([PULSE, "analyze", sparse]),
        "trends-sparse": lambda: timed([PULSE, "trends", sparse, "--bucket", "10m"]),
        "trends-dense": lambda: timed([PULSE, "trends", dense, "--bucket", "10m"]),
        "serve": lambda: serve(sparse, posts),
        "kafka": lambda: kafka(sparse, posts),
    }
    only = [c for c in args.only.split(",") if c]
    # The Kafka path needs a broker binary and minutes per round: only when asked for.
    names = ["floor"] + [c for c in commands if c != "floor" and (c in only or (not only and c != "kafka"))]
    results = {name: [] for name in names}
    for round_ in range(args.rounds):
        for name in names:
            wall, cpu, rss = commands[name]()
            results[name].append((wall, cpu, rss))
            print(f"round {round_ + 1} {name}: {wall:.1f} s wall, {cpu:.1f} s CPU, {rss:.0f} MiB", file=sys.stderr)
    floor_rates = [posts / cpu for _, cpu, _ in results["floor"]]
    print(f"\n{posts:,} posts (crisislex-t6 × {args.loops}), {args.rounds} rounds\n")
    print("| command | posts/s of CPU, best (median) | posts/s wall, best | max RSS | × floor (median of rounds) |")
    print("|---|---|---|---|---|")
    for name in names:
        rates = [posts / cpu for _, cpu, _ in results[name]]
        walls = [posts / wall for wall, _, _ in results[name]]
        ratios = [r / f for r, f in zip(rates, floor_rates)]
        rss = max(r for _, _, r in results[name])
        print(f"| {name} | {max(rates):,.0f} ({statistics.median(rates):,.0f}) | {max(walls):,.0f} | "
              f"{rss:,.0f} MiB | {statistics.median(ratios):.3f} |")


if __name__ == "__main__":
    main()
