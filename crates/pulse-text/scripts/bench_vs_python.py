#!/usr/bin/env python3
"""Times Python vaderSentiment 3.3.2 and the Rust scorer on the same tweets, interleaved.

Texts: the 4,200 VADER paper tweets + the 2,000 TweetEval validation tweets (the `sentiment`
group of benches/analyze.rs reads the same files). Both sides are timed in CPU time (Python:
`time.process_time()`; Rust: the bench's profile mode, `PULSE_TEXT_PROFILE`, which reads the
thread's on-CPU nanoseconds), in alternating rounds, so that a busy shared machine slows both
alike and time spent descheduled counts for neither. Prints the best and median of each side,
the ratio of the bests and the median of the per-round ratios; the full analysis (the same
texts plus 10,012 CrisisLex tweets) is timed in the same rounds.

With `--baseline BINARY` (the `analyze` bench executable of an older build, e.g. built from
another checkout with its own CARGO_TARGET_DIR), that build is timed in the same rounds too, for
before/after numbers taken under the same conditions.

Usage (from the workspace root):
    pip install vaderSentiment==3.3.2
    python3 crates/pulse-text/scripts/bench_vs_python.py [ROUNDS] [--baseline BINARY]
"""
import argparse
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


def python_seconds_per_text(analyzer, items):
    start = time.process_time()
    for t in items:
        analyzer.polarity_scores(t)
    return (time.process_time() - start) / len(items)


def bench_binary():
    cmd = ["cargo", "bench", "-p", "pulse-text", "--bench", "analyze", "--no-run"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        sys.exit(proc.returncode)
    for line in proc.stderr.splitlines():
        if "Executable" in line and "(" in line:
            return os.path.join(ROOT, line.rsplit("(", 1)[1].rstrip(")"))
    sys.exit("no bench executable in cargo's output")


def rust_seconds_per_text(binary, workload, passes):
    env = dict(os.environ, PULSE_TEXT_PROFILE=workload, PULSE_TEXT_PASSES=str(passes))
    env.setdefault("PULSE_EVAL_DIR", EVAL)
    env.setdefault("PULSE_DATA_DIR", os.path.join(ROOT, "..", "shared", "replay-data"))
    out = subprocess.run([binary, "--bench"], env=env, capture_output=True, text=True, check=True).stdout
    # "profiled sentiment: 20 passes over 6200 texts, 812.3 ns of CPU per text"
    return float(out.rsplit(",", 1)[1].split()[0]) * 1e-9


def median(xs):
    return sorted(xs)[len(xs) // 2]


def report(name, py, rust, analyze):
    ratios = [p / q for p, q in zip(py, rust)]
    print("%-28s best %9.0f texts/s  median %9.0f" % (name, 1 / min(rust), 1 / median(rust)))
    print("%-28s ratio of bests %.1fx, median of per-round ratios %.1fx" % ("", min(py) / min(rust), median(ratios)))
    print("%-28s best %9.0f posts/s  median %9.0f" % ("  full analysis", 1 / min(analyze), 1 / median(analyze)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("rounds", type=int, nargs="?", default=7)
    parser.add_argument("--baseline", help="bench executable of an older build, timed in the same rounds")
    args = parser.parse_args()
    items = texts()
    analyzer = SentimentIntensityAnalyzer()
    builds = [("pulse_text::Vader", bench_binary())]
    if args.baseline:
        builds.append(("baseline", os.path.abspath(args.baseline)))
    py = []
    rust = {name: [] for name, _ in builds}
    analyze = {name: [] for name, _ in builds}
    for r in range(args.rounds):
        py.append(python_seconds_per_text(analyzer, items))
        line = "round %d: python %.0f texts/s" % (r + 1, 1 / py[-1])
        for name, binary in builds:
            rust[name].append(rust_seconds_per_text(binary, "sentiment", 40))
            analyze[name].append(rust_seconds_per_text(binary, "analyze", 10))
            line += "; %s %.0f texts/s (%.1fx), analyze %.0f posts/s" % (
                name, 1 / rust[name][-1], py[-1] / rust[name][-1], 1 / analyze[name][-1])
        print(line, flush=True)
    print()
    print("%d texts, %d rounds, CPU time" % (len(items), args.rounds))
    print("%-28s best %9.0f texts/s  median %9.0f" % ("python vaderSentiment 3.3.2", 1 / min(py), 1 / median(py)))
    for name, _ in builds:
        report(name, py, rust[name], analyze[name])


if __name__ == "__main__":
    main()
