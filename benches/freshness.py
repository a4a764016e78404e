#!/usr/bin/env python3
"""Freshness under full ingest: how long after `pulse serve` reads a post it is findable in search
and counted in its topic.

`pulse serve --replay - --max` reads posts from a pipe this script writes as fast as serve takes
them (the posts of `benches/e2e.py`'s dense file: a busy live stream). Every `--every` posts it
writes a marker: a copy of the post at hand with a new id and a unique hashtag (`#zqfreshN`), at
the same event time. The pipe holds at most 64 KiB (≈ 180 posts), so the time a write returns is
within a few milliseconds of serve reading it. A poller asks, for each marker not yet seen,

* `/v1/search?q=%23zqfreshN` until `total` is 1 (search freshness), and
* `/v1/topics/%23zqfreshN?window=1h` until it answers 200 (trend freshness: the post is counted).
  Topic and trend answers are over closed buckets (up to the watermark), so this is the time until
  the marker's bucket closes: on this compressed stream a 10-minute bucket passes in about half a
  second; on a live stream it is the bucket width plus the allowed lateness.

and the script prints the median, p99 and max of both latencies over all markers.

    PULSE_DATA_DIR=../shared/replay-data python3 benches/freshness.py [--posts 600000] [--every 2000] \
        [--commit-interval 250ms]

It also samples `/metrics` every 100 ms while it writes and prints the mean and largest depth of the
queue in front of the analysis threads and of the index writer's queue, the commits made and the
longest commit: under full load those queues stay full, and a marker waits behind them.

Builds `target/release/pulse` first; makes the dense file as `benches/e2e.py` does if missing.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import e2e


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, b""
    except OSError:
        return None, b""


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=600_000, help="posts of the dense file to write")
    parser.add_argument("--every", type=int, default=2000, help="a marker every this many posts")
    parser.add_argument("--loops", type=int, default=20, help="crisislex-t6 passes in the dense file")
    parser.add_argument("--commit-interval", help="the index's commit interval, e.g. 250ms (default: serve's)")
    parser.add_argument("--work", default=os.path.join(e2e.ROOT, "target", "e2e"))
    args = parser.parse_args()
    e2e.build()
    os.makedirs(args.work, exist_ok=True)
    _, dense, _ = e2e.make_inputs(args.work, args.loops)

    with tempfile.TemporaryDirectory() as state:
        port = e2e.free_port()
        base = f"http://127.0.0.1:{port}"
        log = open(os.path.join(state, "serve.log"), "w")
        config = []
        if args.commit_interval:
            with open(os.path.join(state, "pulse.toml"), "w") as f:
                f.write(f'[index]\ncommit_interval = "{args.commit_interval}"\n')
            config = ["--config", f.name]
        serve = subprocess.Popen([e2e.PULSE, "serve", "--replay", "-", "--max", "--workers", "2", "--listen",
                                  f"127.0.0.1:{port}", "--state-dir", os.path.join(state, "s")] + config,
                                 stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log)
        while get(f"{base}/healthz")[0] != 200:
            if serve.poll() is not None:
                sys.exit(f"pulse serve exited:\n{open(log.name).read()[-2000:]}")
            time.sleep(0.05)

        written = {}  # marker -> monotonic time its write returned
        lock = threading.Lock()
        done = threading.Event()
        search_lag, topic_lag = {}, {}

        def poll():
            while not (done.is_set() and len(search_lag) == len(written) and len(topic_lag) == len(written)):
                with lock:
                    pending = [(n, t) for n, t in written.items() if n not in search_lag or n not in topic_lag]
                for n, t in pending:
                    if n not in search_lag:
                        status, body = get(f"{base}/v1/search?q=%23zqfresh{n}&limit=1")
                        if status == 200 and json.loads(body).get("total", 0) >= 1:
                            search_lag[n] = time.monotonic() - t
                    if n not in topic_lag:
                        status, _ = get(f"{base}/v1/topics/{urllib.parse.quote(f'#zqfresh{n}')}?window=1h")
                        if status == 200:
                            topic_lag[n] = time.monotonic() - t
                    if time.monotonic() - t > 60:
                        print(f"marker {n} not found after 60 s", file=sys.stderr)
                        os._exit(1)
                time.sleep(0.005)

        depths = []  # (time, analysis queue, index queue, commits so far, last commit's seconds) every 100 ms

        def sample():
            while not done.is_set():
                status, body = get(f"{base}/metrics")
                if status == 200:
                    text = body.decode()
                    grab = lambda pattern: float((re.search(pattern, text, re.M) or [None, "nan"])[1])
                    depths.append((time.monotonic(), grab(r'^pulse_queue_depth\{queue="analysis"\} (\S+)'),
                                   grab(r'^pulse_queue_depth\{queue="index"\} (\S+)'),
                                   grab(r'^pulse_index_commits_total (\S+)'),
                                   grab(r'^pulse_index_last_commit_seconds (\S+)')))
                time.sleep(0.1)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.monotonic()
        markers = 0
        with open(dense) as src:
            for i, line in enumerate(src):
                if i >= args.posts:
                    break
                serve.stdin.write(line.encode())
                if i % args.every == args.every - 1:
                    post = json.loads(line)
                    post["id"] = f"fresh-{markers}"
                    post["text"] = f"{post['text']} #zqfresh{markers}"
                    serve.stdin.write((json.dumps(post) + "\n").encode())
                    serve.stdin.flush()
                    with lock:
                        written[markers] = time.monotonic()
                    markers += 1
        serve.stdin.flush()
        wall = time.monotonic() - started
        done.set()
        poller.join(timeout=120)
        serve.stdin.close()
        serve.terminate()
        serve.wait()

    print(f"\n{args.posts:,} posts written in {wall:.1f} s ({args.posts / wall:,.0f} posts/s), {markers} markers\n")
    if depths:
        at, analysis, index, commits, commit_s = zip(*depths)
        print(f"queues while writing ({len(depths)} samples): analysis mean {statistics.mean(analysis):,.0f} "
              f"max {max(analysis):,.0f}; index mean {statistics.mean(index):,.0f} max {max(index):,.0f}; "
              f"{commits[-1] - commits[0]:.0f} commits in {at[-1] - at[0]:.1f} s, the longest {max(commit_s):.2f} s\n")
    print("| found by | median | p99 | max |")
    print("|---|---|---|---|")
    for name, lags in (("search (`/v1/search`)", search_lag), ("its topic (`/v1/topics`)", topic_lag)):
        values = list(lags.values())
        print(f"| {name} | {statistics.median(values) * 1000:,.0f} ms | {percentile(values, 0.99) * 1000:,.0f} ms | "
              f"{max(values) * 1000:,.0f} ms |")


if __name__ == "__main__":
    main()
