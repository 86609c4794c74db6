"""Campaign progress read from the campaigns tables (filled by the scheduler and dialers) and the calls."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import sessionmaker

from agent.store.models import Call, CallAttempt, Campaign, Contact, Flag

DIALED = {"dialing", "ringing", "in_progress", "completed", "no_answer", "busy", "failed", "voicemail"}
WAITING = {"scheduled", "queued"}


@dataclass
class ContactResult:
    """One contact's latest attempt and what its call found."""

    contact_id: int
    name: str
    phone: str
    attempts: int = 0
    status: str = "not_scheduled"
    final: bool = False
    pending_retry: bool = False
    call_id: str | None = None
    outcome: str | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    flags: list[Flag] = field(default_factory=list)
    last_attempt_at: Any = None


@dataclass
class Progress:
    campaign: Campaign
    contacts: list[ContactResult]

    @property
    def total(self) -> int:
        return len(self.contacts)

    def count(self, name: str) -> int:
        return sum(1 for c in self.contacts if getattr(self, f"_{name}")(c))

    @staticmethod
    def _called(c: ContactResult) -> bool:
        return c.attempts > 0 and (c.status in DIALED or c.attempts > 1)

    @staticmethod
    def _answered(c: ContactResult) -> bool:
        return c.outcome is not None or c.status in {"completed", "in_progress"}

    @staticmethod
    def _flagged(c: ContactResult) -> bool:
        return bool(c.flags)

    @staticmethod
    def _pending_retries(c: ContactResult) -> bool:
        return c.pending_retry

    @property
    def summary(self) -> dict[str, int]:
        return {k: self.count(k) for k in ("called", "answered", "flagged", "pending_retries")} | {"total": self.total}


class CampaignBoard:
    def __init__(self, engine: Engine):
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def campaigns(self) -> list[Campaign]:
        with self._sessions() as session:
            return list(session.scalars(select(Campaign).order_by(Campaign.created_at.desc())))

    def progress(self, campaign_id: str) -> Progress | None:
        """Every contact with its latest attempt; a contact counts as answered when an attempt reached a call
        record with an outcome of the dialog, flagged when any of its calls raised a flag."""
        with self._sessions() as session:
            campaign = session.get(Campaign, campaign_id)
            if campaign is None:
                return None
            contacts = session.scalars(
                select(Contact).where(Contact.campaign_id == campaign_id).order_by(Contact.id)
            ).all()
            attempts = session.scalars(
                select(CallAttempt)
                .where(CallAttempt.campaign_id == campaign_id)
                .order_by(CallAttempt.round_date, CallAttempt.attempt_no)
            ).all()
            call_ids = [a.call_id for a in attempts if a.call_id]
            calls = {c.id: c for c in session.scalars(select(Call).where(Call.id.in_(call_ids)))} if call_ids else {}
            flags: dict[str, list[Flag]] = defaultdict(list)
            if call_ids:
                for flag in session.scalars(select(Flag).where(Flag.call_id.in_(call_ids)).order_by(Flag.id)):
                    flags[flag.call_id].append(flag)

        results = {c.id: ContactResult(c.id, c.name, c.phone) for c in contacts}
        for attempt in attempts:  # oldest first: the last one seen is the latest
            result = results.get(attempt.contact_id)
            if result is None:
                continue
            result.attempts += 1
            result.status, result.final = attempt.status, bool(attempt.final)
            result.pending_retry = attempt.status in WAITING and attempt.attempt_no > 1
            result.last_attempt_at = attempt.ended_at or attempt.started_at or attempt.scheduled_for
            call = calls.get(attempt.call_id) if attempt.call_id else None
            if call is not None:
                result.call_id, result.outcome = call.id, call.outcome
                result.answers = dict(call.answers or {})
                result.flags.extend(flags.get(call.id, []))
        return Progress(campaign, list(results.values()))
