#!/usr/bin/env python3
"""Writes the VADER reference scores that `tests/vader_parity.rs` compares the Rust scorer with.

Runs PyPI `vaderSentiment==3.3.2` (pip install vaderSentiment==3.3.2) over real tweets from the
shared evaluation data and over generated tricky texts, and writes:

* tests/fixtures/vader-reference.tsv: `set, index, compound, pos, neu, neg` per text. The texts
  themselves are NOT copied (datasets stay out of the repo); the test re-reads them from the data
  directory with the same rules as `texts()` below.
* tests/fixtures/vader-synthetic.tsv: `compound, pos, neu, neg, text` for generated texts (ours).

Data directory: $PULSE_EVAL_DIR (default ../shared/eval/sentiment relative to the workspace root);
replay data: $PULSE_DATA_DIR (default ../shared/replay-data).

Text reading rules (mirrored in tests/common/mod.rs):
* vader:      vader-tweets-groundtruth.tsv, third tab field, line ending (\\r\\n) removed.
* tweeteval:  tweeteval-val-text.txt, one text per line, only the \\n removed.
* s140:       sentiment140-test.csv, last CSV column (text).
* airline:    airline-sentiment/Airline-Sentiment-2-w-AA.csv (not valid UTF-8: invalid bytes become
              U+FFFD), CSV column `text`.
* t26:        crisislex-t26/*.csv sorted by name, first 300 rows of each, column `Tweet Text`.

Usage: python3 crates/pulse-text/scripts/vader_reference.py
"""
import csv
import glob
import os
import random
import sys
import time

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

HERE = os.path.dirname(os.path.abspath(__file__))
CRATE = os.path.dirname(HERE)
ROOT = os.path.dirname(os.path.dirname(CRATE))
EVAL = os.environ.get("PULSE_EVAL_DIR", os.path.join(ROOT, "..", "shared", "eval", "sentiment"))
DATA = os.environ.get("PULSE_DATA_DIR", os.path.join(ROOT, "..", "shared", "replay-data"))
T26_ROWS = 300


def texts():
    """(set, index, text) for every real text, in the order the Rust test reads them."""
    with open(os.path.join(EVAL, "vader-tweets-groundtruth.tsv"), encoding="utf-8", newline="") as f:
        for i, line in enumerate(f.read().split("\n")):
            if line.strip():
                yield "vader", i, line.rstrip("\r").split("\t", 2)[2]
    with open(os.path.join(EVAL, "tweeteval-val-text.txt"), encoding="utf-8", newline="") as f:
        for i, line in enumerate(f.read().split("\n")[:-1]):
            yield "tweeteval", i, line
    with open(os.path.join(EVAL, "sentiment140-test.csv"), encoding="utf-8", newline="") as f:
        for i, row in enumerate(csv.reader(f)):
            yield "s140", i, row[-1]
    with open(os.path.join(DATA, "airline-sentiment", "Airline-Sentiment-2-w-AA.csv"), encoding="utf-8", errors="replace", newline="") as f:
        for i, row in enumerate(csv.DictReader(f)):
            yield "airline", i, row["text"]
    for path in sorted(glob.glob(os.path.join(DATA, "crisislex-t26", "*.csv"))):
        name = os.path.basename(path).split("-tweets_labeled")[0]
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            for i, row in enumerate(reader):
                if i >= T26_ROWS:
                    break
                yield "t26/" + name, i, row[" Tweet Text"] if " Tweet Text" in row else row["Tweet Text"]


WORDS = (
    "good bad not no never so this without doubt but BUT least at very kind of sort just enough "
    "the shit bomb bad ass bus stop yeah right kiss death to die for beating heart uber FRIGGIN "
    "kinda extremely barely isn't can't don't nor or love LOVE hate HATE :) :( :D <3 lol sux "
    "happy sad GREAT terrible ok meh wow !!! ??? ! ? . , -- 'quoted' (paren) \u212aind \u00c9T\u00c9 "
    "\u00e9t\u00e9 \u0130stanbul \ua7cbX \u01c5 ok! wtf? :-) 8-) @united #fail http://t.co/x?a?b "
    "\U0001F600 \U0001F622 \U0001F494 \u2764 \u263a \U0001F44D\U0001F3FD x\U0001F602 \u00a0 \u2003"
).split(" ")


def synthetic(n, seed=20261128):
    rng = random.Random(seed)
    for _ in range(n):
        k = rng.randint(1, 14)
        parts = [rng.choice(WORDS) for _ in range(k)]
        sep = rng.choice([" ", " ", " ", "  ", "\u3000"])
        yield sep.join(p for p in parts if p)


def fmt(d):
    return "%r\t%r\t%r\t%r" % (d["compound"], d["pos"], d["neu"], d["neg"])


def main():
    analyzer = SentimentIntensityAnalyzer()
    rows = list(texts())
    if not rows:
        sys.exit("no texts found under " + EVAL)
    fixtures = os.path.join(CRATE, "tests", "fixtures")
    os.makedirs(fixtures, exist_ok=True)
    started = time.perf_counter()
    with open(os.path.join(fixtures, "vader-reference.tsv"), "w", encoding="utf-8", newline="\n") as out:
        out.write("# vaderSentiment 3.3.2 on Python %s; written by scripts/vader_reference.py\n" % sys.version.split()[0])
        out.write("set\tindex\tcompound\tpos\tneu\tneg\n")
        for name, i, text in rows:
            out.write("%s\t%d\t%s\n" % (name, i, fmt(analyzer.polarity_scores(text))))
    elapsed = time.perf_counter() - started
    with open(os.path.join(fixtures, "vader-synthetic.tsv"), "w", encoding="utf-8", newline="\n") as out:
        out.write("# vaderSentiment 3.3.2 on generated texts; written by scripts/vader_reference.py\n")
        for text in synthetic(3000):
            assert "\t" not in text and "\n" not in text
            out.write("%s\t%s\n" % (fmt(analyzer.polarity_scores(text)), text))
    print("%d real texts scored in %.2fs (%.0f texts/s)" % (len(rows), elapsed, len(rows) / elapsed))


if __name__ == "__main__":
    main()
