"""Calling hours: the days and the time window (in the campaign's time zone) when people may be called."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAYS = DAYS[:5]
DEFAULT_HOURS = {"days": list(WEEKDAYS), "start": "10:00", "end": "18:00"}


class HoursError(ValueError):
    """Calling hours that cannot be used, with the field named."""


@dataclass(frozen=True)
class CallingHours:
    days: frozenset[int]  # 0 = Monday
    start: time
    end: time | None  # None = midnight (the end of the day)
    tz: ZoneInfo

    @classmethod
    def parse(cls, data: dict[str, Any] | None, timezone: str = "Asia/Seoul") -> CallingHours:
        data = dict(DEFAULT_HOURS if not data else data)
        try:
            tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise HoursError(f"timezone: unknown time zone '{timezone}'") from None
        days = parse_days(data.get("days", list(WEEKDAYS)))
        start = _clock(data.get("start", "10:00"), "start")
        end = _clock(data.get("end", "18:00"), "end")
        if end is not None and end <= start:
            raise HoursError(f"end {end:%H:%M} is not after start {start:%H:%M}")
        return cls(frozenset(days), start or time(0), end, tz)

    def as_json(self) -> dict[str, Any]:
        return {
            "days": [DAYS[d] for d in sorted(self.days)],
            "start": f"{self.start:%H:%M}",
            "end": "24:00" if self.end is None else f"{self.end:%H:%M}",
        }

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """That day's window as aware datetimes, or None when the day is not a calling day."""
        if day.weekday() not in self.days:
            return None
        opens = datetime.combine(day, self.start, self.tz)
        closes = datetime.combine(day + timedelta(days=1), time(0), self.tz) if self.end is None else (
            datetime.combine(day, self.end, self.tz)
        )
        return opens, closes

    def is_open(self, when: datetime) -> bool:
        local = when.astimezone(self.tz)
        window = self.window(local.date())
        return window is not None and window[0] <= local < window[1]

    def next_open(self, when: datetime) -> datetime:
        """``when`` itself inside the hours, else the next opening (aware, in the campaign's zone)."""
        local = when.astimezone(self.tz)
        for offset in range(8):
            window = self.window(local.date() + timedelta(days=offset))
            if window is None:
                continue
            opens, closes = window
            if local < closes:
                return max(local, opens)
        raise HoursError("no calling day in the week")  # parse() forbids an empty day set

    def today(self, now: datetime) -> date:
        return now.astimezone(self.tz).date()


def parse_days(value: Any) -> set[int]:
    """``["mon", "tue"]``, ``"mon-fri"``, ``"weekdays"``, ``"mon,wed,fri"``, ``"daily"`` → weekday numbers."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("weekdays", "평일"):
            return set(range(5))
        if text in ("daily", "everyday", "all", "매일"):
            return set(range(7))
        if text in ("weekend", "주말"):
            return {5, 6}
        parts: list[str] = []
        for piece in text.split(","):
            piece = piece.strip()
            if "-" in piece:
                a, b = (p.strip() for p in piece.split("-", 1))
                ia, ib = _day(a), _day(b)
                parts.extend(DAYS[i % 7] for i in range(ia, ib + 1 if ib >= ia else ib + 8))
            elif piece:
                parts.append(piece)
        value = parts
    if not isinstance(value, list | tuple) or not value:
        raise HoursError("days: give at least one day (mon … sun)")
    return {_day(str(d).strip().lower()) for d in value}


def _day(name: str) -> int:
    key = name[:3]
    if key not in DAYS:
        raise HoursError(f"days: '{name}' is not a day (mon, tue, wed, thu, fri, sat, sun)")
    return DAYS.index(key)


def _clock(value: Any, field: str) -> time | None:
    text = str(value).strip()
    if text in ("24:00", "24"):
        return None
    try:
        hour, minute = (int(x) for x in text.split(":")) if ":" in text else (int(text), 0)
        return time(hour, minute)
    except ValueError:
        raise HoursError(f"{field}: '{value}' is not a time like 10:00") from None
