"""Engines for tests that run the real app and call runner without a speech model: callers who send only
silence are never recognised, and the agent speaks silence."""

from __future__ import annotations

import numpy as np

from agent.call.engines import Engines
from tts.base import Prosody, Synthesizer


class Deaf:
    """Never called: a caller who sends only silence has no turn to recognise."""

    name = "deaf"
    sample_rate = 16000

    def load(self) -> None:
        pass

    def transcribe(self, audio, hint=None):  # pragma: no cover - never called by these tests
        raise AssertionError("no recognition expected")


class Silent(Synthesizer):
    """Every clause is 0.1 s of silence."""

    name = "silent"
    sample_rate = 8000
    voices = ("v",)

    def __init__(self):
        super().__init__("v")

    def _load(self) -> None:
        pass

    def _synthesize_clause(self, clause: str, prosody: Prosody) -> np.ndarray:
        return np.zeros(800, dtype=np.int16)


def silent_engines() -> Engines:
    return Engines(Deaf(), Silent())
