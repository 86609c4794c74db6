"""Which of the recogniser's hypotheses to hear: the first one the question asked understands.

On a phone line Whisper's best reading of a short answer is often a near miss ("여사지" for 여섯 시, "세 명
여" for 세 명이요) while a runner-up of the same beam is right. The dialog knows what answer it expects next,
so it takes the first hypothesis that the reader of that answer type (dialog/expectations.py) understands,
and the top one when none does. Pure text: the hypotheses come from the agent, no audio is seen here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from dialog import safety
from dialog.expectations import ANSWER_TYPES, Reading, settle
from dialog.understanding import Utterance


def understood(u: Utterance, expect: str, reading: Reading) -> bool:
    """Does the reader of answer type ``expect`` take ``u`` as an answer (one answer, for single types)?"""
    kind = ANSWER_TYPES[expect]
    finding = kind.read(u, reading)
    if finding is not None and kind.single:
        finding, contradicted = settle(lambda part: kind.read(part, reading), u, finding)
        return finding is not None and not contradicted
    return finding is not None


def choose(hypotheses: Sequence[str], expect: str | Sequence[str], reading: Reading,
           also: Callable[[Utterance], object] | None = None) -> int:
    """The index of the hypothesis to hear: the first that an answer type of ``expect`` (one name, or several
    where either answer will do) understands, or that ``also`` takes (words any question takes: "누구세요?"),
    else 0 (the recogniser's own best).

    A runner-up never starts a safety ending or a call-back the top hypothesis did not ask for, and a top
    hypothesis that does (an emergency, "나중에 전화해") is always kept, whatever the question expects."""
    if len(hypotheses) < 2:
        return 0
    top = Utterance(hypotheses[0])
    if top.empty or safety.alarm(top) or safety.call_back(top):
        return 0
    kinds = [expect] if isinstance(expect, str) else list(expect)
    for index, text in enumerate(hypotheses):
        u = Utterance(text)
        if u.empty or (index and (safety.alarm(u) or safety.call_back(u))):
            continue
        if any(understood(u, kind, reading) for kind in kinds) or (also is not None and also(u)):
            return index
    return 0
