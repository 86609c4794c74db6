"""The store's one clock: everything stored is UTC, and SQLite hands datetimes back without a zone."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_aware(value: datetime | None) -> datetime | None:
    """A stored datetime as UTC-aware (SQLite returns naive ones; PostgreSQL already aware ones)."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
