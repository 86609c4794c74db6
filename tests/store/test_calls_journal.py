"""The live call's journal (answers and flags per turn, with their alerts in the same transaction), the alert
outbox, and closing calls a dead process left open. SQLite and a real PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from agent.store import AlertOutbox, AlertRoute, CallStore, migrate

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # never the wall clock: every time below is injected
WEBHOOK_HIGH, EMAIL_CRITICAL = AlertRoute("webhook", "high"), AlertRoute("email", "critical")


@dataclass
class FakeFlag:
    rule: str
    severity: str
    evidence: str
    turn: int
    message: str | None = None


FALL = FakeFlag("fall", "high", "어제 넘어져서 무릎을 다쳤어요", 3, "넘어졌다고 함")
LOW_MOOD = FakeFlag("low_mood", "medium", "우울해요", 6, "기분이 가라앉음")
SELF_HARM = FakeFlag("self_harm_risk", "critical", "죽고 싶어요", 7, "자해 위험")


@pytest.fixture
def store(database_url):
    migrate(database_url)
    return CallStore(database_url)


def test_each_turn_journals_answers_and_flags_idempotently(store):
    call_id = store.start_call(phone_number="+821034567890", recording_path="/rec/a.wav", owner="host:1:2")
    record = store.get_call(call_id)
    assert record.recording_path == "/rec/a.wav" and record.owner == "host:1:2"  # linked before any audio

    assert store.journal(call_id, answers={"meal": "eaten"}, flags=[]) == []
    assert store.journal(call_id, answers={"meal": "eaten", "health": "unwell"}, flags=[FALL]) == ["fall"]
    # The same state again (or the end of the call re-journaling everything) adds nothing.
    assert store.journal(call_id, answers={"meal": "eaten", "health": "unwell"}, flags=[FALL]) == []
    assert store.add_flags(call_id, [FALL, LOW_MOOD]) == ["low_mood"]

    record = store.get_call(call_id)
    assert record.status == "in_progress"  # all of it is there while the call still runs
    assert record.answers == {"meal": "eaten", "health": "unwell"}
    assert [(f.rule, f.evidence, f.turn_index) for f in record.flags] == [
        ("fall", "어제 넘어져서 무릎을 다쳤어요", 3), ("low_mood", "우울해요", 6)]  # fmt: skip
    assert [c.id for c in store.flagged()] == [call_id]  # in the operators' queue mid-call
    with pytest.raises(KeyError):
        store.journal("no-such-call", answers={}, flags=[])


def test_a_flag_is_put_in_the_outbox_with_its_journal_once_per_channel_and_later_ones_follow(store):
    outbox = AlertOutbox(store.engine)
    call_id = store.start_call()
    routes = [WEBHOOK_HIGH, EMAIL_CRITICAL]

    store.journal(call_id, answers={}, flags=[LOW_MOOD], alerts=routes)
    assert outbox.for_call(call_id) == []  # medium: below both minimums

    store.journal(call_id, answers={}, flags=[LOW_MOOD, FALL], alerts=routes)
    (first,) = outbox.for_call(call_id)
    flag_ids = {f.rule: f.id for f in store.get_call(call_id).flags}
    assert (first.channel, first.flag_ids, first.status) == ("webhook", (flag_ids["fall"],), "pending")

    store.journal(call_id, answers={}, flags=[LOW_MOOD, FALL], alerts=routes)  # again: nothing new
    assert len(outbox.for_call(call_id)) == 1
    store.journal(call_id, answers={}, flags=[LOW_MOOD, FALL, SELF_HARM], alerts=routes)
    flag_ids = {f.rule: f.id for f in store.get_call(call_id).flags}
    alerts = [(a.channel, a.flag_ids) for a in outbox.for_call(call_id)]
    assert alerts == [
        ("webhook", (flag_ids["fall"],)),
        ("webhook", (flag_ids["self_harm_risk"],)),  # a follow-up with the new flag only
        ("email", (flag_ids["self_harm_risk"],)),  # e-mail's first: critical only
    ]
    second = outbox.for_call(call_id)[1]
    assert not outbox.is_follow_up(first) and outbox.is_follow_up(second)


def test_outbox_retries_with_its_schedule_across_a_restart_and_is_claimed_once(database_url):
    migrate(database_url)
    store = CallStore(database_url)
    call_id = store.start_call()
    store.journal(call_id, answers={}, flags=[FALL], alerts=[WEBHOOK_HIGH], now=NOW)

    worker = AlertOutbox(store.engine)
    (claimed,) = worker.claim_due(NOW, lease=timedelta(minutes=2))
    assert claimed.attempts == 1
    assert AlertOutbox(CallStore(database_url).engine).claim_due(NOW, timedelta(minutes=2)) == []  # leased
    worker.failed(claimed.id, "http://hooks.example: HTTP 500", retry_at=NOW + timedelta(seconds=10))

    # "Restart": new store and outbox on the same database; the try is due when it was scheduled, not before.
    restarted = AlertOutbox(CallStore(database_url).engine)
    assert restarted.claim_due(NOW + timedelta(seconds=9), timedelta(minutes=2)) == []
    (again,) = restarted.claim_due(NOW + timedelta(seconds=10), timedelta(minutes=2))
    assert (again.id, again.attempts, again.last_error) == (claimed.id, 2, "http://hooks.example: HTTP 500")
    restarted.delivered(again.id, NOW + timedelta(seconds=11))
    (done,) = restarted.for_call(call_id)
    assert done.status == "delivered" and done.delivered_at == NOW + timedelta(seconds=11)
    assert restarted.claim_due(NOW + timedelta(days=1), timedelta(minutes=2)) == [] and restarted.pending() == []


def test_a_worker_that_dies_mid_send_leaves_the_alert_to_come_due_again(store):
    call_id = store.start_call()
    store.journal(call_id, answers={}, flags=[FALL], alerts=[WEBHOOK_HIGH], now=NOW)
    (claimed,) = AlertOutbox(store.engine).claim_due(NOW, lease=timedelta(minutes=2))
    # the worker is gone without marking it: after the lease another one takes it
    assert AlertOutbox(store.engine).claim_due(NOW + timedelta(minutes=1), timedelta(minutes=2)) == []
    (retaken,) = AlertOutbox(store.engine).claim_due(NOW + timedelta(minutes=2), timedelta(minutes=2))
    assert retaken.id == claimed.id and retaken.attempts == 2


def test_recovery_closes_calls_of_dead_owners_and_old_ones_as_interrupted_keeping_the_journal(store):
    outbox = AlertOutbox(store.engine)
    dead = store.start_call(owner="host:111:dead")
    live = store.start_call(owner="host:222:live")
    legacy = store.start_call()  # no owner: only its age tells
    finished = store.start_call(owner="host:111:dead")
    store.finish_call(finished, outcome="completed")
    store.add_turn(dead, "caller", "어제 넘어져서 무릎을 다쳤어요", 1000, 2000)
    store.journal(dead, answers={"health": "unwell"}, flags=[FALL])  # journaled before routes were known

    alive = {"host:111:dead": False, "host:222:live": True}.__getitem__
    started = store.get_call(legacy).started_at
    recovered = store.recover_abandoned(timedelta(hours=1), now=started, owner_alive=alive, alerts=[WEBHOOK_HIGH])
    assert recovered == [dead]
    record = store.get_call(dead)
    assert (record.status, record.outcome) == ("ended", "interrupted")
    assert record.answers == {"health": "unwell"} and [t.text for t in record.turns] == ["어제 넘어져서 무릎을 다쳤어요"]
    assert [f.rule for f in record.flags] == ["fall"] and [c.id for c in store.flagged()] == [dead]
    assert [a.channel for a in outbox.for_call(dead)] == ["webhook"]  # its flag is alerted now
    assert store.get_call(live).status == "in_progress" and store.get_call(finished).outcome == "completed"

    later = store.recover_abandoned(timedelta(hours=1), now=started + timedelta(hours=2), owner_alive=alive)
    assert sorted(later) == sorted([live, legacy])  # older than any call can be: closed whoever owned it
    assert store.recover_abandoned(timedelta(hours=1), now=started + timedelta(hours=3)) == []
    assert len(outbox.for_call(dead)) == 1  # recovery twice never alerts twice


def test_link_recording(store):
    call_id = store.start_call(recording_path="/rec/x.wav")
    store.link_recording(call_id, None)
    assert store.recording_path(call_id) is None
    with pytest.raises(KeyError):
        store.link_recording("no-such-call", "/x.wav")
