"""Memory across calls and the rules that compare a call with the person's own earlier calls."""

from datetime import datetime, timedelta

from dialog_testkit import MORNING, talk

from dialog import DialogSession
from dialog.history import mood_trend, past_calls, persisting_symptoms, subject, unanswered_streak


def earlier(days_ago, outcome="completed", **answers):
    return {"started_at": MORNING - timedelta(days=days_ago), "outcome": outcome, "answers": answers, "flags": []}


def session(scenario, history):
    return DialogSession(scenario, {"name": "김영수"}, now=MORNING, seed=0, history=history)


def rules(s):
    return [f.rule for f in s.flags]


def test_follow_up_on_last_calls_knee(scenario):
    s = session(scenario, [earlier(1, symptoms=["pain"], body_parts={"pain": "무릎"})])
    talk(s, ["네", "네"])
    reply = s.handle("네")
    assert reply.state == "health" and "지난번에 무릎이 아프시다고 하셨는데" in reply.text


def test_follow_up_uses_the_most_recent_answered_call(scenario):
    history = [earlier(3, symptoms=["cough"]), earlier(2, symptoms=["fever"]), earlier(1, outcome="no_response")]
    s = session(scenario, history)
    talk(s, ["네", "네"])
    assert "열이 나신다고" in s.handle("네").text


def test_no_history_no_follow_up(scenario):
    s = session(scenario, [earlier(1, symptoms=[])])
    talk(s, ["네", "네"])
    assert "지난번" not in s.handle("네").text


def test_mood_follow_up_after_a_low_call(scenario):
    s = session(scenario, [earlier(1, mood="low")])
    talk(s, ["네", "네", "네", "괜찮아요"])
    reply = s.handle("네 먹었어요")
    assert reply.state == "mood" and "지난번에는 마음이 좀 힘드셨" in reply.text


def finish(s, mood="좋아요", health="괜찮아요"):
    talk(s, ["네", "네", "네", health, "네", mood, "없어요"])
    assert s.finished


def test_mood_worse_than_own_recent_calls(scenario):
    s = session(scenario, [earlier(3, mood="good"), earlier(2, mood="good"), earlier(1, mood="good")])
    finish(s, mood="우울해요")
    assert "mood_worse" in rules(s) and "low_mood" in rules(s)
    flag = next(f for f in s.flags if f.rule == "mood_worse")
    assert flag.evidence == "우울해요"


def test_low_mood_three_calls_running(scenario):
    s = session(scenario, [earlier(2, mood="low"), earlier(1, mood="low")])
    finish(s, mood="마음이 힘들어요")
    flag = next(f for f in s.flags if f.rule == "low_mood_persisting")
    assert flag.severity == "high" and "연속" in flag.message


def test_a_safety_ending_keeps_the_answer_to_the_question_asked(scenario):
    s = session(scenario, [earlier(2, mood="low"), earlier(1, mood="low")])
    talk(s, ["네", "네", "네", "괜찮아요", "네"])
    assert s.state == "mood"
    reply = s.handle("너무 우울해서 죽고 싶어요")
    assert reply.end and s.outcome == "emergency"
    assert s.answers["mood"] == "low"
    assert {"self_harm_risk", "low_mood_persisting"} <= set(rules(s))
    assert "low_mood" not in rules(s), "the ending's critical flag stands alone; the answer's own flag is not added"
    persisting = next(f for f in s.flags if f.rule == "low_mood_persisting")
    assert persisting.evidence == "너무 우울해서 죽고 싶어요"


def test_an_emergency_at_another_question_keeps_its_answer_too(scenario):
    s = session(scenario, [])
    talk(s, ["네"])
    assert s.state == "meal"
    s.handle("밥은 먹었는데 숨을 못 쉬겠어요 119 불러 주세요")
    assert s.outcome == "emergency" and s.answers["meal"] == "eaten"


def test_usual_mood_raises_no_trend_flag(scenario):
    s = session(scenario, [earlier(2, mood="so_so"), earlier(1, mood="so_so")])
    finish(s, mood="그저 그래요")
    assert not {"mood_worse", "low_mood_persisting"} & set(rules(s))


def test_symptom_that_persists(scenario):
    s = session(scenario, [earlier(2, symptoms=["cough"]), earlier(1, symptoms=["cough", "fever"])])
    finish(s, health="기침을 계속 해요")
    flag = next(f for f in s.flags if f.rule == "persistent_symptom")
    assert "기침, 3회 연속" in flag.message and flag.evidence == "기침을 계속 해요"


def test_repeated_unanswered_calls(scenario):
    s = session(scenario, [earlier(2, outcome="no_answer"), earlier(1, outcome="no_response")])
    s.start()
    for _ in range(3):
        s.handle_silence()
    assert s.outcome == "no_response"
    flag = next(f for f in s.flags if f.rule == "repeated_no_answer")
    assert flag.severity == "high" and "3회 연속" in flag.message


def test_one_missed_call_is_not_a_pattern(scenario):
    s = session(scenario, [earlier(2), earlier(1, outcome="no_answer")])
    s.start()
    for _ in range(3):
        s.handle_silence()
    assert "repeated_no_answer" not in rules(s)


def test_history_helpers_accept_records_and_sort():
    class Record:
        def __init__(self, when, outcome, answers):
            self.started_at, self.outcome, self.answers, self.flags = when, outcome, answers, []

    now = datetime(2026, 11, 25)
    past = past_calls([Record(now, "no_response", {}), Record(now - timedelta(days=1), "completed", {"mood": "low"}),
                       "garbage"])  # fmt: skip
    assert [c.outcome for c in past] == ["completed", "no_response"]
    assert unanswered_streak(past) == 1
    assert mood_trend("low", past) is None  # only one earlier mood
    assert persisting_symptoms(["fever"], past) == {}
    assert subject("무릎") == "무릎이" and subject("허리") == "허리가"
