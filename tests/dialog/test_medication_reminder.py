"""The third built-in scenario, written in YAML alone: a medication reminder call, driven by text."""

from datetime import timedelta

import pytest
from dialog_testkit import MORNING, talk

from dialog import DialogSession, load_scenario
from dialog.chat import run_chat


@pytest.fixture(scope="module")
def reminder():
    return load_scenario("medication_reminder")


def call(scenario, **options):
    return DialogSession(scenario, {"name": "김영수"}, now=MORNING, seed=0, **options)


def rules(session):
    return sorted(f.rule for f in session.flags)


def test_took_it(reminder):
    s = call(reminder)
    replies = talk(s, ["네 맞아요", "네 아침에 먹었어요", "괜찮아요"])
    assert [r.state for r in replies] == ["identity", "medication", "feeling", "closing"]
    assert s.finished and s.outcome == "completed" and replies[-1].end
    assert s.answers == {"medication": "taken", "health": "well", "symptoms": []}
    assert s.flags == []
    assert "김영수 님" in replies[0].text and "담당 선생님" not in replies[-1].text


def test_taken_said_with_the_identity_skips_the_question(reminder):
    s = call(reminder)
    reply = talk(s, ["네 맞아요, 약은 아침에 먹었어요"])[-1]
    assert reply.state == "feeling" and s.answers["medication"] == "taken"


def test_missed_said_with_the_identity_goes_straight_to_when(reminder):
    s = call(reminder)
    reply = talk(s, ["네 맞아요, 근데 약은 아직 못 먹었어요"])[-1]
    assert reply.state == "when" and s.answers["medication"] == "missed"
    assert rules(s) == ["missed_medication"]


def test_missed_it_raises_its_flag_and_asks_when(reminder):
    s = call(reminder)
    replies = talk(s, ["네", "아 깜빡했어요", "이따 점심 먹고 먹을게요", "괜찮아요"])
    assert [r.state for r in replies] == ["identity", "medication", "when", "feeling", "closing"]
    assert s.answers["medication"] == "missed" and s.answers["take_when"] == "later"
    (flag,) = s.flags
    assert (flag.rule, flag.severity, flag.evidence, flag.turn) == ("missed_medication", "medium", "아 깜빡했어요", 1)
    assert "꼭" in replies[2].text  # the reminder itself
    assert s.outcome == "completed" and "담당 선생님" in replies[-1].text  # a flagged call promises follow-up


@pytest.mark.parametrize(
    ("said", "when", "rule"),
    [
        ("지금은 안 먹을래요", "not_today", "medication_refused"),
        ("약이 다 떨어졌어요", "ran_out", "out_of_medicine"),
        ("지금 바로 먹을게요", "soon", None),
        ("밥 먹고 먹을게", "after_meal", None),
    ],
)
def test_when_they_will_take_it(reminder, said, when, rule):
    s = call(reminder)
    talk(s, ["네", "아직 못 먹었어"])
    assert s.handle(said).state == "feeling"
    assert s.answers["take_when"] == when
    assert rules(s) == sorted(["missed_medication", *([rule] if rule else [])])


def test_unwell_answer_raises_symptom_flags(reminder):
    s = call(reminder)
    talk(s, ["네", "네 먹었어요"])
    reply = s.handle("약 먹고 나서 좀 어지럽고 열이 좀 나요")
    assert reply.state == "closing" and s.outcome == "completed"
    assert s.answers["health"] == "unwell" and s.answers["symptoms"] == ["fever", "dizziness"]
    assert rules(s) == ["dizziness", "fever", "unwell_on_medicine"]
    assert "어지러우시군요" in reply.text  # dizziness is listed before fever: acknowledged first


def test_breathless_now_is_an_emergency(reminder):
    s = call(reminder)
    talk(s, ["네", "네 먹었어요"])
    assert s.handle("숨이 차요").state == "feeling.now"
    reply = s.handle("네 지금도 그래요")
    assert reply.end and s.outcome == "emergency" and "119" in reply.text and s.needs_human_now
    assert {"breathing_trouble", "emergency"} <= set(rules(s))


def test_unwell_without_a_symptom_asks_where_then_how_bad(reminder):
    s = call(reminder)
    talk(s, ["네", "먹었어요"])
    assert s.handle("좀 안 좋아요").state == "feeling.symptom"
    assert s.handle("머리가 너무 아파요").state == "feeling.pain"
    assert s.handle("많이 아파요").state == "closing"
    assert s.answers["body_parts"] == {"pain": "머리"} and "severe_pain" in rules(s)


def test_silence_then_no_response(reminder):
    s = call(reminder)
    replies = talk(s, ["네", None, None])
    assert replies[-1].state == "medication" and "여보세요" in replies[-1].text and not replies[-1].end
    last = s.handle_silence()
    assert last.end and s.outcome == "no_response"
    (flag,) = s.flags
    assert flag.rule == "no_answer" and flag.evidence == ""


def test_unclear_answers_are_asked_again_then_left_unknown(reminder):
    s = call(reminder)
    talk(s, ["네"])
    first, second = s.handle("음"), s.handle("바나나 기차")
    assert first.state == second.state == "medication" and "죄송해요" in first.text
    assert first.text != second.text
    third = s.handle("음")
    assert third.state == "feeling" and s.answers["medication"] == "unknown"
    assert "missed_medication" not in rules(s)
    assert "들렸" in s.handle("").text  # nothing heard at all: asked to speak up


def test_self_harm_ends_with_the_crisis_line(reminder):
    s = call(reminder)
    talk(s, ["네"])
    reply = s.handle("그냥 살기 싫어요")
    assert reply.end and s.outcome == "emergency" and "109" in reply.text
    assert s.flags[-1].rule == "self_harm_risk" and s.flags[-1].severity == "critical"


def test_recalls_what_the_last_call_reported(reminder):
    earlier = {"started_at": MORNING - timedelta(days=1), "outcome": "completed",
               "answers": {"medication": "taken", "symptoms": ["dizziness"]}, "flags": []}  # fmt: skip
    s = call(reminder, history=[earlier])
    reply = talk(s, ["네", "네 먹었어요"])[-1]
    assert reply.state == "feeling" and "지난번에 어지러우시다고 하셨는데" in reply.text
    fresh = talk(call(reminder), ["네", "네 먹었어요"])[-1]
    assert "지난번" not in fresh.text


def test_every_reply_is_well_formed(reminder):
    s = call(reminder)
    replies = talk(s, ["네", "음", None, "깜빡했어요", "글쎄요", "저녁에 먹을게요", "괜찮아요"])
    for r in replies:
        assert "{" not in r.text and r.text.rstrip()[-1] in ".?!"
        assert (r.hint is None) == r.end
    assert s.outcome == "completed"


def test_the_text_chat_runs_it(reminder):
    out: list[str] = []
    session = run_chat(reminder, ["네 맞아요", "아직이요", "밥 먹고 먹을게", "괜찮아요"], out.append, now=MORNING, seed=1)
    assert session.outcome == "completed"
    assert out[0].startswith("상담원 (identity): ")
    assert "  take_when: after_meal" in out and any("flag missed_medication (medium)" in line for line in out)
