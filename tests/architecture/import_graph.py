"""The project's import graph read from source (no imports run): who imports whom, cycles, private imports.

Every import counts, including those inside functions and under ``TYPE_CHECKING``: a lazy import still
ties two modules together, and a cycle through one is still a cycle to read.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("agent", "asr", "tts", "dialog", "telephony")


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name of the importing file
    target: str  # the project module the import resolves to
    names: tuple[str, ...]  # names taken with ``from … import``; empty for ``import x``
    line: int


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules(root: Path = ROOT) -> dict[str, Path]:
    return {module_name(p, root): p for pkg in PACKAGES for p in sorted((root / pkg).rglob("*.py"))}


def _owning_module(dotted: str, modules: dict[str, Path]) -> str | None:
    while dotted and dotted not in modules:
        dotted = dotted.rpartition(".")[0]
    return dotted or None


def imports(root: Path = ROOT) -> Iterator[Import]:
    """Every import of a project module by a project module."""
    modules = project_modules(root)
    for name, path in modules.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    target = _owning_module(alias.name, modules)
                    if target:
                        yield Import(name, target, (), node.lineno)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
                if base.split(".")[0] not in PACKAGES:
                    continue
                for alias in node.names:
                    submodule = f"{base}.{alias.name}"
                    if submodule in modules:
                        yield Import(name, submodule, (), node.lineno)
                    elif target := _owning_module(base, modules):
                        yield Import(name, target, (alias.name,), node.lineno)


def cycles(root: Path = ROOT) -> list[list[str]]:
    """Groups of modules that import each other, directly or round a loop (Tarjan's strongly connected sets)."""
    graph: dict[str, set[str]] = {m: set() for m in project_modules(root)}
    for imp in imports(root):
        if imp.target != imp.importer:
            graph[imp.importer].add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:  # iterative enough for a few hundred modules; recursion depth = chain length
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _private_part(dotted: str) -> int | None:
    """Index of the first ``_private`` component of a dotted module name, if any."""
    for i, part in enumerate(dotted.split(".")):
        if part.startswith("_") and not part.startswith("__"):
            return i
    return None


def private_imports(root: Path = ROOT) -> list[Import]:
    """Imports of a ``_name`` from another module, or of a ``_module`` from outside its package."""
    bad = []
    for imp in imports(root):
        if any(n.startswith("_") and not n.startswith("__") for n in imp.names):
            bad.append(imp)
            continue
        at = _private_part(imp.target)
        if at is not None:
            owner = ".".join(imp.target.split(".")[:at])
            if not (imp.importer == owner or imp.importer.startswith(owner + ".")):
                bad.append(imp)
    return bad


def third_party_imports(module_prefix: str, root: Path = ROOT) -> dict[str, set[str]]:
    """Top-level names of every non-project import in the modules under ``module_prefix``."""
    found: dict[str, set[str]] = {}
    for name, path in project_modules(root).items():
        if not (name == module_prefix or name.startswith(module_prefix + ".")):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            roots = []
            if isinstance(node, ast.Import):
                roots = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                roots = [node.module.split(".")[0]]
            for r in roots:
                if r not in PACKAGES:
                    found.setdefault(r, set()).add(name)
    return found


def lines_by_room(root: Path = ROOT, depth: int = 1) -> dict[str, int]:
    """Source lines per folder ``depth`` levels down (1: the top-level packages; 2: their rooms)."""
    totals: dict[str, int] = {}
    for name, path in project_modules(root).items():
        parts = name.split(".")
        room = ".".join(parts[:depth]) if len(parts) > depth or path.name == "__init__.py" else ".".join(parts[:-1] or parts)
        totals[room] = totals.get(room, 0) + len(path.read_text().splitlines())
    return totals


if __name__ == "__main__":  # the figures quoted in the closing note
    total = sum(lines_by_room().values())
    for depth in (1, 2):
        rooms = lines_by_room(depth=depth)
        largest = max(rooms, key=rooms.__getitem__)
        print(f"largest room at depth {depth}: {largest} {rooms[largest]} of {total} lines ({100 * rooms[largest] / total:.1f} %)")
    print("import cycles:", cycles())
    print("cross-module private imports:", [f"{i.importer}:{i.line} {i.target} {i.names}" for i in private_imports()])
