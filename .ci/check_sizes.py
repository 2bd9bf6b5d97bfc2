"""Rooms a newcomer can find: no file in workspace/ over 500 lines, no function over 60 lines.

(Cyclomatic complexity over 15 is ruff's C901, configured in pyproject.toml.) Run by `make lint`.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MAX_FILE_LINES = 500
MAX_FUNCTION_LINES = 60


def problems(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n") + 1
        if lines > MAX_FILE_LINES:
            found.append(f"{path}: {lines} lines (at most {MAX_FILE_LINES})")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                length = (node.end_lineno or node.lineno) - start + 1
                if length > MAX_FUNCTION_LINES:
                    found.append(f"{path}:{node.lineno}: {node.name} is {length} lines (at most {MAX_FUNCTION_LINES})")
    return found


if __name__ == "__main__":
    report = problems(Path(sys.argv[1] if len(sys.argv) > 1 else "workspace"))
    print("\n".join(report) or "sizes: every file and function within bounds")
    sys.exit(1 if report else 0)
