"""The Korean phrases the project's small test model is trained on, written the way they are spoken.

Texts are Hangul only (digits spelled out, no punctuation): the recogniser emits spoken forms and
``asr.itn.normalize`` turns them into the written forms the dialog matches (세 명 → 3명). Fixed phrases come
from the care-call personas and the answers the care-call and reservation scenarios expect; templates
combine dates, times, party sizes, names and phone numbers into whole reservation requests, so the model
hears words in many orders. ``held_out_sentences`` makes combinations the training set never contains.
"""
from __future__ import annotations

import random
import re
import unicodedata

CARE = [
    "네", "네 맞아요", "맞아요", "네 김영수예요", "네 박순자예요", "네 이정희예요", "아니요", "아니에요", "아닌데요",
    "잘못 거셨어요", "지금 바빠요", "나중에 전화해 주세요", "여보세요",
    "네 밥 먹었어요", "밥 먹었어요", "네 잘 먹었어요", "잘 먹었어요", "조금 먹었어요", "네 조금 먹었어요",
    "아침 먹었어요", "점심 먹었어요", "저녁 먹었어요", "아직 안 먹었어요", "밥을 못 먹었어요", "굶었어요", "입맛이 없어요",
    "네 잘 잤어요", "잘 잤어요", "푹 잤어요", "잠을 못 잤어요", "잠을 설쳤어요", "잘 못 잤어요",
    "괜찮아요", "괜찮아요 건강해요", "건강해요", "아픈 데 없어요", "지금은 괜찮아요", "지금도 그래요",
    "열이 나고 기침을 해요", "기침을 하고 열이 있어요", "열이 있어요", "열이 나요", "기침을 해요", "기침이 나요",
    "네 조금 나요", "조금 나요", "많이 나요", "미열이 있어요", "삼십팔 도예요",
    "많이 아파요", "조금 아파요", "너무 아파요", "무릎이 아파요", "네 무릎이 아파요", "머리가 아파요", "허리가 아파요",
    "배가 아파요", "다리가 아파요", "어깨가 아파요", "가슴이 아파요", "숨이 차요", "어지러워요",
    "어제 넘어져서 무릎을 다쳤어요", "넘어져서 무릎이 아파요", "넘어져서 다쳤어요", "병원에 갔어요",
    "네 약 먹었어요", "약 먹었어요", "네 먹었어요", "약을 깜빡했어요", "약을 안 먹었어요", "먹는 약 없어요",
    "기분 좋아요", "좋아요", "기분은 괜찮아요", "그저 그래요", "요즘 좀 우울하고 외로워요", "외롭고 우울해요",
    "우울해요", "외로워요", "힘들어요", "쓸쓸해요",
    "없어요", "없어요 고마워요", "고마워요", "감사합니다", "됐어요", "다시 말해 주세요", "잘 모르겠어요",
]

RESERVATION = [
    "예약하고 싶어요", "예약하려고요", "예약 취소하려고요", "예약 취소해 주세요", "취소해 주세요", "네 취소해 주세요",
    "시간 바꾸고 싶어요", "예약 변경하고 싶어요", "날짜 바꿔 주세요", "인원 바꿔 주세요",
    "오늘", "내일", "모레", "오늘이요", "내일이요", "모레요", "이번 주 금요일", "다음 주 화요일", "다음 주 토요일",
    "이번 주 토요일이요", "다음 주 월요일이요", "십이월 삼일", "십이월 삼일이요",
    "저녁 일곱 시 반", "오후 여섯 시", "저녁 일곱 시", "저녁 일곱 시요", "여섯 시 반이요", "점심 열두 시요",
    "두 명", "두 명이요", "세 명이요", "네 명", "네 명이요", "다섯 명이요", "혼자요", "어른 둘 아이 하나요",
    "김민수입니다", "김민수요", "김 민 수요", "이영희입니다", "이영희예요",
    "공일공 일이삼사 오육칠팔", "이 번호로 해 주세요",
    "창가 자리", "창가 자리로 해 주세요", "아기 의자", "아기 의자 하나 주세요", "아니요 없어요", "조용한 자리요",
    "네 좋아요", "다른 시간 없어요", "틀려요", "다음 주 토요일 저녁 일곱 시에 두 명 예약하고 싶어요",
]

DATES = ["오늘", "내일", "모레", "이번 주 금요일", "이번 주 토요일", "이번 주 일요일", "다음 주 월요일",
         "다음 주 화요일", "다음 주 수요일", "다음 주 목요일", "다음 주 금요일", "다음 주 토요일", "십이월 삼일",
         "십이월 이십사일", "일월 오일"]
TIMES = ["저녁 일곱 시 반", "오후 여섯 시", "저녁 일곱 시", "저녁 여섯 시 반", "점심 열두 시", "오후 한 시",
         "저녁 여덟 시", "오후 다섯 시 반", "점심 열두 시 반"]
PARTIES = ["두 명", "세 명", "네 명", "다섯 명", "여섯 명", "일곱 명", "여덟 명"]
NAMES = ["김민수", "이영희", "박순자", "김영수", "이정희", "최말순", "정수진"]
BODY = ["머리가", "허리가", "배가", "무릎이", "다리가", "어깨가", "가슴이"]
HOW = ["아파요", "조금 아파요", "많이 아파요", "너무 아파요"]
DIGITS = "공일이삼사오육칠팔구"

_RESERVE = ["{date} {time}에 {party} 예약하고 싶어요", "{date} {time}에 예약하고 싶어요", "{date} {party} 예약하려고요",
            "{time}에 {party}이요", "{date} {time}으로 바꿔 주세요", "{party}으로 바꿔 주세요", "{date}로 바꿔 주세요"]


def _phone(rng: random.Random) -> str:
    return "공일공 " + " ".join("".join(rng.choice(DIGITS) for _ in range(4)) for _ in range(2))


def _name(rng: random.Random) -> str:
    name = rng.choice(NAMES)
    return name + rng.choice(["입니다", "요", "예요" if _open_syllable(name) else "이에요"])


def _open_syllable(word: str) -> bool:
    return (ord(word[-1]) - 0xAC00) % 28 == 0


def _fix_particles(text: str) -> str:
    """으로/로 after a vowel or ㄹ, as Korean writes them (반으로, 시로, 일로)."""
    def pick(match: re.Match) -> str:
        word = match.group(1)
        final = (ord(word[-1]) - 0xAC00) % 28
        return word + ("로" if final in (0, 8) else "으로")

    return re.sub(r"([가-힣]+?)(?:으로|로)(?= |$)", pick, text)


def template_sentence(rng: random.Random) -> str:
    """One random sentence from the reservation, phone, name and symptom templates."""
    kind = rng.random()
    if kind < 0.55:
        text = rng.choice(_RESERVE).format(date=rng.choice(DATES), time=rng.choice(TIMES), party=rng.choice(PARTIES))
        return _fix_particles(text)
    if kind < 0.75:
        return _phone(rng) + rng.choice(["", "이에요", "입니다"])
    if kind < 0.85:
        return _name(rng)
    return f"{rng.choice(BODY)} {rng.choice(HOW)}"


def clean(text: str) -> str:
    """Label form of a text: NFC Hangul syllables and single spaces (punctuation dropped)."""
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"[^가-힣 ]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def training_texts(seed: int, n_templates: int) -> list[str]:
    """The fixed phrases plus ``n_templates`` template sentences (deterministic for a seed)."""
    rng = random.Random(seed)
    fixed = [clean(t) for t in CARE + RESERVATION]
    made = [clean(template_sentence(rng)) for _ in range(n_templates)]
    return list(dict.fromkeys(fixed + made))


def held_out_sentences(seed: int, n: int, exclude: set[str]) -> list[str]:
    """Template sentences that are not in ``exclude`` (the training texts): new combinations of known words."""
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < n:
        text = clean(template_sentence(rng))
        if text not in exclude and text not in out:
            out.append(text)
    return out


def vocabulary() -> list[str]:
    """Every syllable any template or phrase can produce, plus the space: the model's label set."""
    text = " ".join(CARE + RESERVATION + DATES + TIMES + PARTIES + NAMES + BODY + HOW + _RESERVE)
    text += " " + DIGITS + " 입니다 이에요 예요 요 으로 로 에"
    syllables = sorted({ch for ch in clean(text) if ch != " "})
    return [" "] + syllables
