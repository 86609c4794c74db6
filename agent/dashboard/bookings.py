"""The bookings page's listing: reservations taken by phone, upcoming first."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, select
from sqlalchemy.orm import sessionmaker

from agent.store.models import BookingRow


class BookingList:
    def __init__(self, engine: Engine):
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def upcoming(self, from_day: date, include_cancelled: bool = False, limit: int = 500) -> list[BookingRow]:
        """Bookings on or after ``from_day`` in the order they will be served."""
        query = select(BookingRow).where(BookingRow.day >= from_day)
        if not include_cancelled:
            query = query.where(BookingRow.status == "booked")
        query = query.order_by(BookingRow.day, BookingRow.time, BookingRow.created_at).limit(limit)
        with self._sessions() as session:
            return list(session.scalars(query))
