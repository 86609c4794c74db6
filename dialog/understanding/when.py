"""Dates and times of day as callers say them, resolved against the call's own date (Asia/Seoul).

Dates: 오늘, 내일, 모레, 글피; (이번 주|다음 주|다다음 주) 금요일, 주말; 12월 3일, 십이월 삼일; (이번 달|다음 달)
5일; a bare 5일 (this month, or next month once the day has passed). Times: 일곱 시 반, 7시 30분, 19시, 저녁
7시, 오후 세 시 삼십 분, 정오. A time said without 오전/오후 between 1 and 11 o'clock is marked ambiguous;
the reservation flow reads it against the venue's opening hours (a restaurant's "일곱 시" is 19:00).

When a turn holds two dates or two times ("7시에서 8시로 바꿔 주세요"), the one followed by 로/으로 is
the one wanted; otherwise the last one said wins (people correct themselves forwards).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from dialog.understanding.numbers import NATIVE, SINO, sino_value, value
from dialog.understanding.text import Utterance

WEEKDAYS = "월화수목금토일"
_WEEK_OFFSET = {"이번주": 0, "이번": 0, "금주": 0, "다음주": 1, "담주": 1, "다음": 1, "차주": 1, "다다음주": 2,
                "다담주": 2, "다다음": 2}  # fmt: skip
_RELATIVE_DAYS = {"오늘": 0, "금일": 0, "당일": 0, "내일모레": 2, "낼모레": 2, "내일": 1, "낼": 1, "명일": 1, "모레": 2,
                  "글피": 3}  # fmt: skip
_MONTH_WORDS = {"시": 10, "유": 6}  # 시월, 유월: the spoken forms of 십월, 육월
_MONTH_OFFSET = {"이번달": 0, "이달": 0, "다음달": 1, "담달": 1, "다다음달": 2}

_WANTED = r"(?=으로|로)"  # "…로 바꿔 주세요": the new value
_REFUSED = re.compile(r"^(?:은|는|도|에|에는|쯤은)?(?:안돼|안되|말고|아니|빼고|못|어렵|힘들|곤란)")  # "내일은 안 돼요"


def _alt(words) -> str:
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


_DATE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("month_day", re.compile(rf"(?P<month>\d{{1,2}}|{_alt(_MONTH_WORDS)}|{SINO})월(?P<day>\d{{1,2}}|{SINO})일(?!요)")),
    ("offset_month_day", re.compile(rf"(?P<moff>{_alt(_MONTH_OFFSET)})(?P<day>\d{{1,2}}|{SINO})일(?!요)")),
    ("weekday", re.compile(rf"(?P<woff>{_alt(_WEEK_OFFSET)})?(?P<wd>[{WEEKDAYS}])(?:요일|욜)")),
    ("weekend", re.compile(rf"(?P<woff>{_alt(_WEEK_OFFSET)})?주말")),
    ("relative", re.compile(rf"(?P<rel>{_alt(_RELATIVE_DAYS)})")),
    ("day", re.compile(r"(?<![\d.월])(?P<day>\d{1,2})일(?![요간주])")),
)

_PERIODS = {"오전": "am", "아침": "am", "새벽": "am", "오후": "pm", "저녁": "pm", "밤": "pm", "낮": "noon", "점심": "noon"}
_HOUR = rf"(?P<hour>\d{{1,2}}|{NATIVE}|{SINO})"
_MINUTE = rf"(?:(?P<half>반)|(?P<minute>\d{{1,2}}|{SINO})분)"
_TIME = re.compile(
    rf"(?P<period>{_alt(_PERIODS)})?\|?(?:에|쯤|경)?{_HOUR}시(?!간|작|켜|키|고|면|는지)(?:\|?{_MINUTE})?"
    rf"|(?P<period2>{_alt(_PERIODS)})?(?P<chour>\d{{1,2}})\|(?P<cminute>\d{{2}})(?!\d)"
    r"|(?P<noon>정오|자정)"
)
# Sino-Korean one-syllable hours (오 시, 이 시) are also everyday words ("오시나요", "이시간"): only read
# them as hours next to a period word, a minute, or a particle that follows times.
_AFTER_BARE_SINO = re.compile(r"^(?:반|\d|[일이삼사오육칠팔구십]+분|에|쯤|까지|부터|로|으로|요|정도|이요|$|\|)")


@dataclass(frozen=True)
class DateFinding:
    date: date
    evidence: str


@dataclass(frozen=True)
class TimeFinding:
    hour: int  # 0–23; for an ambiguous time, the hour as said (1–11)
    minute: int
    ambiguous: bool  # said without 오전/오후/저녁…: could be morning or afternoon
    evidence: str

    def readings(self) -> list[tuple[int, int]]:
        """(hour, minute) readings, the afternoon one first for an ambiguous time."""
        if self.ambiguous:
            return [(self.hour + 12, self.minute), (self.hour, self.minute)]
        return [(self.hour, self.minute)]


def _pick(matches: list[re.Match[str]], text: str) -> re.Match[str] | None:
    """Of several mentions, the one followed by 로/으로, else the last."""
    if not matches:
        return None
    for m in matches:
        if re.match(_WANTED, text[m.end() :]) or re.match(rf"(?:에|쯤)?{_WANTED}", text[m.end() :]):
            return m
    return matches[-1]


def find_date(u: Utterance, today: date) -> DateFinding | None:
    """The date the caller means, or None. Past dates are returned as said (the caller is then asked again)."""
    text = u.compact
    found: list[tuple[re.Match[str], date]] = []
    taken: list[range] = []
    for kind, pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() in r or m.end() - 1 in r for r in taken):
                continue  # "12월 3일" already read: its "3일" is not another date
            day = _resolve_date(kind, m, today)
            if day is None:
                continue
            taken.append(range(m.start(), m.end()))
            if not _REFUSED.match(text[m.end() :]):
                found.append((m, day))
    if not found:
        return None
    found.sort(key=lambda pair: pair[0].start())
    # "12월 5일 토요일": a weekday right after a date names the same day, it is not a second date.
    found = [
        (m, d) for i, (m, d) in enumerate(found)
        if not (i and m.re is _DATE_PATTERNS[2][1] and m.start() - found[i - 1][0].end() <= 1)
    ]  # fmt: skip
    chosen = _pick([m for m, _ in found], text)
    day = next(d for m, d in found if m is chosen)
    return DateFinding(day, u.words(chosen.start(), chosen.end()))


def _resolve_date(kind: str, m: re.Match[str], today: date) -> date | None:
    try:
        if kind == "relative":
            return today + timedelta(days=_RELATIVE_DAYS[m.group("rel")])
        if kind in ("weekday", "weekend"):
            wd = WEEKDAYS.index(m.group("wd")) if kind == "weekday" else 5
            offset = m.group("woff")
            monday = today - timedelta(days=today.weekday())
            if offset is None:  # "금요일": the next one, today included
                return today + timedelta(days=(wd - today.weekday()) % 7)
            return monday + timedelta(days=7 * _WEEK_OFFSET[offset] + wd)
        day_number = _number(m.group("day"))
        if day_number is None:
            return None
        if kind == "month_day":
            month_word = m.group("month")
            month = _MONTH_WORDS.get(month_word) or _number(month_word)
            if month is None:
                return None
            candidate = date(today.year, month, day_number)
            return candidate if candidate >= today else date(today.year + 1, month, day_number)
        if kind == "offset_month_day":
            return _add_months(today, _MONTH_OFFSET[m.group("moff")], day_number)
        candidate = _add_months(today, 0, day_number)  # a bare "5일"
        return candidate if candidate >= today else _add_months(today, 1, day_number)
    except ValueError:  # 2월 30일
        return None


def _add_months(today: date, months: int, day: int) -> date:
    month_index = today.month - 1 + months
    return date(today.year + month_index // 12, month_index % 12 + 1, day)


def _number(word: str | None) -> int | None:
    return None if word is None else value(word, prefer="sino")


def find_time(u: Utterance) -> TimeFinding | None:
    """The time of day the caller means, or None."""
    text = u.compact
    matches = [m for m in _TIME.finditer(text) if _plausible_time(m, text) and not _REFUSED.match(text[m.end() :])]
    m = _pick(matches, text)
    if m is None:
        return None
    evidence = u.words(m.start(), m.end())
    if m.group("noon"):
        return TimeFinding(12 if m.group("noon") == "정오" else 0, 0, False, evidence)
    if m.group("chour"):
        hour, minute, period = int(m.group("chour")), int(m.group("cminute")), m.group("period2")
    else:
        hour = value(m.group("hour"), prefer="native") or 0
        minute = 30 if m.group("half") else (_number(m.group("minute")) or 0)
        period = m.group("period")
    if not (0 <= hour <= 24 and 0 <= minute < 60):
        return None
    hour %= 24
    kind = _PERIODS.get(period or "")
    if kind == "am":
        hour = 0 if hour == 12 else hour
    elif kind == "pm" and hour < 12:
        hour += 12
    elif kind == "noon" and hour <= 5:
        hour += 12
    ambiguous = kind is None and 1 <= hour <= 11
    return TimeFinding(hour, minute, ambiguous, evidence)


def _plausible_time(m: re.Match[str], text: str) -> bool:
    hour_word = m.group("hour")
    if hour_word is None:
        return True
    if hour_word.isdigit() or sino_value(hour_word) is None or len(hour_word) > 1:
        return True
    # a one-syllable Sino-Korean hour
    return bool(m.group("period") or _AFTER_BARE_SINO.match(text[m.end("hour") + 1 :]))
