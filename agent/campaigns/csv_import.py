"""Contact lists from CSV: ``name,phone,notes`` (Korean headers too), and optionally what the people
registry keeps about each person: ``care_worker`` (a dashboard username), ``guardian_name``,
``guardian_phone``, ``person_notes`` and ``consent`` (unknown / given / refused, or 확인 안 됨 / 동의 /
미동의). Every bad row is reported with its line number and skipped;
nothing is dropped silently.

``notes`` stays the contact's (this campaign's, handed to the call); ``person_notes`` are the registry's."""

from __future__ import annotations

import csv
import io
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from dialog.phone_numbers import PhoneNumberError, to_e164

HEADERS = {
    "name": ("name", "이름", "성명"),
    "phone": ("phone", "phone_number", "전화번호", "전화", "연락처"),
    "notes": ("notes", "note", "메모", "비고"),
    "care_worker": ("care_worker", "담당자", "담당 복지사", "담당복지사", "생활지원사"),
    "guardian_name": ("guardian_name", "guardian", "보호자", "보호자 이름", "보호자명"),
    "guardian_phone": ("guardian_phone", "보호자 전화번호", "보호자 연락처", "비상 연락처", "비상연락처"),
    "person_notes": ("person_notes", "특이사항", "특이 사항"),
    "consent": ("consent", "동의", "동의 여부", "개인정보 동의"),
}
# A consent cell as written (English or Korean) → the registry's value (agent.store.people.CONSENT_STATES).
CONSENT_CELLS = {
    "unknown": "unknown", "확인 안 됨": "unknown", "모름": "unknown", "미확인": "unknown",
    "given": "given", "yes": "given", "동의": "given", "동의함": "given",
    "refused": "refused", "no": "refused", "미동의": "refused", "동의하지 않음": "refused", "거부": "refused",
}  # fmt: skip
MAX_NAME = 100


class CsvError(ValueError):
    """The file as a whole cannot be read (no header, wrong encoding)."""


@dataclass(frozen=True)
class ContactRow:
    line: int
    name: str
    phone: str  # E.164
    notes: str = ""
    care_worker: str = ""  # empty: leave the registry's as it is
    guardian_name: str = ""
    guardian_phone: str = ""  # E.164
    person_notes: str = ""
    consent: str = ""  # CONSENT_STATES; empty: leave the registry's as it is


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
    return decode_csv(path.read_bytes(), str(path))


def decode_csv(data: bytes, name: str) -> str:
    """A file's bytes as text (an upload's, a path's); ``name`` says which file in the error."""
    for encoding in ("utf-8-sig", "cp949"):  # Excel in Korea saves CSV as CP949 by default
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CsvError(f"{name}: neither UTF-8 nor CP949 text")


def parse_contacts(
    text: str, known_phones: set[str] | frozenset[str] = frozenset(), care_workers: Collection[str] | None = None
) -> ParsedCsv:
    """Rows with a name and a valid phone; errors for the rest, by physical line number (header = 1).

    ``known_phones``: numbers already in the campaign, reported as duplicates. ``care_workers``: the
    usernames a care worker cell may name (None: not checked)."""
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
        care_worker = _cell(cells, columns.get("care_worker"))
        if care_worker and care_workers is not None and care_worker not in care_workers:
            out.errors.append(RowError(first_line, f"care worker '{care_worker}' is not a dashboard user", raw))
            continue
        guardian_phone = _cell(cells, columns.get("guardian_phone"))
        if guardian_phone:
            try:
                guardian_phone = to_e164(guardian_phone)
            except PhoneNumberError as exc:
                out.errors.append(RowError(first_line, f"guardian phone: {exc}", raw))
                continue
        guardian_name = _cell(cells, columns.get("guardian_name"))
        if len(guardian_name) > MAX_NAME:
            out.errors.append(RowError(first_line, f"guardian name is longer than {MAX_NAME} characters", raw))
            continue
        consent_cell = _cell(cells, columns.get("consent"))
        consent = CONSENT_CELLS.get(consent_cell.lower(), "") if consent_cell else ""
        if consent_cell and not consent:
            out.errors.append(RowError(first_line, f"consent '{consent_cell}': expected unknown, given or refused "
                                                   "(확인 안 됨, 동의, 미동의)", raw))  # fmt: skip
            continue
        seen[phone] = first_line
        out.rows.append(ContactRow(first_line, name, phone, notes, care_worker, guardian_name, guardian_phone,
                                   _cell(cells, columns.get("person_notes")), consent))  # fmt: skip
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
