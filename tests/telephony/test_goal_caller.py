"""The goal-driven caller answers from its goal: what it says, not how the dialog takes it (pure text, no models)."""

import subprocess
import sys
from datetime import date, datetime, timedelta, timezone

import pytest

from telephony.simulator import spoken
from telephony.simulator.goal_caller import (
    CARE_LINES,
    GIVE_IN,
    MAX_CORRECTIONS,
    YES,
    CareCaller,
    ReservationCaller,
    make_caller,
    read_back,
)
from telephony.simulator.goals import Booking, CareGoal, CareState, Complaint, ReservationGoal
from telephony.simulator.personas import Expectation

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=timezone(timedelta(hours=9)))  # a Wednesday
TUESDAY_NEXT_WEEK = date(2026, 12, 1)


def booking_goal(**changes) -> ReservationGoal:
    fields = dict(id="r1", intent="book", name="김민수", phone="01055501234", caller_id=False,
                  booking=Booking(date=TUESDAY_NEXT_WEEK, time="19:00", adults=2, children=1),
                  expect=Expectation(outcome="booked"))
    return ReservationGoal(**(fields | changes))


def care_goal(**state) -> CareGoal:
    return CareGoal(id="c1", name="박순자", state=CareState(**state), expect=Expectation(outcome="completed"))


def test_spoken_forms_of_a_date_a_time_a_party_and_a_number():
    days = spoken.date_phrases(TUESDAY_NEXT_WEEK, NOW.date())
    assert {"다음 주 화요일", "12월 1일", "십이월 일일", "다음 달 1일"} <= set(days)
    assert "이번 주 화요일" not in days
    assert spoken.date_phrases(date(2026, 11, 26), NOW.date())[0] == "내일"
    assert {"이번 주 금요일", "금요일"} <= set(spoken.date_phrases(date(2026, 11, 27), NOW.date()))
    times = spoken.time_phrases(18, 30)
    assert {"저녁 여섯 시 반", "저녁 6시 반", "여섯 시 반", "18시 30분"} <= set(times)
    assert "여섯 시 반" not in spoken.time_phrases(12, 0)
    assert "어른 둘 아이 하나" in spoken.party_phrases(2, 1)
    assert "네 명" in spoken.party_phrases(4) and "혼자" in spoken.party_phrases(1)
    assert "공일공 오오오공 일이삼사" in spoken.phone_phrases("01055501234")
    assert spoken.sino(25) == "이십오" and spoken.sino(10) == "십" and spoken.month_word(6) == "유월"
    assert (spoken.copula("김민수"), spoken.copula("박준혁")) == ("김민수예요", "박준혁이에요")
    assert (spoken.ro("창가 자리"), spoken.ro("일곱 시 반"), spoken.ro("내일")) == ("창가 자리로", "일곱 시 반으로", "내일로")


def test_a_date_question_is_answered_with_the_goals_date_in_varied_words():
    days = spoken.date_phrases(TUESDAY_NEXT_WEEK, NOW.date())
    answers = set()
    for seed in range(12):
        said = ReservationCaller(booking_goal(), NOW, seed).respond("며칠로 예약해 드릴까요?", "date", "date")
        assert any(d in said for d in days), said
        assert not any(d in said for d in spoken.date_phrases(date(2026, 12, 2), NOW.date()) if len(d) > 3), said
        answers.add(said)
    assert len(answers) >= 4  # phrasings vary with the seed
    again = ReservationCaller(booking_goal(), NOW, 3).respond("며칠로 예약해 드릴까요?", "date", "date")
    assert again == ReservationCaller(booking_goal(), NOW, 3).respond("며칠로 예약해 드릴까요?", "date", "date")


def test_what_is_asked_comes_from_the_state_then_the_slot_then_the_words():
    caller = ReservationCaller(booking_goal(), NOW)
    assert caller.topic("아무 말", "time_again") == "time"
    assert caller.topic("아무 말", "when_exactly", slot="date") == "date"
    assert caller.topic("오시는 분은 몇 명이세요?", "headcount") == "party"
    assert caller.topic("성함이 어떻게 되세요?") == "name"
    said = caller.respond("오시는 분은 몇 명이세요?", "headcount")
    assert any(p in said for p in spoken.party_phrases(2, 1)), said


def test_the_other_details_and_the_request_come_from_the_goal():
    caller = ReservationCaller(booking_goal(request="창가 자리"), NOW, seed=1)
    assert any(t in caller.respond("몇 시로 해 드릴까요?", "time", "time") for t in spoken.time_phrases(19, 0))
    assert "김민수" in caller.respond("성함을 말씀해 주세요.", "name", "name")
    phone = caller.respond("전화번호를 말씀해 주세요.", "phone", "phone")
    assert any(p in phone for p in spoken.phone_phrases("01055501234")), phone
    assert "창가 자리" in caller.respond("요청하실 사항 있으세요?", "requests", "requests")
    plain = ReservationCaller(booking_goal(), NOW, seed=1).respond("요청하실 사항 있으세요?", "requests")
    assert "없" in plain


def test_a_right_read_back_gets_a_yes():
    caller = ReservationCaller(booking_goal(), NOW)
    said = caller.respond("12월 1일 화요일 저녁 7시에 세 분, 김민수 님 이름으로 예약해 드릴까요?", "confirm")
    assert said in YES


def test_a_wrong_read_back_is_corrected_then_accepted_after_the_caller_gives_up():
    caller = ReservationCaller(booking_goal(), NOW, seed=2)
    wrong = "12월 1일 화요일 저녁 8시에 세 분, 김민수 님 이름으로 예약해 드릴까요?"
    said = caller.respond(wrong, "confirm")
    assert said.startswith("아니요, 시간은 ")
    assert any(t in said for t in spoken.time_phrases(19, 0)), said
    assert "날짜" not in said and "인원" not in said and "이름" not in said
    # "Which part?": the caller names the detail it corrected.
    fix = caller.respond("어느 부분을 바꿔 드릴까요?", "fix")
    assert fix.startswith("시간이요") and any(t in fix for t in spoken.time_phrases(19, 0))
    for _ in range(MAX_CORRECTIONS - 1):
        assert caller.respond(wrong, "confirm").startswith("아니요")
    assert caller.respond(wrong, "confirm") in GIVE_IN


def test_a_wrong_name_and_party_are_corrected_together():
    said = ReservationCaller(booking_goal(), NOW).respond(
        "12월 1일 화요일 저녁 7시에 네 분, 김민소 님 이름으로 예약해 드릴까요?", "confirm")
    assert said.startswith("아니요") and "인원은 세 명이에요" in said and "이름은 김민수예요" in said


def test_read_back_reads_the_agents_wording():
    heard = read_back("내일 11월 26일 목요일 저녁 7시 30분에 네 분, 김민수 님 이름으로 예약해 드릴까요?", NOW.date())
    assert (heard.date, heard.time, heard.party_size, heard.name) == (date(2026, 11, 26), "19:30", 4, "김민수")
    assert read_back("1월 9일 토요일 낮 12시, 열두 분으로 바꿔 드릴까요?", NOW.date()).date == date(2027, 1, 9)
    assert read_back("낮 12시, 열두 분", NOW.date()).party_size == 12
    assert read_back("오전 11시 30분에는 가능한데", NOW.date()).time == "11:30"


def test_a_cancellation_confirms_the_booking_it_means():
    goal = booking_goal(intent="cancel", expect=Expectation(outcome="cancelled"))
    caller = ReservationCaller(goal, NOW)
    assert "취소" in caller.respond("예약하시겠어요? 아니면 예약을 바꾸거나 취소하시겠어요?", "intent")
    assert caller.respond("12월 1일 화요일 저녁 7시, 세 분 예약을 취소해 드릴까요?", "cancel_confirm").startswith(("네", "예"))
    assert caller.respond("12월 2일 수요일 저녁 7시, 세 분 예약을 취소해 드릴까요?", "cancel_confirm").startswith("아니요")


def test_a_change_says_only_what_changes():
    goal = booking_goal(intent="change", existing=Booking(date=TUESDAY_NEXT_WEEK, time="18:00", adults=2, children=1),
                        expect=Expectation(outcome="changed"))
    said = ReservationCaller(goal, NOW, seed=4).respond("어떻게 바꿔 드릴까요?", "change_what")
    assert any(t in said for t in spoken.time_phrases(19, 0)), said
    assert not any(d in said for d in spoken.date_phrases(TUESDAY_NEXT_WEEK, NOW.date())), said


def test_a_care_question_is_answered_from_the_callees_state():
    state = dict(meal="skipped", sleep="poor", medication="missed", mood="low", lonely=True,
                 complaints=[Complaint(symptom="pain", part="무릎", severity="severe")], note="보일러가 고장 났어요.")
    for seed in range(6):
        caller = CareCaller(care_goal(**state), NOW, seed)
        meal = caller.respond("점심은 드셨어요?", "meal", "meal")
        assert any(meal.startswith(line) for line in CARE_LINES["meal:skipped"]), meal  # maybe the night too
        assert caller.respond("잠은 푹 주무셨어요?", "sleep", "sleep") in CARE_LINES["sleep:poor"]
        assert "무릎이" in caller.respond("요즘 몸은 좀 어떠세요?", "health", "health")
        assert caller.respond("많이 아프세요?", "health.pain") in CARE_LINES["pain:severe"]
        assert caller.respond("약은 잘 챙겨 드셨어요?", "medication", "medication") in CARE_LINES["medication:missed"]
        mood = caller.respond("오늘 기분은 좀 어떠세요?", "mood", "mood")
        assert any(line in mood for line in CARE_LINES["mood:low"])
        assert any(line in mood for line in CARE_LINES["lonely"])
        assert caller.respond("더 하시고 싶은 말씀 있으세요?", "anything_else", "note") == "보일러가 고장 났어요."


def test_a_well_callee_says_so_and_has_nothing_to_add():
    caller = make_caller(care_goal(), NOW)
    assert caller.respond("몸은 좀 괜찮으세요?", "health", "health") in CARE_LINES["health:well"]
    assert caller.respond("더 하시고 싶은 말씀 있으세요?", "anything_else") in CARE_LINES["nothing_else"]
    assert caller.respond("지금도 숨이 차거나 가슴이 불편하세요?", "health.now") in CARE_LINES["now:no"]


def test_an_emergency_and_a_wish_to_be_called_back():
    chest = CareCaller(care_goal(complaints=[Complaint(symptom="chest_pain", still_now=True)]), NOW)
    now = chest.respond("지금도 숨이 차거나 가슴이 불편하세요?", "health.now")
    assert now.startswith("네") and "숨" not in now  # chest trouble, not breathlessness
    busy = CareCaller(care_goal(call_back_at="identity"), NOW)
    assert busy.respond("박순자 님 맞으세요?", "identity") in CARE_LINES["busy"]
    later = CareCaller(care_goal(call_back_at="sleep"), NOW)
    assert later.respond("박순자 님 맞으세요?", "identity") in CARE_LINES["identity"]
    assert later.respond("잠은 푹 주무셨어요?", "sleep", "sleep") in CARE_LINES["busy"]


def test_goal_validation():
    with pytest.raises(ValueError, match="part"):
        Complaint(symptom="pain")
    with pytest.raises(ValueError, match="lonely"):
        CareState(lonely=True, mood="good")
    with pytest.raises(ValueError, match="existing"):
        booking_goal(intent="change")
    with pytest.raises(ValueError, match="mobile"):
        booking_goal(phone="+821055501234")


def test_the_goal_caller_imports_nothing_from_the_rest_of_the_project():
    code = ("import sys, telephony.simulator.goal_caller, telephony.simulator.goals, telephony.simulator.spoken;"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('agent', 'asr', 'tts', 'dialog')];"
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
