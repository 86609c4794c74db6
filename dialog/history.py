"""What earlier calls to the same person say about this one: memory and history-aware risk rules.

The agent hands a session the person's previous calls (records from the store, or plain dicts with
``answers``, ``flags``, ``outcome`` and ``started_at``). From them the session can follow up on what was
said last time ("지난번에 무릎이 아프시다고 하셨는데…") and raise flags no single call shows: a mood worse
than the person's own recent calls, low mood call after call, a symptom that persists, calls that keep
going unanswered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

UNANSWERED = frozenset({"no_response", "no_answer", "busy", "failed", "unanswered", "voicemail"})
MOOD_SCORE = {"good": 2, "so_so": 1, "low": 0}
RECENT = 3  # how many earlier answered calls the trend rules look at


@dataclass(frozen=True)
class PastCall:
    when: datetime | None
    outcome: str | None
    answers: dict[str, Any]
    flags: tuple[str, ...] = ()

    @property
    def answered(self) -> bool:
        return self.outcome not in UNANSWERED


def past_calls(history: Iterable[Any] | None) -> list[PastCall]:
    """Earlier calls, oldest first, from store records or dicts (unknown shapes are skipped)."""
    calls = []
    for item in history or ():
        if not isinstance(item, dict) and not hasattr(item, "answers"):
            continue
        get = item.get if isinstance(item, dict) else lambda key, default=None, o=item: getattr(o, key, default)
        answers = get("answers") or {}
        if not isinstance(answers, dict):
            continue
        flags = tuple(
            f if isinstance(f, str) else (f.get("rule") if isinstance(f, dict) else getattr(f, "rule", ""))
            for f in get("flags") or ()
        )
        calls.append(PastCall(get("started_at") or get("when"), get("outcome"), answers, flags))
    if all(c.when is not None for c in calls):
        calls.sort(key=lambda c: c.when)
    return calls


def unanswered_streak(past: list[PastCall]) -> int:
    """How many of the latest calls in a row went unanswered."""
    streak = 0
    for call in reversed(past):
        if call.answered:
            break
        streak += 1
    return streak


def last_answered(past: list[PastCall]) -> PastCall | None:
    return next((c for c in reversed(past) if c.answered), None)


def mood_trend(current: str | None, past: list[PastCall]) -> str | None:
    """'persisting' when this call and the two answered calls before it were all low; 'worse' when this
    call's mood is clearly below the person's own recent average. None otherwise."""
    if current not in MOOD_SCORE:
        return None
    recent = [c.answers["mood"] for c in past if c.answered and c.answers.get("mood") in MOOD_SCORE][-RECENT:]
    if current == "low" and len(recent) >= 2 and recent[-2:] == ["low", "low"]:
        return "persisting"
    if len(recent) >= 2:
        average = sum(MOOD_SCORE[m] for m in recent) / len(recent)
        if MOOD_SCORE[current] <= average - 1:
            return "worse"
    return None


def persisting_symptoms(current: list[str], past: list[PastCall]) -> dict[str, int]:
    """Symptoms named in this call and in the answered call(s) just before it: symptom → calls in a row."""
    answered = [c for c in past if c.answered]
    out = {}
    for symptom in current:
        count = 1
        for call in reversed(answered):
            if symptom not in (call.answers.get("symptoms") or ()):
                break
            count += 1
        if count >= 2:
            out[symptom] = count
    return out


def subject(word: str) -> str:
    """무릎 → 무릎이, 허리 → 허리가 (the subject particle by the final consonant)."""
    last = word[-1] if word else ""
    has_final = "가" <= last <= "힣" and (ord(last) - 0xAC00) % 28 != 0
    return f"{word}{'이' if has_final else '가'}"
