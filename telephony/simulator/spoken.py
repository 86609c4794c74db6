"""How a Korean caller says numbers, days, times, party sizes and phone numbers, in every common form.

The simulated caller picks one of these forms at random, so the agent meets spelled-out and digit numbers,
relative days (내일, 이번 주 금요일, 다음 주 화요일) and counts like "어른 둘 아이 하나". Written from how
people talk, not from the dialog's understanding rules (telephony does not import the dialog).
"""

from __future__ import annotations

from datetime import date, timedelta

WEEKDAYS = "월화수목금토일"
SINO_DIGITS = "공일이삼사오육칠팔구"
_SINO = ("", "일", "이", "삼", "사", "오", "육", "칠", "팔", "구")
_MONTHS = {6: "유월", 10: "시월"}  # said without the final consonant
# Native numbers standing alone (둘이요) and before a counter (두 명, 두 시).
NATIVE = {1: "하나", 2: "둘", 3: "셋", 4: "넷", 5: "다섯", 6: "여섯", 7: "일곱", 8: "여덟", 9: "아홉", 10: "열",
          11: "열하나", 12: "열둘"}  # fmt: skip
NATIVE_BEFORE_COUNTER = {1: "한", 2: "두", 3: "세", 4: "네", 5: "다섯", 6: "여섯", 7: "일곱", 8: "여덟", 9: "아홉",
                         10: "열", 11: "열한", 12: "열두"}  # fmt: skip


def has_final(word: str) -> bool:
    """Does the last Hangul syllable end in a consonant (받침)? Digits are read as Sino-Korean."""
    last = word.rstrip()[-1:] or "가"
    if last.isdigit():
        return last in "013678"  # 영 일 삼 육 칠 팔
    return "가" <= last <= "힣" and (ord(last) - 0xAC00) % 28 != 0


def copula(word: str) -> str:
    """word + 이에요 / 예요 (김민수예요, 박준혁이에요)."""
    return f"{word}{'이에요' if has_final(word) else '예요'}"


def yo(word: str) -> str:
    """word + 이요 / 요, the polite one-word answer (내일이요, 모레요)."""
    return f"{word}{'이요' if has_final(word) else '요'}"


def ro(word: str) -> str:
    """word + 으로 / 로 (창가 자리로, 일곱 시로)."""
    last = word.rstrip()[-1:]
    rieul = "가" <= last <= "힣" and (ord(last) - 0xAC00) % 28 == 8
    return f"{word}{'으로' if has_final(word) and not rieul else '로'}"


def subject(word: str) -> str:
    """word + 이 / 가 (무릎이, 허리가)."""
    return f"{word}{'이' if has_final(word) else '가'}"


def sino(n: int) -> str:
    """1..99 in Sino-Korean words: 3 → 삼, 10 → 십, 25 → 이십오."""
    if not 0 < n < 100:
        raise ValueError(n)
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else _SINO[tens]) + "십" if tens else "") + _SINO[ones]


def month_word(month: int) -> str:
    return _MONTHS.get(month, sino(month) + "월")


# --- days ----------------------------------------------------------------------------------------------


def date_phrases(day: date, today: date) -> list[str]:
    """Every natural way to name ``day`` on ``today``: 내일, 이번 주 금요일, 다음 주 화요일, 12월 3일, 십이월 삼일…"""
    ahead = (day - today).days
    weekday = WEEKDAYS[day.weekday()] + "요일"
    weeks = ((day - timedelta(days=day.weekday())) - (today - timedelta(days=today.weekday()))).days // 7
    out = []
    if ahead == 0:
        out.append("오늘")
    elif ahead == 1:
        out += ["내일", f"내일 {weekday}"]
    elif ahead == 2:
        out += ["모레", "내일모레"]
    if weeks == 0 and ahead > 0:
        out += [f"이번 주 {weekday}", weekday]
    elif weeks == 1:
        out += [f"다음 주 {weekday}", f"담주 {weekday}"]
    elif weeks == 2:
        out.append(f"다다음 주 {weekday}")
    out += [f"{day.month}월 {day.day}일", f"{month_word(day.month)} {sino(day.day)}일",
            f"{day.month}월 {day.day}일 {weekday}"]
    next_month = (today.month % 12) + 1
    if day.month == next_month and ahead < 62:
        out.append(f"다음 달 {day.day}일")
    return list(dict.fromkeys(out))


# --- times ---------------------------------------------------------------------------------------------


def time_phrases(hour: int, minute: int) -> list[str]:
    """Ways to say a restaurant time (11:00–21:30): 저녁 7시, 일곱 시 반, 19시 30분, 오후 여섯 시 삼십 분…"""
    twelve = hour if hour <= 12 else hour - 12
    native = f"{NATIVE_BEFORE_COUNTER[twelve]} 시"
    digits = f"{twelve}시"
    halves = {0: ("", ""), 30: (" 반", " 삼십 분")}
    if minute not in halves:
        raise ValueError(f"{hour:02d}:{minute:02d}: only whole and half hours are said here")
    half, thirty = halves[minute]
    if hour < 12:
        periods = ["오전", "아침"] if hour < 11 else ["오전", "점심"]
    elif hour < 15:
        periods = ["점심", "낮", "오후"]
    elif hour < 17:
        periods = ["오후"]
    else:
        periods = ["저녁", "오후"] if hour < 20 else ["저녁", "밤"]
    out = []
    for period in periods:
        out += [f"{period} {native}{half}", f"{period} {digits}{half}", f"{period} {native}{thirty}"]
    if 13 <= hour <= 21 and twelve <= 9:  # 1–9 o'clock means the afternoon at a restaurant
        out += [f"{native}{half}", f"{digits}{' 30분' if minute else ''}"]
    if hour >= 13:
        out.append(f"{hour}시" + (" 30분" if minute else ""))
    return list(dict.fromkeys(out))


# --- people ------------------------------------------------------------------------------------------------


def party_phrases(adults: int, children: int = 0) -> list[str]:
    """Ways to say who is coming: 네 명, 4명, 넷이요, 어른 둘 아이 하나, 어른 두 명에 아이 한 명…"""
    total = adults + children
    if children:
        a, c = NATIVE[adults], NATIVE[children]
        ca, cc = NATIVE_BEFORE_COUNTER[adults], NATIVE_BEFORE_COUNTER[children]
        return [
            f"어른 {a} 아이 {c}",
            f"어른 {ca} 명에 아이 {cc} 명",
            f"어른 {adults}명, 아이 {children}명",
            f"어른 {a}이랑 애 {c}" if has_final(a) else f"어른 {a}랑 애 {c}",
            f"아이 {cc} 명 포함해서 {NATIVE_BEFORE_COUNTER[total]} 명",
        ]
    if total == 1:
        return ["혼자", "한 명", "1명", "저 혼자"]
    return [f"{NATIVE_BEFORE_COUNTER[total]} 명", f"{total}명", f"{NATIVE_BEFORE_COUNTER[total]} 사람",
            f"{NATIVE[total]}" + ("이서" if total == 2 else "")]


def party_count(total: int) -> str:
    """The count alone as in a correction: 네 명."""
    return f"{NATIVE_BEFORE_COUNTER.get(total, total)} 명"


# --- phone numbers -------------------------------------------------------------------------------------------


def phone_groups(digits: str) -> tuple[str, str, str]:
    """01012345678 → (010, 1234, 5678)."""
    return digits[:3], digits[3:-4], digits[-4:]


def phone_phrases(digits: str) -> list[str]:
    """Ways to read a mobile number: 공일공 일이삼사 오육칠팔, 010-1234-5678, 영일영에 …"""
    groups = phone_groups(digits)
    spoken = [" ".join("".join(SINO_DIGITS[int(d)] for d in g) for g in groups)]
    spoken.append("에 ".join("".join(SINO_DIGITS[int(d)] for d in g) for g in groups))
    spoken.append(spoken[0].replace("공", "영"))
    spoken.append("-".join(groups))
    spoken.append(" ".join(groups))
    return spoken
