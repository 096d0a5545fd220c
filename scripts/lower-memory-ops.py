#!/usr/bin/env python3
"""Replaces a contract's bulk-memory instructions with calls to word-at-a-time functions.

    lower-memory-ops.py CONTRACT.wat MEMORY_OPS.wat OUT.wat

CONTRACT.wat is binaryen's text of the contract (`wasm-dis`), in which every instruction is a
folded s-expression that starts a line of its own, with its operands on the lines below. So the
line `(memory.copy` can become `(call $tessera_memory_copy` with the operands left as they are,
and the same text inside a data string (which binaryen prints on the segment's line) is never
touched. MEMORY_OPS.wat holds the two functions, which go in before the module's closing
parenthesis. Why: see MEMORY_OPS.wat.
"""

import re
import sys

REPLACEMENTS = {
    "memory.copy": "call $tessera_memory_copy",
    "memory.fill": "call $tessera_memory_fill",
}


def fail(message: str) -> None:
    sys.exit(f"lower-memory-ops: {message}")


def lower(module: str, functions: str) -> tuple[str, dict[str, int]]:
    for name in ("$tessera_memory_copy", "$tessera_memory_fill"):
        if f"(func {name} " in module:
            fail(f"the module already defines {name}")
    counts = {}
    for instruction, call in REPLACEMENTS.items():
        at_line_start = re.compile(r"^([ \t]+)\(" + re.escape(instruction) + r"$", re.MULTILINE)
        module, counts[instruction] = at_line_start.subn(r"\1(" + call, module)
        # Anything else (memory operands of a multi-memory module, another printer's layout)
        # is not a form this script knows how to rewrite.
        left = re.search(r"^[ \t]+\(" + re.escape(instruction) + r"\b.*$", module, re.MULTILINE)
        if left:
            fail(f"cannot rewrite {left.group(0).strip()!r}")

    lines = module.rstrip("\n").split("\n")
    # The module's closing parenthesis is the last line that is exactly ")"; binaryen prints
    # only comments after it.
    close = max((i for i, line in enumerate(lines) if line == ")"), default=None)
    if close is None or not lines[0].startswith("(module"):
        fail("not a module printed by wasm-dis")
    lines[close:close] = [functions.rstrip("\n")]
    return "\n".join(lines) + "\n", counts


def main() -> None:
    if len(sys.argv) != 4:
        fail("usage: lower-memory-ops.py CONTRACT.wat MEMORY_OPS.wat OUT.wat")
    contract, memory_ops, out = sys.argv[1:]
    with open(contract, encoding="utf-8") as f:
        module = f.read()
    with open(memory_ops, encoding="utf-8") as f:
        functions = f.read()
    lowered, counts = lower(module, functions)
    with open(out, "w", encoding="utf-8") as f:
        f.write(lowered)
    print(", ".join(f"{n} {i}" for i, n in counts.items()))


if __name__ == "__main__":
    main()
