"""Text normalisation for Korean TTS: numbers, dates, times, phone numbers, units and Latin abbreviations → hangul.

Numbers are read in the system the following word asks for: native Korean before counters (3명 → 세 명,
3시 → 세 시, 5살 → 다섯 살), Sino-Korean elsewhere (3분 → 삼 분, 12월 3일 → 십이 월 삼 일, 38.5도 → 삼십팔 점 오 도).
"""
from __future__ import annotations

import re
import unicodedata

from tts.text.numbers import decimal, digits, native, sino

# Counters read with native numbers (longest first where one is a prefix of another Sino one, see _SINO_FIRST).
NATIVE_COUNTERS = (
    "명", "사람", "시간", "시", "개", "살", "번째", "번", "마리", "잔", "병", "권", "장", "대", "가지", "곳",
    "달", "군데", "그릇", "알", "봉지", "벌", "켤레", "채", "송이", "줄", "차례", "바퀴", "끼", "포", "정",
    "통", "판", "살짜리", "째",
)
# Sino-Korean words that start like a native counter: checked first (개월 is not 개, 시경 is not 시…).
_SINO_FIRST = ("개월", "대학", "번지", "정도", "시경", "장소")
UNITS = {
    "%": "퍼센트", "℃": "도", "°C": "도", "°": "도", "kg": "킬로그램", "km": "킬로미터", "cm": "센티미터",
    "mm": "밀리미터", "mg": "밀리그램", "ml": "밀리리터", "mL": "밀리리터", "kcal": "킬로칼로리", "m": "미터",
    "g": "그램", "l": "리터", "L": "리터", "원": "원", "₩": "원",
}
ABBREVIATIONS = {
    "OK": "오케이", "ok": "오케이", "Ok": "오케이", "CT": "씨티", "KT": "케이티", "SMS": "에스엠에스",
    "ARS": "에이알에스", "MRI": "엠알아이", "KTX": "케이티엑스", "TV": "티비", "PC": "피씨", "ID": "아이디",
    "AI": "에이아이", "SK": "에스케이", "LG": "엘지", "ATM": "에이티엠", "PDF": "피디에프", "URL": "유알엘",
    "SNS": "에스엔에스", "DM": "디엠", "FAX": "팩스", "fax": "팩스", "email": "이메일", "e-mail": "이메일",
    "app": "앱", "wifi": "와이파이", "WiFi": "와이파이", "Wi-Fi": "와이파이",
}
_LETTERS = dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", (
    "에이", "비", "씨", "디", "이", "에프", "지", "에이치", "아이", "제이", "케이", "엘", "엠", "엔", "오", "피",
    "큐", "알", "에스", "티", "유", "브이", "더블유", "엑스", "와이", "제트")))

_PHONE = re.compile(r"(?<!\d)(0\d{1,2}|1[5-9]\d{2})[-. ](\d{3,4})(?:[-. ](\d{4}))?(?!\d)")
_DATE = re.compile(r"(?<!\d)(\d{4})[.\-/] ?(\d{1,2})[.\-/] ?(\d{1,2})\.?(?!\d)")
_TIME = re.compile(r"(?<!\d)(\d{1,2}):(\d{2})(?::(\d{2}))?(?!\d)")
_RANGE = re.compile(r"(?<![\d.])(\d)\s*[~∼〜～-]\s*(\d)(?![\d.,])")
_UNIT_ALT = "|".join(sorted(map(re.escape, (u for u in UNITS if u != "원")), key=len, reverse=True))
_NUMBER = re.compile(rf"(-)?(\d{{1,3}}(?:,\d{{3}})+|\d+(?:\.\d+)?)(?:\s?({_UNIT_ALT})(?![A-Za-z]))?(\s?)")
_PARTICLE = re.compile(r"(?:에서|에게|에|은|는|이|가|을|를|만|부터|까지|으로|로|와|과|의|쯤|씩)(?![가-힣])")
_LATIN = re.compile(r"[A-Za-z][A-Za-z\-]*")


def normalize(text: str) -> str:
    """Korean text with every number, symbol and abbreviation written out in hangul, ready for ``g2p``."""
    text = unicodedata.normalize("NFKC", text).replace("\u00a0", " ")
    text = _PHONE.sub(_phone, text)
    text = _DATE.sub(lambda m: f"{sino(int(m[1]))} 년 {_month(int(m[2]))} 월 {sino(int(m[3]))} 일", text)
    text = _TIME.sub(_time, text)
    text = re.sub(r"(?<!\d)(\d+)월", lambda m: _month(int(m[1])) + " 월", text)
    text = re.sub(r"(?<![\d.])(1339|11[249])(?![\d.])", lambda m: digits(m[1]), text)  # emergency numbers
    text = re.sub(r"(?<![\d.])(\d{2,3})/(\d{2,3})(?![\d.])", r"\1에 \2", text)  # blood pressure 120/80
    text = _RANGE.sub(_range, text)
    text = _NUMBER.sub(_number, text)
    text = _LATIN.sub(_latin, text)
    text = text.replace("&", " 앤 ").replace("+", " 플러스 ").replace("=", " 는 ")
    return re.sub(r"[ \t]+", " ", text).strip()


def _phone(m: re.Match[str]) -> str:
    return " ".join(digits(g) for g in m.groups() if g)


def _month(n: int) -> str:
    return {6: "유", 10: "시"}.get(n, sino(n))


def _time(m: re.Match[str]) -> str:
    hour, minute, second = int(m[1]), int(m[2]), m[3]
    out = f"{native(hour) if 0 < hour <= 24 else sino(hour)} 시"
    if minute:
        out += f" {sino(minute)} 분"
    if second and int(second):
        out += f" {sino(int(second))} 초"
    return out


def _range(m: re.Match[str]) -> str:
    """2~3명 → 두세 명, 2~3일 → 이삼 일; other ranges → 'A에서 B'."""
    a, b = int(m[1]), int(m[2])
    rest = m.string[m.end():]
    if b == a + 1 and a > 0:
        if _counter(rest):
            return {3: "서너"}.get(a, native(a) + native(b)) + " "
        return sino(a) + sino(b) + " "
    return f"{sino(a)}에서 {m[2]}"


def _number(m: re.Match[str]) -> str:
    sign, raw, unit, space = m[1], m[2], m[3], m[4]
    rest = m.string[m.end():]
    if "." in raw:
        spoken = decimal(raw)
    elif len(raw) > 1 and raw.startswith("0"):
        spoken = digits(raw)
    elif unit:
        spoken = sino(int(raw.replace(",", "")))
    else:
        n = int(raw.replace(",", ""))
        counter = _counter(rest)
        spoken = native(n) if counter else sino(n)
        if n == 1 and counter in ("째", "번째"):
            spoken = "첫"  # 1번째 → 첫 번째
    if sign:
        cold = unit in ("℃", "°C", "°") or rest.lstrip().startswith("도")
        spoken = ("영하 " if cold else "마이너스 ") + spoken
    if unit:
        return f"{spoken} {UNITS[unit]}{space}"
    if _PARTICLE.match(rest):
        return spoken  # 3에 → 삼에 (a particle sticks to its number)
    return f"{spoken} "


def _counter(rest: str) -> str | None:
    rest = rest.lstrip()
    if rest.startswith(_SINO_FIRST):
        return None
    return next((c for c in NATIVE_COUNTERS if rest.startswith(c)), None)


def _latin(m: re.Match[str]) -> str:
    word = m.group(0)
    if word in ABBREVIATIONS:
        return ABBREVIATIONS[word]
    if word.isupper() or len(word) <= 3:
        return "".join(_LETTERS.get(c.upper(), "") for c in word if c.isalpha())
    return word  # a longer English word: left as is (the IPA step drops what it cannot read)
