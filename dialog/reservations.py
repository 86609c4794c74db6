"""Venues, bookings and the capacity check of a reservation line. Pure Python, no storage of its own.

A :class:`Venue` says when it is open and how many seats it has; a booking occupies its seats for the
venue's sitting length. :func:`check` answers "can 4 people come on Friday at 19:00?" and, when not,
offers the nearest times that same day that can take them. Where bookings live is the caller's choice:
:class:`MemoryBookingBook` here, a database-backed book in the agent.
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


class Venue(BaseModel):
    """A place that takes bookings. ``hours`` maps mon…sun to "11:30-21:00" (last seating is
    ``sitting_minutes`` before closing) or to "closed"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = "default"
    name: str
    hours: dict[str, str]
    seats: int = Field(ge=1)
    max_party: int = Field(ge=1)
    slot_minutes: int = Field(30, ge=5)
    sitting_minutes: int = Field(90, ge=15)
    days_ahead: int = Field(60, ge=0)

    @field_validator("hours")
    @classmethod
    def _valid_hours(cls, hours: dict[str, str]) -> dict[str, str]:
        for key, spec in hours.items():
            if key not in WEEKDAY_KEYS:
                raise ValueError(f"unknown day {key!r}; use {', '.join(WEEKDAY_KEYS)}")
            if spec != "closed" and not _HOURS.match(spec):
                raise ValueError(f"{key}: {spec!r} is not like '11:30-21:00' or 'closed'")
        return hours

    def opening(self, day: date) -> tuple[time, time] | None:
        """(open, close) on ``day``, or None when closed."""
        spec = self.hours.get(WEEKDAY_KEYS[day.weekday()], "closed")
        m = _HOURS.match(spec)
        if not m:
            return None
        h1, m1, h2, m2 = map(int, m.groups())
        return time(h1, m1), time(h2 % 24, m2)

    def seatings(self, day: date) -> list[time]:
        """Times a party can be seated on ``day``: every slot from opening to the last seating."""
        hours = self.opening(day)
        if hours is None:
            return []
        start = datetime.combine(day, hours[0])
        last = datetime.combine(day, hours[1]) - timedelta(minutes=self.sitting_minutes)
        out = []
        while start <= last:
            out.append(start.time())
            start += timedelta(minutes=self.slot_minutes)
        return out


@dataclass(frozen=True)
class Booking:
    venue_id: str
    phone: str
    name: str
    day: date
    time: time
    party_size: int
    requests: str = ""
    status: Literal["booked", "cancelled"] = "booked"
    id: str = ""
    call_id: str | None = None

    def describe(self) -> str:
        return f"{self.day.isoformat()} {self.time:%H:%M} {self.party_size}명 {self.name}"


class NoRoom(Exception):
    """The party no longer fits: another booking took the seats between the check and the write."""


class BookingBook(Protocol):
    """Where a reservation line keeps its bookings. Given the ``venue``, ``add`` and ``update`` check the seats
    and write in one atomic step (two calls booking the last seats at once: one gets :class:`NoRoom`)."""

    def on_day(self, venue_id: str, day: date) -> list[Booking]:
        """Active (not cancelled) bookings of ``venue_id`` on ``day``."""

    def find_by_phone(self, venue_id: str, phone: str, from_day: date) -> Booking | None:
        """The caller's next active booking on or after ``from_day``."""

    def add(self, booking: Booking, venue: Venue | None = None) -> Booking:
        """Store a new booking; returns it with its id. With ``venue``: raises NoRoom when it does not fit."""

    def update(self, booking_id: str, *, venue: Venue | None = None, **changes) -> Booking:
        """Change fields of a booking (day, time, party_size, name, requests, status). With ``venue``: raises
        NoRoom when the changed booking does not fit (the booking itself does not compete for its seats)."""


@dataclass
class MemoryBookingBook:
    """Bookings in memory: for tests, `carecall chat` and the embedded demo."""

    bookings: dict[str, Booking] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def on_day(self, venue_id: str, day: date) -> list[Booking]:
        return [b for b in self.bookings.values() if b.venue_id == venue_id and b.day == day and b.status == "booked"]

    def find_by_phone(self, venue_id: str, phone: str, from_day: date) -> Booking | None:
        mine = [
            b for b in self.bookings.values()
            if b.venue_id == venue_id and b.phone == phone and b.status == "booked" and b.day >= from_day
        ]  # fmt: skip
        return min(mine, key=lambda b: (b.day, b.time), default=None)

    def add(self, booking: Booking, venue: Venue | None = None) -> Booking:
        with self._lock:
            if venue is not None and not fits(venue, self.on_day(booking.venue_id, booking.day), booking):
                raise NoRoom(booking.describe())
            stored = replace(booking, id=booking.id or f"B{next(self._ids):05d}")
            self.bookings[stored.id] = stored
        return stored

    def update(self, booking_id: str, *, venue: Venue | None = None, **changes) -> Booking:
        with self._lock:
            if booking_id not in self.bookings:
                raise KeyError(f"no booking {booking_id!r}")
            changed = replace(self.bookings[booking_id], **changes)
            if venue is not None and not fits(venue, self.on_day(changed.venue_id, changed.day), changed):
                raise NoRoom(changed.describe())
            self.bookings[booking_id] = changed
            return changed


Verdict = Literal["available", "full", "closed", "past", "too_far", "too_many"]


@dataclass(frozen=True)
class Availability:
    verdict: Verdict
    alternatives: tuple[time, ...] = ()  # other times that day that can take the party, nearest first


def check(
    venue: Venue,
    book: BookingBook,
    day: date,
    at: time,
    party_size: int,
    now: datetime,
    *,
    ignore_booking: str | None = None,
) -> Availability:
    """Can ``party_size`` people be seated at ``at`` on ``day``? ``ignore_booking`` leaves out the
    booking being changed, so moving a booking does not compete with itself."""
    today = now.date()
    if day < today or (day == today and at <= now.time()):
        return Availability("past")
    if day > today + timedelta(days=venue.days_ahead):
        return Availability("too_far")
    if party_size > venue.max_party:
        return Availability("too_many")
    seatings = venue.seatings(day)
    if not seatings:
        return Availability("closed")
    taken = [b for b in book.on_day(venue.id, day) if b.id != ignore_booking]
    in_hours = seatings[0] <= at <= seatings[-1]
    if in_hours and _fits(venue, taken, day, at, party_size):
        return Availability("available")
    free = [t for t in seatings if _fits(venue, taken, day, t, party_size) and (day > today or t > now.time())]
    wanted = datetime.combine(day, at)
    nearest = sorted(free, key=lambda t: abs(datetime.combine(day, t) - wanted))
    return Availability("full" if in_hours else "closed", tuple(nearest[:2]))


def fits(venue: Venue, taken: list[Booking], booking: Booking) -> bool:
    """Does ``booking`` fit beside ``taken`` (the venue's active bookings that day; the booking itself, when
    it is among them, does not count)? A cancelled booking always fits. The check a booking book makes in the
    same atomic step as its write."""
    others = [b for b in taken if not (booking.id and b.id == booking.id)]
    return booking.status != "booked" or _fits(venue, others, booking.day, booking.time, booking.party_size)


def _fits(venue: Venue, taken: list[Booking], day: date, at: time, party_size: int) -> bool:
    """Seats stay within capacity at every slot the new party would sit through."""
    start = datetime.combine(day, at)
    sitting = timedelta(minutes=venue.sitting_minutes)
    step = timedelta(minutes=venue.slot_minutes)
    moment = start
    while moment < start + sitting:
        seated = sum(
            b.party_size for b in taken
            if datetime.combine(day, b.time) <= moment < datetime.combine(day, b.time) + sitting
        )  # fmt: skip
        if seated + party_size > venue.seats:
            return False
        moment += step
    return True
