"""Dashboard accounts in the ``users`` table. Hashing and the rules on names and passwords are the
dashboard's (``agent.dashboard.users``); this keeps the rows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from agent.store._models import User


class DuplicateUsername(ValueError):
    """An account with this username already exists."""


@dataclass(frozen=True)
class UserRecord:
    id: int
    username: str
    password_hash: str
    role: str  # admin | operator
    disabled: bool


class UserStore:
    def __init__(self, engine: Engine):
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def add(self, username: str, password_hash: str, role: str) -> UserRecord:
        try:
            with self._sessions.begin() as session:
                user = User(username=username, password_hash=password_hash, role=role, disabled=False)
                session.add(user)
                session.flush()
                return _record(user)
        except IntegrityError as exc:
            raise DuplicateUsername(username) from exc

    def get(self, username: str) -> UserRecord | None:
        with self._sessions() as session:
            user = session.scalar(select(User).where(User.username == username))
            return _record(user) if user else None

    def all(self) -> list[UserRecord]:
        """Every account, by username."""
        with self._sessions() as session:
            return [_record(u) for u in session.scalars(select(User).order_by(User.username))]

    def update(
        self, username: str, *, password_hash: str | None = None, role: str | None = None, disabled: bool | None = None
    ) -> bool:
        """Change the given fields; False when there is no such account."""
        values = {"password_hash": password_hash, "role": role, "disabled": disabled}
        with self._sessions.begin() as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                return False
            for name, value in values.items():
                if value is not None:
                    setattr(user, name, value)
            return True


def _record(user: User) -> UserRecord:
    return UserRecord(user.id, user.username, user.password_hash, user.role, bool(user.disabled))
