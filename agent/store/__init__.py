"""Call records and bookings in SQL (SQLite by default, PostgreSQL the same way), schema managed by Alembic."""

from agent.store.bookings import SqlBookingBook
from agent.store.migrate import migrate
from agent.store.repository import CallRecord, CallStore, FlagRecord, TurnRecord

__all__ = ["CallRecord", "CallStore", "FlagRecord", "SqlBookingBook", "TurnRecord", "migrate"]
