"""The facts weekly reports are worked out from: campaign dials and the flags raised on calls, over a time
window, for one campaign or for a set of phone numbers (the people one care worker looks after).

Only reading; the arithmetic (rates, medians, who has not been reached) is ``agent.dashboard.reports``'.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import sessionmaker

from agent.store._models import Call, CallAttempt, Contact, Flag, Person
from agent.store.campaigns import ACTIVE, ENDED
from agent.store.clock import as_aware

DIALED = tuple(s for s in (*ACTIVE, *ENDED) if s != "canceled")  # the network was asked to ring the contact


@dataclass(frozen=True)
class ReportScope:
    """Whose calls a report covers: one campaign's, or every campaign's calls to these numbers (E.164)."""

    campaign_id: str | None = None
    phones: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if (self.campaign_id is None) == (self.phones is None):
            raise ValueError("a report scope is a campaign or a set of phone numbers, exactly one of them")


@dataclass(frozen=True)
class DialFact:
    """One dial of one contact: when it was placed and whether it reached the person."""

    contact_id: int
    name: str
    phone: str
    attempt_no: int
    status: str  # an ACTIVE or ENDED attempt status, never a waiting one
    at: datetime  # when it was dialled (UTC)
    call_id: str | None

    @property
    def reached(self) -> bool:
        return self.status in ("completed", "in_progress")


@dataclass(frozen=True)
class FlagFact:
    id: int
    call_id: str
    person_name: str | None
    phone: str | None
    rule: str
    severity: str
    message: str | None
    created_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None


class ReportQueries:
    def __init__(self, engine: Engine):
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def dials(self, scope: ReportScope, since: datetime, until: datetime) -> list[DialFact]:
        """Attempts dialled in [since, until), oldest first."""
        at = func.coalesce(CallAttempt.started_at, CallAttempt.ended_at, CallAttempt.scheduled_for)
        query = (
            select(CallAttempt, Contact.name, Contact.phone, at)
            .join(Contact, Contact.id == CallAttempt.contact_id)
            .where(CallAttempt.status.in_(DIALED), at >= since, at < until)
            .order_by(at, CallAttempt.attempt_no)
        )
        query = _in_scope(query, scope, CallAttempt.campaign_id, Contact.phone)
        with self._sessions() as session:
            return [
                DialFact(a.contact_id, name, phone, a.attempt_no, a.status, as_aware(when), a.call_id)
                for a, name, phone, when in session.execute(query)
            ]

    def flags(self, scope: ReportScope, since: datetime, until: datetime) -> list[FlagFact]:
        """Flags raised in [since, until) on the scope's calls, oldest first: a campaign's are those of the
        calls its attempts reached; a set of numbers' those of every call to or from them."""
        query = (
            select(Flag, Call.person_name, Call.phone_number)
            .join(Call, Call.id == Flag.call_id)
            .where(Flag.created_at >= since, Flag.created_at < until)
            .order_by(Flag.created_at, Flag.id)
        )
        if scope.campaign_id is not None:
            reached = select(CallAttempt.call_id).where(CallAttempt.campaign_id == scope.campaign_id,
                                                        CallAttempt.call_id.is_not(None))  # fmt: skip
            query = query.where(Call.id.in_(reached))
        else:
            query = query.where(Call.phone_number.in_(_listed(scope.phones)))
        with self._sessions() as session:
            return [
                FlagFact(f.id, f.call_id, name, phone, f.rule, f.severity, f.message, as_aware(f.created_at),
                         as_aware(f.resolved_at), f.resolved_by)  # fmt: skip
                for f, name, phone in session.execute(query)
            ]

    def people(self, scope: ReportScope) -> int:
        """How many people the scope covers (a campaign's contacts; the numbers given)."""
        if scope.phones is not None:
            return len(scope.phones)
        with self._sessions() as session:
            return session.scalar(select(func.count()).where(Contact.campaign_id == scope.campaign_id)) or 0


    def care_workers(self) -> list[str]:
        """The usernames people are assigned to in the registry, alphabetically."""
        with self._sessions() as session:
            return list(session.scalars(
                select(Person.care_worker).where(Person.care_worker.is_not(None), Person.care_worker != "")
                .distinct().order_by(Person.care_worker)
            ))  # fmt: skip

    def people_of(self, care_worker: str) -> frozenset[str]:
        """The phone numbers of the people assigned to ``care_worker``: their report's scope."""
        with self._sessions() as session:
            return frozenset(session.scalars(select(Person.phone).where(Person.care_worker == care_worker)))


def _listed(phones: Iterable[str] | None) -> list[str]:
    return sorted(phones or ())


def _in_scope(query, scope: ReportScope, campaign_column, phone_column):
    if scope.campaign_id is not None:
        return query.where(campaign_column == scope.campaign_id)
    return query.where(phone_column.in_(_listed(scope.phones)))  # none listed: nothing matches
