"""What the callee says about the call itself, in any question: who is calling (answered, then the question
again) and "no more calls" (confirmed once, then stored as the outcome). Phrasings here are written apart from
the rule's keywords: they are how people say it, not the patterns."""

from __future__ import annotations

import pytest
from dialog_testkit import MORNING

from dialog import DialogSession, load_scenario
from dialog.session import OPT_OUT_MARK
from dialog.understanding import Utterance, asks_who, wants_no_calls

CARE = load_scenario("care_call")
MEDICATION = load_scenario("medication_reminder")

STOPS = [
    "이제 전화 안 하셨으면 좋겠어요",
    "전화하지 마세요",
    "그만 전화해요",
    "앞으로는 연락 안 주셔도 돼요",
    "다시는 이런 전화 걸지 마세요",
    "이런 전화 받기 싫어요, 귀찮아요",
    "나 이제 전화 필요 없어",
    "수신 거부 해 주세요",
    "더 이상 전화 안 해도 됩니다",
    "우리 딸이 있으니까 이제 그만 연락하셔도 돼요",
    "이제 점화 안 하셨으면 좋겠어요",  # how Whisper heard the simulated callee's 전화 on the phone line
    "이제 정화 안 하셨으면 좋겠어요",  # and once in 12 onsets (benchmarks/persona_hearing.py)
]
NOT_STOPS = [
    "전화 주셔서 고마워요",
    "아들이 전화를 안 해서 서운해요",
    "전화 안 받아서 미안해요, 밭에 있었어요",
    "내일 또 전화해 주세요",
    "전화 끊지 말고 좀 더 얘기해요",
    "병원에 전화해 봐야겠어요",
    "딸한테 전화가 와서 좋았어요",
    "그만 아팠으면 좋겠어요",
    "정화조 청소를 안 해서 냄새가 나요",
]
WHO = [
    "누구세요?",
    "근데 어디서 전화했어요?",
    "AI예요?",
    "혹시 기계예요?",
    "사람이세요 로봇이세요?",
    "누구신데 자꾸 물어봐요",
    "이거 녹음되는 거예요?",
    "무슨 전화예요?",
    "거기 어디세요?",
]
NOT_WHO = [
    "누구랑 같이 사냐고요? 혼자 살아요",
    "네 그 사람 맞아요",
    "딸이 어디 갔는지 모르겠어요",
    "여기가 어디예요",  # confusion (its own flag), not a question about us
    "밥은 먹었어요",
]


@pytest.mark.parametrize("said", STOPS)
def test_stopping_the_calls_is_heard_however_it_is_said(said):
    assert wants_no_calls(Utterance(said)) is not None


@pytest.mark.parametrize("said", NOT_STOPS)
def test_talk_about_phone_calls_is_not_a_stop(said):
    assert wants_no_calls(Utterance(said)) is None


@pytest.mark.parametrize("said", WHO)
def test_asking_who_is_calling_is_heard(said):
    assert asks_who(Utterance(said)) is not None


@pytest.mark.parametrize("said", NOT_WHO)
def test_other_questions_and_answers_are_not_asking_who(said):
    assert asks_who(Utterance(said)) is None


def _at(state: str, scenario=CARE, **kwargs) -> DialogSession:
    """A call that has got to ``state`` (asked it as the next question of the script)."""
    session = DialogSession(scenario, person={"name": "김영수"}, now=MORNING, seed=3, **kwargs)
    session.ask(state)
    return session


# --- disclosure ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["care_call", "medication_reminder", "reservation"])
def test_every_built_in_opening_says_automated_on_whose_behalf_and_recorded(name):
    scenario = load_scenario(name)
    session = DialogSession(scenario, person={"name": "김영수"}, now=MORNING, seed=0, organization="행복구청")
    opening = session.start().text
    assert "AI" in opening and "녹음" in opening
    on_behalf = "행복구청" if "{organization}" in " ".join(scenario.disclosure.lines) else scenario.venue.name
    assert on_behalf in opening
    assert len(" ".join(session.scenario.disclosure.lines)) < 40  # one short line before the first question


def test_without_a_line_or_server_organisation_the_scenarios_own_is_said():
    opening = DialogSession(CARE, person={"name": "김영수"}, now=MORNING, seed=0).start().text
    assert f"{CARE.disclosure.organization}의 AI 상담원" in opening


def test_a_lines_own_wording_replaces_the_scenarios():
    session = DialogSession(CARE, person={"name": "김영수"}, now=MORNING, seed=0,
                            disclosure=["한빛복지관 자동 안내 전화입니다. 통화는 녹음됩니다."])  # fmt: skip
    opening = session.start().text
    assert "한빛복지관 자동 안내 전화입니다. 통화는 녹음됩니다." in opening and "AI 상담원이고" not in opening


@pytest.mark.parametrize(("state", "question"), [("identity", "김영수 님"), ("meal", "식사"), ("health.fever", "열이"),
                                                 ("mood", "기분"), ("anything_else", "말씀")])  # fmt: skip
def test_who_is_answered_in_any_question_and_the_question_asked_again(state, question):
    session = _at(state, organization="행복구청")
    asked = session._question
    reply = session.handle("근데 누구세요?")
    assert reply.state == state and not reply.end
    assert "행복구청" in reply.text and "AI 상담원" in reply.text and "녹음" in reply.text
    assert reply.text.endswith(asked) and question in asked
    assert not session.flags and session.answers == {}


def test_after_who_the_conversation_resumes_where_it_was():
    session = DialogSession(CARE, person={"name": "김영수"}, now=MORNING, seed=0)
    session.start()
    session.handle("네 맞아요")
    session.handle("기계예요?")
    reply = session.handle("밥 먹었어요")
    assert session.answers["meal"] == "eaten" and reply.state == "sleep"


def test_asking_who_does_not_use_up_the_questions_retries():
    session = _at("meal")
    for _ in range(4):  # more than max_retries
        assert session.handle("누구시라고요?").state == "meal"
    assert "meal" not in session.answers


# --- opt-out -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("state", "said"), [("identity", "다시는 전화하지 마세요"), ("meal", STOPS[0]),
                                             ("sleep", STOPS[3]), ("health.pain", STOPS[4]), ("mood", STOPS[5]),
                                             ("anything_else", STOPS[8])])  # fmt: skip
def test_a_confirmed_stop_ends_the_call_opted_out_in_any_question(state, said):
    session = _at(state)
    confirm = session.handle(said)
    assert confirm.state == OPT_OUT_MARK and not confirm.end
    assert confirm.text == "앞으로 전화를 드리지 않을까요?"
    assert session.outcome is None and session.opt_out_request is None  # nothing stored before the yes
    bye = session.handle("네, 그렇게 해 주세요")
    assert bye.end and session.finished and session.outcome == "opted_out"
    assert session.opt_out_request == said.strip()
    assert "전화드리지 않을게요" in bye.text
    (flag,) = [f for f in session.flags if f.rule == "opted_out"]
    assert flag.evidence == said.strip() and flag.message.startswith("앞으로 전화를")


def test_saying_the_stop_again_confirms_it():
    session = _at("meal")
    session.handle("전화 그만 하세요")
    session.handle("전화하지 말라니까요")
    assert session.outcome == "opted_out"


@pytest.mark.parametrize("answer", ["아니요, 계속 해 주세요", "아니 그런 뜻은 아니고요", "글쎄요"])
def test_a_stop_not_confirmed_goes_back_to_the_question(answer):
    session = _at("sleep")
    asked = session._question
    session.handle("이제 전화 안 해도 돼요")
    reply = session.handle(answer)
    assert reply.state == "sleep" and not reply.end and reply.text.endswith(asked)
    assert "계속 여쭤볼게요" in reply.text
    assert session.outcome is None and session.opt_out_request is None
    assert session.handle("잘 잤어요").state == "health" and session.answers["sleep"] == "good"


def test_silence_after_the_confirmation_keeps_the_calls():
    session = _at("meal")
    session.handle("전화하지 마세요")
    reply = session.handle_silence()
    assert reply.state == "meal" and not reply.end
    session.handle("네")  # answers the meal question now, not the stop
    assert session.outcome is None and session.answers["meal"] == "eaten"


def test_the_medication_reminder_takes_a_stop_too():
    session = _at("medication", scenario=MEDICATION)
    session.handle("약 얘기 그만하고 이제 전화 안 했으면 좋겠어")
    session.handle("네")
    assert session.outcome == "opted_out"


def test_thanks_for_the_call_is_just_an_answer():
    session = _at("anything_else")
    reply = session.handle("없어요, 전화 주셔서 고마워요")
    assert reply.state == "closing" and session.outcome == "completed"


def test_safety_comes_before_the_stop():
    session = _at("mood")
    session.handle("다 귀찮아, 전화하지 마, 죽고 싶어")
    assert session.outcome == "emergency" and any(f.rule == "self_harm_risk" for f in session.flags)


def test_a_scenario_without_opt_out_or_disclosure_does_not_understand_them():
    plain = CARE.model_copy(update={"opt_out": None, "disclosure": None})
    session = DialogSession(plain, person={"name": "김영수"}, now=MORNING, seed=0)
    assert "AI" not in session.start().text
    session.handle("네 맞아요")
    assert session.handle("전화하지 마세요").state != OPT_OUT_MARK
    assert session.handle("누구세요?").state == "meal"  # not understood: asked again as unclear


def test_a_runner_up_asking_who_is_heard_not_taken_for_a_no():
    """Whisper heard "누구세요?" as "늙었어요", its runner-up "노구세요": a near miss of 누구, not 노 (no)."""
    session = DialogSession(CARE, person={"name": "오정숙"}, now=MORNING, seed=0)
    session.start()
    hypotheses = ["늙었어요", "노구세요"]
    reply = session.handle(hypotheses[session.choose(hypotheses)])
    assert reply.state == "identity" and "AI 상담원" in reply.text and session.outcome is None


def test_the_confirmation_hears_the_hypothesis_that_answers_yes_or_no():
    session = _at("meal")
    session.handle("전화하지 마세요")
    hypotheses = ["내 그래 줘요", "네, 그래 주세요"]
    session.handle(hypotheses[session.choose(hypotheses)])
    assert session.outcome == "opted_out"
