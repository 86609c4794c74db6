"""Dates, times, party sizes, names and phone numbers as callers say them (call on Wed 2026-11-25)."""

from datetime import date

import pytest

from dialog.phone_numbers import national_digits
from dialog.understanding.booking import intent, name, party_size, phone, spoken_phone
from dialog.understanding.numbers import native_value, sino_value
from dialog.understanding.text import Utterance
from dialog.understanding.when import find_date, find_time

TODAY = date(2026, 11, 25)  # a Wednesday


@pytest.mark.parametrize(
    ("word", "native", "sino"),
    [("열두", 12, None), ("스물한", 21, None), ("세", 3, None), ("삼십오", None, 35), ("십이", None, 12), ("칠", None, 7)],
)
def test_number_words(word, native, sino):
    assert native_value(word) == native and sino_value(word) == sino


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("오늘", date(2026, 11, 25)), ("내일이요", date(2026, 11, 26)), ("낼모레", date(2026, 11, 27)),
        ("글피", date(2026, 11, 28)), ("이번 주 금요일", date(2026, 11, 27)), ("다음 주 화요일", date(2026, 12, 1)),
        ("다다음 주 월요일", date(2026, 12, 7)), ("월요일", date(2026, 11, 30)), ("수요일", date(2026, 11, 25)),
        ("다음 주말", date(2026, 12, 5)), ("12월 3일", date(2026, 12, 3)), ("삼월 일일", date(2027, 3, 1)),
        ("시월 구일", date(2027, 10, 9)), ("다음 달 5일", date(2026, 12, 5)), ("20일", date(2026, 12, 20)),
        ("26일", date(2026, 11, 26)), ("내일은 안 되고 모레요", date(2026, 11, 27)),
        ("금요일에서 토요일로 바꿔 주세요", date(2026, 11, 28)),
    ],
)  # fmt: skip
def test_dates(said, expected):
    found = find_date(Utterance(said), TODAY)
    assert found is not None and found.date == expected


@pytest.mark.parametrize("said", ["요일은 상관없어요", "일주일 뒤에", "2월 30일", "네 알겠습니다"])
def test_no_date(said):
    assert find_date(Utterance(said), TODAY) is None


@pytest.mark.parametrize(
    ("said", "hour", "minute", "ambiguous"),
    [
        ("저녁 일곱 시 반", 19, 30, False), ("7시", 7, 0, True), ("오후 세 시 삼십 분", 15, 30, False),
        ("19시 30분", 19, 30, False), ("점심 12시", 12, 0, False), ("낮 두 시", 14, 0, False),
        ("오전 열한 시", 11, 0, False), ("정오", 12, 0, False), ("7:30", 7, 30, True),
        ("7시에서 8시로 바꿔 주세요", 8, 0, True), ("아침 9시", 9, 0, False), ("열두시", 12, 0, False),
        ("점심 11시, 30분으로 부탁해요.", 11, 30, False), ("저녁, 여섯 시 반이요.", 18, 30, False),  # ASR commas
    ],
)  # fmt: skip
def test_times(said, hour, minute, ambiguous):
    found = find_time(Utterance(said))
    assert found is not None and (found.hour, found.minute, found.ambiguous) == (hour, minute, ambiguous)


@pytest.mark.parametrize("said", ["두 시간 정도 걸려요", "몇 분이 오시나요", "이 시간에 죄송해요", "세 명이요"])
def test_no_time(said):
    assert find_time(Utterance(said)) is None


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("네 명이요", "4"), ("4명", "4"), ("두 분", "2"), ("4인 테이블", "4"), ("혼자예요", "1"), ("둘이서요", "2"),
        ("어른 둘 아이 하나", "3"), ("성인 2명 어린이 2명", "4"), ("열두 명", "12"), ("세 명 아니 다섯 명이요", "5"),
        ("정오에 둘이서요", "2"),
    ],
)  # fmt: skip
def test_party_sizes(said, expected):
    found = party_size(Utterance(said))
    assert found is not None and found.value == expected


@pytest.mark.parametrize("said", ["30분 뒤에요", "삼십 분", "네 알겠습니다", "몇 분이세요"])
def test_minutes_and_yes_are_not_people(said):
    assert party_size(Utterance(said)) is None


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("010-1234-5678", "01012345678"), ("공일공 일이삼사 오육칠팔이요", "01012345678"),
        ("공일공에 구팔칠육에 오사삼이", "01098765432"), ("02 123 4567", "021234567"), ("이 번호로 해 주세요", "01055556666"),
    ],
)  # fmt: skip
def test_phone_numbers(said, expected):
    found = phone(Utterance(said), caller_number="+821055556666")
    assert found is not None and found.value == expected


def test_phone_helpers():
    assert national_digits("+82 10-5555-6666") == "01055556666"
    assert national_digits("hello") is None
    assert spoken_phone("01012345678") == "010-1234-5678"
    assert phone(Utterance("이 번호로 해 주세요")) is None  # no caller ID: nothing to use


@pytest.mark.parametrize(
    ("said", "expected"),
    [("김민수요", "김민수"), ("이영희", "이영희"), ("제 이름은 박철수입니다", "박철수"), ("최지우로 해 주세요", "최지우"),
     ("예약자 정수빈이요", "정수빈"), ("남궁민이에요", "남궁민")],
)  # fmt: skip
def test_names(said, expected):
    found = name(Utterance(said))
    assert found is not None and found.value == expected


@pytest.mark.parametrize("said", ["네", "예약이요", "7시요", "혼자예요", "잘 모르겠어요", "내일이요"])
def test_not_names(said):
    assert name(Utterance(said)) is None


@pytest.mark.parametrize(
    ("said", "has_details", "expected"),
    [("예약 취소할게요", False, "cancel"), ("시간을 바꾸고 싶어요", False, "change"), ("예약하려고요", False, "new"),
     ("내일 저녁 네 명이요", True, "new"), ("음", False, None)],
)  # fmt: skip
def test_intent(said, has_details, expected):
    found = intent(Utterance(said), has_details=has_details)
    assert (found.value if found else None) == expected
