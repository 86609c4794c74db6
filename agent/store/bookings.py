"""The reservation lines' booking book in SQL: dialog.reservations.BookingBook over the `bookings` table."""

from __future__ import annotations

import uuid
from dataclasses import fields
from datetime import date

from sqlalchemy import Engine, select
from sqlalchemy.orm import sessionmaker

from agent.store._models import BookingRow
from dialog.reservations import Booking

_FIELDS = [f.name for f in fields(Booking)]


class SqlBookingBook:
    """Bookings shared by every call and process that uses the same database."""

    def __init__(self, engine: Engine):
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def on_day(self, venue_id: str, day: date) -> list[Booking]:
        with self._sessions() as session:
            rows = session.scalars(
                select(BookingRow).where(
                    BookingRow.venue_id == venue_id, BookingRow.day == day, BookingRow.status == "booked"
                )
            )
            return [_booking(row) for row in rows]

    def find_by_phone(self, venue_id: str, phone: str, from_day: date) -> Booking | None:
        with self._sessions() as session:
            row = session.scalars(
                select(BookingRow)
                .where(
                    BookingRow.venue_id == venue_id,
                    BookingRow.phone == phone,
                    BookingRow.status == "booked",
                    BookingRow.day >= from_day,
                )
                .order_by(BookingRow.day, BookingRow.time)
                .limit(1)
            ).first()
            return _booking(row) if row else None

    def add(self, booking: Booking) -> Booking:
        values = {name: getattr(booking, name) for name in _FIELDS}
        values["id"] = booking.id or str(uuid.uuid4())
        with self._sessions.begin() as session:
            session.add(BookingRow(**values))
        return _from_values(values)

    def update(self, booking_id: str, **changes) -> Booking:
        unknown = set(changes) - set(_FIELDS) - {"id"}
        if unknown or "id" in changes:
            raise ValueError(f"cannot change {', '.join(sorted(unknown | ({'id'} & set(changes))))}")
        with self._sessions.begin() as session:
            row = session.get(BookingRow, booking_id)
            if row is None:
                raise KeyError(f"no booking {booking_id!r}")
            for name, value in changes.items():
                setattr(row, name, value)
            return _booking(row)

    def all(self, venue_id: str | None = None, limit: int = 200) -> list[Booking]:
        """Newest-day-first bookings (for listings), cancelled ones included."""
        with self._sessions() as session:
            query = select(BookingRow).order_by(BookingRow.day.desc(), BookingRow.time.desc()).limit(limit)
            if venue_id:
                query = query.where(BookingRow.venue_id == venue_id)
            return [_booking(row) for row in session.scalars(query)]


    def upcoming(self, from_day: date, include_cancelled: bool = False, limit: int = 500) -> list[Booking]:
        """Bookings on or after ``from_day`` in the order they will be served (the dashboard's listing)."""
        query = select(BookingRow).where(BookingRow.day >= from_day)
        if not include_cancelled:
            query = query.where(BookingRow.status == "booked")
        query = query.order_by(BookingRow.day, BookingRow.time, BookingRow.created_at).limit(limit)
        with self._sessions() as session:
            return [_booking(row) for row in session.scalars(query)]


def _booking(row: BookingRow) -> Booking:
    return _from_values({name: getattr(row, name) for name in _FIELDS})


def _from_values(values: dict) -> Booking:
    return Booking(**{name: values[name] for name in _FIELDS})
