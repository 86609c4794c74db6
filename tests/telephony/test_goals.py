"""The benchmark's goal corpus loads, is large enough, and says what the agent should record consistently."""

from datetime import timedelta
from pathlib import Path

import pytest

import dialog.vocabulary as vocabulary
from dialog import load_scenario
from telephony.simulator.goals import GoalError, load_goals

GOALS = Path(__file__).resolve().parents[2] / "benchmarks" / "goals"
# The care call's flag for each thing wrong (dialog/scenarios/care_call.yaml, `flags` and `symptoms`).
FLAG_OF = {"meal:skipped": "not_eating", "sleep:poor": "poor_sleep", "medication:missed": "missed_medication",
           "mood:low": "low_mood", "fever": "fever", "cough": "cough", "breathing": "breathing_trouble",
           "chest_pain": "chest_pain", "fall": "fall"}  # fmt: skip


@pytest.fixture(scope="module")
def reservations():
    return load_goals(GOALS / "reservation_goals.yaml", vocabulary)


@pytest.fixture(scope="module")
def care():
    return load_goals(GOALS / "care_goals.yaml", vocabulary)


def test_both_goal_files_load_with_at_least_60_goals(reservations, care):
    assert (reservations.kind, care.kind) == ("reservation", "care")
    assert len(reservations.goals) >= 60 and len(care.goals) >= 60
    intents = {g.intent for g in reservations.goals}
    assert intents == {"book", "cancel", "change"}
    assert sum(g.booking.children > 0 for g in reservations.goals) >= 5
    assert sum(g.request is not None for g in reservations.goals) >= 5
    assert sum(not g.caller_id for g in reservations.goals) >= 5


def test_every_booking_is_one_the_venue_can_take(reservations):
    venue = load_scenario("reservation").venue
    today = reservations.now.date()
    for goal in reservations.goals:
        for booking in filter(None, (goal.booking, goal.existing)):
            assert today <= booking.date <= today + timedelta(days=venue.days_ahead), goal.id
            assert booking.at in venue.seatings(booking.date), f"{goal.id}: {booking.date} {booking.time} closed"
            assert booking.party_size <= venue.max_party, goal.id
        answers = goal.expect.answers
        if goal.intent == "book":
            assert (answers["date"], answers["time"], answers["party_size"], answers["name"], answers["phone"]) == (
                goal.booking.date.isoformat(), goal.booking.time, str(goal.booking.party_size), goal.name, goal.phone)


def test_care_goals_cover_every_concern_and_expect_exactly_its_flags(care):
    states = [g.state for g in care.goals]
    assert sum(s.meal == "skipped" for s in states) >= 5 and sum(s.sleep == "poor" for s in states) >= 5
    assert sum(s.medication == "missed" for s in states) >= 5 and sum(s.mood == "low" for s in states) >= 5
    assert sum(s.call_back_at is not None for s in states) >= 3 and sum(s.lonely for s in states) >= 2
    assert {c.symptom for s in states for c in s.complaints} == set(vocabulary.SYMPTOMS)
    for goal in care.goals:
        st, expect = goal.state, goal.expect
        if expect.outcome != "completed":
            continue
        wanted = {FLAG_OF.get(f"{key}:{getattr(st, key)}") for key in ("meal", "sleep", "medication", "mood")}
        wanted |= {FLAG_OF.get(c.symptom) for c in st.complaints}
        wanted |= {"severe_pain" for c in st.complaints if c.symptom == "pain" and c.severity == "severe"}
        wanted |= {"loneliness"} if st.lonely else set()
        assert set(expect.flags) == wanted - {None}, goal.id
        assert expect.answers["health"] == ("unwell" if st.complaints else "well"), goal.id
        assert sorted(expect.answers["symptoms"]) == sorted({c.symptom for c in st.complaints}), goal.id
        assert (expect.answers.get("note") is None) == (st.note is None), goal.id


def test_a_bad_goal_names_the_file_and_the_goal(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text('kind: care\nnow: "2026-11-25T10:00:00+09:00"\ngoals:\n'
                    "  - {id: c9, name: 박순자, state: {mood: fine}, expect: {outcome: completed}}\n", encoding="utf-8")
    with pytest.raises(GoalError, match=r"bad\.yaml: goal c9: state\.mood"):
        load_goals(path)
    path.write_text('kind: care\nnow: "2026-11-25T10:00:00+09:00"\ngoals:\n'
                    "  - {id: c9, name: 박순자, state: {}, expect: {outcome: completed, flags: [sad]}}\n", encoding="utf-8")
    load_goals(path)  # structure alone is fine; the dialog's vocabulary knows no 'sad'
    with pytest.raises(GoalError, match="c9.*sad"):
        load_goals(path, vocabulary)
