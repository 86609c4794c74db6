"""A callee who asks who is calling, then wants no more calls: told who (an AI agent of the organisation, the
call recorded), asked once to confirm the stop, and opted out on the person record, with their words."""

from __future__ import annotations

import pytest

from agent.store import CallStore, PeopleStore
from telephony.simulator.personas import load_persona

pytestmark = pytest.mark.slow


async def test_who_is_answered_and_a_confirmed_stop_opts_the_person_out(place_call):
    persona = load_persona("opts_out")
    placed = await place_call("opts_out", organization="행복구청")
    record = placed.record
    assert record.outcome == persona.expect.outcome, (record.outcome_detail, [t.text for t in record.turns])
    assert "opted_out" in {f.rule for f in record.flags}
    agent = [t.text for t in record.turns if t.speaker == "agent"]
    assert "행복구청의 AI 상담원" in agent[0] and "녹음" in agent[0]  # said before the first question
    assert any("행복구청에서" in text and text.endswith(("맞으세요?", "되세요?")) for text in agent[1:])  # "누구세요?"
    assert "앞으로 전화를 드리지 않을까요?" in agent

    person = PeopleStore(CallStore(placed.settings.resolved_database_url).engine).by_phone(persona.phone)
    assert person is not None and person.opted_out
    # Why: the callee's own words, as recognised ("이제 점화 안 하셨으면…" is how Whisper may hear 전화).
    assert person.opt_out_reason in [t.text for t in record.turns if t.speaker == "caller"]
