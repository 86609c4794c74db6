"""Keyword matching with negation scope, shared by the answer and symptom rules."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from dialog.understanding.text import Span, Utterance

# Negation right after a keyword ("열은 없어요", "기침은 안 해요", "아프지 않아요", "넘어진 적 없어요")…
_NEG_AFTER = re.compile(r"^.{0,3}?(없|않|아니|괜찮|안(?!멈|나아|낫|떨어|가라|쉬어|내려|그쳐))")
# …or right before it ("안 아파요", "하나도 안 어지러워요").
_NEG_BEFORE = re.compile(r"(안|않)$")
# The scope of a negation after a keyword ends at a causal "-서" ("열이 나서 밥을 안 먹었어요").
_SCOPE_END = re.compile(r"서")


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    clause: Span
    negated: bool


def negated_at(u: Utterance, start: int, end: int) -> bool:
    clause = u.clause_of(start)
    text = u.compact
    before = text[clause.start : start]
    after = text[end : clause.end][:7]
    cut = _SCOPE_END.search(after)
    if cut:
        after = after[: cut.start()]
    return bool(_NEG_BEFORE.search(before) or _NEG_AFTER.search(after))


def mentions(u: Utterance, pattern: re.Pattern[str]) -> Iterator[Mention]:
    for m in pattern.finditer(u.compact):
        yield Mention(m.start(), m.end(), u.clause_of(m.start()), negated_at(u, m.start(), m.end()))


def first(u: Utterance, pattern: re.Pattern[str], *, negated: bool | None = None) -> Mention | None:
    """The first mention of ``pattern``; with ``negated`` given, the first with that polarity."""
    for m in mentions(u, pattern):
        if negated is None or m.negated == negated:
            return m
    return None


def search(u: Utterance, pattern: re.Pattern[str]) -> re.Match[str] | None:
    return pattern.search(u.compact)
