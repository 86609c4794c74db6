"""Korean inverse text normalisation for recognised caller turns: spoken numbers → digits.

The dialog matches stable written forms: ``세 명`` → ``3명``, ``일곱 시 반`` → ``7시 30분``,
``공일공 일이삼사`` → ``0101234``, ``삼십팔 점 오 도`` → ``38.5도``, ``삼 월 오 일`` → ``3월 5일``.

Conservative by design: a number word is rewritten only next to a counter that fits its number system
(native 한/두/세… with 명/시/살/개…, Sino 일/이/삼… with 분/도/일/월/원…), the counter must end the word or be
followed by a particle, and ambiguous readings are left alone (하나도, 한번, 이번 주, 이 분, 일주일, 네 알겠어요).
Digit strings from the recogniser (``7 시 반``, ``010-1234-5678``) are brought to the same forms. Pure ``re``.
"""
from __future__ import annotations

import re

_NATIVE_UNITS = {"한": 1, "두": 2, "세": 3, "네": 4, "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9}
_NATIVE_TENS = {"열": 10, "스물": 20, "스무": 20, "서른": 30, "마흔": 40, "쉰": 50, "예순": 60, "일흔": 70,
                "여든": 80, "아흔": 90}
_SINO_DIGITS = {"영": 0, "공": 0, "일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "륙": 6, "칠": 7, "팔": 8,
                "구": 9}
_SINO_SMALL = {"십": 10, "백": 100, "천": 1000}
_SINO_BIG = {"만": 10**4, "억": 10**8}
_MONTHS = {"일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "유": 6, "육": 6, "칠": 7, "팔": 8, "구": 9, "시": 10,
           "십": 10, "십일": 11, "십이": 12}


def _alt(words) -> str:
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


# What may follow a counter inside the same word (particles, copula, common postpositions).
_PARTICLES = ("이에요", "이예요", "이었", "이세요", "이요", "이고", "이면", "이나", "이랑", "인데", "입니다", "이지",
              "이죠", "이", "가", "은", "는", "을", "를", "에", "의", "도", "만", "쯤", "정도", "부터", "까지", "나",
              "랑", "하고", "과", "와", "씩", "째", "요", "예요", "였", "으로", "로", "동안", "후", "전", "반",
              "밖에", "넘게", "이상", "이하", "경", "께", "짜리", "뒤", "안", "내", "간격")
_END = rf"(?=$|[^가-힣]|(?:{_alt(_PARTICLES)}))"
_START = r"(?<![가-힣0-9.])"

_NATIVE_COUNTERS = ("명", "시", "살", "개", "시간", "잔", "마리", "병", "번째", "번", "가지", "그릇", "봉지", "알",
                    "장", "달", "끼", "군데", "통", "권", "벌", "켤레", "대", "채", "개월", "바퀴", "숟가락", "주먹")
_NATIVE_ATTACHED = {"명", "시", "살", "개", "시간", "마리", "번째", "번", "그릇", "알", "끼"}  # safe without a space
_SINO_COUNTERS = ("도", "분", "초", "일", "월", "년", "원", "층", "호", "번", "세", "킬로그램", "킬로미터", "킬로",
                  "키로", "밀리", "미리", "퍼센트", "프로", "개월", "주", "주일", "박", "인분", "호실", "번지", "회",
                  "차", "학년", "센티", "미터", "그램", "시간")
_DIGIT_COUNTERS = tuple(dict.fromkeys(_NATIVE_COUNTERS + _SINO_COUNTERS))
# Counters after which a bare 이 ("this"/"two") is read as 2.
_TWO_OK = {"월", "개월", "퍼센트", "프로", "킬로그램", "킬로미터", "킬로", "키로", "밀리", "미리", "센티", "미터",
           "그램", "학년", "인분"}

_NATIVE_NUM = (rf"(?:(?P<tens>{_alt(_NATIVE_TENS)})\s?(?P<unit>{_alt(_NATIVE_UNITS)})"
               rf"|(?P<tens_only>{_alt(_NATIVE_TENS)})|(?P<unit_only>{_alt(_NATIVE_UNITS)}))")
_NATIVE_RE = re.compile(rf"{_START}{_NATIVE_NUM}(?P<sp>\s?)(?P<counter>{_alt(_NATIVE_COUNTERS)}){_END}")

_SINO_CHARS = "영공일이삼사오육륙칠팔구십백천만억"
_DIGIT_CHARS = "공영일이삼사오육륙칠팔구"
_SINO_RE = re.compile(
    rf"{_START}(?P<num>[{_SINO_CHARS}]+)(?:\s?점\s?(?P<frac>[{_DIGIT_CHARS}]+))?(?P<sp>\s?)"
    rf"(?P<counter>{_alt(_SINO_COUNTERS)}){_END}"
)
_MONTH_RE = re.compile(rf"{_START}(?P<m>{_alt(_MONTHS)})월{_END}")
_TIME_CONTEXT = re.compile(r"\d(?:시|월)\s*$")

_COPULA_SUFFIXES = ("에요", "예요", "고", "야", "라고", "요", "었어요", "였어요")
_PHONE_SUFFIX = ("이에요", "이예요", "이요", "입니다", "이고", "이야", "이라고", "으로", "로", "번", "번이요", "에요",
                 "예요", "요", "고", "야", "라고", "었어요", "였어요")
_SPOKEN_DIGITS_RE = re.compile(
    rf"{_START}(?P<run>[{_DIGIT_CHARS}]+(?:[\s-]+[{_DIGIT_CHARS}]+)*)(?P<suffix>{_alt(_PHONE_SUFFIX)})?(?![가-힣])"
)
_WRITTEN_PHONE_RE = re.compile(r"(?<![\d.])(0\d{1,3})((?:[\s-]+\d{3,4}){1,2})(?![\d.])")
_HALF_RE = re.compile(rf"(?<![\d.])(\d{{1,2}})\s?시\s?반{_END}")
_DIGIT_SPACE_RE = re.compile(rf"(?<![\d.])(\d+(?:\.\d+)?)\s+({_alt(_DIGIT_COUNTERS)}){_END}")


def parse_sino(word: str) -> int | None:
    """Value of a Sino-Korean numeral (삼십팔 → 38, 이천이십오 → 2025, 만 → 10000); None if not one."""
    total = section = 0
    digit: int | None = None
    last_small, last_big = 10**5, 10**13
    for ch in word:
        if ch in _SINO_DIGITS:
            if digit is not None:
                return None  # 이삼: a digit sequence, not a number
            digit = _SINO_DIGITS[ch]
        elif ch in _SINO_SMALL:
            unit = _SINO_SMALL[ch]
            if unit >= last_small or digit == 0:
                return None
            section += (1 if digit is None else digit) * unit
            digit, last_small = None, unit
        elif ch in _SINO_BIG:
            unit = _SINO_BIG[ch]
            if unit >= last_big:
                return None
            total += ((section + (digit or 0)) or 1) * unit
            section, digit, last_small, last_big = 0, None, 10**5, unit
        else:
            return None
    if len(word) > 1 and word[0] in "영공":
        return None
    return total + section + (digit or 0)


def _native(m: re.Match[str]) -> str:
    tens = m.group("tens") or m.group("tens_only")
    unit = m.group("unit") or m.group("unit_only")
    counter = m.group("counter")
    if tens == "스무" and unit:
        return m.group(0)
    if unit == "한" and not tens and counter in ("번", "번째"):
        return m.group(0)  # 한번 / 한 번: "once", "just try" — idiomatic
    if not m.group("sp") and counter not in _NATIVE_ATTACHED:
        return m.group(0)
    value = (_NATIVE_TENS[tens] if tens else 0) + (_NATIVE_UNITS[unit] if unit else 0)
    return f"{value}{counter}"


def _sino(m: re.Match[str]) -> str:
    num, frac, counter = m.group("num"), m.group("frac"), m.group("counter")
    value = parse_sino(num)
    if value is None:
        return m.group(0)
    after_time = bool(_TIME_CONTEXT.search(m.string[: m.start()]))
    if len(num) == 1 and not frac and not after_time:
        if not m.group("sp"):
            return m.group(0)  # 이번, 일주일, 오일, 만일: words, not numbers
        if num == "이" and counter not in _TWO_OK:
            return m.group(0)  # 이 분 / 이 층 / 이 주: "this …"
    if frac:
        return f"{value}.{''.join(str(_SINO_DIGITS[c]) for c in frac)}{counter}"
    return f"{value}{counter}"


def _spoken_digits(m: re.Match[str]) -> str:
    run, suffix = m.group("run"), m.group("suffix") or ""
    if run.endswith("이") and suffix in _COPULA_SUFFIXES:
        run, suffix = run[:-1].rstrip(" -"), "이" + suffix  # 오육칠팔이에요: the 이 is the copula
    digits = "".join(str(_SINO_DIGITS[c]) for c in run if c in _SINO_DIGITS)
    groups = re.split(r"[\s-]+", run)
    if not (("공" in run and len(digits) >= 3 and len(groups[0]) >= 2) or len(digits) >= 7):
        return m.group(0)
    return digits + suffix


def _month(m: re.Match[str]) -> str:
    return f"{_MONTHS[m.group('m')]}월"


def normalize(text: str) -> str:
    """Rewrite spoken numbers in ``text`` as digits where the reading is unambiguous."""
    if not text:
        return text
    out = _SPOKEN_DIGITS_RE.sub(_spoken_digits, text)
    out = _WRITTEN_PHONE_RE.sub(lambda m: m.group(1) + re.sub(r"[\s-]", "", m.group(2)), out)
    out = _MONTH_RE.sub(_month, out)
    out = _NATIVE_RE.sub(_native, out)
    out = _SINO_RE.sub(_sino, out)
    out = _DIGIT_SPACE_RE.sub(r"\1\2", out)
    out = _HALF_RE.sub(r"\1시 30분", out)
    return out
