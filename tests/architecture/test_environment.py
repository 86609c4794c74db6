"""Only agent/settings.py reads the environment (pydantic-settings, prefix CARECALL_): every other module takes
its folders, thread counts and secrets as arguments, so a setting has one name, one default and one table row.

Setting a third-party library's own variable before it loads (``os.environ.setdefault``) is allowed in the few
places listed below; a new one is added here on purpose, never by accident.
"""

from __future__ import annotations

import ast

from import_graph import project_modules

SETTINGS = "agent.settings"
# (module, variable) pairs that may be *set* (setdefault) for a third-party library
THIRD_PARTY_DEFAULTS = {
    ("asr.recipes.cli", "HF_HUB_OFFLINE"),  # the NeMo recipes must not reach the Hugging Face hub
    ("asr.whisper_engine", "HF_HUB_OFFLINE"),  # faster-whisper loads a local directory only
    ("tts.recipes.cli", "OMP_NUM_THREADS"),  # torch's thread pool for the training recipes
}
READERS = {"environ", "environb", "getenv", "getenvb"}


def environment_uses(source: str) -> list[tuple[int, str]]:
    """``(line, what)`` for every touch of the process environment in ``source``; a ``setdefault`` of a
    constant name is reported as ``setdefault NAME``."""
    found: list[tuple[int, str]] = []
    allowed_nodes: set[int] = set()
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "setdefault"
                and _is_os_environ(node.func.value) and node.args and isinstance(node.args[0], ast.Constant)):
            found.append((node.lineno, f"setdefault {node.args[0].value}"))
            allowed_nodes.add(id(node.func.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_os(node.value) and node.attr in READERS:
            if id(node) not in allowed_nodes:
                found.append((node.lineno, f"os.{node.attr}"))
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            found += [(node.lineno, f"from os import {a.name}") for a in node.names if a.name in READERS]
    return sorted(found)


def _is_os(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "os"


def _is_os_environ(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ" and _is_os(node.value)


def test_only_the_settings_module_reads_the_environment():
    bad = []
    for module, path in project_modules().items():
        if module == SETTINGS:
            continue
        for line, what in environment_uses(path.read_text(encoding="utf-8")):
            name = what.removeprefix("setdefault ")
            if what.startswith("setdefault ") and (module, name) in THIRD_PARTY_DEFAULTS:
                continue
            bad.append(f"{module} line {line}: {what}")
    assert bad == [], "declare a field in agent/settings.py and pass the value down as an argument"


def test_the_allowed_defaults_still_exist():
    """A stale allow-list entry would silently permit a future read in that module."""
    modules = project_modules()
    for module, name in THIRD_PARTY_DEFAULTS:
        uses = environment_uses(modules[module].read_text(encoding="utf-8"))
        assert any(what == f"setdefault {name}" for _, what in uses), (module, name)


def test_every_way_of_reading_is_caught():
    source = """
import os
from os import environ, getenv
a = os.environ.get("X")
b = os.getenv("Y")
c = os.environ["Z"]
d = dict(os.environ)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault(name, "1")
"""
    whats = [what for _, what in environment_uses(source)]
    assert whats.count("os.environ") == 4  # .get, [...], dict(...), setdefault of a computed name
    assert {"os.getenv", "from os import environ", "from os import getenv", "setdefault HF_HUB_OFFLINE"} <= set(whats)
