#!/usr/bin/env python3
"""Times Python vaderSentiment 3.3.2 and the Rust scorer on the same tweets, in the same run.

Texts: the 4,200 VADER paper tweets + the 2,000 TweetEval validation tweets (the `sentiment`
group of benches/analyze.rs reads the same files). Python is timed single-threaded (best of 3
passes); then the criterion bench runs (`cargo bench -p pulse-text --bench analyze`, short
settings) and its `RESULT` lines give the Rust rates. Prints texts/s for each and the ratios.

Usage (from the workspace root):
    pip install vaderSentiment==3.3.2
    CARGO_TARGET_DIR=/work/target-text python3 crates/pulse-text/scripts/bench_vs_python.py
"""
import os
import subprocess
import sys
import time

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
EVAL = os.environ.get("PULSE_EVAL_DIR", os.path.join(ROOT, "..", "shared", "eval", "sentiment"))


def texts():
    out = []
    with open(os.path.join(EVAL, "vader-tweets-groundtruth.tsv"), encoding="utf-8", newline="") as f:
        for line in f.read().split("\n"):
            if line.strip():
                out.append(line.rstrip("\r").split("\t", 2)[2])
    with open(os.path.join(EVAL, "tweeteval-val-text.txt"), encoding="utf-8") as f:
        out.extend(line.rstrip("\n") for line in f)
    return out


def python_rate(items):
    analyzer = SentimentIntensityAnalyzer()
    best = 0.0
    for _ in range(3):
        start = time.perf_counter()
        for t in items:
            analyzer.polarity_scores(t)
        best = max(best, len(items) / (time.perf_counter() - start))
    return best


def main():
    items = texts()
    py = python_rate(items)
    print("python vaderSentiment 3.3.2: %d texts, %.0f texts/s" % (len(items), py), flush=True)
    cmd = ["cargo", "bench", "-p", "pulse-text", "--bench", "analyze", "--",
           "--warm-up-time", "1", "--measurement-time", "3"] + sys.argv[1:]
    print("running:", " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    sys.stdout.write(proc.stdout)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        sys.exit(proc.returncode)
    results = {}
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            _, name, value = line.split()
            results[name] = float(value)
    print()
    print("python vaderSentiment     %10.0f texts/s" % py)
    for name in ("sentiment_pulse_text", "sentiment_vader_parity", "analyze_pulse_text"):
        if name in results:
            print("%-25s %10.0f texts/s  = %.1fx python" % (name, results[name], results[name] / py))


if __name__ == "__main__":
    main()
