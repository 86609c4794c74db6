"""Korean inverse text normalisation: spoken numbers → stable written forms, conservatively."""
from __future__ import annotations

import pytest

from asr.itn import normalize, parse_sino

CONVERTED = [
    # native numbers with counters
    ("세 명", "3명"),
    ("네 명이요", "4명이요"),
    ("세명이요", "3명이요"),
    ("스무 명", "20명"),
    ("사과 두 개", "사과 2개"),
    ("네 개", "4개"),
    ("혈압약 두 알", "혈압약 2알"),
    ("하루에 세 번", "하루에 3번"),
    ("두 번째", "2번째"),
    ("서른다섯 살", "35살"),
    ("여든 살", "80살"),
    # times
    ("일곱 시 반", "7시 30분"),
    ("일곱시반", "7시 30분"),
    ("일곱 시 반에 와요", "7시 30분에 와요"),
    ("열 시", "10시"),
    ("열두 시", "12시"),
    ("열한 시 반", "11시 30분"),
    ("세 시에 와요", "3시에 와요"),
    ("오후 두 시 삼십 분", "오후 2시 30분"),
    ("두 시 이 분", "2시 2분"),
    ("오 분 뒤에", "5분 뒤에"),
    ("십 분", "10분"),
    ("다음 주 화요일 저녁 일곱 시에 네 명 예약하고 싶어요", "다음 주 화요일 저녁 7시에 4명 예약하고 싶어요"),
    # phone digits
    ("공일공 일이삼사", "0101234"),
    ("공일공 일이삼사 오육칠팔", "01012345678"),
    ("제 번호는 공일공 일이삼사 오육칠팔이에요", "제 번호는 01012345678이에요"),
    ("공일공-일이삼사-오육칠팔", "01012345678"),
    ("010-1234-5678", "01012345678"),
    ("010 1234 5678", "01012345678"),
    # Sino numbers with counters
    ("삼십팔 점 오 도", "38.5도"),
    ("삼십팔점오도", "38.5도"),
    ("열이 삼십팔 점 오 도예요", "열이 38.5도예요"),
    ("삼십칠 도", "37도"),
    ("칠십오 세", "75세"),
    ("백 세", "100세"),
    ("삼 월 오 일", "3월 5일"),
    ("삼월 오일", "3월 5일"),
    ("시월 이십일 일", "10월 21일"),
    ("이십일에", "20일에"),
    ("이천이십오 년", "2025년"),
    ("일 년 전", "1년 전"),
    ("삼만 원", "30000원"),
    ("천오백 원", "1500원"),
    ("삼 주 전에", "3주 전에"),
    ("육 개월", "6개월"),
    # digits from the recogniser
    ("7 시 반", "7시 30분"),
    ("4 명이요", "4명이요"),
    ("7시 반에", "7시 30분에"),
]

UNCHANGED = [
    "하나도 안 아파요",
    "한번 해 볼게요",
    "한 번 더 말씀해 주세요",
    "네 맞아요",
    "네 네",
    "네 알겠어요",
    "네 시원해요",
    "네 번호가 바뀌었어요",
    "네 명절에 왔어요",
    "열이 나요",
    "이번 주 화요일",
    "이분이 제 딸이에요",
    "이 층에 살아요",
    "이 주 전에",
    "두 분 예약",
    "일이 많아요",
    "오늘 이사 했어요",
    "오이 먹었어요",
    "이삼일 전부터 열이 나요",
    "세대 차이",
    "천만에요",
    "일주일",
    "육개장 먹었어요",
    "만일 아프면",
    "영 점 오",
    "세상에",
    "삼촌이 왔어요",
    "한도가 넘었어요",
    "",
]


@pytest.mark.parametrize("spoken, written", CONVERTED)
def test_converts(spoken, written):
    assert normalize(spoken) == written


@pytest.mark.parametrize("text", UNCHANGED)
def test_leaves_ambiguous_words_alone(text):
    assert normalize(text) == text


@pytest.mark.parametrize("written", sorted({w for _, w in CONVERTED}))
def test_idempotent(written):
    assert normalize(written) == written


@pytest.mark.parametrize("word, value", [
    ("삼십팔", 38), ("이천이십오", 2025), ("만", 10000), ("삼만", 30000), ("천오백", 1500), ("백", 100),
    ("십이", 12), ("일억", 10**8), ("이삼", None), ("십백", None), ("공일", None), ("사람", None),
])
def test_parse_sino(word, value):
    assert parse_sino(word) == value


def test_table_is_big_enough():
    assert len(CONVERTED) + len(UNCHANGED) >= 25
