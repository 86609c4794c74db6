"""Small Korean numbers as people say them on the phone: digits, native words (두, 세, 열두) and
Sino-Korean words (삼, 십이, 삼십).

Only what a reservation or a care call needs: values up to 99, read from the compact text of an
:class:`~dialog.understanding.text.Utterance`. Native words count people and hours (세 명, 일곱 시),
Sino-Korean words count minutes, days and months (삼십 분, 십이월 삼일).
"""

from __future__ import annotations

import re

NATIVE_UNITS = {"한": 1, "하나": 1, "두": 2, "둘": 2, "세": 3, "셋": 3, "석": 3, "네": 4, "넷": 4, "넉": 4,
                "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9}  # fmt: skip
NATIVE_TENS = {"열": 10, "스물": 20, "스무": 20, "서른": 30, "마흔": 40, "쉰": 50}
SINO_DIGITS = {"영": 0, "공": 0, "일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "륙": 6, "칠": 7, "팔": 8,
               "구": 9}  # fmt: skip


def _alt(words) -> str:
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


# "열두", "스물한", "다섯", "열": one native number word (longest alternatives first).
NATIVE = rf"(?:(?:{_alt(NATIVE_TENS)})(?:{_alt(NATIVE_UNITS)})?|(?:{_alt(NATIVE_UNITS)}))"
# "삼십오", "십이", "이십", "칠": one Sino-Korean number word up to 99.
SINO = r"(?:[이삼사오육칠팔구]?십[일이삼사오육칠팔구]?|[일이삼사오육칠팔구])"
# A number in any of the three spellings, digits first.
NUMBER = rf"(?:\d{{1,2}}|{NATIVE}|{SINO})"


def native_value(word: str) -> int | None:
    """열두 → 12, 스물한 → 21, 세 → 3; None if ``word`` is not a native number word."""
    for tens, tens_value in sorted(NATIVE_TENS.items(), key=lambda kv: -len(kv[0])):
        if word.startswith(tens):
            rest = word[len(tens) :]
            if not rest:
                return tens_value
            return tens_value + NATIVE_UNITS[rest] if rest in NATIVE_UNITS else None
    return NATIVE_UNITS.get(word)


def sino_value(word: str) -> int | None:
    """삼십오 → 35, 십이 → 12, 칠 → 7; None if ``word`` is not a Sino-Korean number up to 99."""
    m = re.fullmatch(r"(?:([이삼사오육칠팔구])?(십))?([일이삼사오육칠팔구])?", word)
    if not word or not m:
        return None
    tens = (SINO_DIGITS[m.group(1)] if m.group(1) else 1) * 10 if m.group(2) else 0
    return tens + (SINO_DIGITS[m.group(3)] if m.group(3) else 0)


def value(word: str, *, prefer: str = "native") -> int | None:
    """The value of a number in digits or words. Words that read both ways ("이" is 2 in Sino-Korean,
    never native) are read in the ``prefer``-red system first."""
    if word.isdigit():
        return int(word)
    readers = (native_value, sino_value) if prefer == "native" else (sino_value, native_value)
    for read in readers:
        if (v := read(word)) is not None:
            return v
    return None


def spoken_digits(text: str) -> str:
    """Digits spelled one by one ("공일공 일이삼사") and written digits, as a digit string."""
    return "".join(ch if ch.isdigit() else str(SINO_DIGITS[ch]) for ch in text if ch.isdigit() or ch in SINO_DIGITS)
