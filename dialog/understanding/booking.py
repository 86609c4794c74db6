"""What a caller to a reservation line wants, and the booking details they give.

Each parser takes an :class:`Utterance` and returns a :class:`Finding` (value as a string, plus the
caller's words that decided it) or ``None``. Values are plain strings so they can be stored as answers:
party size "4", phone "01012345678", name "김민수", intent "new" / "change" / "cancel".
"""

from __future__ import annotations

import re

from dialog.phone_numbers import national_digits
from dialog.understanding.answers import Finding
from dialog.understanding.numbers import NATIVE, SINO_DIGITS, spoken_digits, value
from dialog.understanding.text import Utterance

# --- intent -------------------------------------------------------------------------------------------

_CANCEL = re.compile(r"취소|캔슬|못갈것같|못가게|못가요|못갈거|안갈게|안가기로|없던걸로|취소할")
_CHANGE = re.compile(r"변경|바꾸|바꿔|바꿀|바꿨|옮기|옮겨|미루|미뤄|당기|당겨|늦추|늦춰|수정|조정|다른날|다른시간|인원(이)?(늘|줄)")
_NEW = re.compile(r"예약|자리|테이블|룸|가능|되나요|될까요|있나요|있어요|할수있|하려|하고싶|잡아|부탁")


def intent(u: Utterance, *, has_details: bool = False) -> Finding | None:
    """'cancel' / 'change' an existing booking, or make a 'new' one. ``has_details`` says the same turn
    named a date, time or party size, which alone means a new booking ("내일 저녁 4명이요")."""
    text = u.compact
    if m := _CANCEL.search(text):
        return Finding("cancel", u.clause_words(u.clause_of(m.start())))
    if m := _CHANGE.search(text):
        return Finding("change", u.clause_words(u.clause_of(m.start())))
    if m := _NEW.search(text):
        return Finding("new", u.clause_words(u.clause_of(m.start())))
    if has_details:
        return Finding("new", u.words())
    return None


# --- which detail to change ----------------------------------------------------------------------------

# A booking detail named without its new value ("시간만 바꿔 주세요", "인원이 틀렸어요", "아니요, 날짜요").
_DETAIL_WORDS = (
    ("date", re.compile(r"날짜|며칠|무슨요일|요일이|요일을|요일은|요일만|날이틀|날을|날로바")),
    ("time", re.compile(r"시간|몇시|시각")),
    ("party_size", re.compile(r"인원|사람수|명수|몇명|몇분이")),
    ("name", re.compile(r"이름|성함|예약자")),
)
_WRONG = re.compile(rf"{_CHANGE.pattern}|틀렸|틀려|틀린|잘못|아니|아뇨|다르|달라|만요|이요$|요$")


def detail_named(u: Utterance) -> Finding | None:
    """Which booking detail the caller wants to change, when they name it but not its new value: 'date',
    'time', 'party_size' or 'name' ("시간만 바꿔 주세요", "아니요, 인원이요"). The first one named wins; a
    detail named only to agree ("네, 시간 맞아요") is not a change."""
    text = u.compact
    named = sorted((m.start(), slot, m) for slot, pattern in _DETAIL_WORDS if (m := pattern.search(text)))
    if not named or not _WRONG.search(text) or re.search(r"맞아|맞습|맞네|맞죠|좋아요|괜찮", text):
        return None
    _, slot, m = named[0]
    return Finding(slot, u.clause_words(u.clause_of(m.start())))


# --- party size ---------------------------------------------------------------------------------------

_COUNTED = re.compile(
    rf"(?P<n>\d{{1,2}}|{NATIVE}|[일이삼사오육칠팔구]|십[일이]?)(?P<unit>명|사람|인(?![가-힣]*[원상])|분(?=[이가도요은만]|$|\|))"
)
_ALONE = re.compile(r"혼자|한명|나혼자|저혼자|저만|나만|1인")
_TOGETHER = re.compile(
    r"(?:(?<![가-힣])|(?<=[에고은는]))(?:단)?(?P<n>둘|셋|넷|다섯|여섯|일곱|여덟|아홉|열)(?=$|\||이|요|서|가|예약|자리)"
    r"|(?P<m>둘|셋|넷|다섯|여섯)(?=이서|이요|이에요|이예요)"
)
_GROUP_WORDS = re.compile(r"어른|성인|아이|애기|아기|어린이|유아|학생|아동|애들|애|꼬마")


def party_size(u: Utterance) -> Finding | None:
    """Number of people: 네 명, 4명, 4인, 두 분, 둘이요, 혼자, and sums ("어른 둘에 아이 하나")."""
    text = u.compact
    counted = [m for m in _COUNTED.finditer(text) if _is_people(m)]
    # A total said outright ("…애들 둘이니까 네 명이요") beats adding up the groups.
    totals = [m for m in counted if not _GROUP_WORDS.search(text[max(0, m.start() - 4) : m.start()])]
    if _GROUP_WORDS.search(text) and not (totals and totals[-1].start() > _GROUP_WORDS.search(text).start()):
        total = _sum_groups(text)
        if total:
            return Finding(str(total), u.words())
    if counted:
        m = _last_or_wanted(counted, text)
        n = value(m.group("n"), prefer="native" if m.group("unit") != "인" else "sino")
        if n:
            return Finding(str(n), u.words(m.start(), m.end()))
    if m := _ALONE.search(text):
        return Finding("1", u.words(m.start(), m.end()))
    if m := _TOGETHER.search(text):
        return Finding(str(value(m.group("n") or m.group("m"))), u.words(m.start(), m.end()))
    return None


def _is_people(m: re.Match[str]) -> bool:
    n, unit = m.group("n"), m.group("unit")
    if unit == "분":  # 두 분 (people) vs 30분 / 삼십 분 (minutes): only native words count people
        return not n.isdigit() and n not in SINO_DIGITS and not n.startswith("십")
    if unit == "인":
        return n.isdigit() or n in SINO_DIGITS or n.startswith("십")
    return True


def _sum_groups(text: str) -> int:
    """어른 둘 아이 하나 → 3; 성인 2명 어린이 1명 → 3."""
    pattern = re.compile(
        rf"(?:{_GROUP_WORDS.pattern})(?:은|는|이|가|도)?(?P<n>\d{{1,2}}|{NATIVE})(?:명|사람|분)?"
    )
    return sum(value(m.group("n")) or 0 for m in pattern.finditer(text))


def _last_or_wanted(matches: list[re.Match[str]], text: str) -> re.Match[str]:
    for m in matches:
        if re.match(r"(?:으로|로)", text[m.end() :]):
            return m
    return matches[-1]


# --- phone number -------------------------------------------------------------------------------------

_DIGIT_RUN = re.compile(rf"[0-9{''.join(SINO_DIGITS)}](?:[0-9{''.join(SINO_DIGITS)}]|(?:에|의|다시|\|)(?=[0-9공영]|[{''.join(SINO_DIGITS)}]{{3}}))+")
_THIS_NUMBER = re.compile(r"(이|지금|거신|건|걸고있는|발신|이걸로|이거로)(번호|전화|폰)|이번호|지금번호|이걸로|이거로")


def phone(u: Utterance, caller_number: str | None = None) -> Finding | None:
    """A Korean phone number (010-1234-5678, 공일공 일이삼사 오육칠팔, 02 123 4567), or the caller's own
    number when they say "이 번호로 해 주세요"."""
    best = None
    for m in _DIGIT_RUN.finditer(u.compact):
        run = m.group()
        for end in (len(run), len(run) - 1) if run.endswith("이") else (len(run),):  # 오육칠팔이요: copula 이
            digits = spoken_digits(re.sub(r"에|의|다시|\|", "", run[:end]))
            if national_digits(digits) == digits:  # a Korean number as dialled, trunk 0 and all
                best = Finding(digits, u.words(m.start(), m.start() + end))
                break
    if best is not None:
        return best
    if caller_number and (m := _THIS_NUMBER.search(u.compact)):
        return Finding(national_digits(caller_number) or caller_number, u.clause_words(u.clause_of(m.start())))
    return None


def spoken_phone(digits: str) -> str:
    """01012345678 → 010-1234-5678 (the synthesiser reads a dashed number digit by digit)."""
    if len(digits) == 11:
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    if digits.startswith("02"):
        return f"02-{digits[2:-4]}-{digits[-4:]}"
    return f"{digits[:3]}-{digits[3:-4]}-{digits[-4:]}"


# --- name ---------------------------------------------------------------------------------------------

_NAME_LEAD = re.compile(
    r"^(?:네|예(?!약)|음|어|아)?(?:(?:제|저의|내)?(?:이름|성함|예약자명|예약자|성명)(?:은|는|이|가)?)?(?:저는|전|나는)?"
)
_NAME_TAIL = re.compile(
    r"(?:이라고|라고)?(?:합니다|해요|하고요|해주세요|해줘요)$|(?:으로|로)(?:해|예약|부탁|하|요).*$|"
    r"(?:이에요|예요|이에여|입니다|이요|인데요|인데|이고요|씨|님|요)$"
)
_NOT_A_NAME = re.compile(r"[0-9]|시$|시반|혼자|주말|오늘|내일|모레|요일|명$|예약|전화|번호|시간|사람|네|아니|몰라|글쎄|그런데|여보세요|잠깐|뭐|누구|취소|변경|자리|인원|날짜|이름|성함")
_NAMING = re.compile(r"(?:으로|로)(?:해|예약|부탁|하)|입니다|이에요|예요|이라고|라고")  # "…(으)로 해 주세요", "…입니다"
_SURNAMES = set("김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구민진나지엄채원천방공현함변염여추도소석선설마길연위표명기반라왕금옥육인맹제모탁국어은편용")


def name(u: Utterance) -> Finding | None:
    """The name a booking is made under ("김민수요", "제 이름은 이영희입니다", "박철수로 해 주세요");
    of several clauses ("정 씨요, 정하늘이요") the last one that is a name."""
    clauses = u.compact.split("|")
    if len(clauses) > 1:
        for clause in reversed(clauses):
            if found := name(Utterance(clause)):
                return Finding(found.value, u.words())
        return None
    text = u.compact
    text = _NAME_LEAD.sub("", text, count=1)
    for _ in range(3):
        text = _NAME_TAIL.sub("", text)
    if _NOT_A_NAME.search(text):
        return None
    if re.fullmatch(r"[가-힣]{5,7}", text) and text[-3] in _SURNAMES and _NAMING.search(u.compact) and not (
        _GROUP_WORDS.search(text)
    ):
        # "예압찬은 조수빈으로 해 주세요": the lead-in misheard; the last three syllables from a surname on
        # are the name, a guess to say back.
        return Finding(text[-3:], u.words(), guessed=True)
    if not re.fullmatch(r"[가-힣]{2,4}", text):
        return None
    if len(text) == 4 and text[0] not in _SURNAMES:
        return None
    return Finding(text, u.words())
