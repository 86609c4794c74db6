"""What the caller says about the call itself, in any question: who is calling ("누구세요?", "AI예요?") and that
they want no more calls ("이제 전화하지 마세요").

A wanted stop is confirmed before it is stored, so the rule leans to hearing it: "아들이 전화를 안 해서" (someone
else not calling) and "전화 주셔서 고마워요" are not it, and a false hit costs one question ("앞으로 전화를 드리지
않을까요?" — "아니요").
"""

from __future__ import annotations

import re

from dialog.understanding.answers import Finding
from dialog.understanding.text import Utterance

# Who is calling: the caller's question, not the word (누구 in "누구랑 사세요" is not asked of us); "누구시더라"
# is confusion (dialog/understanding/risk.py), not this; "그 사람 맞아요" answers who they are, not who we are.
_WHO = re.compile(
    r"누구(?:세요|신가요|신데|시죠|십니까|시라고|시라구|시오|예요|에요|야|냐|지|요|인데|신지|시길래)(?!더라)|누군데|누군지|누구시냐"
    r"|(?<!여기가)(?<!여기)어디(?:세요|신가요|신데|시죠|시라고|예요|에요|야|냐)"
    r"|어디(?:서|에서)(?:전화|걸|거셨|연락|왔|오셨|하는|나오)|무슨전화|뭔전화|웬전화|무슨일로전화|뭐하는(?:곳|데|분|사람|전화)"
    r"|어느(?:기관|곳|회사|단체|센터)"
    r"|(?:^|[^a-z])ai(?:$|[^a-z])|에이아이|인공지능|로봇(?:이|인|이에|이야|이냐|이세|같|아니)|기계(?:예요|에요|야|냐|인|이|목소리|같|아니)"
    r"|자동(?:으로|응답|전화)|사람(?:이세요|인가요|이신가|이냐)|진짜사람"
    r"|녹음(?:돼|되|하|중|해|을|이)"
)

_CALL = r"(?:전화|연락)(?:를|는|은|도|좀|이제|는이제)?"
# The stop itself, said to us: "전화 안 하셨으면", "전화하지 마세요", "그만 전화해요", "전화 받기 싫어요", "수신 거부".
_STOP = re.compile(
    _CALL + r"(?:하지마|하지말|주지마|주지말|걸지마|걸지말|그만|사양|필요없|싫|받기싫|받고싶지않|안받고싶|안받을래|안받겠"
    r"|안하셨으면|안했으면|안주셨으면|안줬으면|안하면좋|안하셔도|안해도|안주셔도|안줘도|안거셔도|안걸어도|안하셨음|안했음"
    r"|오지않았으면|안왔으면)"
    r"|그만(?:좀)?(?:전화|연락|걸)|(?:이제|앞으로|다시는|더이상|더는)(?:는)?(?:전화|연락)(?:하지|주지|걸지|안하|안주|안걸|그만|필요)"
    r"|수신거부|수신을거부|전화거부|연락거부"
)


def _hit(u: Utterance, pattern: re.Pattern[str]) -> Finding | None:
    m = pattern.search(u.compact)
    return Finding(m.group(), u.words()) if m else None


def asks_who(u: Utterance) -> Finding | None:
    """The caller asks who is calling, from where, whether we are a machine or whether the call is recorded."""
    return _hit(u, _WHO)


def wants_no_calls(u: Utterance) -> Finding | None:
    """The caller wants no more calls from us (the evidence is the whole turn: it is stored as the reason)."""
    return _hit(u, _STOP)
