"""The reservation side of a dialog session: reading booking details, running the scenario's actions
against the venue and its booking book, and wording the details back to the caller.

Answers are kept as plain strings (date "2026-12-03", time "19:30", party_size "4", phone
"01012345678") so a call record stores them as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from dialog.phone_numbers import national_digits
from dialog.reservations import Booking, BookingBook, MemoryBookingBook, NoRoom, Venue, check
from dialog.understanding import booking as booking_nlu
from dialog.understanding.answers import Finding
from dialog.understanding.text import Utterance
from dialog.understanding.when import find_date, find_time

DETAIL_SLOTS = ("date", "time", "party_size")
_WEEKDAY_NAMES = "월화수목금토일"
_NATIVE_COUNT = {1: "한", 2: "두", 3: "세", 4: "네", 5: "다섯", 6: "여섯", 7: "일곱", 8: "여덟", 9: "아홉", 10: "열",
                 11: "열한", 12: "열두", 20: "스무"}  # fmt: skip


@dataclass
class BookingFlow:
    venue: Venue
    book: BookingBook = field(default_factory=MemoryBookingBook)
    now: datetime = field(default_factory=datetime.now)
    caller_number: str | None = None
    call_id: str | None = None
    alternatives: list[time] = field(default_factory=list)
    found: Booking | None = None

    # --- understanding ---------------------------------------------------------------------------------

    def parse(self, slot: str, u: Utterance, answers: dict[str, Any]) -> Finding | None:
        """One detail as an answer string, or None."""
        if slot == "date":
            found = find_date(u, self.now.date())
            return Finding(found.date.isoformat(), found.evidence) if found else None
        if slot == "time":
            found = find_time(u)
            if found is None:
                return None
            day = _as_date(answers.get("date")) or self.now.date()
            hour, minute = self._reading(found.readings(), day)
            return Finding(f"{hour:02d}:{minute:02d}", found.evidence)
        if slot == "party_size":
            return booking_nlu.party_size(u)
        if slot == "name":
            return booking_nlu.name(u)
        if slot == "phone":
            return booking_nlu.phone(u, self.caller_number)
        raise KeyError(slot)

    def details(self, u: Utterance, answers: dict[str, Any], *, with_name: bool = False) -> dict[str, Finding]:
        """Every booking detail said in this turn (date, time, party size; the name too if asked)."""
        found = {}
        for slot in (*DETAIL_SLOTS, "name") if with_name else DETAIL_SLOTS:
            finding = self.parse(slot, u, {**answers, **{k: v.value for k, v in found.items()}})
            if finding is not None:
                found[slot] = finding
        return found

    def _reading(self, readings: list[tuple[int, int]], day: date) -> tuple[int, int]:
        """Of "7시" = 19:00 or 07:00, the one the venue is open at (the afternoon one if both or neither)."""
        seatings = self.venue.seatings(day) or self.venue.seatings(_next_open_day(self.venue, day))
        for hour, minute in readings:
            if seatings and seatings[0] <= time(hour, minute) <= seatings[-1]:
                return hour, minute
        return readings[0]

    # --- actions -------------------------------------------------------------------------------------

    def run(self, action: str, answers: dict[str, Any]) -> str:
        """Run one scenario action; returns its result (the key of the state's branches)."""
        return getattr(self, f"_{action}")(answers)

    def _check_availability(self, answers: dict[str, Any]) -> str:
        day, at, party = _as_date(answers.get("date")), _as_time(answers.get("time")), _as_int(answers.get("party_size"))
        if day is None or at is None or party is None:
            return "past" if day is None else "no_time"
        verdict = check(self.venue, self.book, day, at, party, self.now, ignore_booking=answers.get("booking_id"))
        self.alternatives = list(verdict.alternatives)
        if verdict.verdict in ("full", "closed") and not self.alternatives:
            return "no_time"
        return verdict.verdict

    def _take_alternative(self, answers: dict[str, Any]) -> str:
        if self.alternatives:
            answers["time"] = f"{self.alternatives[0]:%H:%M}"
        return "taken"

    def _route_by_intent(self, answers: dict[str, Any]) -> str:
        """'new', or 'change' / 'cancel' of the booking found; 'no_booking' when a change or a cancellation
        was asked for but no booking has been found yet (the change and cancel actions need one)."""
        if answers.get("intent") not in ("change", "cancel"):
            return "new"
        return answers["intent"] if answers.get("booking_id") is not None else "no_booking"

    def _find_booking(self, answers: dict[str, Any]) -> str:
        phone = national_digits(answers.get("phone") or "")
        self.found = self.book.find_by_phone(self.venue.id, phone, self.now.date()) if phone else None
        if self.found is None:
            return "not_found"
        answers.update(
            booking_id=self.found.id,
            date=self.found.day.isoformat(),
            time=f"{self.found.time:%H:%M}",
            party_size=str(self.found.party_size),
            name=self.found.name,
        )
        return "found"

    def _book(self, answers: dict[str, Any]) -> str:
        """'booked', or 'full' when the time is taken (also when another call took the last seats a moment
        ago: the book checks and writes atomically; the alternatives are then worked out afresh)."""
        if self._check_availability(answers) != "available":
            return "full"
        booking = Booking(
            venue_id=self.venue.id,
            phone=national_digits(answers.get("phone") or "") or "",
            name=answers.get("name") or "",
            day=_as_date(answers["date"]),
            time=_as_time(answers["time"]),
            party_size=_as_int(answers["party_size"]),
            requests=answers.get("requests") if answers.get("requests") not in (None, "nothing", "unknown") else "",
            call_id=self.call_id,
        )
        try:
            stored = self.book.add(booking, venue=self.venue)
        except NoRoom:
            self._check_availability(answers)
            return "full"
        answers["booking_id"] = stored.id
        return "booked"

    def _change_booking(self, answers: dict[str, Any]) -> str:
        if self._check_availability(answers) != "available":
            return "full"
        try:
            self.book.update(
                answers["booking_id"],
                venue=self.venue,
                day=_as_date(answers["date"]),
                time=_as_time(answers["time"]),
                party_size=_as_int(answers["party_size"]),
            )
        except NoRoom:
            self._check_availability(answers)
            return "full"
        return "changed"

    def _cancel_booking(self, answers: dict[str, Any]) -> str:
        self.book.update(answers["booking_id"], status="cancelled")
        return "cancelled"

    # --- wording -------------------------------------------------------------------------------------

    def variables(self, answers: dict[str, Any]) -> dict[str, str]:
        """Prompt variables for the details known so far."""
        out = {"venue": self.venue.name, "max_party": f"{self.venue.max_party}명"}
        if day := _as_date(answers.get("date")):
            out["date"] = say_date(day, self.now.date())
        if at := _as_time(answers.get("time")):
            out["time"] = say_time(at)
        if party := _as_int(answers.get("party_size")):
            out["party_size"] = f"{party}명"
            out["guests"] = f"{_NATIVE_COUNT.get(party, party)} 분"
        if answers.get("name") and answers["name"] != "unknown":
            out["name"] = answers["name"]
        if phone := national_digits(answers.get("phone") or ""):
            out["phone"] = booking_nlu.spoken_phone(phone)
        if self.alternatives:
            out["alternatives"] = _either([say_time(t) for t in self.alternatives])
        if self.found is not None:
            f = self.found
            out["booking"] = f"{say_date(f.day, self.now.date())} {say_time(f.time)}, {_NATIVE_COUNT.get(f.party_size, f.party_size)} 분"
        return out


def say_date(day: date, today: date) -> str:
    """12월 3일 목요일; 오늘 / 내일 / 모레 for the next days."""
    relative = {0: "오늘", 1: "내일", 2: "모레"}.get((day - today).days)
    text = f"{day.month}월 {day.day}일 {_WEEKDAY_NAMES[day.weekday()]}요일"
    return f"{relative} {text}" if relative else text


def say_time(at: time) -> str:
    """19:30 → 저녁 7시 30분; 12:00 → 낮 12시; 11:30 → 오전 11시 30분."""
    period = "오전" if at.hour < 12 else ("낮" if at.hour < 17 else "저녁")
    hour = at.hour if at.hour <= 12 else at.hour - 12
    return f"{period} {hour}시" + (f" {at.minute}분" if at.minute else "")


def _either(words: list[str]) -> str:
    """["저녁 7시 30분", "저녁 8시"] → "저녁 7시 30분이나 저녁 8시"."""
    if len(words) == 1:
        return words[0]
    first = words[0]
    return f"{first}{'이나' if _has_final(first[-1]) else '나'} {words[1]}"


def _has_final(ch: str) -> bool:
    return "가" <= ch <= "힣" and (ord(ch) - 0xAC00) % 28 != 0


def _next_open_day(venue: Venue, day: date) -> date:
    from datetime import timedelta

    for offset in range(1, 8):
        if venue.opening(day + timedelta(days=offset)):
            return day + timedelta(days=offset)
    return day


def _as_date(text: Any) -> date | None:
    try:
        return date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _as_time(text: Any) -> time | None:
    try:
        return time.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _as_int(text: Any) -> int | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None
