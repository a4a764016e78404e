#!/usr/bin/env python3
"""Checks that ARCHITECTURE.md's crate table says what `cargo metadata` says.

The table (the one whose header is `| crate | owns | depends on |`) must list every workspace crate
once, and its "depends on" column must name exactly the crate's normal (non-dev) dependencies
among the workspace crates, without the `pulse-` prefix (`core, text`), or `—` for none.
Exit status 1, with each difference printed, if they disagree.
"""

import json
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def table_rows():
    text = (ROOT / "ARCHITECTURE.md").read_text()
    lines = text.splitlines()
    start = next(i for i, l in enumerate(lines) if re.match(r"\|\s*crate\s*\|\s*owns\s*\|\s*depends on\s*\|", l))
    rows = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        crate = re.sub(r"[`*]", "", cells[0]).split()[0]
        deps = set() if cells[2] in ("—", "-", "") else {d.strip() for d in cells[2].split(",")}
        rows[crate] = deps
    return rows


def metadata_deps():
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps", "--offline"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    packages = json.loads(out)["packages"]
    names = {p["name"] for p in packages}
    short = lambda name: name.removeprefix("pulse-")
    return {
        p["name"]: {short(d["name"]) for d in p["dependencies"] if d["name"] in names and d["kind"] is None}
        for p in packages
    }


def main():
    table, actual = table_rows(), metadata_deps()
    problems = []
    for crate in sorted(set(table) | set(actual)):
        if crate not in table:
            problems.append(f"{crate}: missing from ARCHITECTURE.md's crate table")
        elif crate not in actual:
            problems.append(f"{crate}: in ARCHITECTURE.md but not a workspace crate")
        elif table[crate] != actual[crate]:
            problems.append(
                f"{crate}: ARCHITECTURE.md says it depends on {', '.join(sorted(table[crate])) or '—'}, "
                f"Cargo.toml on {', '.join(sorted(actual[crate])) or '—'}"
            )
    for p in problems:
        print(p)
    if not problems:
        print(f"ARCHITECTURE.md's crate table matches cargo metadata ({len(actual)} crates)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
