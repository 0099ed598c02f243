"""Keep the product code small enough to read: a check of the test command.

No function over 60 lines, no class over 300, no file over 500, in the collection's
plugins, maglevd and vppsim (tests, benchmarks and generated tables are not product code).
Prints every violation with its place and exits 1 when there is one.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Iterator

ROOTS = ("plugins", "maglevd", "vppsim")
MAX_FUNCTION_LINES = 60
MAX_CLASS_LINES = 300
MAX_FILE_LINES = 500
# Generated or tabular files that are data rather than logic.
EXEMPT: frozenset = frozenset()


def violations(path: Path, rel: str) -> Iterator[str]:
    source = path.read_text(encoding="utf-8")
    lines = source.count("\n")
    if lines > MAX_FILE_LINES:
        yield f"{rel}: file has {lines} lines (at most {MAX_FILE_LINES})"
    for node in ast.walk(ast.parse(source, filename=rel)):
        length = (getattr(node, "end_lineno", 0) or 0) - getattr(node, "lineno", 0) + 1
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and length > MAX_FUNCTION_LINES:
            yield f"{rel}:{node.lineno}: function {node.name} has {length} lines (at most {MAX_FUNCTION_LINES})"
        elif isinstance(node, ast.ClassDef) and length > MAX_CLASS_LINES:
            yield f"{rel}:{node.lineno}: class {node.name} has {length} lines (at most {MAX_CLASS_LINES})"


def main(root: Path) -> int:
    found = [
        problem
        for top in ROOTS
        for path in sorted((root / top).rglob("*.py"))
        if (rel := path.relative_to(root).as_posix()) not in EXEMPT
        for problem in violations(path, rel)
    ]
    for problem in found:
        print(problem)
    print(f"shape: {len(found)} violation(s)" if found else "shape: ok")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(Path(__file__).resolve().parent.parent))
