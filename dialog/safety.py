"""The session's own rules, above any scenario: words that end the call at once, and risks flagged wherever
they come up, checked on every caller turn whatever was asked (docs/ARCHITECTURE.md).

A scenario cannot switch these off: the loader requires every scenario to have the endings named here, and a
risk flag is raised whenever the scenario defines its rule under ``flags:``.
"""

from __future__ import annotations

from collections.abc import Callable

from dialog import understanding as nlu
from dialog.understanding import Finding, Utterance

SELF_HARM = "self_harm"  # ending: crisis line, then a person follows up at once
EMERGENCY = "emergency"  # ending: call 119
CALL_BACK = "callback"  # ending: "call me later" said mid-call
NO_RESPONSE = "no_response"  # ending: silence after every "여보세요?"
REQUIRED_ENDINGS = (NO_RESPONSE, EMERGENCY, SELF_HARM, CALL_BACK)

CONFUSION = "confusion"  # flag rule: confused words, or too many questions left unclear
CONFUSED_AFTER_UNKNOWNS = 3
# Flag rule -> its detector, run on every turn (the flag is raised if the scenario defines the rule).
RISKS: tuple[tuple[str, Callable[[Utterance], Finding | None]], ...] = (
    ("loneliness", nlu.loneliness),
    (CONFUSION, nlu.confusion),
)


def alarm(u: Utterance) -> tuple[str, Finding] | None:
    """The ending to jump to at once (self-harm before emergency) and the words that raised it, or None."""
    if found := nlu.self_harm(u):
        return SELF_HARM, found
    if found := nlu.emergency(u):
        return EMERGENCY, found
    return None


def call_back(u: Utterance) -> Finding | None:
    """A clear "call me later" in the middle of the call (ends it with the `callback` ending)."""
    return nlu.call_back(u)
