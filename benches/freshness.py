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

    PULSE_DATA_DIR=../shared/replay-data python3 benches/freshness.py [--posts 600000] [--every 2000]

Builds `target/release/pulse` first; makes the dense file as `benches/e2e.py` does if missing.
"""

import argparse
import json
import os
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
    parser.add_argument("--work", default=os.path.join(e2e.ROOT, "target", "e2e"))
    args = parser.parse_args()
    e2e.build()
    os.makedirs(args.work, exist_ok=True)
    _, dense, _ = e2e.make_inputs(args.work, args.loops)

    with tempfile.TemporaryDirectory() as state:
        port = e2e.free_port()
        base = f"http://127.0.0.1:{port}"
        log = open(os.path.join(state, "serve.log"), "w")
        serve = subprocess.Popen([e2e.PULSE, "serve", "--replay", "-", "--max", "--workers", "2", "--listen",
                                  f"127.0.0.1:{port}", "--state-dir", os.path.join(state, "s")],
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

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
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
    print("| found by | median | p99 | max |")
    print("|---|---|---|---|")
    for name, lags in (("search (`/v1/search`)", search_lag), ("its topic (`/v1/topics`)", topic_lag)):
        values = list(lags.values())
        print(f"| {name} | {statistics.median(values) * 1000:,.0f} ms | {percentile(values, 0.99) * 1000:,.0f} ms | "
              f"{max(values) * 1000:,.0f} ms |")


if __name__ == "__main__":
    main()
