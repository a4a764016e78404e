#!/usr/bin/env python3
"""Finds import circles between the modules of each crate under crates/.

A module's dependencies are the other modules of its crate that it names: in `use crate::…` and
`use super::…` statements and in `crate::a::b` paths in its code. A name the crate root re-exports
(`crate::Post`) counts as the module that defines it. A module declaring a child (`mod x;`,
`pub use x::Y;` of its own child) is not a dependency. Test modules (`#[cfg(test)] mod tests`) are
ignored: they may use anything.

Exit status 1, with each circle printed, if any crate has one.

    scripts/module-cycles.py            # every crate
    scripts/module-cycles.py pulse-api  # one
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
USE = re.compile(r"\buse\s+(crate|super)::([^;]+);", re.S)
PATH = re.compile(r"\b(crate|super)::((?:[A-Za-z_][A-Za-z0-9_]*::)*[A-Za-z_][A-Za-z0-9_]*)")
PUB_USE = re.compile(r"\bpub\s+use\s+([a-z_][a-z0-9_]*)::([^;]+);", re.S)


def strip_tests_and_comments(text):
    """The source without comments, string literals and `#[cfg(test)]` items."""
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    out, i = [], 0
    for m in re.finditer(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{", text):
        if m.start() < i:
            continue
        out.append(text[i : m.start()])
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        i = j
    out.append(text[i:])
    return "".join(out)


def module_of(src, path):
    """`a::b` for src/a/b.rs or src/a/b/mod.rs; '' for the crate root."""
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "mod":
        parts.pop()
    if parts in (["lib"], ["main"]):
        return ""
    return "::".join(parts)


def expand(tree):
    """`a::{b, c::D}` -> ['a::b', 'a::c::D']."""
    tree = re.sub(r"\s+", "", tree)
    brace = tree.find("{")
    if brace < 0:
        return [tree.split(" as ")[0]]
    prefix, inner = tree[:brace], tree[brace + 1 : -1]
    items, depth, start = [], 0, 0
    for k, c in enumerate(inner):
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif c == "," and depth == 0:
            items.append(inner[start:k])
            start = k + 1
    items.append(inner[start:])
    return [p for item in items if item for p in expand(prefix + item)]


def crate_modules(crate):
    src = crate / "src"
    files = sorted(src.rglob("*.rs"))
    mods = {module_of(src, f): strip_tests_and_comments(f.read_text()) for f in files}
    # Names the root re-exports: `pub use a::b::{X, Y};` at the crate root.
    reexports = {}
    for root in ("", ):
        for m in PUB_USE.finditer(mods.get(root, "")):
            for item in expand(m.group(1) + "::" + m.group(2)):
                segs = item.split("::")
                reexports[segs[-1]] = "::".join(segs[:-1])
    return mods, reexports


def resolve(segs, mods, reexports):
    """The longest module prefix of `segs` (a path below the crate root)."""
    for n in range(len(segs), 0, -1):
        cand = "::".join(segs[:n])
        if cand in mods and cand:
            return cand
    if segs and segs[0] in reexports:
        return reexports[segs[0]] or None
    return None


def edges_of(name, text, mods, reexports):
    deps = set()
    parent = name.rsplit("::", 1)[0] if "::" in name else ""
    refs = [(m.group(1), item) for m in USE.finditer(text) for item in expand(m.group(2))]
    refs += [(m.group(1), m.group(2)) for m in PATH.finditer(text)]
    for base, item in refs:
        segs = [s for s in item.split("::") if s not in ("self",)]
        if base == "super":
            segs = (parent.split("::") if parent else []) + segs
        target = resolve(segs, mods, reexports)
        if target and target != name and not target.startswith(name + "::"):
            deps.add(target)
    return deps


def cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    wanted = set(sys.argv[1:])
    found = False
    for crate in sorted((ROOT / "crates").iterdir()):
        if not (crate / "src").is_dir() or (wanted and crate.name not in wanted):
            continue
        mods, reexports = crate_modules(crate)
        graph = {name: edges_of(name, text, mods, reexports) for name, text in mods.items() if name}
        for comp in cycles(graph):
            found = True
            inner = {m: sorted(graph[m] & set(comp)) for m in comp}
            print(f"{crate.name}: circle between " + ", ".join(f"{m} -> {'/'.join(d)}" for m, d in inner.items()))
    if not found:
        print("no module import circles")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
