"""The audit trail: who resolved, annotated, exported or changed what, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from agent.store._models import AuditEvent
from agent.store.clock import as_aware


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    username: str | None
    action: str
    target_type: str  # call | flag | campaign | booking | user
    target_id: str
    detail: dict[str, Any]


def record_event(
    session: Session, username: str | None, action: str, target_type: str, target_id: str, **detail: Any
) -> None:
    """Add an audit event inside the caller's transaction, so the change and its trail commit together
    (for the store's other repositories; everyone else uses ``AuditLog.add``)."""
    session.add(
        AuditEvent(username=username, action=action, target_type=target_type, target_id=str(target_id), detail=detail)
    )


class AuditLog:
    def __init__(self, engine: Engine):
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def add(self, username: str | None, action: str, target_type: str, target_id: str, **detail: Any) -> None:
        with self._sessions.begin() as session:
            record_event(session, username, action, target_type, target_id, **detail)

    def for_call(self, call_id: str, flag_ids: list[int]) -> list[AuditEntry]:
        """Events on the call itself and on its flags, oldest first."""
        targets = [and_(AuditEvent.target_type == "call", AuditEvent.target_id == call_id)]
        if flag_ids:
            targets.append(
                and_(AuditEvent.target_type == "flag", AuditEvent.target_id.in_([str(i) for i in flag_ids]))
            )
        return self._query(select(AuditEvent).where(or_(*targets)).order_by(AuditEvent.at, AuditEvent.id))

    def recent(self, limit: int = 200, action: str | None = None) -> list[AuditEntry]:
        """Newest first; only events of ``action`` when given."""
        query = select(AuditEvent)
        if action is not None:
            query = query.where(AuditEvent.action == action)
        return self._query(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit))

    def _query(self, query: Select[tuple[AuditEvent]]) -> list[AuditEntry]:
        with self._sessions() as session:
            return [
                AuditEntry(as_aware(e.at), e.username, e.action, e.target_type, e.target_id, dict(e.detail or {}))
                for e in session.scalars(query)
            ]
