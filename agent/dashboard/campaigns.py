"""Campaign progress worked out from the campaign ledger (filled by the scheduler and dialers) and the calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agent.store import CampaignLedger, CampaignRecord, FlagRecord
from agent.store.campaigns import ACTIVE, ENDED, WAITING

DIALED = {*ACTIVE, *ENDED} - {"canceled", "opted_out"}  # the network was asked to ring the contact


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
    flags: list[FlagRecord] = field(default_factory=list)
    last_attempt_at: datetime | None = None


@dataclass
class Progress:
    campaign: CampaignRecord
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
    def __init__(self, ledger: CampaignLedger):
        self._ledger = ledger

    def campaigns(self) -> list[CampaignRecord]:
        return self._ledger.all()

    def progress(self, campaign_id: str) -> Progress | None:
        """Every contact with its latest attempt; a contact counts as answered when an attempt reached a call
        record with an outcome of the dialog, flagged when any of its calls raised a flag."""
        found = self._ledger.results(campaign_id)
        if found is None:
            return None
        results = {c.id: ContactResult(c.id, c.name, c.phone) for c in found.contacts}
        for attempt in found.attempts:  # oldest first: the last one seen is the latest
            result = results.get(attempt.contact_id)
            if result is None:
                continue
            result.attempts += 1
            result.status, result.final = attempt.status, attempt.final
            result.pending_retry = attempt.status in WAITING and attempt.attempt_no > 1
            result.last_attempt_at = attempt.ended_at or attempt.started_at or attempt.scheduled_for
            call = found.calls.get(attempt.call_id) if attempt.call_id else None
            if call is not None:
                result.call_id, result.outcome = call.id, call.outcome
                result.answers = dict(call.answers)
                result.flags.extend(call.flags)
        return Progress(found.campaign, list(results.values()))
