#!/usr/bin/env python3
"""What `pulse serve`'s checkpoints cost: the same posts ingested with a checkpoint every
`--interval` and with none but the last, in alternating rounds.

The posts are the first `--posts` of crisislex-t6 × 20 made dense in time (10,000 posts per 10
minutes; the input `benches/e2e.py` builds), so the engine holds a full day of busy buckets, the
largest state a checkpoint copies. Each run is `pulse serve --replay FILE --max --loop 1 --workers 2`,
timed until `/metrics` shows every post merged into the trend state; its checkpoint log lines
(`PULSE_LOG=pulse_ingest=info`) give, per checkpoint, the engine's size, how long the ingest threads
took to work through their queue (drain), how long they then waited (pause: index commit and the
copy of the engine's state) and how long until the file was on disk.

    PULSE_DATA_DIR=../shared/replay-data python3 benches/checkpoint.py [--posts 1000000] [--rounds 2]
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import e2e


def run(path, posts, interval):
    """(wall seconds until every post is counted, [checkpoint log fields])."""
    with tempfile.TemporaryDirectory() as state:
        port = e2e.free_port()
        base = f"http://127.0.0.1:{port}"
        log = os.path.join(state, "serve.log")
        started = time.monotonic()
        with open(log, "w") as err:
            proc = subprocess.Popen([e2e.PULSE, "serve", "--replay", path, "--max", "--loop", "1", "--workers", "2",
                                     "--checkpoint-interval", interval, "--listen", f"127.0.0.1:{port}",
                                     "--state-dir", os.path.join(state, "s")],
                                    stdout=subprocess.DEVNULL, stderr=err,
                                    env={**os.environ, "PULSE_LOG": "pulse_ingest=info", "NO_COLOR": "1"})
            try:
                while (e2e.metric(base, "pulse_posts_ingested_total") or 0) < posts:
                    if proc.poll() is not None:
                        sys.exit("pulse serve exited early")
                    time.sleep(0.05)
                wall = time.monotonic() - started
            finally:
                proc.terminate()
                proc.wait()
        text = re.sub(r"\x1b\[[0-9;]*m", "", open(log).read())
        fields = [dict(re.findall(r"(\w+)=(\d+)", line)) for line in text.splitlines() if "engine_bytes=" in line]
    return wall, fields


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--interval", default="10s")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    e2e.build()
    work = os.path.join(e2e.ROOT, "target", "e2e")
    os.makedirs(work, exist_ok=True)
    _, dense, _ = e2e.make_inputs(work, 20)
    path = os.path.join(work, f"dense-{args.posts}.jsonl")
    if not os.path.exists(path):
        with open(dense) as src, open(path, "w") as out:
            for i, line in enumerate(src):
                if i == args.posts:
                    break
                out.write(line)
    walls = {args.interval: [], "none": []}
    checkpoints = []
    for round_ in range(args.rounds):
        for name, interval in [(args.interval, args.interval), ("none", "1000d")]:
            wall, fields = run(path, args.posts, interval)
            walls[name].append(wall)
            if name != "none":
                checkpoints.extend(fields)
            print(f"round {round_ + 1} every {name}: {wall:.1f} s, {len(fields)} checkpoints", file=sys.stderr)
    print(f"\n{args.posts:,} posts dense in time, 2 workers, {args.rounds} rounds\n")
    print("| checkpoints | wall s, median | posts/s |")
    print("|---|---|---|")
    for name, values in walls.items():
        median = statistics.median(values)
        print(f"| every {name} | {median:.1f} | {args.posts / median:,.0f} |")
    if checkpoints:
        def span(key, scale=1):
            values = [int(f[key]) / scale for f in checkpoints if key in f]
            return f"{min(values):,.0f}–{max(values):,.0f}"
        print(f"\nper checkpoint ({len(checkpoints)}): engine {span('engine_bytes', 1 << 20)} MiB, "
              f"drain {span('drain_ms')} ms, pause {span('pause_ms')} ms, on disk after {span('took_ms')} ms")


if __name__ == "__main__":
    main()
