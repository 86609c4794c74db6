"""Synthesisers by engine name. Each engine is imported only when asked for, so choosing one never loads the
others' runtimes; the engines import ``tts.base``, never this module."""
from __future__ import annotations

from typing import Any

from tts.base import Synthesizer

ENGINES = ("kokoro", "espeak", "hdts")


def make_synthesizer(engine: str = "kokoro", voice: str | None = None, speed: float = 1.0,
                     **options: Any) -> Synthesizer:
    """A synthesiser by engine name; ``voice=None`` means the engine's default (kokoro: jf_alpha, espeak: ko,
    hdts: ko_kumo; an hdts voice may also be the path of an acoustic checkpoint, ``vocoder=`` a vocoder's)."""
    if engine == "kokoro":
        from tts.kokoro_engine import KokoroSynthesizer

        return KokoroSynthesizer(voice or "jf_alpha", speed, **options)
    if engine == "espeak":
        from tts.espeak_engine import EspeakSynthesizer

        return EspeakSynthesizer(voice or "ko", speed, **options)
    if engine == "hdts":
        from tts.hdts_engine import DEFAULT_VOICE, HDTSSynthesizer

        return HDTSSynthesizer(voice or DEFAULT_VOICE, speed, **options)
    raise ValueError(f"unknown TTS engine {engine!r}; available: {', '.join(ENGINES)}")


def available_voices(engine: str = "kokoro") -> tuple[str, ...]:
    """Voice names ``make_synthesizer(engine, voice=...)`` accepts."""
    if engine == "kokoro":
        from tts.kokoro_engine import VOICES

        return VOICES
    if engine == "espeak":
        from tts.espeak_engine import EspeakSynthesizer

        return EspeakSynthesizer.voices
    if engine == "hdts":
        from tts.hdts_engine import VOICES

        return VOICES
    raise ValueError(f"unknown TTS engine {engine!r}; available: {', '.join(ENGINES)}")
