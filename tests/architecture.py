"""The package graph of tiein, read from the source (DESIGN §1).

`python -m tests.architecture` prints every edge between our packages with its import count
and lists what breaks the floors; the tests in `tests/test_architecture.py` fail on the same.
The floors, bottom to top: an import may only point to a lower floor (or inside its own
package); packages on one floor do not import each other.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FLOORS: tuple[tuple[str, ...], ...] = (
    ("kernel",),
    ("catalog",),
    ("licensing",),
    ("orders",),
    ("messaging", "reports"),
    ("graphql_schema", "storefront"),
    ("tiein",),
)
FLOOR = {package: level for level, packages in enumerate(FLOORS) for package in packages}
MAX_MODULE_LINES = 400


@dataclass(frozen=True)
class Edge:
    source: str  # package that imports
    target: str  # package imported
    where: str  # path:line

    @property
    def goes_down_a_floor(self) -> bool:
        """True when the import points at the same or a higher floor (the wrong way)."""
        return FLOOR[self.target] >= FLOOR[self.source]


def modules() -> Iterator[Path]:
    """Every Python module of the shipped packages."""
    for package in FLOOR:
        directory = ROOT / package
        if directory.is_dir():
            yield from sorted(directory.rglob("*.py"))


def _imported(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.ImportFrom):
        return [] if node.level else [node.module or ""]
    return [alias.name for alias in node.names]


def edges() -> list[Edge]:
    """Imports from one of our packages into another, wherever they are in a module."""
    found = []
    for path in modules():
        source = path.relative_to(ROOT).parts[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for name in _imported(node):
                    target = name.split(".")[0]
                    if target in FLOOR and target != source:
                        where = f"{path.relative_to(ROOT)}:{node.lineno}"
                        found.append(Edge(source, target, where))
    return found


def imports_inside_functions() -> list[str]:
    """Imports of our own packages written inside a function (a cycle dodged)."""
    found = []
    for path in modules():
        tree = ast.parse(path.read_text(), str(path))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom) and any(
                    name.split(".")[0] in FLOOR for name in _imported(node)
                ):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return sorted(set(found))


def oversized_modules() -> list[str]:
    """Shipped modules longer than MAX_MODULE_LINES lines."""
    found = []
    for path in modules():
        lines = len(path.read_text().splitlines())
        if lines > MAX_MODULE_LINES:
            found.append(f"{path.relative_to(ROOT)}: {lines} lines")
    return found


def main() -> int:
    graph: dict[tuple[str, str], list[Edge]] = defaultdict(list)
    for edge in edges():
        graph[edge.source, edge.target].append(edge)
    print("floors (bottom first): " + " < ".join(", ".join(floor) for floor in FLOORS))
    bad = 0
    for (source, target), found in sorted(graph.items(), key=lambda item: FLOOR[item[0][0]]):
        wrong = found[0].goes_down_a_floor
        bad += len(found) if wrong else 0
        print(
            f"  {source:15} -> {target:15} {len(found):3} imports{'  WRONG WAY' if wrong else ''}"
        )
        if wrong:
            for edge in found:
                print(f"      {edge.where}")
    inside = imports_inside_functions()
    oversized = oversized_modules()
    for where in inside:
        print(f"  import inside a function: {where}")
    for what in oversized:
        print(f"  over {MAX_MODULE_LINES} lines: {what}")
    problems = bad + len(inside) + len(oversized)
    print("no downward edge" if not problems else f"{problems} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
