"""Cleaning Whisper's hallucinations on phone audio."""
from __future__ import annotations

import pytest

from asr.guard import clean_text, collapse_loops

DROPPED = [
    ("시청해주셔서 감사합니다.", "stock_phrase"),
    ("오늘도 시청해 주셔서 감사합니다", "stock_phrase"),
    ("구독과 좋아요 부탁드립니다", "stock_phrase"),
    ("MBC 뉴스 이덕영입니다.", "stock_phrase"),
    ("한글자막 by 한효정", "stock_phrase"),
    ("자막 제공 및 자막 편집", "stock_phrase"),
    ("다음 영상에서 만나요", "stock_phrase"),
    ("Subtitles by the Amara.org community", "romanised"),
    ("Geureomyeon ige mwoya jinjja", "romanised"),
    ("ご視聴ありがとうございました", "foreign_script"),
    ("...", "no_words"),
]

CLEANED = [
    ("네 네 네 네 네 네 네 네", "네", "loop"),
    ("감사합니다.감사합니다.감사합니다.감사합니다.", "감사합니다", "loop"),
    ("자, 음, 이화, 요, 요, 요, 요, 요, 요, 요", "자, 음, 이화, 요", "loop"),
    ("네 아침 잘 먹었어요. 시청해 주셔서 감사합니다.", "네 아침 잘 먹었어요", "stock_phrase"),
    ("약은 먹었어요 MBC 뉴스 김철수입니다", "약은 먹었어요", "stock_phrase"),
]

KEPT = ["네, 맞아요.", "네 네", "네 감사합니다", "네 CT 찍었어요", "TV 자막이 안 보여요", "어제 넘어져서 무릎을 다쳤어요",
        "좀 우울하고 외로워요", "OK"]


@pytest.mark.parametrize("raw, reason", DROPPED)
def test_hallucinations_are_dropped(raw, reason):
    assert clean_text(raw) == ("", reason)


@pytest.mark.parametrize("raw, text, reason", CLEANED)
def test_hallucinations_are_cleaned(raw, text, reason):
    assert clean_text(raw) == (text, reason)


@pytest.mark.parametrize("raw", KEPT)
def test_real_answers_are_kept(raw):
    assert clean_text(raw) == (raw, None)


def test_prompt_read_back_is_dropped():
    hint = "네 아니요 아침 점심 저녁 식사"
    assert clean_text("네, 아니요, 아침 점심 저녁 식사.", hint=hint) == ("", "prompt_echo")
    assert clean_text("네", hint=hint) == ("네", None)


def test_collapse_loops_keeps_short_repeats():
    assert collapse_loops("네 네 네") == "네 네 네"
    assert collapse_loops("아파요 아파요 아파요 아파요 아파요") == "아파요"
