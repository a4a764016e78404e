#!/usr/bin/env python3
"""Stories per (report, crisis): how many stories one real event is split into.

Acceptance metric for story grouping. Stdlib only (Python 3.11).

What it does, for each dataset selection given on the command line:

1. Runs ``pulse trends <files> --bucket 10m --every 30m --top 10`` (JSON lines; the time field may be
   ``at`` or ``as_of``, the list ``trends`` or ``stories``; a story's topic keys are its ``terms`` plus
   its ``topic``).
2. Runs ``pulse analyze`` on each file: the exact topic keys the engine counts for each post.
3. Reads each CSV for the crowd label and the tweet id (time = snowflake ``(id >> 22) + 1288834974657``
   Unix ms, truncated to whole seconds). Each input file is one crisis. Labels:
   CrisisLexT6 ``label``: ``on-topic`` / ``off-topic``;
   CrisisLexT26 ``Informativeness``: ``Related and informative`` / ``Related - but not informative``
   are on-topic for the file's crisis, ``Not related`` / ``Not applicable`` are off-topic.

Then, for each report time R and each story S in it:

* matching posts = the posts in ``[R - window, R)`` whose topic keys contain at least one of S's terms;
* S is *attributed* to the crisis with the most on-topic matching posts if those are more than 50 % of
  all matching posts, otherwise S is *unattributed*;
* S is *mixed* when the on-topic posts of two different crises each exceed 30 % of its matching posts
  (what "two events merged into one story" looks like);
* S is *cross-event* when two of its terms, each judged alone, belong to different crises (a term
  belongs to a crisis whose on-topic posts are at least 75 % of the term's matching posts): a story
  that lists a Boston-only term beside a West-only one, even when one side's posts dominate.

For every (report, crisis) pair with at least one attributed story, count the stories attributed to it.
**The metric is the mean of that count over all such pairs** (1.0 = one story per real event). Also
printed: the number of pairs, the max, the mixed and cross-event stories and the fraction of stories
unattributed.

Examples (from the repository root, with the datasets under ``../shared/replay-data``)::

    python3 benches/stories_per_event.py boston-west
    python3 benches/stories_per_event.py --each crisislex-t6 crisislex-t26 --json out.json
    python3 benches/stories_per_event.py --pulse /tmp/pulse \\
        ../shared/replay-data/crisislex-t6/2013_Boston_Bombings-ontopic_offtopic.csv
    python3 benches/stories_per_event.py boston-west --trends-jsonl proto.jsonl   # score given output

A selection is a dataset name (``pulse data list``), a CSV file, a directory of CSV files, or several of
these joined with ``+`` (one merged replay). ``--each`` also scores every file of a multi-file selection
on its own.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import gzip
import io
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone

TWITTER_EPOCH_MS = 1288834974657
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

T6_ON = {"on-topic"}
T6_OFF = {"off-topic"}
T26_ON = {"related and informative", "related - but not informative"}
T26_OFF = {"not related", "not applicable"}

ATTRIBUTE_SHARE = 0.5  # a story belongs to a crisis whose on-topic posts are > 50 % of its matches
MIXED_SHARE = 0.3  # a story is mixed when two crises each have > 30 % of its matches
PURE_SHARE = 0.75  # a term belongs to a crisis with >= 75 % of its matches (cross-event check)


# ---------------------------------------------------------------------------------------------------
# Inputs


@dataclass
class Post:
    time: int  # Unix seconds
    crisis: int  # index into the selection's files
    on_topic: bool


@dataclass
class Selection:
    name: str
    files: list[str]
    crises: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.crises = [crisis_name(f) for f in self.files]


def crisis_name(path: str) -> str:
    base = os.path.basename(path)
    for suffix in (".gz", ".csv", "-ontopic_offtopic", "-tweets_labeled"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
    return base


def die(msg: str) -> None:
    print(f"stories_per_event: {msg}", file=sys.stderr)
    sys.exit(2)


def resolve_part(part: str, pulse: str) -> list[str]:
    if os.path.isfile(part):
        return [part]
    if os.path.isdir(part):
        names = sorted(n for n in os.listdir(part) if n.endswith((".csv", ".csv.gz")))
        if not names:
            die(f"no CSV files in directory {part}")
        return [os.path.join(part, n) for n in names]
    out = subprocess.run([pulse, "data", "path", part], capture_output=True, text=True)
    if out.returncode != 0:
        die(f"{part!r} is neither a file, a directory nor a dataset: {out.stderr.strip()}")
    files = [line.strip() for line in out.stdout.splitlines() if line.strip()]
    missing = [f for f in files if not os.path.isfile(f)]
    if missing or not files:
        die(f"dataset {part!r} is not available locally (pulse data fetch {part}): {missing}")
    return files


def resolve(selection: str, pulse: str) -> Selection:
    files: list[str] = []
    for part in selection.split("+"):
        for f in resolve_part(part, pulse):
            if f not in files:
                files.append(f)
    return Selection(selection, files)


def open_text(path: str) -> io.TextIOBase:
    if path.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", errors="replace", newline="")
    return open(path, encoding="utf-8", errors="replace", newline="")


def snowflake_seconds(tweet_id: str) -> int:
    return ((int(tweet_id) >> 22) + TWITTER_EPOCH_MS) // 1000


def read_labels(path: str) -> dict[str, bool]:
    """Tweet id -> on-topic, from a CrisisLex T6 or T26 CSV."""
    with open_text(path) as fh:
        reader = csv.reader(fh)
        header = [h.strip().lower() for h in next(reader)]
        if "label" in header:
            col, on, off = header.index("label"), T6_ON, T6_OFF
        elif "informativeness" in header:
            col, on, off = header.index("informativeness"), T26_ON, T26_OFF
        else:
            die(f"{path}: no 'label' (CrisisLexT6) or 'Informativeness' (CrisisLexT26) column: {header}")
        labels: dict[str, bool] = {}
        unknown: Counter[str] = Counter()
        for row in reader:
            if len(row) <= col:
                continue
            tweet_id = row[0].strip().strip("'\"").strip()
            value = row[col].strip().lower()
            if value in on:
                labels.setdefault(tweet_id, True)
            elif value in off:
                labels.setdefault(tweet_id, False)
            else:
                unknown[value] += 1
        if unknown:
            print(f"warning: {path}: unknown labels read as off-topic: {dict(unknown)}", file=sys.stderr)
            # They are still posts the engine counted; keep them, off-topic.
        return labels


def run_analyze(pulse: str, path: str) -> dict[str, frozenset[str]]:
    """Tweet id -> the topic keys the engine extracts from it."""
    proc = subprocess.run([pulse, "analyze", path], capture_output=True, text=True)
    if proc.returncode != 0:
        die(f"pulse analyze {path} failed: {proc.stderr.strip()}")
    keys: dict[str, frozenset[str]] = {}
    for line in proc.stdout.splitlines():
        if line.strip():
            d = json.loads(line)
            keys.setdefault(str(d["id"]), frozenset(t["key"] for t in d.get("topics") or []))
    return keys


def parse_time(value: str) -> int:
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())


def parse_duration(value: str) -> int:
    m = re.fullmatch(r"\s*(\d+)\s*([smhd])\s*", value)
    if not m:
        die(f"cannot read duration {value!r} (use e.g. 10m, 1h)")
    return int(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def story_terms(story: dict) -> list[str]:
    terms: list[str] = []
    for t in [story.get("topic")] + list(story.get("terms") or []):
        if isinstance(t, dict):
            t = t.get("key") or t.get("topic")
        if isinstance(t, str) and t not in terms:
            terms.append(t)
    return terms


def read_reports(lines) -> list[tuple[int, list[list[str]]]]:
    reports = []
    for line in lines:
        line = line.strip()
        if not line.startswith("{"):
            continue
        d = json.loads(line)
        at = d.get("at") or d.get("as_of")
        if at is None:
            die(f"report without 'at' / 'as_of': {line[:120]}")
        stories = d.get("trends")
        if stories is None:
            stories = d.get("stories") or []
        reports.append((parse_time(at), [story_terms(s) for s in stories]))
    return reports


def run_trends(pulse: str, sel: Selection, opts: list[str]) -> list[tuple[int, list[list[str]]]]:
    cmd = [pulse, "trends", *sel.files, "--format", "json", *opts]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        die(f"{shlex.join(cmd)} failed: {proc.stderr.strip()}")
    return read_reports(proc.stdout.splitlines())


# ---------------------------------------------------------------------------------------------------
# The metric


class Corpus:
    """Every post of a selection: time, crisis, label; and key -> posts sorted by time."""

    def __init__(self, sel: Selection, pulse: str):
        self.sel = sel
        self.posts: list[Post] = []
        self.by_key: dict[str, tuple[list[int], list[int]]] = {}
        seen: set[str] = set()
        index: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.unlabelled = 0
        for crisis, path in enumerate(sel.files):
            labels = read_labels(path)
            keys = run_analyze(pulse, path)
            self.unlabelled += sum(1 for k in keys if k not in labels)
            for tweet_id, topic_keys in keys.items():
                if tweet_id in seen:  # the engine drops a repeated id as a duplicate
                    continue
                seen.add(tweet_id)
                p = len(self.posts)
                t = snowflake_seconds(tweet_id)
                self.posts.append(Post(t, crisis, labels.get(tweet_id, False)))
                for k in topic_keys:
                    index[k].append((t, p))
        for k, lst in index.items():
            lst.sort()
            self.by_key[k] = ([t for t, _ in lst], [p for _, p in lst])
        if self.unlabelled:
            print(f"warning: {self.unlabelled} analyzed posts have no label (counted off-topic)",
                  file=sys.stderr)

    def matching(self, terms: list[str], start: int, end: int) -> set[int]:
        """Posts in [start, end) with at least one of the terms among their topic keys."""
        out: set[int] = set()
        for k in terms:
            entry = self.by_key.get(k)
            if entry is None:
                continue
            times, posts = entry
            out.update(posts[bisect.bisect_left(times, start): bisect.bisect_left(times, end)])
        return out


@dataclass
class StoryVerdict:
    at: int
    rank: int
    terms: list[str]
    matching: int
    on_topic: dict[int, int]  # crisis -> on-topic matching posts
    crisis: int | None  # attributed crisis
    mixed: bool
    cross: bool


def on_topic_by_crisis(corpus: Corpus, matched: set[int]) -> Counter[int]:
    return Counter(corpus.posts[p].crisis for p in matched if corpus.posts[p].on_topic)


def judge(corpus: Corpus, reports, window: int) -> list[StoryVerdict]:
    verdicts = []
    for at, stories in reports:
        term_crisis: dict[str, int | None] = {}
        for terms in stories:
            for t in terms:
                if t not in term_crisis:
                    matched = corpus.matching([t], at - window, at)
                    pure = [c for c, n in on_topic_by_crisis(corpus, matched).items()
                            if n >= PURE_SHARE * len(matched)]
                    term_crisis[t] = pure[0] if pure else None
        for rank, terms in enumerate(stories, 1):
            matched = corpus.matching(terms, at - window, at)
            on = on_topic_by_crisis(corpus, matched)
            crisis = None
            if on:
                top, n = max(on.items(), key=lambda kv: (kv[1], -kv[0]))
                if n > ATTRIBUTE_SHARE * len(matched):
                    crisis = top
            mixed = sum(1 for n in on.values() if n > MIXED_SHARE * len(matched)) >= 2
            cross = len({term_crisis[t] for t in terms} - {None}) >= 2
            verdicts.append(StoryVerdict(at, rank, terms, len(matched), dict(on), crisis, mixed, cross))
    return verdicts


def summarize(sel: Selection, reports, verdicts: list[StoryVerdict]) -> dict:
    per_pair: Counter[tuple[int, int]] = Counter()
    for v in verdicts:
        if v.crisis is not None:
            per_pair[(v.at, v.crisis)] += 1
    counts = list(per_pair.values())
    stories = len(verdicts)
    unattributed = sum(1 for v in verdicts if v.crisis is None)
    mixed = sum(1 for v in verdicts if v.mixed)
    cross = sum(1 for v in verdicts if v.cross)
    crises = {}
    for c, name in enumerate(sel.crises):
        cc = [n for (_, cr), n in per_pair.items() if cr == c]
        crises[name] = {
            "pairs": len(cc),
            "stories": sum(cc),
            "mean": round(sum(cc) / len(cc), 3) if cc else None,
            "max": max(cc) if cc else None,
        }
    return {
        "selection": sel.name,
        "files": sel.files,
        "reports": len(reports),
        "reports_with_stories": sum(1 for _, s in reports if s),
        "stories": stories,
        "attributed": stories - unattributed,
        "unattributed": unattributed,
        "unattributed_fraction": round(unattributed / stories, 3) if stories else None,
        "mixed": mixed,
        "mixed_fraction": round(mixed / stories, 3) if stories else None,
        "cross_event": cross,
        "pairs": len(counts),
        "mean": round(sum(counts) / len(counts), 3) if counts else None,
        "median": statistics.median(counts) if counts else None,
        "max": max(counts) if counts else None,
        "crises": crises,
    }


# ---------------------------------------------------------------------------------------------------
# Output


def fmt(x, width: int, digits: int = 2) -> str:
    if x is None:
        return "-".rjust(width)
    if isinstance(x, float):
        return f"{x:.{digits}f}".rjust(width)
    return str(x).rjust(width)


def print_table(s: dict) -> None:
    print(f"== {s['selection']}  ({len(s['files'])} file{'s' if len(s['files']) != 1 else ''}; "
          f"{s['reports']} reports, {s['reports_with_stories']} with stories, {s['stories']} stories)")
    w = max([len("crisis")] + [len(c) for c in s["crises"]]) + 2
    print(f"  {'crisis'.ljust(w)}{'pairs':>7}{'stories':>9}{'mean':>7}{'max':>5}")
    for name, c in s["crises"].items():
        print(f"  {name.ljust(w)}{fmt(c['pairs'], 7)}{fmt(c['stories'], 9)}{fmt(c['mean'], 7)}"
              f"{fmt(c['max'], 5)}")
    print(f"  {'all'.ljust(w)}{fmt(s['pairs'], 7)}{fmt(s['attributed'], 9)}{fmt(s['mean'], 7)}"
          f"{fmt(s['max'], 5)}")
    print(f"  unattributed {s['unattributed']}/{s['stories']} ({fmt(s['unattributed_fraction'], 0, 3).strip()}),"
          f" mixed {s['mixed']}/{s['stories']}, cross-event {s['cross_event']}/{s['stories']}")
    print()


def print_details(sel: Selection, verdicts: list[StoryVerdict]) -> None:
    for v in verdicts:
        at = datetime.fromtimestamp(v.at, timezone.utc).strftime("%Y-%m-%dT%H:%MZ")
        on = ", ".join(f"{sel.crises[c]}={n}" for c, n in sorted(v.on_topic.items(), key=lambda kv: -kv[1]))
        who = sel.crises[v.crisis] if v.crisis is not None else "-"
        flags = ("MIXED " if v.mixed else "") + ("CROSS " if v.cross else "")
        print(f"  {at} #{v.rank:<2} {who:<32} {flags}match={v.matching} on[{on}] "
              f"terms={v.terms}")
    print()


def print_summary(results: list[dict]) -> None:
    w = max([len("selection")] + [len(r["selection"]) for r in results]) + 2
    print("summary: stories per (report, crisis); mixed = two crises each > 30 % of a story's posts;"
          " cross = terms of two crises in one story")
    print(f"  {'selection'.ljust(w)}{'files':>6}{'pairs':>7}{'mean':>7}{'max':>5}{'mixed':>7}{'cross':>7}"
          f"{'unattr':>8}")
    for r in results:
        print(f"  {r['selection'].ljust(w)}{fmt(len(r['files']), 6)}{fmt(r['pairs'], 7)}{fmt(r['mean'], 7)}"
              f"{fmt(r['max'], 5)}{fmt(r['mixed'], 7)}{fmt(r['cross_event'], 7)}"
              f"{fmt(r['unattributed_fraction'], 8, 3)}")


def find_pulse(path: str) -> str:
    """The binary as given, else relative to the repository root (so the default works from anywhere)."""
    if os.sep not in path:
        found = shutil.which(path)
        if found:
            return found
    elif os.path.isfile(path):
        return path
    alt = os.path.join(REPO, path)
    if not os.path.isabs(path) and os.path.isfile(alt):
        return alt
    die(f"no pulse binary at {path} (build it with `cargo build --release -p pulse` or pass --pulse)")
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Stories per (report, crisis) of `pulse trends` on CrisisLex T6/T26 data.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="A selection: dataset name, CSV file, directory, or several joined with '+'.",
    )
    ap.add_argument("selections", nargs="+", metavar="SELECTION")
    ap.add_argument("--pulse", default="target/release/pulse", help="pulse binary (default %(default)s)")
    ap.add_argument("--bucket", default="10m")
    ap.add_argument("--every", default="30m")
    ap.add_argument("--window", default="1h", help="trend window; also the window of matching posts")
    ap.add_argument("--top", default="10")
    ap.add_argument("--trends-args", default="", help="more `pulse trends` options, e.g. '--lang en'")
    ap.add_argument("--each", action="store_true", help="also score each file of a multi-file selection")
    ap.add_argument("--trends-jsonl", metavar="FILE",
                    help="score this `pulse trends` output instead of running pulse (one selection only)")
    ap.add_argument("--details", action="store_true", help="print every story with its attribution")
    ap.add_argument("--json", nargs="?", const="-", metavar="FILE",
                    help="write the results as JSON to FILE (default stdout, which replaces the tables)")
    args = ap.parse_args(argv)

    if not os.environ.get("PULSE_DATA_DIR"):
        shared = os.path.join(os.path.dirname(REPO), "shared", "replay-data")
        if os.path.isdir(shared):
            os.environ["PULSE_DATA_DIR"] = shared
    pulse = find_pulse(args.pulse)
    if args.trends_jsonl and (len(args.selections) != 1 or args.each):
        die("--trends-jsonl scores one selection (without --each)")
    window = parse_duration(args.window)
    opts = ["--bucket", args.bucket, "--every", args.every, "--window", args.window, "--top", args.top,
            *shlex.split(args.trends_args)]

    selections: list[Selection] = []
    for name in args.selections:
        sel = resolve(name, pulse)
        selections.append(sel)
        if args.each and len(sel.files) > 1:
            selections.extend(Selection(crisis_name(f), [f]) for f in sel.files)

    tables = args.json != "-"
    results = []
    for sel in selections:
        corpus = Corpus(sel, pulse)
        if args.trends_jsonl:
            with open(args.trends_jsonl, encoding="utf-8") as fh:
                reports = read_reports(fh)
        else:
            reports = run_trends(pulse, sel, opts)
        verdicts = judge(corpus, reports, window)
        summary = summarize(sel, reports, verdicts)
        summary["trends_options"] = None if args.trends_jsonl else opts
        summary["trends_source"] = args.trends_jsonl or f"{pulse} trends"
        results.append(summary)
        if tables:
            print_table(summary)
            if args.details:
                print_details(sel, verdicts)
            sys.stdout.flush()
    if tables:
        print_summary(results)
    if args.json:
        doc = json.dumps({"metric": "stories per (report, crisis)", "results": results}, indent=1)
        if args.json == "-":
            print(doc)
        else:
            with open(args.json, "w", encoding="utf-8") as fh:
                fh.write(doc + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
