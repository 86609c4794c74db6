"""Empty, nonsense, self-corrected and contradictory answers."""

from dialog_testkit import MORNING, talk

from dialog import DialogSession


def at_meal(scenario):
    s = DialogSession(scenario, {"name": "김영수"}, now=MORNING, seed=0)
    talk(s, ["네"])
    assert s.state == "meal"
    return s


def test_self_correction_counts_the_last_word(scenario):
    s = at_meal(scenario)
    s.handle("네 먹었어요, 아 아니 안 먹었어요")
    assert s.answers["meal"] == "skipped" and [f.rule for f in s.flags] == ["not_eating"]
    s = at_meal(scenario)
    s.handle("안 먹었어요 아니다 먹었어요")
    assert s.answers["meal"] == "eaten" and not s.flags


def test_contradiction_is_asked_again_not_guessed(scenario):
    s = at_meal(scenario)
    reply = s.handle("밥은 먹었는데 안 먹었어")
    assert reply.state == "meal" and "헷갈려서요" in reply.text and "meal" not in s.answers
    reply = s.handle("먹었어요")
    assert reply.state != "meal" and s.answers["meal"] == "eaten"


def test_contradiction_every_time_is_recorded_unknown(scenario):
    s = at_meal(scenario)
    for _ in range(3):
        reply = s.handle("먹었는데 안 먹었어")
    assert s.answers["meal"] == "unknown" and reply.state == "sleep"


def test_two_topics_in_two_clauses_are_not_a_contradiction(scenario):
    s = at_meal(scenario)
    reply = s.handle("밥은 먹었는데 약은 안 먹었어")
    assert s.answers["meal"] == "eaten" and s.answers["medication"] == "missed"
    assert "헷갈려서요" not in reply.text


def test_nonsense_is_reprompted_then_left_unknown(scenario):
    s = at_meal(scenario)
    first = s.handle("바나나 기차 ㅋㅋㅋ")
    assert first.state == "meal" and "죄송해요" in first.text
    s.handle("!!!???")
    s.handle("음…")
    assert s.answers["meal"] == "unknown" and s.state == "sleep"


def test_empty_text_asks_to_speak_up(scenario):
    s = at_meal(scenario)
    reply = s.handle("")
    assert reply.state == "meal" and "안 들렸어요" in reply.text
    reply = s.handle(None)
    assert reply.state == "meal"


def test_three_unclear_questions_raise_confusion(scenario):
    s = DialogSession(scenario, {"name": "김영수"}, now=MORNING, seed=0)
    talk(s, ["네"])
    for _ in range(9):
        if s.finished:
            break
        s.handle("바나나 기차")
    assert "confusion" in [f.rule for f in s.flags]
