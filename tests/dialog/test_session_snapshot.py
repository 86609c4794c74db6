"""DialogSession.snapshot/restore: a caller turn cut in two by a pause is taken back and heard again whole."""

import pytest
from dialog_testkit import MORNING

from dialog import DialogSession, load_scenario
from dialog.reservations import MemoryBookingBook


def test_restore_takes_back_a_turn_and_the_whole_answer_is_understood(session):
    session.ask("health")
    before = session.snapshot()
    first = session.handle("괜찮아요")  # the caller paused here; the agent moved on
    assert first.state == "medication" and session.turns == 1

    session.restore(before)
    assert (session.state, session.turns, session.answers) == ("health", 0, {})
    whole = session.handle("괜찮아요 근데 어제부터 열이 좀 나요")
    assert whole.state == "health.fever"  # the symptom's follow-up, not the next script question
    assert session.turns == 1
    assert session.answers["health"] == "unwell" and session.answers["symptoms"] == ["fever"]
    assert [f.rule for f in session.flags] == ["fever"]


def test_a_snapshot_can_be_restored_twice_and_wording_follows_it(session):
    session.ask("health")
    before = session.snapshot()
    reply = session.handle("괜찮아요")
    session.restore(before)
    assert session.handle("괜찮아요") == reply  # same phrasing: the wording rotation went back too
    session.restore(before)
    session.handle("괜찮아요")
    assert session.turns == 1


def test_collaborators_are_shared_not_copied():
    scenario = load_scenario("reservation")
    book = MemoryBookingBook()
    session = DialogSession(scenario, person={"phone": "+821055501234"}, now=MORNING, seed=1, bookings=book)
    session.start()
    snap = session.snapshot()
    session.handle("다음 주 토요일 저녁 7시에 2명 예약하고 싶어요")
    session.restore(snap)
    assert session.scenario is scenario
    session.handle("다음 주 토요일 저녁 7시에 2명 예약하고 싶어요")
    assert session.turns == 1


def test_a_snapshot_of_another_session_is_refused(scenario):
    one = DialogSession(scenario, person={"name": "김영수"}, now=MORNING, seed=7)
    other = DialogSession(scenario, person={"name": "박순자"}, now=MORNING, seed=7)
    with pytest.raises(ValueError):
        other.restore(one.snapshot())
