"""What a dialer needs from a way of placing calls (Twilio, the phone simulator, the simulated carrier)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from agent.campaigns.service import AttemptRecord, AttemptView, Claim
from agent.store import CallStore

Progress = Callable[[str], Awaitable[None]]  # "ringing" | "in_progress"


def campaign_parameters(claim: Claim) -> dict[str, str]:
    """The campaign's own settings a call carries to the call server as stream parameters (Twilio signs the
    URL they travel in): its on-call number, and on whose behalf it calls and in what words (the disclosure
    lines as a JSON list; ``agent.call.disclosure`` reads them back). Only those the campaign sets."""
    parameters = {}
    if claim.handoff_number:
        parameters["handoff_number"] = claim.handoff_number
    if claim.organization:
        parameters["organization"] = claim.organization
    if claim.disclosure:
        parameters["disclosure"] = json.dumps(list(claim.disclosure), ensure_ascii=False)
    return parameters


@dataclass(frozen=True)
class Outcome:
    status: str  # completed | no_answer | busy | failed | voicemail | unknown (the call may have been placed)
    call_id: str | None = None
    detail: str | None = None


class Placer(Protocol):
    name: str

    def new_sid(self) -> str | None:
        """The call SID to record at claim time (simulated calls), or None when the network assigns it."""

    async def place(self, claim: Claim, progress: Progress) -> Outcome:
        """Dial and return when the call is over."""

    async def recover(self, attempt: AttemptView) -> Outcome:
        """A live attempt whose dialer died: find out how it ended (it is never dialed again)."""

    async def reconcile(self, earlier: AttemptRecord, claim: Claim) -> Outcome | None:
        """``earlier`` ended ``unknown``: how its call went if the network placed it after all (then ``claim``
        is not dialled), None when no such call exists."""


def recover_from_record(store: CallStore, attempt: AttemptView, why: str) -> Outcome:
    """Shared by the simulated placers: an ended call record means the call happened; a record still
    ``in_progress`` died with its dialer (closed as ``dropped``); no record: the call never connected."""
    call = store.call_by_sid(attempt.call_sid) if attempt.call_sid else None
    if call is not None and call.status == "ended":
        return Outcome("completed", call.id, f"recovered after {why}")
    if call is not None:
        store.finish_call(call.id, outcome="dropped", outcome_detail=why)
        return Outcome("failed", call.id, why)
    return Outcome("failed", None, why)
