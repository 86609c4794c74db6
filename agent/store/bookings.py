"""The reservation lines' booking book in SQL: dialog.reservations.BookingBook over the `bookings` table.

A booking or a change given its venue counts the seats and writes in one transaction that holds the venue's
day: SQLite's ``BEGIN IMMEDIATE`` (one writer at a time), PostgreSQL's transaction-scoped advisory lock on
(venue, day). Two calls taking the last seats at once: the second sees the first's booking and gets NoRoom.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import fields, replace
from datetime import date

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from agent.store._models import BookingRow
from dialog.reservations import Booking, NoRoom, Venue, fits

_FIELDS = [f.name for f in fields(Booking)]


class SqlBookingBook:
    """Bookings shared by every call and process that uses the same database."""

    def __init__(self, engine: Engine):
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def on_day(self, venue_id: str, day: date) -> list[Booking]:
        with self._sessions() as session:
            return _on_day(session, venue_id, day)

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

    def add(self, booking: Booking, venue: Venue | None = None) -> Booking:
        """Store a new booking. With ``venue``, only if the party fits (else NoRoom), checked atomically."""
        stored = replace(booking, id=booking.id or str(uuid.uuid4()))
        with self._sessions.begin() as session:
            if venue is not None:
                _hold_day(session, stored.venue_id, stored.day)
                if not fits(venue, _on_day(session, stored.venue_id, stored.day), stored):
                    raise NoRoom(stored.describe())
            session.add(BookingRow(**{name: getattr(stored, name) for name in _FIELDS}))
        return stored

    def update(self, booking_id: str, *, venue: Venue | None = None, **changes) -> Booking:
        """Change a booking. With ``venue``, only if it still fits where it goes (else NoRoom), atomically."""
        unknown = set(changes) - set(_FIELDS) - {"id"}
        if unknown or "id" in changes:
            raise ValueError(f"cannot change {', '.join(sorted(unknown | ({'id'} & set(changes))))}")
        with self._sessions.begin() as session:
            row = session.get(BookingRow, booking_id)
            if row is None:
                raise KeyError(f"no booking {booking_id!r}")
            if venue is not None:
                _hold_day(session, changes.get("venue_id", row.venue_id), changes.get("day", row.day))
                session.refresh(row)  # as it is now that the day is held
                target = replace(_booking(row), **changes)
                if not fits(venue, _on_day(session, target.venue_id, target.day), target):
                    raise NoRoom(target.describe())
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


def _on_day(session: Session, venue_id: str, day: date) -> list[Booking]:
    rows = session.scalars(
        select(BookingRow).where(BookingRow.venue_id == venue_id, BookingRow.day == day, BookingRow.status == "booked")
    )
    return [_booking(row) for row in rows]


def _hold_day(session: Session, venue_id: str, day: date) -> None:
    """Hold the venue's day until the transaction ends, so no other booking of it is counted or written
    in between. SQLite: take the database's write lock now (``BEGIN IMMEDIATE``, before anything is read);
    PostgreSQL: an advisory lock on (venue, day), released at commit or rollback."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        if connection.connection.dbapi_connection.in_transaction:
            raise RuntimeError("the day must be held before the transaction reads anything")
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif connection.dialect.name == "postgresql":
        digest = hashlib.blake2b(f"booking\0{venue_id}\0{day.isoformat()}".encode(), digest_size=8).digest()
        key = int.from_bytes(digest, "big", signed=True)
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    else:
        raise NotImplementedError(f"no booking lock for {connection.dialect.name}")


def _booking(row: BookingRow) -> Booking:
    return Booking(**{name: getattr(row, name) for name in _FIELDS})

