"""Reading numbers aloud: Sino-Korean (일, 이, 삼…) and native Korean (하나, 둘… / 한, 두 before counters)."""
from __future__ import annotations

_DIGITS = "영일이삼사오육칠팔구"
_PHONE_DIGITS = "공일이삼사오육칠팔구"
_NATIVE_ONES = ["", "한", "두", "세", "네", "다섯", "여섯", "일곱", "여덟", "아홉"]
_NATIVE_ONES_ALONE = ["", "하나", "둘", "셋", "넷", "다섯", "여섯", "일곱", "여덟", "아홉"]
_NATIVE_TENS = ["", "열", "스물", "서른", "마흔", "쉰", "예순", "일흔", "여든", "아흔"]
_UNITS = ["", "만", "억", "조", "경"]


def sino(n: int) -> str:
    """12 → 십이, 2024 → 이천이십사, 10000 → 만, 0 → 영."""
    if n == 0:
        return "영"
    if n < 0:
        return "마이너스 " + sino(-n)
    groups, out = [], []
    while n:
        groups.append(n % 10000)
        n //= 10000
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        if not g:
            continue
        word = _four(g)
        if word == "일" and i == 1:
            word = ""  # 만, not 일만
        out.append(word + _UNITS[i])
    return "".join(out)


def _four(n: int) -> str:
    out = []
    for value, name in ((1000, "천"), (100, "백"), (10, "십"), (1, "")):
        d, n = divmod(n, value)
        if d:
            out.append(("" if d == 1 and name else _DIGITS[d]) + name)
    return "".join(out)


def native(n: int, counter: bool = True) -> str:
    """3 → 세 (before a counter) or 셋; 20 → 스무 / 스물; 100 and up fall back to Sino-Korean."""
    if not 0 < n < 100:
        return sino(n)
    tens, ones = divmod(n, 10)
    if counter and n == 20:
        return "스무"
    return _NATIVE_TENS[tens] + (_NATIVE_ONES if counter else _NATIVE_ONES_ALONE)[ones]


def digits(s: str) -> str:
    """Digit by digit, 0 as 공 (phone numbers): '010' → '공일공'."""
    return "".join(_PHONE_DIGITS[int(c)] for c in s if c.isdigit())


def decimal(s: str) -> str:
    """'38.5' → '삼십팔 점 오'."""
    whole, _, frac = s.partition(".")
    return sino(int(whole or "0")) + " 점 " + "".join(_DIGITS[int(c)] for c in frac)
