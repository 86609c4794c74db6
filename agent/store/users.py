"""Dashboard accounts in the ``users`` table and their logged-in sessions in ``dashboard_sessions``.
Hashing and the rules on names and passwords are the dashboard's (``agent.dashboard.users``); this keeps the
rows. A password change or disabling an account revokes its sessions in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from agent.store._models import DashboardSession, User
from agent.store.clock import utcnow


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
        self,
        username: str,
        *,
        password_hash: str | None = None,
        role: str | None = None,
        disabled: bool | None = None,
        end_sessions: bool = False,
    ) -> bool:
        """Change the given fields; False when there is no such account. ``end_sessions`` (and disabling)
        revokes every session of the account in the same transaction."""
        values = {"password_hash": password_hash, "role": role, "disabled": disabled}
        with self._sessions.begin() as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                return False
            for name, value in values.items():
                if value is not None:
                    setattr(user, name, value)
            if end_sessions or disabled:
                _revoke(session, DashboardSession.user_id == user.id)
            return True

    # --- sessions ----------------------------------------------------------------------------------------

    def open_session(self, user_id: int, session_id: str, expires_at: datetime) -> None:
        """Record a new logged-in session (``session_id``: the dashboard's hash of the cookie's token)."""
        with self._sessions.begin() as session:
            session.add(DashboardSession(id=session_id, user_id=user_id, expires_at=expires_at))

    def session_user(self, session_id: str, now: datetime | None = None) -> UserRecord | None:
        """The account of a live session: not revoked, not expired, the account not disabled."""
        query = (
            select(User)
            .join(DashboardSession, DashboardSession.user_id == User.id)
            .where(
                DashboardSession.id == session_id,
                DashboardSession.revoked_at.is_(None),
                DashboardSession.expires_at > (now or utcnow()),
                User.disabled.is_(False),
            )
        )
        with self._sessions() as session:
            user = session.scalar(query)
            return _record(user) if user else None

    def revoke_session(self, session_id: str) -> None:
        """End one session (logging out); a second revocation changes nothing."""
        with self._sessions.begin() as session:
            _revoke(session, DashboardSession.id == session_id)

    def drop_ended_sessions(self, now: datetime | None = None) -> int:
        """Delete sessions that were revoked or have expired; how many."""
        with self._sessions.begin() as session:
            ended = delete(DashboardSession).where(
                or_(DashboardSession.revoked_at.is_not(None), DashboardSession.expires_at <= (now or utcnow()))
            )
            return session.execute(ended).rowcount


def _revoke(session: Session, which) -> None:
    session.execute(
        update(DashboardSession).where(which, DashboardSession.revoked_at.is_(None)).values(revoked_at=utcnow())
    )


def _record(user: User) -> UserRecord:
    return UserRecord(user.id, user.username, user.password_hash, user.role, bool(user.disabled))
