"""Everything a scenario can say, listed ahead of calls so its audio can be made ahead."""
from __future__ import annotations

from datetime import datetime

from dialog import DialogSession, load_scenario
from dialog.scenario import State
from dialog.prompts import fixed_texts, opening_texts, personal_texts

CARE = load_scenario("care_call")
ORG = {"organization": "행복구청"}  # on whose behalf: known before any call (the line's or the server's)


def test_greetings_come_first_and_only_variable_free_sentences_are_fixed() -> None:
    fixed = fixed_texts(CARE)
    assert opening_texts(CARE) == ["안녕하세요."]  # every care greeting opens with it
    assert fixed[:3] == ["안녕하세요.", "안부 전화 드렸어요.", "오늘도 안부 여쭈려고 전화드렸어요."]
    assert all("{" not in text for text in fixed)
    # The disclosure follows the greeting: made as soon as the organisation is known (at start-up).
    assert fixed_texts(CARE, ORG)[3] == "저는 행복구청의 AI 상담원이고, 통화는 녹음돼요."
    assert not any("행복구청" in text for text in fixed)
    assert "여보세요?" in fixed  # the fixed sentence of "여보세요? {name} 님, 들리세요?"
    assert "잘하셨어요." in fixed and "어젯밤에는 잘 주무셨어요?" in fixed  # acknowledgements and questions
    assert len(fixed) == len(set(fixed))


def test_reply_openers_first_then_the_script_in_call_order() -> None:
    fixed = fixed_texts(CARE)
    assert fixed.index("잘하셨어요.") < fixed.index("어젯밤에는 잘 주무셨어요?")  # meal before sleep
    # a reply's first sentence waits for nobody: every acknowledgement comes before the later questions
    assert fixed.index("열이 나신다니 걱정이네요.") < fixed.index("어젯밤에는 잘 주무셨어요?")
    ending = CARE.endings["emergency"].lines[0].split(". ")[0] + "."
    assert fixed.index("어젯밤에는 잘 주무셨어요?") < fixed.index(ending)


def test_personal_texts_fill_the_name_and_lead_with_the_first_question() -> None:
    personal = personal_texts(CARE, {"name": "김영수"})
    assert personal[0] in ("김영수 님 맞으세요?", "혹시 김영수 님 되세요?")
    assert "반가워요, 김영수 님." in personal and "김영수 님, 들리세요?" in personal
    assert all("{" not in text and "김영수" in text for text in personal)
    assert not set(personal) & set(fixed_texts(CARE))


def test_the_session_says_exactly_the_listed_sentences() -> None:
    """The greeting and the reply to the first answer are made only of listed sentences."""
    listed = set(fixed_texts(CARE, ORG)) | set(personal_texts(CARE, {"name": "김영수", **ORG}))
    session = DialogSession(CARE, person={"name": "김영수"}, now=datetime(2026, 12, 1, 9, 0), organization="행복구청")
    greeting = session.start().text
    reply = session.handle("네 맞아요").text
    sentences = [s for text in (greeting, reply) for s in text.replace("? ", "?|").replace(". ", ".|").split("|")]
    assert len(sentences) >= 4
    assert [s for s in sentences if s not in listed] == [s for s in sentences if "아침" in s]  # only {meal} is left


def test_known_variables_count_as_fixed() -> None:
    reservation = load_scenario("reservation")
    venue = {"venue": reservation.venue.name}
    assert opening_texts(reservation, venue) == ["감사합니다.", "네, 한빛식당입니다."]
    assert opening_texts(reservation) == ["감사합니다."]
    assert "한빛식당입니다." in fixed_texts(reservation, venue) and "한빛식당입니다." not in fixed_texts(reservation)


def test_states_off_the_script_and_symptom_acks_are_listed() -> None:
    orphan = State(expect="yes_no", prompts=["따로 묻는 말."])
    scenario = CARE.model_copy(update={"states": {**CARE.states, "extra.orphan": orphan}})
    fixed = fixed_texts(scenario)
    assert fixed[-1] != "따로 묻는 말." and "따로 묻는 말." in fixed
    assert "열이 나신다니 걱정이네요." in fixed  # a symptom's acknowledgement
