"""The simulated caller's voice: any speech synthesiser, with the persona's lines prepared before dialling.

The simulator never imports a synthesiser: whoever places the call (the demo, the phone-simulator placer, a
test) hands in a ``Speaker`` such as ``tts.make_synthesizer("kokoro", voice=persona.voice)``, so telephony
keeps its rule of importing nothing from the rest of the project.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Speaker(Protocol):
    """What the caller's voice needs from a synthesiser (``tts.base.Synthesizer`` provides it)."""

    sample_rate: int

    def load(self) -> None: ...

    def synthesize(self, text: str) -> np.ndarray: ...


class CallerVoice:
    """``voice(text) -> (int16 pcm, sample_rate)``, cached so a line is synthesised once per voice."""

    def __init__(self, speaker: Speaker):
        self.speaker = speaker
        self.cache: dict[str, np.ndarray] = {}

    def load(self) -> None:
        self.speaker.load()

    def prepare(self, lines: list[str]) -> None:
        """Synthesise the persona's lines up front, so the caller answers without a synthesis delay."""
        for line in lines:
            self(line)

    def __call__(self, text: str) -> tuple[np.ndarray, int]:
        if text not in self.cache:
            self.cache[text] = self.speaker.synthesize(text)
        return self.cache[text], self.speaker.sample_rate
