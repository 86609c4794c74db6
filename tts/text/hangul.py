"""Hangul syllable ⇄ (initial, vowel, final) jamo indices, with compatibility-jamo names for readability."""
from __future__ import annotations

BASE, LAST = 0xAC00, 0xD7A3
INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
VOWELS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
FINALS = ("", "ㄱ", "ㄲ", "ㄳ", "ㄴ", "ㄵ", "ㄶ", "ㄷ", "ㄹ", "ㄺ", "ㄻ", "ㄼ", "ㄽ", "ㄾ", "ㄿ", "ㅀ",
          "ㅁ", "ㅂ", "ㅄ", "ㅅ", "ㅆ", "ㅇ", "ㅈ", "ㅊ", "ㅋ", "ㅌ", "ㅍ", "ㅎ")


def is_hangul(ch: str) -> bool:
    return len(ch) == 1 and BASE <= ord(ch) <= LAST


def split(ch: str) -> tuple[str, str, str]:
    """'닭' → ('ㄷ', 'ㅏ', 'ㄺ')."""
    code = ord(ch) - BASE
    return INITIALS[code // 588], VOWELS[(code % 588) // 28], FINALS[code % 28]


def join(initial: str, vowel: str, final: str = "") -> str:
    return chr(BASE + INITIALS.index(initial) * 588 + VOWELS.index(vowel) * 28 + FINALS.index(final))
