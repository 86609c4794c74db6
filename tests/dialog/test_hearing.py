"""Hearing the answer the question expects: choosing among the recogniser's hypotheses, saying back an answer
heard unsure, and correcting one detail of a booking without starting it again."""

from datetime import datetime, time

import pytest

from dialog import DialogSession, load_scenario
from dialog.clock import SEOUL
from dialog.expectations import Reading
from dialog.hearing import choose
from dialog.reservations import MemoryBookingBook

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=SEOUL)  # Wednesday morning
CALLER = "+821012345678"


@pytest.fixture(scope="module")
def reservation():
    return load_scenario("reservation")


@pytest.fixture(scope="module")
def care():
    return load_scenario("care_call")


@pytest.fixture
def book():
    return MemoryBookingBook()


def at(scenario, state, book=None, **person):
    session = DialogSession(scenario, person=person or {"phone": CALLER}, now=NOW, bookings=book, seed=0)
    session.ask(state)
    return session


def reading(session):
    return session._reading(session.scenario.states[session.state])


# --- choosing a hypothesis ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "hypotheses", "index"),
    [
        ("time", ["여사지", "여섯 시요", "여섯 시"], 1),  # the first one the question understands
        ("time", ["일곱 시요", "일곱 씨요"], 0),  # the top one when it is understood
        ("time", ["여사지", "어서치요"], 0),  # none understood: the recogniser's own best
        ("party_size", ["세 면", "세 명이요"], 1),
        ("date", ["네 저녁", "내일 저녁이요"], 1),
        ("name", ["네", "김민수입니다"], 1),
        ("requests", ["소요", "없어요"], 1),
        ("confirm", ["렌마자요", "네 맞아요"], 1),
        ("confirm", ["렌마자요", "시간만 바꿔 주세요"], 1),
    ],
)  # fmt: skip
def test_the_first_hypothesis_the_question_understands_is_heard(reservation, book, state, hypotheses, index):
    session = at(reservation, state, book)
    expect = reservation.states[state].expect
    assert choose(hypotheses, expect, reading(session)) == index


def test_care_questions_choose_too(care):
    session = at(care, "meal", name="김영수")
    assert choose(["밥 멍어써", "밥 먹었어요"], "meal", reading(session)) == 1
    assert choose(["소요", "아니요 없어요 고마워요"], "anything_else", reading(at(care, "anything_else"))) == 1


def test_an_emergency_heard_first_is_never_talked_away(reservation, book):
    session = at(reservation, "time", book)
    assert choose(["사람이 쓰러졌어요 살려 주세요", "여섯 시요"], "time", reading(session)) == 0
    assert choose(["나중에 다시 전화할게요", "여섯 시요"], "time", reading(session)) == 0


def test_a_runner_up_never_raises_an_alarm_the_top_did_not(reservation, book):
    session = at(reservation, "time", book)
    assert choose(["여사지", "죽고 싶어요 여섯 시", "여섯 시요"], "time", reading(session)) == 2


def test_several_answer_types_may_be_expected(care):
    r = Reading({}, {})
    assert choose(["음음", "네 좋아요"], ("mood", "yes_no"), r) == 1
    assert choose(["음음", "네 좋아요"], "identity", r) == 1
    assert choose(["네"], "time", r) == 0  # one hypothesis: nothing to choose


# --- saying back an answer heard unsure ----------------------------------------------------------------------


def test_a_runner_up_answer_is_said_back_and_confirmed(reservation, book):
    session = at(reservation, "time", book)
    assert session.choose(["여사지", "여섯 시요"]) == 1
    reply = session.handle("여섯 시요")
    assert reply.state == "time" and reply.text.endswith("저녁 6시 맞으세요?")
    assert reply.hint.startswith("네 맞아요 아니요")
    assert session.answers["time"] == "18:00"
    reply = session.handle("네")
    assert reply.state == "party_size" and session.answers["time"] == "18:00"


def test_the_top_hypothesis_understood_is_not_said_back(reservation, book):
    session = at(reservation, "time", book)
    assert session.choose(["여섯 시요", "여사지"]) == 0
    assert session.handle("여섯 시요").state == "party_size"


def test_a_read_back_corrected_takes_the_new_value(reservation, book):
    session = at(reservation, "time", book)
    session.choose(["여사지", "여섯 시요"])
    session.handle("여섯 시요")
    reply = session.handle("아니요, 일곱 시요")
    assert reply.state == "party_size" and session.answers["time"] == "19:00"


def test_a_read_back_denied_asks_the_question_again(reservation, book):
    session = at(reservation, "time", book)
    session.choose(["여사지", "여섯 시요"])
    session.handle("여섯 시요")
    reply = session.handle("아니요")
    assert reply.state == "time" and "time" not in session.answers
    assert session.handle("일곱 시 반이요").state == "party_size"
    assert session.answers["time"] == "19:30"


def test_an_answer_is_said_back_once_per_question(reservation, book):
    session = at(reservation, "time", book)
    session.choose(["여사지", "여섯 시요"])
    session.handle("여섯 시요")
    session.handle("아니요")
    session.choose(["여사지", "일곱 시요"])
    assert session.handle("일곱 시요").state == "party_size"


def test_a_repaired_near_miss_is_said_back(reservation, book):
    session = at(reservation, "party_size", book)
    session.handle("다음 주 금요일 저녁 7시")  # the details the check needs
    reply = session.handle("누명이요")  # "두 명이요", repaired
    assert reply.state == "party_size" and reply.text.endswith("두 분 맞으세요?")
    assert session.handle("네 맞아요").state != "party_size"


def test_a_name_read_from_a_garbled_phrase_is_said_back(reservation, book):
    from dialog.understanding import Utterance
    from dialog.understanding.booking import name

    assert name(Utterance("예압찬은 조 수빈으로 해주세요")).guessed  # "예약자는 …" misheard
    assert not name(Utterance("예약자는 조수빈으로 해 주세요")).guessed
    assert name(Utterance("어른 둘 아이 하나요")) is None
    session = at(reservation, "name", book)
    reply = session.handle("예압찬은 조 수빈으로 해주세요")
    assert reply.state == "name" and reply.text.endswith("조수빈 님 맞으세요?")


def test_a_read_back_hears_yes_or_the_answer_again(reservation, book):
    session = at(reservation, "name", book)
    assert session.choose(["네", "김민수입니다"]) == 1
    assert session.choose(["김민수입니다", "김민소입니다"]) == 0
    session.choose(["네", "김민수입니다"])
    reply = session.handle("김민수입니다")
    assert reply.text.endswith("김민수 님 맞으세요?")
    # while reading back, 네 is an answer: a runner-up that reads as a name does not replace it
    assert session.choose(["네", "네 김민소"]) == 0
    assert session.handle("네").state != "name" and session.answers["name"] == "김민수"


# --- one part of a booking corrected --------------------------------------------------------------------------


def booked_call(scenario, book, lines):
    session = DialogSession(scenario, person={"phone": CALLER}, now=NOW, bookings=book, seed=0)
    replies = [session.start()]
    for line in lines:
        replies.append(session.handle(line))
    return session, replies


def test_only_the_time_is_changed_at_the_confirmation(reservation, book):
    session, replies = booked_call(reservation, book, ["금요일 7시 세 명", "박철수", "없어요", "시간만 바꿔 주세요"])
    assert replies[-1].state == "time_again"
    reply = session.handle("여덟 시요")
    assert reply.state == "confirm" and "저녁 8시" in reply.text and "세 분, 박철수 님" in reply.text
    session.handle("네")
    (stored,) = book.bookings.values()
    assert (stored.time, stored.party_size, stored.name) == (time(20, 0), 3, "박철수")


def test_a_new_value_said_at_the_confirmation_is_taken_at_once(reservation, book):
    session, replies = booked_call(reservation, book, ["금요일 7시 세 명", "박철수", "없어요", "아니요, 여덟 시요"])
    assert replies[-1].state == "confirm" and "저녁 8시" in replies[-1].text


@pytest.mark.parametrize(
    ("said", "asked"),
    [("인원이 틀렸어요", "party_again"), ("아니요, 날짜요", "date_again"), ("이름이 잘못됐어요", "name_again")],
)
def test_the_detail_named_at_the_confirmation_is_asked_alone(reservation, book, said, asked):
    _, replies = booked_call(reservation, book, ["금요일 7시 세 명", "박철수", "없어요", said])
    assert replies[-1].state == asked


def test_the_name_corrected_alone(reservation, book):
    session, _ = booked_call(reservation, book, ["금요일 7시 세 명", "박철수", "없어요", "이름이 잘못됐어요"])
    reply = session.handle("박철호입니다")
    assert reply.state == "confirm" and "박철호 님" in reply.text


def test_which_part_answered_with_the_part_alone(reservation, book):
    session, replies = booked_call(reservation, book, ["금요일 7시 세 명", "박철수", "없어요", "아니요"])
    assert replies[-1].state == "fix"
    assert session.handle("인원이요").state == "party_again"
    reply = session.handle("네 명이요")
    assert reply.state == "confirm" and "네 분" in reply.text


def test_a_detail_agreed_to_is_not_a_change(reservation, book):
    session, replies = booked_call(reservation, book, ["금요일 7시 세 명", "박철수", "없어요", "네 시간 맞아요"])
    assert session.outcome == "booked"
