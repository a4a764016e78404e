#!/usr/bin/env python3
"""Pulse beside the trend pipeline people build by hand on Redis, over the same posts.

The peer is `../shared/tools/peer_redis.py` (Python tokenising; per topic of each post a pipelined
`ZINCRBY` on the bucket's sorted set and a `PFADD` of the author into the topic's HyperLogLog). It
reads crisislex-t6 from its CSV files, `--loops` times over. Pulse reads the same posts from
`pulse replay crisislex-t6 --loop N --max` (made once, as `benches/e2e.py` makes its input).

In alternating rounds it runs:

* `peer`: a fresh `redis-server` (no persistence) and the peer script against it; its CPU is the
  script's plus the server's;
* `trends`: `pulse trends FILE --bucket 10m` (the real times: sparse, a report every 10 minutes);
* `trends-dense`: `pulse trends` on the same posts with their times rewritten to 10,000 posts per
  10 minutes (a busy live stream);
* `pipe`: `pulse replay crisislex-t6 --loop N --max | pulse trends - --bucket 10m`, the way the
  issue first compared them (CPU of both processes).

and prints posts/s (wall and CPU) per command and each Pulse command's ratio to the peer's rate in
the same round. The peer counts; Pulse also scores against baselines, groups stories, picks
headlines and measures sentiment, so the ratio is what a user gains, not like for like.

Needs Debian's `redis-server` and the `redis` Python package:

    apt-get install -y redis-server && pip install redis
    PULSE_DATA_DIR=../shared/replay-data python3 benches/redis_peer.py [--loops 2] [--rounds 3]
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import e2e

PEER = os.path.join(e2e.ROOT, "..", "shared", "tools", "peer_redis.py")


def data_dir():
    path = os.environ.get("PULSE_DATA_DIR")
    if not path or not os.path.isdir(os.path.join(path, "crisislex-t6")):
        sys.exit("PULSE_DATA_DIR must name the directory holding crisislex-t6/ (the peer reads its CSVs)")
    return path


def peer(loops, port):
    """The peer script against a fresh Redis on `port`; (wall s, CPU s of script + server, posts)."""
    with tempfile.TemporaryDirectory() as work:
        server = subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--appendonly", "no",
                                   "--dir", work], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True).stdout.strip() != "PONG":
                if time.monotonic() > deadline or server.poll() is not None:
                    sys.exit("redis-server did not start")
                time.sleep(0.05)
            server_cpu = e2e.cpu_seconds(server.pid)
            started = time.monotonic()
            proc = subprocess.run(["/usr/bin/time", "-f", "%U %S", sys.executable, PEER, data_dir(), str(loops),
                                   str(port)], capture_output=True, text=True)
            wall = time.monotonic() - started
            if proc.returncode != 0:
                sys.exit(f"the peer failed:\n{proc.stderr[-2000:]}")
            server_cpu = e2e.cpu_seconds(server.pid) - server_cpu
        finally:
            server.terminate()
            server.wait()
    user, system = proc.stderr.strip().splitlines()[-1].split()
    posts = int(re.search(r"redis peer: (\d+) posts", proc.stdout).group(1))
    return wall, float(user) + float(system) + server_cpu, posts


def pipe(loops):
    """`pulse replay crisislex-t6 --loop N --max | pulse trends - --bucket 10m`; (wall s, CPU s)."""
    started = time.monotonic()
    fmt = ["/usr/bin/time", "-f", "%U %S"]
    replay = subprocess.Popen(fmt + [e2e.PULSE, "replay", "crisislex-t6", "--loop", str(loops), "--max"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    trends = subprocess.Popen(fmt + [e2e.PULSE, "trends", "-", "--bucket", "10m"], stdin=replay.stdout,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    replay.stdout.close()
    _, trends_err = trends.communicate()
    _, replay_err = replay.communicate()
    wall = time.monotonic() - started
    if replay.returncode != 0 or trends.returncode != 0:
        sys.exit(f"the pipe failed:\n{replay_err[-1000:]}\n{trends_err[-1000:]}")
    cpu = sum(float(x) for err in (replay_err, trends_err) for x in err.strip().splitlines()[-1].split())
    return wall, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loops", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=6399)
    parser.add_argument("--work", default=os.path.join(e2e.ROOT, "target", "e2e"))
    args = parser.parse_args()
    for tool in ("redis-server", "redis-cli"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found: apt-get install -y redis-server")
    try:
        import redis  # noqa: F401  (the peer's client; fail here, before any round, if missing)
    except ImportError:
        sys.exit("the peer needs the redis package: pip install redis")
    data_dir()
    e2e.build()
    os.makedirs(args.work, exist_ok=True)
    sparse, dense, posts = e2e.make_inputs(args.work, args.loops)
    commands = {
        "trends": lambda: e2e.timed([e2e.PULSE, "trends", sparse, "--bucket", "10m"])[:2],
        "trends-dense": lambda: e2e.timed([e2e.PULSE, "trends", dense, "--bucket", "10m"])[:2],
        "pipe": lambda: pipe(args.loops),
    }
    results = {name: [] for name in ["peer", *commands]}
    for round_ in range(args.rounds):
        wall, cpu, peer_posts = peer(args.loops, args.port)
        if peer_posts != posts:
            sys.exit(f"the peer read {peer_posts} posts, Pulse's replay has {posts}: not the same posts")
        results["peer"].append((wall, cpu))
        for name, run in commands.items():
            results[name].append(run())
        last = ", ".join(f"{name} {runs[-1][0]:.1f} s wall / {runs[-1][1]:.1f} s CPU" for name, runs in results.items())
        print(f"round {round_ + 1}: {last}", file=sys.stderr)
    print(f"\n{posts:,} posts (crisislex-t6 × {args.loops}), {args.rounds} rounds\n")
    print("| command | posts/s wall, median | posts/s of CPU, median | × peer, wall (median of rounds) | × peer, CPU |")
    print("|---|---|---|---|---|")
    peer_wall = [posts / w for w, _ in results["peer"]]
    peer_cpu = [posts / c for _, c in results["peer"]]
    for name, runs in results.items():
        wall = [posts / w for w, _ in runs]
        cpu = [posts / c for _, c in runs]
        x_wall = statistics.median(a / b for a, b in zip(wall, peer_wall))
        x_cpu = statistics.median(a / b for a, b in zip(cpu, peer_cpu))
        print(f"| {name} | {statistics.median(wall):,.0f} | {statistics.median(cpu):,.0f} | {x_wall:.1f} | {x_cpu:.1f} |")


if __name__ == "__main__":
    main()
