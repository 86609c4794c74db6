"""The audit trail: who resolved, annotated, exported or changed what, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from agent.store.models import AuditEvent
from agent.store.repository import _aware


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    username: str | None
    action: str
    target_type: str
    target_id: str
    detail: dict[str, Any]


def record(session: Session, username: str | None, action: str, target_type: str, target_id: str, **detail) -> None:
    """Add an audit event inside the caller's transaction, so the change and its trail commit together."""
    session.add(
        AuditEvent(username=username, action=action, target_type=target_type, target_id=str(target_id), detail=detail)
    )


class AuditLog:
    def __init__(self, engine: Engine):
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def add(self, username: str | None, action: str, target_type: str, target_id: str, **detail) -> None:
        with self._sessions.begin() as session:
            record(session, username, action, target_type, target_id, **detail)

    def for_call(self, call_id: str, flag_ids: list[int]) -> list[AuditEntry]:
        """Events on the call itself and on its flags, oldest first."""
        targets = [and_(AuditEvent.target_type == "call", AuditEvent.target_id == call_id)]
        if flag_ids:
            targets.append(
                and_(AuditEvent.target_type == "flag", AuditEvent.target_id.in_([str(i) for i in flag_ids]))
            )
        return self._query(select(AuditEvent).where(or_(*targets)).order_by(AuditEvent.at, AuditEvent.id))

    def recent(self, limit: int = 200) -> list[AuditEntry]:
        return self._query(select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit))

    def _query(self, query) -> list[AuditEntry]:
        with self._sessions() as session:
            return [
                AuditEntry(_aware(e.at), e.username, e.action, e.target_type, e.target_id, dict(e.detail or {}))
                for e in session.scalars(query)
            ]
