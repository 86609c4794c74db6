"""Call records on SQLite and on a real PostgreSQL server, with the schema made by Alembic."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa
from agent.store import CallStore, make_engine, migrate, schema_differences

@dataclass
class FakeFlag:
    rule: str
    severity: str
    evidence: str
    turn: int
    message: str | None = None


def test_migrated_schema_matches_the_models(database_url):
    migrate(database_url)
    migrate(database_url)  # a second run on an up-to-date database is a no-op
    diffs = schema_differences(database_url)
    engine = make_engine(database_url)
    with engine.connect() as conn:
        version = conn.execute(sa.text("select version_num from alembic_version")).scalar()
    engine.dispose()
    assert diffs == []
    from alembic.script import ScriptDirectory

    from agent.store.migrate import alembic_config

    assert version == ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()


def test_full_call_lifecycle(database_url):
    migrate(database_url)
    store = CallStore(database_url)
    call_id = store.start_call(call_sid="CA1", stream_sid="MZ1", phone_number="+821012345678",
                               person_name="김영수", scenario="care_call")
    assert store.get_call(call_id).status == "in_progress"
    store.add_turn(call_id, "agent", "안녕하세요. 식사는 하셨어요?", 0, 2500, state="meal")
    store.add_turn(call_id, "caller", "네 아침 먹었어요", 3100, 4200)
    store.add_flags(call_id, [FakeFlag("fever", "medium", "열이 나요", 3, "열이 있다고 함")])
    store.finish_call(call_id, outcome="completed", answers={"meal": "eaten", "symptoms": ["fever", "cough"]},
                      recording_path="/tmp/x.wav", stats={"latency_s": [1.2, 1.9]})
    record = store.get_call(call_id)
    assert record.status == "ended" and record.outcome == "completed"
    assert record.answers == {"meal": "eaten", "symptoms": ["fever", "cough"]}
    assert record.stats["latency_s"] == [1.2, 1.9]
    assert [(t.index, t.speaker, t.text, t.state) for t in record.turns] == [
        (0, "agent", "안녕하세요. 식사는 하셨어요?", "meal"),
        (1, "caller", "네 아침 먹었어요", None),
    ]
    assert [(f.rule, f.severity, f.evidence, f.turn_index) for f in record.flags] == [
        ("fever", "medium", "열이 나요", 3)
    ]
    assert record.ended_at.tzinfo is not None and record.ended_at >= record.started_at
    assert [c.id for c in store.list_calls(phone_number="+821012345678")] == [call_id]
    assert store.list_calls(phone_number="+820000000000") == []


def test_turns_are_visible_before_the_call_finishes(database_url):
    migrate(database_url)
    writer, reader = CallStore(database_url), CallStore(database_url)
    call_id = writer.start_call(phone_number="+821011112222")
    writer.add_turn(call_id, "caller", "여보세요", 0, 800)
    record = reader.get_call(call_id)
    assert record.status == "in_progress"
    assert [t.text for t in record.turns] == ["여보세요"]


def test_finish_is_idempotent_and_keeps_the_first_end_time(sqlite_url):
    migrate(sqlite_url)
    store = CallStore(sqlite_url)
    call_id = store.start_call()
    store.finish_call(call_id, outcome="caller_hung_up", answers={"meal": "eaten"})
    first_end = store.get_call(call_id).ended_at
    time.sleep(0.01)
    store.finish_call(call_id, outcome="caller_hung_up", outcome_detail="again")
    record = store.get_call(call_id)
    assert record.ended_at == first_end
    assert record.answers == {"meal": "eaten"}  # not clobbered by a finish without answers
    with pytest.raises(KeyError):
        store.finish_call("no-such-call", outcome="completed")


def test_recover_abandoned_closes_only_stale_calls(sqlite_url):
    migrate(sqlite_url)
    store = CallStore(sqlite_url)
    stale = store.start_call()
    time.sleep(0.05)
    fresh = store.start_call()
    finished = store.start_call()
    store.finish_call(finished, outcome="completed")
    # "now" is the fresh call's start, so the cut-off falls between the two calls however slow the box is.
    recovered = store.recover_abandoned(older_than=timedelta(seconds=0.03), now=store.get_call(fresh).started_at)
    assert recovered == [stale]
    assert store.get_call(stale).outcome == "interrupted"
    assert store.get_call(fresh).status == "in_progress"
    assert store.get_call(finished).outcome == "completed"
