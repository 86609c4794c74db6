"""Korean text to speech for the live call.

```python
from tts import make_synthesizer
syn = make_synthesizer("kokoro", voice="jf_alpha", speed=1.0)   # or "espeak", or "hdts" (pitch=, energy=)
syn.load()                                   # heavy, idempotent
pcm = syn.synthesize("안녕하세요. 식사는 하셨어요?")   # np.int16 mono at syn.sample_rate
for chunk in syn.stream(text): ...           # one chunk per clause (hdts: per vocoder chunk)
syn.stream(text, Prosody(speed=0.9, pitch=0.95))   # per-call speaking style (tts.prosody)
```
Importing this package is light: engines load their runtimes in ``load()``. Text analysis: ``tts.text``.
"""
from __future__ import annotations

from tts.base import SynthesisError, Synthesizer
from tts.prosody import Prosody

ENGINES = ("kokoro", "espeak", "hdts")


def make_synthesizer(engine: str = "kokoro", voice: str | None = None, speed: float = 1.0, **options) -> Synthesizer:
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


__all__ = ["ENGINES", "Prosody", "SynthesisError", "Synthesizer", "available_voices", "make_synthesizer"]
