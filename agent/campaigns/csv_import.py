"""Contact lists from CSV: ``name,phone,notes`` (Korean headers too). Every bad row is reported with its
line number and skipped; nothing is dropped silently."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from dialog.phone_numbers import PhoneNumberError, to_e164

HEADERS = {
    "name": ("name", "이름", "성명"),
    "phone": ("phone", "phone_number", "전화번호", "전화", "연락처"),
    "notes": ("notes", "note", "메모", "비고"),
}
MAX_NAME = 100


class CsvError(ValueError):
    """The file as a whole cannot be read (no header, wrong encoding)."""


@dataclass(frozen=True)
class ContactRow:
    line: int
    name: str
    phone: str  # E.164
    notes: str = ""


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str
    raw: str = ""

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class ParsedCsv:
    rows: list[ContactRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def read_text(path: Path) -> str:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp949"):  # Excel in Korea saves CSV as CP949 by default
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CsvError(f"{path}: neither UTF-8 nor CP949 text")


def parse_contacts(text: str, known_phones: set[str] | frozenset[str] = frozenset()) -> ParsedCsv:
    """Rows with a name and a valid phone; errors for the rest, by physical line number (header = 1).

    ``known_phones``: numbers already in the campaign, reported as duplicates."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise CsvError("the file is empty (expected a header: name,phone,notes)") from None
    columns = _columns(header)
    out = ParsedCsv()
    seen: dict[str, int] = {}
    line = reader.line_num
    for cells in reader:
        first_line, line = line + 1, reader.line_num  # a quoted cell may span lines
        raw = ",".join(cells)
        if not any(c.strip() for c in cells):
            out.errors.append(RowError(first_line, "empty row", raw))
            continue
        if len(cells) > len(header):
            out.errors.append(RowError(first_line, f"{len(cells)} cells but the header has {len(header)}", raw))
            continue
        name = _cell(cells, columns["name"])
        notes = _cell(cells, columns.get("notes"))
        if not name:
            out.errors.append(RowError(first_line, "name is empty", raw))
            continue
        if len(name) > MAX_NAME:
            out.errors.append(RowError(first_line, f"name is longer than {MAX_NAME} characters", raw))
            continue
        try:
            phone = to_e164(_cell(cells, columns["phone"]))
        except PhoneNumberError as exc:
            out.errors.append(RowError(first_line, str(exc), raw))
            continue
        if phone in seen:
            out.errors.append(RowError(first_line, f"{phone} is already on line {seen[phone]}", raw))
            continue
        if phone in known_phones:
            out.errors.append(RowError(first_line, f"{phone} is already in the campaign", raw))
            continue
        seen[phone] = first_line
        out.rows.append(ContactRow(first_line, name, phone, notes))
    return out


def _columns(header: list[str]) -> dict[str, int]:
    names = [h.strip().lower() for h in header]
    columns: dict[str, int] = {}
    for key, aliases in HEADERS.items():
        for i, h in enumerate(names):
            if h in aliases:
                columns[key] = i
                break
    missing = [k for k in ("name", "phone") if k not in columns]
    if missing:
        raise CsvError(
            f"line 1: the header needs columns {' and '.join(missing)} (got: {', '.join(header) or 'nothing'})"
        )
    return columns


def _cell(cells: list[str], index: int | None) -> str:
    if index is None or index >= len(cells):
        return ""
    return cells[index].strip()
