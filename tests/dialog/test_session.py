"""Whole scripted care calls, as the phone simulator's personas will play them."""

import re

import pytest

from dialog import DialogSession, Flag, Reply

from dialog_testkit import MORNING, talk

STATE_ID = re.compile(r"^(identity|meal|sleep|health|health\.[a-z_]+|medication|mood|anything_else|closing)$")


def rules(session):
    return sorted(f.rule for f in session.flags)


# --- the three personas ---------------------------------------------------------------------------------


def test_well_person(session):
    replies = talk(session, ["네 맞아요", "네 아침 잘 먹었어요", "잘 잤어요", "괜찮아요 건강해요", "네 약 먹었어요", "기분 좋아요", "없어요"])  # fmt: skip
    assert [r.state for r in replies] == [
        "identity", "meal", "sleep", "health", "medication", "mood", "anything_else", "closing",
    ]  # fmt: skip
    assert session.finished and session.outcome == "completed" and replies[-1].end
    assert session.answers == {
        "meal": "eaten", "sleep": "good", "health": "well", "symptoms": [], "medication": "taken", "mood": "good",
    }  # fmt: skip
    assert session.flags == []
    assert "김영수 님" in replies[0].text


def test_fever_and_cough(session):
    replies = talk(session, ["네", "네 먹었어요", "네 잘 잤어요", "열이 나고 기침을 해요"])
    reply = replies[-1]
    assert reply.state == "health.fever"
    assert "열" in reply.text.split(".")[0]  # acknowledges the fever first
    assert session.answers["health"] == "unwell"
    assert session.answers["symptoms"] == ["fever", "cough"]
    assert rules(session) == ["cough", "fever"]
    fever = next(f for f in session.flags if f.rule == "fever")
    assert fever == Flag("fever", "medium", "열이 나", 3, fever.message)
    assert next(f for f in session.flags if f.rule == "cough").severity == "low"
    rest = [session.handle(x) for x in ["조금요", "네", "그저 그래요", "없어요"]]
    assert [r.state for r in rest] == ["medication", "mood", "anything_else", "closing"]
    assert session.outcome == "completed" and session.answers["mood"] == "so_so"


def test_fell_and_low_mood(session):
    replies = talk(session, ["네 맞아요", "네", "네", "어제 넘어져서 무릎을 다쳤어요"])
    assert replies[-1].state == "health.fall"
    assert "넘어지" in replies[-1].text
    talk_rest = [session.handle(x) for x in ["조금 아파요", "네 먹었어요", "좀 우울하고 외로워요", "없어요"]]
    assert [r.state for r in talk_rest] == ["medication", "mood", "anything_else", "closing"]
    assert {"fall", "low_mood", "loneliness"} <= set(rules(session))
    assert "severe_pain" not in rules(session)
    fall = next(f for f in session.flags if f.rule == "fall")
    assert fall.severity == "high" and fall.evidence == "어제 넘어져서 무릎을 다쳤어요" and fall.turn == 3
    assert "무릎" in fall.message
    assert session.answers["mood"] == "low" and "fall" in session.answers["symptoms"]
    assert session.outcome == "completed"
    assert "담당 선생님" in talk_rest[-1].text  # flagged calls close by promising a follow-up


# --- ASR noise, negation, several facts ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["내", "아침머거써요", "잘자써요", "곤창수입니다", "네약먹었어요", "기분좋아요", "없어요"],
         {"meal": "eaten", "sleep": "good", "health": "well", "medication": "taken", "mood": "good"}),
        (["네.", "밥을 안 먹었어", "못 잤어요", "안 아파요", "깜빡했어요", "그저 그래요", "없어요"],
         {"meal": "skipped", "sleep": "poor", "health": "well", "medication": "missed", "mood": "so_so"}),
        (["예 맞습니다", "아직 못 먹었어요", "잠을 설쳤어요", "아프지 않아요", "먹는 약 없어요", "힘들어요", "아니요"],
         {"meal": "skipped", "sleep": "poor", "health": "well", "medication": "none", "mood": "low"}),
    ],
)  # fmt: skip
def test_noisy_and_negated_calls(session, lines, expected):
    talk(session, lines)
    assert session.outcome == "completed"
    assert {k: session.answers[k] for k in expected} == expected


def test_negated_answers_raise_their_flags(session):
    talk(session, ["네", "밥을 안 먹었어", "못 잤어요", "안 아파요", "깜빡했어요", "우울해요", "없어요"])
    assert rules(session) == ["low_mood", "missed_medication", "not_eating", "poor_sleep"]
    sev = {f.rule: f.severity for f in session.flags}
    assert sev == {"not_eating": "medium", "poor_sleep": "low", "missed_medication": "medium", "low_mood": "medium"}


def test_two_facts_in_one_answer_skip_the_later_question(session):
    replies = talk(session, ["네", "밥은 먹었는데 잠을 못 잤어"])
    assert session.answers["meal"] == "eaten" and session.answers["sleep"] == "poor"
    assert replies[-1].state == "health"  # the sleep question is skipped
    assert re.search("잠|주무", replies[-1].text)  # …but the poor sleep is acknowledged
    assert [f.rule for f in session.flags] == ["poor_sleep"]


def test_symptom_mentioned_early_is_followed_up_then_script_resumes(session):
    replies = talk(session, ["네", "열이 나서 밥을 못 먹었어요"])
    assert session.answers["meal"] == "skipped" and session.answers["symptoms"] == ["fever"]
    assert replies[-1].state == "health.fever"
    assert session.handle("조금요").state == "sleep"
    assert session.handle("잘 잤어요").state == "medication"  # health already known: skipped


def test_chest_pain_now_is_an_emergency(session):
    talk(session, ["네", "네", "네", "가슴이 답답해요"])
    assert session.state == "health.now"
    reply = session.handle("네 지금도 그래요")
    assert reply.end and session.outcome == "emergency" and "119" in reply.text
    assert {"chest_pain", "emergency"} <= set(rules(session))


def test_chest_pain_gone_continues(session):
    talk(session, ["네", "네", "네", "숨이 좀 차요"])
    reply = session.handle("지금은 괜찮아요")
    assert reply.state == "medication" and not session.finished
    assert next(f for f in session.flags if f.rule == "breathing_trouble").severity == "high"


def test_severe_pain_follow_up(session):
    talk(session, ["네", "네", "네", "허리가 아파요"])
    assert session.state == "health.pain"
    session.handle("너무 아파서 못 걷겠어요")
    assert "severe_pain" in rules(session) and session.state == "medication"


def test_unspecified_unwell_asks_which_symptom(session):
    talk(session, ["네", "네", "네", "좀 안 좋아요"])
    assert session.state == "health.symptom"
    reply = session.handle("좀 어지러워요")
    assert session.answers["symptoms"] == ["dizziness"] and reply.state == "medication"


def test_caring_acknowledgement_comes_first_and_is_short(session):
    talk(session, ["네", "네", "네"])
    reply = session.handle("열이 나요")
    first_sentence = re.split(r"(?<=[.?!])\s", reply.text)[0]
    assert "열" in first_sentence and len(first_sentence) <= 20


# --- re-prompts, silence, empty input --------------------------------------------------------------------


def test_nonsense_reprompts_then_records_unknown(session):
    talk(session, ["네"])
    first = session.handle("음...")
    second = session.handle("어어")
    assert first.state == second.state == "meal"
    assert first.text != second.text  # rotated phrasing
    third = session.handle("음")
    assert third.state == "sleep" and session.answers["meal"] == "unknown"
    assert not any(f.rule == "not_eating" for f in session.flags)


def test_many_unclear_answers_raise_confusion(session):
    talk(session, ["네"] + ["음"] * 9)
    assert "confusion" in rules(session)


def test_silence_reprompts_then_ends_no_response(session):
    replies = talk(session, ["네", None, None])
    assert replies[-1].state == "meal" and "여보세요" in replies[-1].text and not replies[-1].end
    last = session.handle_silence()
    assert last.end and session.outcome == "no_response" and session.finished
    (flag,) = session.flags
    assert flag.rule == "no_answer" and flag.evidence == ""


def test_an_answer_resets_the_silence_count(session):
    talk(session, ["네", None, None, "네 먹었어요", None, None])
    assert not session.finished and session.state == "sleep"


def test_silence_prompt_uses_the_name(scenario):
    s = DialogSession(scenario, {"name": "박순자"}, now=MORNING, seed=0)
    texts = [r.text for r in talk(s, [None, None])]
    assert all("{" not in t for t in texts) and all("여보세요" in t for t in texts[1:])


@pytest.mark.parametrize("empty", ["", "   ", "...", None])
def test_empty_input_asks_to_repeat(session, empty):
    talk(session, ["네"])
    reply = session.handle(empty)
    assert reply.state == "meal" and not reply.end and "들렸" in reply.text
    assert "meal" not in session.answers


# --- endings ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("line", ["아닌데요", "잘못 거셨어요", "그런 사람 없어요"])
def test_wrong_person(session, line):
    reply = talk(session, [line])[-1]
    assert reply.end and session.outcome == "wrong_person" and reply.state == "closing"
    assert rules(session) == ["wrong_person"] and "잘못" in reply.text


@pytest.mark.parametrize("line", ["지금 바빠요", "나중에 전화해"])
def test_callback_at_identity(session, line):
    reply = talk(session, [line])[-1]
    assert reply.end and session.outcome == "callback_requested" and rules(session) == ["callback_later"]


def test_callback_mid_call_keeps_answers(session):
    talk(session, ["네", "먹었어요", "미안한데 지금 바빠요"])
    assert session.outcome == "callback_requested" and session.answers["meal"] == "eaten"


@pytest.mark.parametrize("line", ["죽고 싶어요", "그냥 살기 싫어요", "없어지고 싶어"])
@pytest.mark.parametrize("at", [0, 5])
def test_self_harm_ends_with_crisis_line_on_any_turn(session, line, at):
    talk(session, ["네", "네", "네", "괜찮아요", "네"][:at])
    reply = session.handle(line)
    assert reply.end and session.outcome == "emergency" and "109" in reply.text and "자살예방 상담전화" in reply.text
    flag = session.flags[-1]
    assert (flag.rule, flag.severity, flag.evidence, flag.turn) == ("self_harm_risk", "critical", line, at)


@pytest.mark.parametrize("line", ["도와주세요", "어지러워서 쓰러질 것 같아요", "119 좀 불러 주세요"])
def test_emergency_on_any_turn(session, line):
    talk(session, ["네", "네"])
    reply = session.handle(line)
    assert reply.end and session.outcome == "emergency" and "119" in reply.text
    assert session.flags[-1].rule == "emergency" and session.flags[-1].severity == "critical"


def test_idiom_is_not_self_harm(session):
    talk(session, ["네"])
    reply = session.handle("더워 죽겠어요 밥은 먹었어요")
    assert not reply.end and session.answers["meal"] == "eaten"


def test_after_the_end_nothing_more_is_said(session):
    talk(session, ["잘못 거셨어요"])
    assert session.handle("여보세요") == Reply("", "closing", end=True)
    assert session.handle_silence().text == ""


def test_anything_else_keeps_the_note(session):
    talk(session, ["네", "네", "네", "괜찮아요", "네", "좋아요"])
    reply = session.handle("요즘 보일러가 자꾸 고장나요")
    assert session.answers["note"] == "요즘 보일러가 자꾸 고장나요" and reply.state == "closing"


def test_bare_yes_at_anything_else_invites_them_to_speak(session):
    talk(session, ["네", "네", "네", "괜찮아요", "네", "좋아요"])
    assert session.handle("네").state == "anything_else"
    assert session.handle("네").state == "closing"  # retry limit 1 there


@pytest.mark.parametrize("scrap", ["소요", "네 소요", "여사지", "음 그"])
def test_a_garbled_scrap_is_never_kept_as_the_note(session, scrap):
    """"없어요. 고마워요." heard as "소요" on the phone line: asked once more, then taken as nothing more."""
    talk(session, ["네", "네", "네", "괜찮아요", "네", "좋아요"])
    again = session.handle(scrap)
    assert again.state == "anything_else" and "note" not in session.answers
    reply = session.handle(scrap)
    assert reply.state == "closing" and "note" not in session.answers
    assert "confusion" not in [f.rule for f in session.flags]


def test_a_note_said_after_a_garbled_try_is_kept(session):
    talk(session, ["네", "네", "네", "괜찮아요", "네", "좋아요", "소요"])
    session.handle("보일러가 고장 났어요")
    assert session.answers["note"] == "보일러가 고장 났어요"


def test_an_empty_turn_at_anything_else_stores_nothing(session):
    """What the recogniser's guard judged noise reaches the dialog as empty text."""
    talk(session, ["네", "네", "네", "괜찮아요", "네", "좋아요", ""])
    assert session.state == "anything_else" and "note" not in session.answers


# --- wording ---------------------------------------------------------------------------------------------


def test_every_reply_is_well_formed(session):
    replies = talk(session, ["네", "음", "네", None, "못 잤어요", "열이 나요", "많이요", "네", "외로워요", "없어요"])
    for r in replies:
        assert STATE_ID.match(r.state)
        assert "{" not in r.text and r.text.rstrip()[-1] in ".?!"
        assert (r.hint is None) == r.end
    assert all(r.hint for r in replies[:-1])


def test_meal_word_follows_the_time_of_day(scenario):
    from datetime import datetime

    evening = DialogSession(scenario, {"name": "김영수"}, now=datetime(2025, 3, 3, 19, 0), seed=3)
    evening.start()
    assert "저녁" in evening.handle("네").text


def test_same_person_same_day_same_wording_other_day_may_differ(scenario):
    from datetime import datetime

    def opening(day, name="김영수"):
        return DialogSession(scenario, {"name": name}, now=datetime(2025, 3, day, 9)).start().text

    assert opening(3) == opening(3)
    assert len({opening(d) for d in range(1, 29)}) > 1


def test_without_a_name_says_eoreusin(scenario):
    s = DialogSession(scenario, {"name": ""}, now=MORNING, seed=0)
    text = s.start().text
    assert "어르신" in text and "어르신 님" not in text and "{name}" not in text
