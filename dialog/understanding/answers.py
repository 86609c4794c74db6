"""What the person answered to each question: one small rule set per answer type.

Every parser takes an :class:`Utterance` and returns a :class:`Finding` (value + the caller's words that
decided it) or ``None`` when the answer is unclear. ``strict=True`` is used when the text answers a
*different* question ("밥은 먹었는데 잠을 못 잤어" asked about meals also tells us about sleep): then the
topic word itself (밥, 잠, 약, 기분 …) must be in the clause, and a bare "네" means nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dialog.understanding.matching import Mention, first
from dialog.understanding.symptoms import denied_symptoms, find_symptoms, is_severe, temperature
from dialog.understanding.text import Utterance


@dataclass(frozen=True)
class Finding:
    value: str
    evidence: str
    guessed: bool = False  # read from part of a garbled phrase: worth saying back (a state's `read_back`)


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


# --- yes / no ---------------------------------------------------------------------------------------

_YES = _re(
    r"^(네|예(?!전)|응|넵|넹|녜|내(?![가일려용게])|그럼|그렇|그래|맞아|맞습|맞죠|맞네|맞는|물론|당연|있어|"
    r"그러믄|그람|암요|옙|괜찮)"
)
_NO = _re(r"^(아니|아뇨|아녀|안이|아닙|노|ㄴㄴ|없어|없습|안했|못했)")
_HEDGE = _re(r"글쎄|모르겠|잘모르|몰라|기억이안|헷갈")


def yes_no(u: Utterance) -> Finding | None:
    """'yes' / 'no' from how the turn starts ("네 …", "아니요 …"); hedges ("글쎄요") are neither."""
    text = u.compact.lstrip("|")
    if _HEDGE.search(text):
        return None
    for prefix in ("아", "어", "음", "그", "저"):  # fillers before the answer: "아 네", "음 아니요"
        if text.startswith(prefix) and (_YES.match(text[1:]) or _NO.match(text[1:])) and not _NO.match(text):
            text = text[1:]
            break
    if _NO.match(text):
        return Finding("no", u.words())
    if _YES.match(text):
        return Finding("yes", u.words())
    return None


def after_yes_no(u: Utterance) -> Utterance | None:
    """The words after a leading 네 / 아니요 ("아니요, 일곱 시요" → "일곱 시요"), or None if there are none."""
    m = re.match(r"^\|?(?:아니요|아니오|아뇨|아니|네|예|응)\|?", u.compact)
    if m is None or m.end() >= len(u.compact):
        return None
    return Utterance(u.words(m.end()))


def is_hedge(u: Utterance) -> bool:
    return bool(_HEDGE.search(u.compact))


# --- identity ---------------------------------------------------------------------------------------

_BUSY = _re(r"바빠|바쁘|바뻐|나중에|이따|다음에|다시전화|운전중|운전하|회의중|일하는중|통화하기어렵|지금안돼|지금은좀|지금곤란")
_IS_ME = _re(r"맞아|맞습|맞는데|맞죠|접니다|전데요|저예요|저에요|저요|제가|본인|말씀하세요|그런데요|그렇습니다")
_NOT_ME = _re(r"아닌데|아니에요|아닙니다|아니요|아뇨|아니|잘못거|잘못걸|잘못하셨|그런사람|그런분|안계|없는데|모르는")


def identity(u: Utterance) -> Finding | None:
    """'busy' (call back later) / 'confirmed' / 'wrong_person' for "김영수 님 맞으세요?"."""
    if m := _BUSY.search(u.compact):
        return Finding("busy", u.clause_words(u.clause_of(m.start())))
    is_me = _IS_ME.search(u.compact)
    if is_me and not re.search(r"안맞|맞지않|아닌데|잘못", u.compact):
        return Finding("confirmed", u.words())
    if _NOT_ME.search(u.compact):
        return Finding("wrong_person", u.words())
    answer = yes_no(u)
    if answer:
        return Finding("confirmed" if answer.value == "yes" else "wrong_person", answer.evidence)
    return None


# --- meal ---------------------------------------------------------------------------------------------

_MEAL_TOPIC = _re(r"밥|식사|끼니|진지|아침|점심|저녁|국|죽|라면|반찬|빵|입맛")
_EAT = _re(r"먹었|먹어|먹긴|먹고|먹$|드셨|드렸|챙겨먹|때웠|해먹|먹음|묵었|묵어|무웄")  # 묵었다: dialect
_NOT_EATEN = _re(r"(안|못)(먹|챙|드)|먹지(않|못|도않|는않|를않|를못)|굶|걸렀|거렀|거르|걸러")
_PROBABLY_NOT_EATEN = _re(r"입맛이?없|아직|생각이없|밥맛이?없")


def meal(u: Utterance, strict: bool = False) -> Finding | None:
    for clause in u.clauses:
        text = u.clause_text(clause)
        if "약" in text or (strict and not _MEAL_TOPIC.search(text)):
            continue
        if _NOT_EATEN.search(text):
            return Finding("skipped", u.clause_words(clause))
        if _EAT.search(text):
            return Finding("eaten", u.clause_words(clause))
        if _PROBABLY_NOT_EATEN.search(text):
            return Finding("skipped", u.clause_words(clause))
    if strict:
        return None
    answer = yes_no(u)
    if answer:
        return Finding("eaten" if answer.value == "yes" else "skipped", answer.evidence)
    return None


# --- sleep --------------------------------------------------------------------------------------------

_SLEEP_TOPIC = _re(r"잠|잤|주무|자[고는지다요]|잘자|푹|깼|깨|설쳤|뒤척|불면")
_SLEPT_BADLY = _re(
    r"(안|못)(잤|자|주무|잠)|잠(을|이|도)?(못|안|설|없)|설쳤|설쳐|뒤척|깼|깨서|깨요|자꾸깨|한숨도|불면|자지(않|못)|새벽에"
)
_SLEPT_WELL = _re(r"잘잤|잘자|푹|잘주무|숙면|잤어|잤습|잤지|잤네|잘잔|잠을잘|잠은잘|잘잠|괜찮")


def sleep(u: Utterance, strict: bool = False) -> Finding | None:
    for clause in u.clauses:
        text = u.clause_text(clause)
        if strict and not _SLEEP_TOPIC.search(text):
            continue
        if _SLEPT_BADLY.search(text):
            return Finding("poor", u.clause_words(clause))
        if _SLEPT_WELL.search(text) and (not strict or re.search(r"잠|잤|주무|푹", text)):
            return Finding("good", u.clause_words(clause))
    if strict:
        return None
    answer = yes_no(u)
    if answer:
        return Finding("good" if answer.value == "yes" else "poor", answer.evidence)
    return None


# --- health -------------------------------------------------------------------------------------------

_WELL = _re(r"괜찮|건강|멀쩡|튼튼|별일없|별일이없|이상없|아픈데없|아픈곳없|없어|없습|좋아|좋습|좋은|문제없|다나았")
_UNWELL = _re(r"(안|별로)좋|좋지않|편찮|불편|힘들|기운(이)?없|힘이없|컨디션|감기|몸살|안좋|아프|아파|병원")


def health(u: Utterance) -> Finding | None:
    """'unwell' when a symptom is named or the person says they are unwell, 'well' when they say they
    are fine. Symptoms themselves come from :func:`find_symptoms`."""
    symptoms = find_symptoms(u)
    if symptoms:
        return Finding("unwell", symptoms[0].evidence)
    if m := first(u, _UNWELL, negated=False):
        if not re.search(r"아프|아파", u.compact[m.start : m.end]):  # a negated pain word means well
            return Finding("unwell", u.clause_words(m.clause))
    if m := first(u, _WELL):
        return Finding("well", u.clause_words(m.clause))
    if first(u, _UNWELL, negated=True) or denied_symptoms(u):
        return Finding("well", u.words())
    answer = yes_no(u)
    if answer:
        return Finding("well" if answer.value == "yes" else "unwell", answer.evidence)
    return None


# --- medication ---------------------------------------------------------------------------------------

_NO_MEDICINE = _re(
    r"(먹는|드시는|먹을|드는)약(이|은|도)?없|약(이|은|도)?(따로|원래)?없|약(을|은)?(안|따로안)먹(어요|어|습|는)(?!었)|"
    r"약안먹어(?!었)|약을?안써"
)
_MISSED = _re(r"(안|못)(먹|챙|드)|먹지(않|못)|깜빡|깜박|잊어|잊었|잊고|까먹|까묵|아직|걸렀|빼먹|거르|놓쳤")
_TAKEN = _re(r"먹었|먹어|드셨|챙겨|챙겼|복용|먹고있|잘먹|약[도은을]먹|묵었")


def medication(u: Utterance, strict: bool = False) -> Finding | None:
    if m := _NO_MEDICINE.search(u.compact):
        return Finding("none", u.clause_words(u.clause_of(m.start())))
    for clause in u.clauses:
        text = u.clause_text(clause)
        if strict and "약" not in text:
            continue
        if _MISSED.search(text):
            return Finding("missed", u.clause_words(clause))
        if _TAKEN.search(text):
            return Finding("taken", u.clause_words(clause))
    if strict:
        return None
    answer = yes_no(u)
    if answer:
        return Finding("taken" if answer.value == "yes" else "missed", answer.evidence)
    return None


# --- mood ---------------------------------------------------------------------------------------------

_MOOD_TOPIC = _re(r"기분|마음|우울|외로|외롭|쓸쓸|적적|슬퍼|슬프|울적|행복|즐거")
_SO_SO = _re(r"그저그|그냥그|그럭저럭|그냥저냥|보통|그냥요|글쎄|나쁘지않|나쁘진않|그저|별로$|별로요|그렇지뭐|뭐그냥")
_LOW = _re(
    r"우울|외로|외롭|쓸쓸|적적|슬퍼|슬프|울적|속상|힘들|힘드|괴로|서글|허전|짜증|불안|눈물|막막|심란|기분이?나빠|나빠요|가라앉|재미가?없|의욕이없|낙이없|사는게힘"
)
_GOOD = _re(r"좋아|좋습|좋네|좋은|좋죠|좋지|좋아요|괜찮|행복|즐거|기뻐|기쁘|최고|편안|편해|신나|상쾌|든든")


def mood(u: Utterance, strict: bool = False) -> Finding | None:
    if strict and not _MOOD_TOPIC.search(u.compact):
        return None
    if m := _SO_SO.search(u.compact):
        return Finding("so_so", u.clause_words(u.clause_of(m.start())))
    if m := first(u, _LOW, negated=False):
        return Finding("low", u.clause_words(m.clause))
    if m := first(u, _GOOD, negated=True):  # "안 좋아요", "좋지 않아요"
        return Finding("low", u.clause_words(m.clause))
    if m := first(u, _GOOD, negated=False):
        return Finding("good", u.clause_words(m.clause))
    if m := first(u, _LOW, negated=True):  # "외롭지 않아요", "안 우울해요"
        return Finding("good", u.clause_words(m.clause))
    if strict:
        return None
    answer = yes_no(u)
    if answer:
        return Finding("good" if answer.value == "yes" else "low", answer.evidence)
    return None


# --- follow-ups ---------------------------------------------------------------------------------------

_NOT_HURT = _re(r"안다쳤|다친데(는|가)?없|괜찮|멀쩡|다행|안아파|아프진않|아프지않|없어|없습")
_HURT = _re(r"다쳤|다치|아프|아파|아픈|멍|부었|붓|까졌|피가|피나|삐었|삐끗|결려|쑤셔|욱신")


def injury(u: Utterance) -> Finding | None:
    """After a fall: 'severe' / 'hurt' / 'not_hurt' ("많이 다치셨어요?")."""
    if is_severe(u) and not re.search(r"많이(는|도)?안|별로|안다쳤", u.compact):
        return Finding("severe", u.words())
    if m := first(u, _HURT, negated=False):
        return Finding("hurt", u.clause_words(m.clause))
    if _NOT_HURT.search(u.compact) or first(u, _HURT, negated=True):
        return Finding("not_hurt", u.words())
    answer = yes_no(u)
    if answer:
        return Finding("hurt" if answer.value == "yes" else "not_hurt", answer.evidence)
    return None


_MILD = _re(r"조금|좀|약간|살짝|별로|괜찮|참을만|견딜만|미열|그냥|가끔")


def severity(u: Utterance) -> Finding | None:
    """How bad a symptom is: 'severe' / 'mild' ("열이 많이 나세요?", "얼마나 아프세요?")."""
    degrees = temperature(u)
    if degrees is not None:
        return Finding("severe" if degrees >= 38.5 else "mild", u.words())
    if is_severe(u) and not re.search(r"(많이|너무|심하게?)(안|는안|는않)", u.compact):
        return Finding("severe", u.words())
    if _MILD.search(u.compact) or find_symptoms(u):
        return Finding("mild", u.words())
    answer = yes_no(u)
    if answer:
        return Finding("severe" if answer.value == "yes" else "mild", answer.evidence)
    return None


def choice(u: Utterance, choices: dict[str, list[str]]) -> Finding | None:
    """An operator-defined answer: the first value one of whose words is said (not negated). Values named
    "yes"/"no" also take a plain 네/아니요."""
    best: tuple[int, str, Mention] | None = None
    for value, words in choices.items():
        for word in words:
            compact = re.sub(r"\s+", "", word)
            if not compact:
                continue
            m = first(u, re.compile(re.escape(compact)), negated=False)
            if m is not None and (best is None or m.start < best[0]):
                best = (m.start, value, m)
    if best is not None:
        return Finding(best[1], u.clause_words(best[2].clause))
    answer = yes_no(u)
    if answer and answer.value in choices:
        return answer
    return None


def yes_no_answer(u: Utterance) -> Finding | None:
    """A yes/no question where a symptom or its denial may replace the "네"/"아니요"."""
    answer = yes_no(u)
    if answer:
        return answer
    if re.search(r"그래요|그래|여전|아직도|계속|지금도", u.compact):
        return Finding("yes", u.words())
    if re.search(r"괜찮|없어|나았|멀쩡|지금은안|이제안", u.compact):
        return Finding("no", u.words())
    if find_symptoms(u):
        return Finding("yes", u.words())
    return None


_NOTHING = _re(r"^(없|아니|아뇨|됐|괜찮|없습|그런거없|별로없|딱히|특별히|그게다|다했|그만|할말없|네없|예없|그냥없|끝|고마|감사)")
_THANKS_AT_END = _re(r"(?:\|?(?:고마워|고맙|감사)[가-힣]{0,4})+\|?$")  # Whisper may repeat it: "고마워요 고마워요"
_FILLER_WORD = _re(r"^(?:네|예|응|음|어|아|으|그|저|뭐|에)+[.,?!~…]*$")
_SYLLABLE = _re(r"[가-힣]")


def says_words(u: Utterance) -> bool:
    """Are there enough real words here to keep as the caller's own (a note, a request)? Whisper on a phone
    line turns a short "없어요. 고마워요." into one garbled token ("소요"); such a scrap is unclear, never
    the caller's words. Fillers and a leading 네 do not count; a symptom named counts whatever its length."""
    words = [w for w in u.raw.split() if not _FILLER_WORD.match(w)]
    syllables = sum(len(_SYLLABLE.findall(w)) for w in words)
    return syllables >= 4 or (syllables >= 3 and len(words) >= 2) or bool(find_symptoms(u))


def anything_else(u: Utterance) -> Finding | None:
    """'nothing' or 'note' (free text kept verbatim) for "더 하실 말씀 있으세요?"; None when unclear (a
    bare "네", a hedge, or too little to be words: see :func:`says_words`)."""
    text = u.compact.lstrip("|")
    if _NOTHING.match(text) or re.match(r"^(네|예|응)?(없|아니|괜찮|됐)", text) or re.search(r"(없어|없습|없네)[요다]?$", text):
        return Finding("nothing", u.words())
    thanks = _THANKS_AT_END.search(text)
    if thanks and thanks.start() and not says_words(Utterance(u.words(0, thanks.start()))):
        return Finding("nothing", u.words())  # "없어요, 고마워요" misheard: "옳어요 고마워요", "어때요? 고마워요 고마워요"
    if yes_no(u) and len(text.replace("|", "")) <= 3:  # a bare "네": they have something; ask again
        return None
    if is_hedge(u) and len(text) <= 6:
        return None
    if not says_words(u):
        return None
    return Finding("note", u.raw.strip())
