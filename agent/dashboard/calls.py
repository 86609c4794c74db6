"""What operators look at and act on: the flagged-call queue, one call in full, resolving flags."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import selectinload, sessionmaker

from agent.dashboard import audit
from agent.store.models import Call, Flag, Turn, utcnow
from agent.store.repository import _aware

SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}


def severity_rank(severity: str | None) -> int:
    return SEVERITY_RANK.get(severity or "", 0)


@dataclass(frozen=True)
class FlagView:
    id: int
    rule: str
    severity: str
    evidence: str
    turn_index: int | None
    message: str | None
    created_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    note: str | None


@dataclass(frozen=True)
class QueueItem:
    call_id: str
    person_name: str | None
    phone_number: str | None
    scenario: str | None
    started_at: datetime
    outcome: str | None
    top_severity: str
    open_flags: list[FlagView]


@dataclass(frozen=True)
class CallView:
    id: str
    person_name: str | None
    phone_number: str | None
    scenario: str | None
    direction: str
    status: str
    outcome: str | None
    outcome_detail: str | None
    started_at: datetime
    ended_at: datetime | None
    answers: dict[str, Any]
    stats: dict[str, Any]
    recording_path: str | None
    turns: list[Turn] = field(default_factory=list)
    flags: list[FlagView] = field(default_factory=list)

    @property
    def open_flags(self) -> list[FlagView]:
        return [f for f in self.flags if f.resolved_at is None]


class CallDesk:
    """Read and resolve call records for the dashboard (synchronous; routes run in a thread pool)."""

    def __init__(self, engine: Engine):
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def queue(self, limit: int = 500) -> list[QueueItem]:
        """Calls with unresolved flags: most severe first, then the longest-waiting first."""
        with self._sessions() as session:
            rows = session.execute(
                select(Flag, Call)
                .join(Call, Flag.call_id == Call.id)
                .where(Flag.resolved_at.is_(None))
                .order_by(Flag.created_at)
                .limit(limit)
            ).all()
        by_call: dict[str, tuple[Call, list[FlagView]]] = {}
        for flag, call in rows:
            by_call.setdefault(call.id, (call, []))[1].append(_flag(flag))
        items = [
            QueueItem(
                call_id=call.id,
                person_name=call.person_name,
                phone_number=call.phone_number,
                scenario=call.scenario,
                started_at=_aware(call.started_at),
                outcome=call.outcome,
                top_severity=max((f.severity for f in flags), key=severity_rank),
                open_flags=sorted(flags, key=lambda f: -severity_rank(f.severity)),
            )
            for call, flags in by_call.values()
        ]
        items.sort(key=lambda i: (-severity_rank(i.top_severity), i.started_at))
        return items

    def get(self, call_id: str) -> CallView | None:
        with self._sessions() as session:
            call = session.scalar(
                select(Call).where(Call.id == call_id).options(selectinload(Call.turns), selectinload(Call.flags))
            )
            return _call(call) if call else None

    def recording(self, call_id: str) -> str | None:
        with self._sessions() as session:
            return session.scalar(select(Call.recording_path).where(Call.id == call_id))

    def history(self, phone_number: str | None, exclude: str, limit: int = 20) -> list[CallView]:
        """This person's other calls, newest first (matched by phone number)."""
        if not phone_number:
            return []
        with self._sessions() as session:
            calls = session.scalars(
                select(Call)
                .where(Call.phone_number == phone_number, Call.id != exclude)
                .options(selectinload(Call.flags))
                .order_by(Call.started_at.desc())
                .limit(limit)
            ).all()
            return [_call(c, with_turns=False) for c in calls]

    def live(self, limit: int = 50) -> list[CallView]:
        """Calls in progress now, with the turns so far."""
        with self._sessions() as session:
            calls = session.scalars(
                select(Call)
                .where(Call.status == "in_progress")
                .options(selectinload(Call.turns), selectinload(Call.flags))
                .order_by(Call.started_at.desc())
                .limit(limit)
            ).all()
            return [_call(c) for c in calls]

    def resolve(self, flag_id: int, username: str, note: str) -> FlagView:
        """Mark a flag handled, with the operator's note; the audit trail records it in the same commit."""
        with self._sessions.begin() as session:
            flag = session.get(Flag, flag_id)
            if flag is None:
                raise KeyError(flag_id)
            if flag.resolved_at is not None:
                raise ValueError("이미 처리된 알림입니다.")
            flag.resolved_at, flag.resolved_by, flag.note = utcnow(), username, note.strip() or None
            audit.record(
                session, username, "flag.resolve", "flag", str(flag.id),
                call_id=flag.call_id, rule=flag.rule, severity=flag.severity, note=note.strip(),
            )  # fmt: skip
            session.flush()
            return _flag(flag)

    def annotate(self, call_id: str, username: str, note: str) -> None:
        """An operator's note on the call (a follow-up made, a family member reached …), kept in the trail."""
        if not note.strip():
            raise ValueError("메모 내용이 비어 있습니다.")
        with self._sessions.begin() as session:
            if session.get(Call, call_id) is None:
                raise KeyError(call_id)
            audit.record(session, username, "call.annotate", "call", call_id, note=note.strip())


def recording_file(path: str | None, recordings_dir: Path) -> Path | None:
    """The recording if it is a file inside the recordings directory; never any other path."""
    if not path:
        return None
    root = recordings_dir.resolve()
    candidate = Path(path)
    if not candidate.is_absolute():
        candidate = Path.cwd() / candidate
    candidate = candidate.resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def _flag(flag: Flag) -> FlagView:
    return FlagView(
        id=flag.id,
        rule=flag.rule,
        severity=flag.severity,
        evidence=flag.evidence or "",
        turn_index=flag.turn_index,
        message=flag.message,
        created_at=_aware(flag.created_at),
        resolved_at=_aware(flag.resolved_at),
        resolved_by=flag.resolved_by,
        note=flag.note,
    )


def _call(call: Call, with_turns: bool = True) -> CallView:
    return CallView(
        id=call.id,
        person_name=call.person_name,
        phone_number=call.phone_number,
        scenario=call.scenario,
        direction=call.direction,
        status=call.status,
        outcome=call.outcome,
        outcome_detail=call.outcome_detail,
        started_at=_aware(call.started_at),
        ended_at=_aware(call.ended_at),
        answers=dict(call.answers or {}),
        stats=dict(call.stats or {}),
        recording_path=call.recording_path,
        turns=list(call.turns) if with_turns else [],
        flags=[_flag(f) for f in call.flags],
    )
