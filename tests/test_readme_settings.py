"""README.md's settings tables against ``agent.settings.Settings``: every field is documented under its
environment name, no row names a variable that is no longer a setting, and a default written as a plain literal
is the field's default.

A table is one whose header is ``| variable | default | meaning |``. A cell may name several variables,
comma-separated in backticks; ``_PORT`` after ``CARECALL_SMTP_HOST`` abbreviates ``CARECALL_SMTP_PORT`` (the
group's first word is kept).
"""

from __future__ import annotations

import re
from pathlib import Path

from agent.settings import Settings

README = Path(__file__).resolve().parents[1] / "README.md"
HEADER = re.compile(r"^\|\s*variable\s*\|\s*default\s*\|\s*meaning\s*\|\s*$")


def _cells(line: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]


def readme_rows(text: str) -> list[tuple[list[str], str]]:
    """(variable names, default cell) of every row of every settings table."""
    rows, in_table = [], False
    for line in text.splitlines():
        if HEADER.match(line):
            in_table = True
            continue
        if not in_table:
            continue
        if not line.startswith("|"):
            in_table = False
            continue
        cells = _cells(line)
        if set(cells[0]) <= {"-", ":", " "}:
            continue
        names, group = [], None
        for token in re.findall(r"`([A-Z0-9_]+)`", cells[0]):
            if token.startswith("CARECALL_"):
                group = "CARECALL_" + token.removeprefix("CARECALL_").split("_")[0]
                names.append(token)
            elif token.startswith("_") and group:
                names.append(group + token)
            else:
                names.append(token)
        rows.append((names, cells[1] if len(cells) > 1 else ""))
    return rows


def _same(written: str, value) -> bool | None:
    """Whether a README literal spells the default ``value``; None when the default is not a plain literal."""
    if isinstance(value, bool):
        return written == str(value).lower()
    if isinstance(value, int | float):
        try:
            return float(written) == float(value)
        except ValueError:
            return False
    if isinstance(value, str):
        return written == value
    return None


def test_the_parser_reads_groups_and_abbreviations():
    text = ("| variable | default | meaning |\n|---|---|---|\n"
            "| `CARECALL_SMTP_HOST`, `_PORT` | —, `25` | mail |\n| `CARECALL_X` | `1` | x |\n\nnot a row\n"
            "| `CARECALL_Y` | | after the table |\n")
    assert readme_rows(text) == [(["CARECALL_SMTP_HOST", "CARECALL_SMTP_PORT"], "—, `25`"), (["CARECALL_X"], "`1`")]


def test_every_setting_is_in_a_readme_table_and_every_row_is_a_setting():
    documented = [name for names, _ in readme_rows(README.read_text(encoding="utf-8")) for name in names]
    fields = {f"CARECALL_{name.upper()}" for name in Settings.model_fields}
    assert sorted(fields - set(documented)) == [], "settings missing from README.md's tables"
    assert sorted(set(documented) - fields) == [], "README.md rows naming no setting (renamed or removed?)"
    assert sorted({n for n in documented if documented.count(n) > 1}) == [], "documented twice"


def test_plain_defaults_in_the_readme_are_the_settings_defaults():
    wrong = []
    for names, default in readme_rows(README.read_text(encoding="utf-8")):
        written = [d.strip() for d in default.split(",")]
        if len(written) != len(names):
            continue  # prose ("the data dir", "e-mail off, `25`, …"): not compared
        for name, cell in zip(names, written, strict=True):
            field = Settings.model_fields.get(name.removeprefix("CARECALL_").lower())
            literal = re.fullmatch(r"`([^`]*)`", cell)
            if field is not None and literal is not None and _same(literal[1], field.default) is False:
                wrong.append(f"{name}: README {literal[1]!r}, settings {field.default!r}")
    assert wrong == []
