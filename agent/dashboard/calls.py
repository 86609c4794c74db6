"""What operators look at and act on: the flagged-call queue, one call in full, resolving flags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from agent.dashboard.today import DayFigures, day_figures
from agent.store import CallRecord, CallStore, FlagAlreadyResolved, FlagRecord
from dialog.flags import severity_rank


@dataclass(frozen=True)
class QueueItem:
    call_id: str
    person_name: str | None
    phone_number: str | None
    scenario: str | None
    started_at: datetime
    outcome: str | None
    top_severity: str
    open_flags: list[FlagRecord]


class CallDesk:
    """Read and resolve call records for the dashboard (synchronous; routes run in a thread pool)."""

    def __init__(self, store: CallStore):
        self._store = store

    def queue(self, limit: int = 500) -> list[QueueItem]:
        """Calls with unresolved flags: most severe first, then the longest-waiting first."""
        items = [
            QueueItem(
                call_id=call.id,
                person_name=call.person_name,
                phone_number=call.phone_number,
                scenario=call.scenario,
                started_at=call.started_at,
                outcome=call.outcome,
                top_severity=max((f.severity for f in call.open_flags), key=severity_rank),
                open_flags=sorted(call.open_flags, key=lambda f: -severity_rank(f.severity)),
            )
            for call in self._store.flagged(limit)
        ]
        items.sort(key=lambda i: (-severity_rank(i.top_severity), i.started_at))
        return items

    def get(self, call_id: str) -> CallRecord | None:
        return self._store.get_call(call_id)

    def recording(self, call_id: str) -> str | None:
        return self._store.recording_path(call_id)

    def history(self, phone_number: str | None, exclude: str, limit: int = 20) -> list[CallRecord]:
        """This person's other calls, newest first (matched by phone number)."""
        if not phone_number:
            return []
        return self._store.history(phone_number, exclude=exclude, limit=limit)

    def today(self, now: datetime, tz: tzinfo) -> DayFigures:
        """The calls of ``now``'s day in ``tz`` by outcome, and the agent's voice-to-voice latency."""
        return day_figures(self._store, now, tz)

    def live(self, limit: int = 50) -> list[CallRecord]:
        """Calls in progress now, with the turns so far."""
        return self._store.in_progress(limit)

    def resolve(self, flag_id: int, username: str, note: str) -> FlagRecord:
        """Mark a flag handled, with the operator's note; the audit trail records it in the same commit."""
        try:
            return self._store.resolve_flag(flag_id, username, note.strip())
        except FlagAlreadyResolved as exc:
            raise ValueError("이미 처리된 알림입니다.") from exc

    def annotate(self, call_id: str, username: str, note: str) -> None:
        """An operator's note on the call (a follow-up made, a family member reached …), kept in the trail."""
        if not note.strip():
            raise ValueError("메모 내용이 비어 있습니다.")
        self._store.annotate(call_id, username, note.strip())
