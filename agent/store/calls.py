"""``CallStore``: the call records: written turn by turn by the live call, read by the dashboard, the
campaigns and the command line.

Methods are synchronous and short; the call runner calls them through ``asyncio.to_thread``. Every turn,
and the answers and flags as they stand after it (``journal``), is committed as it happens, with the alerts
about new flags in the same transaction (``agent.store.outbox``); so a process that dies mid-call leaves the
transcript, answers, flags and alerts so far, and ``recover_abandoned`` later closes such records as
``interrupted``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from agent.store._models import Call, Flag, Turn
from agent.store.audit import record_event
from agent.store.outbox import AlertRoute, enqueue_alerts
from agent.store.clock import as_aware, utcnow
from agent.store.engine import make_engine


@dataclass(frozen=True)
class TurnRecord:
    index: int
    speaker: str  # agent | caller | system
    text: str
    start_ms: int
    end_ms: int
    state: str | None = None
    latency_ms: int | None = None


@dataclass(frozen=True)
class FlagRecord:
    """A stored flag (``dialog.Flag`` as raised) and what an operator did about it."""

    id: int
    rule: str
    severity: str  # dialog.flags.SEVERITIES
    evidence: str
    turn_index: int | None
    message: str | None
    created_at: datetime
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    note: str | None = None


class RaisedFlag(Protocol):
    """A flag as the dialog raises it (``dialog.Flag``), to be stored."""

    @property
    def rule(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def evidence(self) -> str: ...
    @property
    def turn(self) -> int | None: ...
    @property
    def message(self) -> str | None: ...


class FlagAlreadyResolved(ValueError):
    """A flag is resolved once, by one operator."""


@dataclass(frozen=True)
class CallRecord:
    """One call as stored: the only view of a call outside the store. ``turns`` is empty where a listing
    leaves them out (``history``, ``flagged``)."""

    id: str
    call_sid: str | None
    phone_number: str | None
    person_name: str | None
    scenario: str | None
    direction: str
    status: str  # in_progress | ended
    outcome: str | None
    outcome_detail: str | None
    started_at: datetime
    ended_at: datetime | None
    answers: dict[str, Any]
    stats: dict[str, Any]
    recording_path: str | None
    turns: list[TurnRecord] = field(default_factory=list)
    owner: str | None = None  # the process that runs (or ran) the call
    taken_over_by: str | None = None  # the number the call was handed to (outcome ``transferred``)
    flags: list[FlagRecord] = field(default_factory=list)

    @property
    def open_flags(self) -> list[FlagRecord]:
        return [f for f in self.flags if f.resolved_at is None]


class CallStore:
    def __init__(self, database_url: str):
        self.engine = make_engine(database_url)  # shared with the other repositories of the same database
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def ping(self) -> None:
        """One round trip (``SELECT 1``); raises when the database cannot be reached (the server's ``/ready``)."""
        with self.engine.connect() as conn:
            conn.execute(select(1))

    def start_call(
        self,
        *,
        call_sid: str | None = None,
        stream_sid: str | None = None,
        direction: str = "outbound",
        phone_number: str | None = None,
        person_name: str | None = None,
        scenario: str | None = None,
        call_id: str | None = None,
        recording_path: str | None = None,
        owner: str | None = None,
    ) -> str:
        """Open the record; ``recording_path`` is linked now so a call cut short keeps its recording, ``owner``
        names the process running it (``recover_abandoned``)."""
        call_id = call_id or str(uuid.uuid4())
        with self._sessions.begin() as session:
            session.add(
                Call(
                    id=call_id,
                    call_sid=call_sid,
                    stream_sid=stream_sid,
                    direction=direction,
                    phone_number=phone_number,
                    person_name=person_name,
                    scenario=scenario,
                    status="in_progress",
                    answers={},
                    stats={},
                    recording_path=recording_path,
                    owner=owner,
                )
            )
        return call_id

    def add_turn(
        self,
        call_id: str,
        speaker: str,
        text: str,
        start_ms: int,
        end_ms: int,
        state: str | None = None,
        latency_ms: int | None = None,
    ) -> int:
        """Append a turn; returns its index within the call."""
        with self._sessions.begin() as session:
            index = session.scalar(select(func.count()).select_from(Turn).where(Turn.call_id == call_id))
            session.add(
                Turn(
                    call_id=call_id,
                    index=index,
                    speaker=speaker,
                    text=text,
                    start_ms=start_ms,
                    end_ms=end_ms,
                    state=state,
                    latency_ms=latency_ms,
                )
            )
        return index

    def add_flags(
        self,
        call_id: str,
        flags: Iterable[RaisedFlag],
        alerts: Sequence[AlertRoute] = (),
        now: datetime | None = None,
    ) -> list[str]:
        """Store the flags a call raised, each rule once per call (a flag already stored is kept as it was),
        and, in the same transaction, the alerts ``alerts`` asks for about them (due at ``now``). Returns the
        new rules."""
        with self._sessions.begin() as session:
            new = _add_new_flags(session, call_id, flags)
            enqueue_alerts(session, call_id, alerts, now)
            return new

    def journal(
        self,
        call_id: str,
        *,
        answers: dict[str, Any],
        flags: Iterable[RaisedFlag],
        alerts: Sequence[AlertRoute] = (),
        now: datetime | None = None,
    ) -> list[str]:
        """The dialog's answers and flags as they stand after a turn, with the alerts about new flags (due at
        ``now``), in one transaction. Idempotent: the same state journaled twice changes nothing. Returns the
        new flags' rules."""
        with self._sessions.begin() as session:
            call = session.get(Call, call_id)
            if call is None:
                raise KeyError(f"no call {call_id}")
            call.answers = dict(answers)
            new = _add_new_flags(session, call_id, flags)
            enqueue_alerts(session, call_id, alerts, now)
            return new

    def finish_call(
        self,
        call_id: str,
        *,
        outcome: str,
        answers: dict[str, Any] | None = None,
        recording_path: str | None = None,
        outcome_detail: str | None = None,
        stats: dict[str, Any] | None = None,
        taken_over_by: str | None = None,
    ) -> None:
        """Close the record. Idempotent: a later finish updates fields but keeps the first end time.
        ``taken_over_by``: the number the call was handed to."""
        with self._sessions.begin() as session:
            call = session.get(Call, call_id)
            if call is None:
                raise KeyError(f"no call {call_id}")
            call.status = "ended"
            call.ended_at = call.ended_at or utcnow()
            call.outcome = outcome
            call.outcome_detail = outcome_detail
            if answers is not None:
                call.answers = dict(answers)
            if stats is not None:
                call.stats = dict(stats)
            if recording_path is not None:
                call.recording_path = recording_path
            if taken_over_by is not None:
                call.taken_over_by = taken_over_by

    def get_call(self, call_id: str) -> CallRecord | None:
        with self._sessions() as session:
            call = session.scalar(
                select(Call)
                .where(Call.id == call_id)
                .options(selectinload(Call.turns), selectinload(Call.flags))
            )
            return call_record(call) if call else None

    def list_calls(self, limit: int = 50, phone_number: str | None = None) -> list[CallRecord]:
        with self._sessions() as session:
            query = select(Call).options(selectinload(Call.turns), selectinload(Call.flags))
            if phone_number:
                query = query.where(Call.phone_number == phone_number)
            query = query.order_by(Call.started_at.desc()).limit(limit)
            return [call_record(call) for call in session.scalars(query)]

    def call_by_sid(self, call_sid: str) -> CallRecord | None:
        """The newest record made under this call SID (the agent writes it when the media stream starts)."""
        with self._sessions() as session:
            call = session.scalar(
                select(Call)
                .where(Call.call_sid == call_sid)
                .options(selectinload(Call.turns), selectinload(Call.flags))
                .order_by(Call.started_at.desc())
                .limit(1)
            )
            return call_record(call) if call else None

    def in_progress(self, limit: int = 50) -> list[CallRecord]:
        """Calls not ended yet, newest first, with the turns so far."""
        with self._sessions() as session:
            calls = session.scalars(
                select(Call)
                .where(Call.status == "in_progress")
                .options(selectinload(Call.turns), selectinload(Call.flags))
                .order_by(Call.started_at.desc())
                .limit(limit)
            ).all()
            return [call_record(c) for c in calls]

    def history(self, phone_number: str, exclude: str | None = None, limit: int = 20) -> list[CallRecord]:
        """This number's calls, newest first, without their turns; ``exclude``: a call to leave out."""
        with self._sessions() as session:
            query = select(Call).where(Call.phone_number == phone_number)
            if exclude is not None:
                query = query.where(Call.id != exclude)
            calls = session.scalars(
                query.options(selectinload(Call.flags)).order_by(Call.started_at.desc()).limit(limit)
            ).all()
            return [call_record(c, with_turns=False) for c in calls]

    def flagged(self, limit: int = 500) -> list[CallRecord]:
        """Calls with unresolved flags, each carrying only those flags (at most ``limit`` flags in all, the
        oldest first) and no turns; in the order of their oldest unresolved flag."""
        with self._sessions() as session:
            rows = session.execute(
                select(Flag, Call)
                .join(Call, Flag.call_id == Call.id)
                .where(Flag.resolved_at.is_(None))
                .order_by(Flag.created_at)
                .limit(limit)
            ).all()
        by_call: dict[str, tuple[Call, list[FlagRecord]]] = {}
        for flag, call in rows:
            by_call.setdefault(call.id, (call, []))[1].append(flag_record(flag))
        return [call_record(call, with_turns=False, flags=flags) for call, flags in by_call.values()]

    def recording_path(self, call_id: str) -> str | None:
        with self._sessions() as session:
            return session.scalar(select(Call.recording_path).where(Call.id == call_id))

    def resolve_flag(self, flag_id: int, username: str, note: str | None) -> FlagRecord:
        """Mark a flag handled, with the operator's note; the audit trail records it in the same commit.
        KeyError: no such flag; FlagAlreadyResolved: someone did already."""
        with self._sessions.begin() as session:
            flag = session.get(Flag, flag_id)
            if flag is None:
                raise KeyError(flag_id)
            if flag.resolved_at is not None:
                raise FlagAlreadyResolved(f"flag {flag_id} was resolved by {flag.resolved_by}")
            flag.resolved_at, flag.resolved_by, flag.note = utcnow(), username, note or None
            record_event(
                session, username, "flag.resolve", "flag", str(flag.id),
                call_id=flag.call_id, rule=flag.rule, severity=flag.severity, note=note or "",
            )  # fmt: skip
            session.flush()
            return flag_record(flag)

    def annotate(self, call_id: str, username: str, note: str) -> None:
        """An operator's note on the call, kept in the audit trail. KeyError: no such call."""
        with self._sessions.begin() as session:
            if session.get(Call, call_id) is None:
                raise KeyError(call_id)
            record_event(session, username, "call.annotate", "call", call_id, note=note)

    def recover_abandoned(
        self,
        older_than: timedelta,
        now: datetime | None = None,
        *,
        owner_alive: Callable[[str], bool] | None = None,
        alerts: Sequence[AlertRoute] = (),
    ) -> list[str]:
        """Close calls left ``in_progress`` by a process that died: those whose owner ``owner_alive`` says is
        gone, and any started before ``now - older_than`` (longer than a call can last). Each keeps what was
        journaled, ends ``interrupted``, and gets the alerts ``alerts`` asks for about flags not alerted yet,
        in the same transaction. Returns their ids."""
        now = now or utcnow()
        cutoff = now - older_than
        with self._sessions.begin() as session:
            open_calls = session.scalars(select(Call).where(Call.status == "in_progress")).all()
            stale = [
                call for call in open_calls
                if as_aware(call.started_at) < as_aware(cutoff)
                or (call.owner is not None and owner_alive is not None and not owner_alive(call.owner))
            ]  # fmt: skip
            for call in stale:
                call.status = "ended"
                call.ended_at = now
                call.outcome = "interrupted"
                call.outcome_detail = "the server stopped before the call finished"
                enqueue_alerts(session, call.id, alerts, now)
            return [call.id for call in stale]

    def link_recording(self, call_id: str, recording_path: str | None) -> None:
        """Point the record at its recording (or at none, when the file is gone)."""
        with self._sessions.begin() as session:
            call = session.get(Call, call_id)
            if call is None:
                raise KeyError(f"no call {call_id}")
            call.recording_path = recording_path

    def set_reply_latency(self, call_id: str, latency_ms: int) -> bool:
        """Voice-to-voice latency (caller stopped → first agent audio) on the call's newest agent turn: known
        only once the reply's audio has started, after the turn was written. A turn that has one keeps it.
        Whether it was set."""
        with self._sessions.begin() as session:
            turn = session.scalar(
                select(Turn).where(Turn.call_id == call_id, Turn.speaker == "agent")
                .order_by(Turn.index.desc()).limit(1)
            )  # fmt: skip
            if turn is None or turn.latency_ms is not None:
                return False
            turn.latency_ms = latency_ms
            return True

    def day_summary(self, since: datetime, until: datetime) -> DaySummary:
        """The calls started in [since, until): how many ended with each outcome (``None``: in progress) and
        the voice-to-voice latencies of their agent turns."""
        with self._sessions() as session:
            outcomes = session.execute(
                select(Call.outcome, func.count()).where(Call.started_at >= since, Call.started_at < until)
                .group_by(Call.outcome)
            ).all()  # fmt: skip
            latencies = session.scalars(
                select(Turn.latency_ms).join(Call, Turn.call_id == Call.id)
                .where(Call.started_at >= since, Call.started_at < until, Turn.speaker == "agent",
                       Turn.latency_ms.is_not(None))
            ).all()  # fmt: skip
        return DaySummary(outcomes={outcome: count for outcome, count in outcomes},
                          latencies_ms=tuple(sorted(latencies)))


@dataclass(frozen=True)
class DaySummary:
    outcomes: dict[str | None, int]  # outcome → calls (None: still in progress)
    latencies_ms: tuple[int, ...]  # voice-to-voice, every measured agent turn, ascending


def _add_new_flags(session: Session, call_id: str, flags: Iterable[RaisedFlag]) -> list[str]:
    """Add the flags whose rule the call has not stored yet; the new rules."""
    stored = set(session.scalars(select(Flag.rule).where(Flag.call_id == call_id)))
    new: list[str] = []
    for flag in flags:
        if flag.rule in stored:
            continue
        stored.add(flag.rule)
        new.append(flag.rule)
        session.add(
            Flag(
                call_id=call_id,
                rule=flag.rule,
                severity=flag.severity,
                evidence=flag.evidence or "",
                turn_index=flag.turn,
                message=flag.message,
            )
        )
    return new


def flag_record(flag: Flag) -> FlagRecord:
    """A flag row as the record handed out (for the store's repositories)."""
    return FlagRecord(
        id=flag.id,
        rule=flag.rule,
        severity=flag.severity,
        evidence=flag.evidence or "",
        turn_index=flag.turn_index,
        message=flag.message,
        created_at=as_aware(flag.created_at),
        resolved_at=as_aware(flag.resolved_at),
        resolved_by=flag.resolved_by,
        note=flag.note,
    )


def call_record(call: Call, with_turns: bool = True, flags: list[FlagRecord] | None = None) -> CallRecord:
    """A call row as the record handed out; ``flags``: these instead of all the call's flags."""
    return CallRecord(
        id=call.id,
        call_sid=call.call_sid,
        phone_number=call.phone_number,
        person_name=call.person_name,
        scenario=call.scenario,
        direction=call.direction,
        status=call.status,
        outcome=call.outcome,
        outcome_detail=call.outcome_detail,
        started_at=as_aware(call.started_at),
        ended_at=as_aware(call.ended_at),
        answers=dict(call.answers or {}),
        stats=dict(call.stats or {}),
        recording_path=call.recording_path,
        owner=call.owner,
        taken_over_by=call.taken_over_by,
        turns=[
            TurnRecord(t.index, t.speaker, t.text, t.start_ms, t.end_ms, t.state, t.latency_ms)
            for t in call.turns
        ]
        if with_turns
        else [],
        flags=flags if flags is not None else [flag_record(f) for f in call.flags],
    )
