"""What a dialer needs from a way of placing calls (Twilio, the phone simulator, the simulated carrier)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from agent.campaigns.service import AttemptRecord, AttemptView, Claim
from agent.store import CallStore

Progress = Callable[[str], Awaitable[None]]  # "ringing" | "in_progress"


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
