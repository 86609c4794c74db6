"""A campaign's results as CSV for the people the office reports to: one row per contact.

UTF-8 with a byte-order mark, so Excel opens the Korean text correctly.
"""

from __future__ import annotations

import csv
import io
import re

from agent.dashboard.campaigns import Progress
from dialog.flags import severity_rank

_FORMULA_STARTS = frozenset("=+-@\t\r\n")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
BASE_COLUMNS = ["이름", "전화번호", "시도 횟수", "최종 상태", "최종 여부", "통화 결과", "최고 위험도", "알림", "미처리 알림 수"]


def campaign_csv(progress: Progress) -> str:
    answer_keys = sorted({key for c in progress.contacts for key in c.answers})
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(BASE_COLUMNS + [f"답변:{key}" for key in answer_keys])
    for c in progress.contacts:  # every cell through _safe: callers' words must not become formulas
        top = max((f.severity for f in c.flags), key=severity_rank, default="")
        row = (
            [
                c.name,
                c.phone,
                c.attempts,
                c.status,
                "예" if c.final else "아니요",
                c.outcome or "",
                top,
                "; ".join(f"{f.rule}({f.severity}): {f.evidence}" for f in c.flags),
                sum(1 for f in c.flags if f.resolved_at is None),
            ]
            + [_cell(c.answers.get(key)) for key in answer_keys]
        )
        writer.writerow([_safe(cell) for cell in row])
    return out.getvalue()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _safe(value) -> str | int:
    """Neutralise spreadsheet formulas the OWASP way: a text cell starting with = + - @, a tab or a line
    break gets a leading apostrophe ("+1+HYPERLINK(…)", "-2+3+cmd|…" included). A cell that is nothing but a
    number ("-5", "+821012345678") cannot run anything and stays as it is, so numbers and phone numbers
    still read as themselves."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] in _FORMULA_STARTS and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value
