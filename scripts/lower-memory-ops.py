#!/usr/bin/env python3
"""Replaces a contract's bulk-memory instructions with calls to word-at-a-time functions.

    lower-memory-ops.py CONTRACT.wat MEMORY_OPS.wat OUT.wat

CONTRACT.wat is binaryen's text of the contract (`wasm-dis`), in which every instruction is a
folded s-expression, so `(memory.copy DST SRC SIZE)` can become `(call $tessera_memory_copy
DST SRC SIZE)` with its operands left as they are. MEMORY_OPS.wat holds the two functions, which
go in before the module's closing parenthesis. Why: see MEMORY_OPS.wat.
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
    # With several memories binaryen names them after the opcode; the functions use memory 0.
    if re.search(r"\(memory\.(copy|fill)[ \t]+\$", module):
        fail("memory.copy/fill with memory operands (multi-memory) is not supported")

    counts = {}
    for instruction, call in REPLACEMENTS.items():
        pattern = re.compile(r"\(" + re.escape(instruction) + r"(?=\s)")
        module, counts[instruction] = pattern.subn("(" + call, module)

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
