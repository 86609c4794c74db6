"""Rules checked on every caller turn, whatever was asked: safety first.

Self-harm wording is matched even when hedged or negated ("죽고 싶진 않은데…"): a false alarm costs a
human call-back, a miss can cost a life. Idioms such as "더워 죽겠어요" are not matched.
"""

from __future__ import annotations

import re

from dialog.understanding.answers import Finding
from dialog.understanding.matching import first
from dialog.understanding.text import Utterance

_SELF_HARM = re.compile(
    r"죽고싶|죽고십|죽구싶|죽고만싶|살기싫|살고싶지않|살고싶지가않|살기가싫|더살고싶지|없어지고싶|사라지고싶|"
    r"안깼으면|안깨어났으면|깨지않았으면|깨어나지않았으면|눈을안떴으면|안일어났으면|자다가죽|죽었으면좋|데려갔으면|"
    r"죽어버리|죽어야지|죽을까|죽는게나|죽는게낫|자살|그만살|목숨을끊|세상을떠나고|끝내고싶|뛰어내리"
)
_EMERGENCY = re.compile(
    r"도와주세요|도와줘|살려주|살려줘|쓰러질것같|쓰러질거같|쓰러지겠|119|구급차|응급실|숨을못쉬|숨이안쉬어|숨을쉴수가없|"
    r"숨이막혀죽|못일어나겠|못일어나요|일어날수가없|가슴이너무아파|피가많이|의식이"
)
_CALL_BACK = re.compile(r"바빠|바쁘|바뻐|나중에(다시)?전화|이따(가)?(다시)?전화|다시전화|끊을게|끊어야|끊어요|통화하기어렵|운전중")
_CONFUSION = re.compile(r"지금이(?:아침|저녁|밤|낮)이|우리집이맞|여기가우리집|여기가어디|내가누구|오늘이며칠|지금이몇시|무슨날|기억이안나|기억이안|깜빡깜빡|정신이없|누구시더라")
# Asking for a person instead of the agent: a person word, then talking to them or being put through.
_PERSON = r"(?:진짜사람|사람|상담원|상담사|상담직원|직원|담당자|담당선생님|담당복지사|선생님|복지사|관리자|매니저)"
_ASK_PERSON = re.compile(
    _PERSON + r"(?:분|님)?(?:이랑|하고|과|와|한테|에게|을|를|으로|로|이|가)?(?:좀|한번|직접)?"
    r"(?:통화|얘기|이야기|말하|대화|바꿔|바꾸|연결|돌려)"
    r"|상담원|기계(?:말고|아니고|랑말고)|로봇(?:말고|아니고|이랑말고)|사람(?:이)?(?:랑|하고)?(?:말하고|얘기하고|통화하고)싶"
)
_LONELY = re.compile(r"외로|외롭|쓸쓸|적적|혼자라|혼자서|혼자있|말할사람|얘기할사람|이야기할사람|보고싶|찾아오는사람")


def _hit(u: Utterance, pattern: re.Pattern[str]) -> Finding | None:
    m = pattern.search(u.compact)
    return Finding(m.group(), u.clause_words(u.clause_of(m.start()))) if m else None


def self_harm(u: Utterance) -> Finding | None:
    return _hit(u, _SELF_HARM)


def emergency(u: Utterance) -> Finding | None:
    return _hit(u, _EMERGENCY)


def call_back(u: Utterance) -> Finding | None:
    """A clear "call me later" in the middle of the call (identity has its own, broader rule)."""
    return _hit(u, _CALL_BACK)


def asks_for_person(u: Utterance) -> Finding | None:
    """The caller wants a person ("사람이랑 통화하고 싶어요", "상담원 바꿔 주세요", "직원 연결해 주세요"), unless
    they say they do not ("상담원 연결은 안 해도 돼요")."""
    m = first(u, _ASK_PERSON, negated=False)
    if m is None:
        return None
    return Finding(u.compact[m.start : m.end], u.words())


def confusion(u: Utterance) -> Finding | None:
    return _hit(u, _CONFUSION)


def loneliness(u: Utterance) -> Finding | None:
    """Loneliness words, unless negated ("외롭지 않아요"). "혼자" alone is not enough: many live alone."""
    m = first(u, _LONELY, negated=False)
    if m is None:
        return None
    text = u.compact[m.start : m.end]
    if text.startswith("혼자") and not re.search(r"외로|외롭|쓸쓸|적적|심심|무섭|서럽|힘들", u.compact):
        return None
    return Finding(text, u.clause_words(m.clause))
