"""A campaign's results as CSV for the people the office reports to: one row per contact.

UTF-8 with a byte-order mark, so Excel opens the Korean text correctly. Outcomes, flag rules, severities, answer
keys and answer values are written by their Korean names, the campaign scenario's own (``dialog.labels_for``).
"""

from __future__ import annotations

import csv
import io
import re

from agent.dashboard.campaigns import Progress
from agent.dashboard.filters import SEVERITY
from dialog.flags import severity_rank
from dialog.labels import Labels
from dialog.scenario import labels_for

_FORMULA_STARTS = frozenset("=+-@\t\r\n")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
BASE_COLUMNS = ["이름", "전화번호", "시도 횟수", "최종 상태", "최종 여부", "통화 결과", "최고 위험도", "알림", "미처리 알림 수"]


def campaign_csv(progress: Progress) -> str:
    names = labels_for(progress.campaign.scenario)
    answer_keys = sorted({key for c in progress.contacts for key in c.answers})
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(BASE_COLUMNS + _answer_columns(names, answer_keys))
    for c in progress.contacts:  # every cell through _safe: callers' words must not become formulas
        top = max((f.severity for f in c.flags), key=severity_rank, default="")
        row = (
            [
                c.name,
                c.phone,
                c.attempts,
                c.status,
                "예" if c.final else "아니요",
                names.outcome(c.outcome) if c.outcome else "",
                SEVERITY.get(top, top),
                "; ".join(f"{names.flag(f.rule)}({SEVERITY.get(f.severity, f.severity)}): {f.evidence}" for f in c.flags),
                sum(1 for f in c.flags if f.resolved_at is None),
            ]
            + [names.value(key, c.answers.get(key)) for key in answer_keys]
        )
        writer.writerow([_safe(cell) for cell in row])
    return out.getvalue()


def _answer_columns(names: Labels, keys: list[str]) -> list[str]:
    """"답변:식사" per answer key; where two keys share a Korean name, the code tells them apart."""
    shown = [names.answer(key) for key in keys]
    return [f"답변:{label}" if shown.count(label) == 1 else f"답변:{label}({key})" for key, label in zip(keys, shown)]


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
