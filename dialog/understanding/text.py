"""Caller text as the rules see it.

Whisper on 8 kHz phone audio drops or adds spaces, mishears syllables ("곤창수입니다" for 괜찮습니다) and
mixes digits with number words. The rules therefore work on a *compact* form: Hangul, digits and latin
letters only, spaces removed, punctuation turned into a clause boundary ``|``, and a few known near-miss
spellings repaired. Every repair keeps the length of what it replaces, so each compact position still maps
back to the caller's own words (flag evidence quotes the caller, not our repaired text).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property

BOUNDARY = "|"
_KEEP = re.compile(r"[가-힣0-9a-z]")
_PUNCT = re.compile(r"[,.?!~…;:·\n/]")

# (pattern, replacement) pairs; each replacement is exactly as long as every string its pattern matches.
_FIXES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"곤창|괜창|괸찮|갠찮|궨찮|괜찬|괜잖|괜챦|곤찮|관찮|괸잖|갠찬|겐찮|괜잔|권찬|권찮|곤찬"), "괜찮"),
    (re.compile(r"머거써|먹어써|머거서"), "먹었어"),
    (re.compile(r"먹엇|머것|먹얻|머겄"), "먹었"),
    (re.compile(r"자써|잣어|잗어"), "잤어"),
    (re.compile(r"여리(?=[나났있])|요리(?=[나났있])"), "열이"),  # 열이 나고 → "요리 나고"
    (re.compile(r"기치미"), "기침이"),
    (re.compile(r"수미(?=[차막])"), "숨이"),
    (re.compile(r"너머(?=[졌져지진저])"), "넘어"),
    (re.compile(r"넘어저"), "넘어져"),
    (re.compile(r"넘어뒀|넘어줬|넘어됐|넘어졋|넘어젔"), "넘어졌"),  # 넘어져서 heard as "넘어뒀어"
    (re.compile(r"우룰"), "우울"),
    (re.compile(r"^앞서요$|^업서요$|^엄서요$|^압서요$"), "없어요"),  # a lone "없어요" misheard
    (re.compile(r"웨로|왜로"), "외로"),
    (re.compile(r"웨롭|왜롭"), "외롭"),
    (re.compile(r"일일구|일일9"), "119"),
    (re.compile(r"어지르(?=워|와)"), "어지러"),
    (re.compile(r"누명(?=예약|이요|이에요|요|$|\||자리|가능)"), "두명"),  # "두 명 예약" heard as "누명 예약"
    (re.compile(r"노구(?=세요|세여|신데|신가|시죠|시라)"), "누구"),  # "누구세요?" heard as "노구세요" (not a 노 = no)
    (re.compile(r"점화|전와|정화(?=안하|하지마|하지말)"), "전화"),  # "이제 전화 안 하셨으면" heard as "이제 점화(정화) 안…"
)

# Where one clause ends inside a compact sentence: punctuation, "-는데/-은데/-ㄴ데" (but not the noun
# 데 "place" in "아픈 데는 없어요"), "-지만", and the
# connective "-고" (but not in 사고/최고/보고싶다 …, nor "-고 싶다", nor the nouns 고장/고생/고혈압 …).
_CLAUSE_SPLIT = re.compile(r"\||[는은]데|(?<=[픈한린진운된난인간른])데(?![는가도요없])|지만|(?<=[가-힣])(?<![사최학광참보창경])고(?!싶|장|맙|마워|생|민|향|혈|구마|추|양|개|모|통|급)(?=[가-힣])")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


class Utterance:
    """One caller turn: the raw ASR text plus its compact form and clause spans."""

    def __init__(self, raw: str | None):
        self.raw = raw or ""
        chars: list[str] = []
        index: list[int] = []
        text = unicodedata.normalize("NFC", self.raw).lower()
        for i, ch in enumerate(text):
            decimal_point = ch == "." and 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()
            if _KEEP.match(ch) or decimal_point:
                chars.append(ch)
                index.append(i)
            elif _PUNCT.match(ch) and chars and chars[-1] != BOUNDARY:
                chars.append(BOUNDARY)
                index.append(i)
        while chars and chars[-1] == BOUNDARY:
            chars.pop()
            index.pop()
        self._text = text
        compact = "".join(chars)
        heard = compact
        for pattern, repl in _FIXES:
            compact = pattern.sub(lambda m, r=repl: r if len(r) == len(m.group()) else m.group(), compact)
        self.compact = compact
        self.repaired = compact != heard  # a near miss was read as the word it resembles: a guess
        self._index = index

    @property
    def empty(self) -> bool:
        return not self.compact.strip(BOUNDARY)

    @cached_property
    def clauses(self) -> list[Span]:
        spans, start = [], 0
        for m in _CLAUSE_SPLIT.finditer(self.compact):
            if m.start() > start:
                spans.append(Span(start, m.start()))
            start = m.end()
        if start < len(self.compact):
            spans.append(Span(start, len(self.compact)))
        return spans

    def clause_text(self, span: Span) -> str:
        return self.compact[span.start : span.end]

    def words(self, start: int = 0, end: int | None = None) -> str:
        """The caller's own words covering compact positions ``[start, end)``."""
        end = len(self.compact) if end is None else end
        if not self._index or start >= end:
            return self._text.strip()
        lo, hi = self._index[start], self._index[end - 1] + 1
        return self._text[lo:hi].strip(" ,.?!~…")

    def clause_words(self, span: Span) -> str:
        return self.words(span.start, span.end)

    def clause_of(self, pos: int) -> Span:
        for span in self.clauses:
            if span.start <= pos < span.end:
                return span
        return Span(0, len(self.compact))


# "…아 아니 …", "…아니다 …", "…잘못 말했어요 …": what follows corrects what came before.
_CORRECTION = re.compile(
    r"아니아니|(?<=[가-힣|])[아어]\|?아니|(?<=\|)아니(?:요)?|아니다|아니지|정정|잘못말|다시말하면|아니고|그래도"
)


def correction_tail(u: Utterance) -> Utterance | None:
    """The words after the caller's last self-correction, or None if they did not correct themselves."""
    last = None
    for m in _CORRECTION.finditer(u.compact):
        if m.start() > 0:
            last = m
    if last is None:
        return None
    tail = u.words(last.end(), len(u.compact))
    return Utterance(tail) if tail else None
