#!/usr/bin/env bash
# Lists, for each module of a crate, the modules of the same crate it uses, and fails when two
# modules use each other (an import loop).
#
#   scripts/check-module-graph.sh node/vm/src
#
# A module uses another when its code names a path into it: `crate::a::…`, `super::…`,
# `self::…`, `use` groups (`use crate::{a, b::{c, d}}`), and `use child::…` for a child module.
# A path counts for the longest module it reaches (`crate::a::b::Item` is `a::b` when `a/b.rs`
# exists, else `a`); paths to the crate root (`crate::Item`, its re-exports) are not counted,
# nor are `#[cfg(test)]` modules, `tests.rs` files, `src/bin/` and `$crate::` in macros.
# Needs python3.
set -euo pipefail

if (($# != 1)) || [[ ! -d "$1" ]]; then
  echo "usage: $0 <crate src dir>" >&2
  exit 2
fi

python3 - "$1" <<'PY'
import os
import re
import sys

src = os.path.normpath(sys.argv[1])


def module_of(rel):
    """`app/abci.rs` -> ("app", "abci"); `app/mod.rs` -> ("app",); `lib.rs` -> ()."""
    parts = rel[: -len(".rs")].split(os.sep)
    if parts[-1] == "mod" or (len(parts) == 1 and parts[0] in ("lib", "main")):
        parts = parts[:-1]
    return tuple(parts)


def strip(text):
    """The code without comments, string and char literals (kept as empty literals)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif re.match(r'b?r#*"', text[i:i + 40]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'b?r(#*)"', text[i:])
            if m:
                end = text.find('"' + m.group(1), i + m.end())
                i = n if end < 0 else end + 1 + len(m.group(1))
                out.append('""')
            else:
                out.append(c)
                i += 1
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
            out.append('""')
        elif c == "'" and re.match(r"'(\\.[^']*|[^\\'])'", text[i:i + 12]):
            m = re.match(r"'(\\.[^']*|[^\\'])'", text[i:])
            i += m.end()
            out.append("' '")
        else:
            out.append(c)
            i += 1
    return "".join(out)


def drop_test_modules(code):
    """Removes `#[cfg(test)] mod x { … }` (and `#[cfg(test)] mod x;`)."""
    while True:
        m = re.search(r"#\[cfg\(test\)\]\s*(pub(\([^)]*\))?\s+)?mod\s+\w+\s*([;{])", code)
        if not m:
            return code
        end = m.end()
        if m.group(3) == "{":
            depth = 1
            while end < len(code) and depth:
                depth += {"{": 1, "}": -1}.get(code[end], 0)
                end += 1
        code = code[: m.start()] + code[end:]


def use_trees(tree, prefix=()):
    """Expands a `use` tree (`crate::{a, b::{c, d}}`) into paths."""
    tree = re.sub(r"\s+", "", tree)
    items, depth, start = [], 0, 0
    if tree.endswith("}") and "{" in tree:
        head = tree[: tree.index("{")]
        body = tree[tree.index("{") + 1 : -1]
        head_parts = tuple(p for p in head.split("::") if p)
        for ch_i, ch in enumerate(body + ","):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch == "," and depth == 0:
                part = body[start:ch_i]
                start = ch_i + 1
                if part:
                    items.extend(use_trees(part, prefix + head_parts))
        return items
    return [prefix + tuple(p for p in tree.split("::") if p)]


files = {}
for dirpath, dirnames, filenames in os.walk(src):
    rel_dir = os.path.relpath(dirpath, src)
    if rel_dir.split(os.sep)[0] == "bin":
        continue
    for name in filenames:
        if name.endswith(".rs") and name != "tests.rs":
            rel = os.path.normpath(os.path.join(rel_dir, name))
            files[module_of(rel)] = rel

modules = set(files)


def resolve(module, path):
    """The module an absolute or relative path reaches, or None for the root or outside."""
    parts = list(path)
    if not parts:
        return None
    if parts[0] == "crate":
        base, parts = [], parts[1:]
    elif parts[0] in ("super", "self"):
        base = list(module)
        while parts and parts[0] in ("super", "self"):
            if parts[0] == "super":
                if not base:
                    return None
                base.pop()
            parts = parts[1:]
    elif module + (parts[0],) in modules:
        base = list(module)
    else:
        return None
    full = base + parts
    for k in range(len(full), 0, -1):
        if tuple(full[:k]) in modules:
            return tuple(full[:k])
    return None


uses = {m: {} for m in modules}
for module, rel in sorted(files.items()):
    code = drop_test_modules(strip(open(os.path.join(src, rel), encoding="utf-8").read()))
    found = []
    for m in re.finditer(r"(?<![\w$])use\s+([^;]+);", code):
        tree = re.sub(r"\s+as\s+\w+", "", m.group(1))
        found.extend(use_trees(tree))
    # Paths written inline (`crate::records::load(…)`), outside `use` statements.
    inline = re.sub(r"(?<![\w$])use\s+[^;]+;", "", code)
    for m in re.finditer(r"(?<![\w$:])((?:crate|super|self)(?:::\w+)+)", inline):
        found.append(tuple(m.group(1).split("::")))
    for path in found:
        target = resolve(module, path)
        if target is not None and target != module:
            uses[module].setdefault(target, "::".join(path))


def name(m):
    return "::".join(m) if m else "(crate root)"


for module in sorted(modules, key=name):
    if module == ():
        continue
    targets = ", ".join(sorted(name(t) for t in uses[module])) or "-"
    print(f"{files[module]:<28} {name(module):<20} uses {targets}")

loops = sorted(
    (a, b)
    for a in modules
    for b in uses[a]
    if name(a) < name(b) and a in uses.get(b, {}) and a != () and b != ()
)
edges = sum(len(v) for k, v in uses.items() if k != ())
print()
print(f"{len(modules) - (() in modules)} modules, {edges} uses, {len(loops)} loop(s)")
for a, b in loops:
    print(f"LOOP {name(a)} <-> {name(b)}: {name(a)} names {uses[a][b]}, {name(b)} names {uses[b][a]}")
sys.exit(1 if loops else 0)
PY
