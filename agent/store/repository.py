"""``CallStore``: the call-record repository used by the live call.

Methods are synchronous and short; the call runner calls them through ``asyncio.to_thread``. Every turn
is committed as it happens, so a process that dies mid-call leaves the transcript so far (and
``recover_abandoned`` later closes such records as ``dropped``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, selectinload, sessionmaker

from agent.store.models import Call, Flag, Turn, utcnow


@dataclass(frozen=True)
class TurnRecord:
    index: int
    speaker: str
    text: str
    start_ms: int
    end_ms: int
    state: str | None = None
    latency_ms: int | None = None


@dataclass(frozen=True)
class FlagRecord:
    rule: str
    severity: str
    evidence: str
    turn_index: int | None
    message: str | None = None


@dataclass(frozen=True)
class CallRecord:
    id: str
    call_sid: str | None
    phone_number: str | None
    person_name: str | None
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
    turns: list[TurnRecord] = field(default_factory=list)
    flags: list[FlagRecord] = field(default_factory=list)


def make_engine(database_url: str) -> Engine:
    """An engine with SQLite made safe for a server (WAL, busy timeout, foreign keys, parent dir)."""
    if database_url.startswith("sqlite:///") and ":memory:" not in database_url:
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(database_url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    return engine


class CallStore:
    def __init__(self, database_url: str):
        self.engine = make_engine(database_url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def start_call(
        self,
        *,
        call_sid: str | None = None,
        stream_sid: str | None = None,
        direction: str = "outbound",
        phone_number: str | None = None,
        person_name: str | None = None,
        scenario: str | None = None,
    ) -> str:
        call_id = str(uuid.uuid4())
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

    def add_flags(self, call_id: str, flags: Iterable[Any]) -> None:
        """Store flags (``dialog.Flag`` objects or anything with the same attributes)."""
        with self._sessions.begin() as session:
            for flag in flags:
                session.add(
                    Flag(
                        call_id=call_id,
                        rule=flag.rule,
                        severity=flag.severity,
                        evidence=flag.evidence or "",
                        turn_index=getattr(flag, "turn", getattr(flag, "turn_index", None)),
                        message=getattr(flag, "message", None),
                    )
                )

    def finish_call(
        self,
        call_id: str,
        *,
        outcome: str,
        answers: dict[str, Any] | None = None,
        recording_path: str | None = None,
        outcome_detail: str | None = None,
        stats: dict[str, Any] | None = None,
    ) -> None:
        """Close the record. Idempotent: a later finish updates fields but keeps the first end time."""
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

    def get_call(self, call_id: str) -> CallRecord | None:
        with self._sessions() as session:
            call = session.scalar(
                select(Call)
                .where(Call.id == call_id)
                .options(selectinload(Call.turns), selectinload(Call.flags))
            )
            return _record(call) if call else None

    def list_calls(self, limit: int = 50, phone_number: str | None = None) -> list[CallRecord]:
        with self._sessions() as session:
            query = select(Call).options(selectinload(Call.turns), selectinload(Call.flags))
            if phone_number:
                query = query.where(Call.phone_number == phone_number)
            query = query.order_by(Call.started_at.desc()).limit(limit)
            return [_record(call) for call in session.scalars(query)]

    def recover_abandoned(self, older_than: timedelta) -> list[str]:
        """Close calls left ``in_progress`` by a process that died; returns their ids."""
        cutoff = utcnow() - older_than
        with self._sessions.begin() as session:
            stale = session.scalars(
                select(Call).where(Call.status == "in_progress", Call.started_at < cutoff)
            ).all()
            for call in stale:
                call.status = "ended"
                call.ended_at = utcnow()
                call.outcome = "dropped"
                call.outcome_detail = "the server stopped before the call finished"
            return [call.id for call in stale]


def _aware(value: datetime | None) -> datetime | None:
    # SQLite returns naive datetimes; everything stored is UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _record(call: Call) -> CallRecord:
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
        started_at=_aware(call.started_at),
        ended_at=_aware(call.ended_at),
        answers=dict(call.answers or {}),
        stats=dict(call.stats or {}),
        recording_path=call.recording_path,
        turns=[
            TurnRecord(t.index, t.speaker, t.text, t.start_ms, t.end_ms, t.state, t.latency_ms)
            for t in call.turns
        ],
        flags=[FlagRecord(f.rule, f.severity, f.evidence, f.turn_index, f.message) for f in call.flags],
    )
