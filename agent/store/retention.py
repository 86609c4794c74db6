"""What the retention periods remove from the call records: the link to a recording, and the transcript (the
turns). A call whose flags are not all handled keeps both, whatever its age; the answers, outcome and flags
always stay. Each removal commits with its audit entry.

Which periods apply and how a recording file is deleted is ``agent.retention``'s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, and_, delete, exists, func, select, update
from sqlalchemy.orm import sessionmaker

from agent.store._models import Call, Flag, Turn
from agent.store.audit import record_event

ACTOR = "retention"  # the audit trail's username for what the retention job removes


@dataclass(frozen=True)
class ExpiredRecording:
    call_id: str
    reference: str  # what the call record links to: a file path, an s3:// URL


def _expired(cutoff: datetime):
    """Ended before ``cutoff``, and no flag of the call still waiting for an operator."""
    open_flag = exists(select(Flag.id).where(Flag.call_id == Call.id, Flag.resolved_at.is_(None)))
    return and_(Call.status == "ended", func.coalesce(Call.ended_at, Call.started_at) < cutoff, ~open_flag)


class RetentionStore:
    def __init__(self, engine: Engine):
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def expired_recordings(self, cutoff: datetime, limit: int = 500) -> list[ExpiredRecording]:
        """Calls past ``cutoff`` that still link to a recording, the oldest first."""
        with self._sessions() as session:
            rows = session.execute(
                select(Call.id, Call.recording_path).where(_expired(cutoff), Call.recording_path.is_not(None))
                .order_by(Call.started_at).limit(limit)
            ).all()  # fmt: skip
        return [ExpiredRecording(call_id, reference) for call_id, reference in rows]

    def forget_recording(
        self, expired: ExpiredRecording, cutoff: datetime, erase: Callable[[str], None], period_days: int
    ) -> bool:
        """Unlink the recording and record why, then ``erase`` it, in one transaction: if ``erase`` raises, the
        link stays (the next run tries again). False when the call no longer qualifies (a flag reopened, a
        second process did it first)."""
        with self._sessions.begin() as session:
            unlinked = session.execute(
                update(Call).where(Call.id == expired.call_id, Call.recording_path == expired.reference,
                                   _expired(cutoff)).values(recording_path=None)
                .execution_options(synchronize_session=False)
            ).rowcount  # fmt: skip
            if not unlinked:
                return False
            record_event(session, ACTOR, "retention.delete", "call", expired.call_id, what="recording",
                         period_days=period_days)  # fmt: skip
            erase(expired.reference)
            return True

    def expired_transcripts(self, cutoff: datetime, limit: int = 500) -> list[str]:
        """Calls past ``cutoff`` that still have turns, the oldest first."""
        has_turns = exists(select(Turn.id).where(Turn.call_id == Call.id))
        with self._sessions() as session:
            return list(session.scalars(
                select(Call.id).where(_expired(cutoff), has_turns).order_by(Call.started_at).limit(limit)
            ))  # fmt: skip

    def forget_transcripts(self, call_ids: list[str], cutoff: datetime, period_days: int) -> list[str]:
        """Delete the turns of those calls that still qualify, with an audit entry each, in one transaction;
        returns their ids."""
        if not call_ids:
            return []
        with self._sessions.begin() as session:
            still = list(session.scalars(select(Call.id).where(Call.id.in_(call_ids), _expired(cutoff))))
            if not still:
                return []
            session.execute(delete(Turn).where(Turn.call_id.in_(still)).execution_options(synchronize_session=False))
            for call_id in still:
                record_event(session, ACTOR, "retention.delete", "call", call_id, what="transcript",
                             period_days=period_days)  # fmt: skip
            return still
