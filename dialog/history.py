"""What earlier calls to the same person say about this one: memory and history-aware risk rules.

The agent hands a session the person's previous calls (records from the store, or plain dicts with
``answers``, ``flags``, ``outcome`` and ``started_at``). From them the session can follow up on what was
said last time ("지난번에 무릎이 아프시다고 하셨는데…") and raise flags no single call shows: a mood worse
than the person's own recent calls, low mood call after call, a symptom that persists, calls that keep
going unanswered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
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


def mood_trend(current: str | None, past: list[PastCall], key: str = "mood") -> str | None:
    """'persisting' when this call and the two answered calls before it were all low; 'worse' when this
    call's mood is clearly below the person's own recent average. None otherwise. ``key``: the answer key
    the mood is recorded under."""
    if current not in MOOD_SCORE:
        return None
    recent = [c.answers[key] for c in past if c.answered and c.answers.get(key) in MOOD_SCORE][-RECENT:]
    if current == "low" and len(recent) >= 2 and recent[-2:] == ["low", "low"]:
        return "persisting"
    if len(recent) >= 2:
        average = sum(MOOD_SCORE[m] for m in recent) / len(recent)
        if MOOD_SCORE[current] <= average - 1:
            return "worse"
    return None


@dataclass(frozen=True)
class Pattern:
    """A flag no single call shows. ``about``: the answer key or symptom whose words are its evidence."""

    rule: str
    about: str | None = None
    detail: str | None = None


def patterns(
    outcome: str | None,
    answers: dict[str, Any],
    symptoms: list[str],
    past: list[PastCall],
    *,
    mood_key: str | None,
    label: Callable[[str], str],
) -> list[Pattern]:
    """What this call, ending with ``outcome``, shows against the person's earlier calls: calls that keep
    going unanswered, a mood trend (when the scenario names its mood answer), symptoms that persist."""
    found = []
    if outcome in UNANSWERED and (streak := unanswered_streak(past)) >= 2:
        found.append(Pattern("repeated_no_answer", detail=f"{streak + 1}회 연속"))
    trend = mood_trend(answers.get(mood_key), past, key=mood_key) if mood_key else None
    if trend == "persisting":
        found.append(Pattern("low_mood_persisting", mood_key, "3회 이상 연속"))
    elif trend == "worse":
        found.append(Pattern("mood_worse", mood_key))
    for symptom, calls in persisting_symptoms(symptoms, past).items():
        found.append(Pattern("persistent_symptom", symptom, f"{label(symptom)}, {calls}회 연속"))
    return found


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
