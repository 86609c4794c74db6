"""Shared fixtures for the ASR tests: the real Whisper model (slow tests) and test speech."""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def whisper():
    """Whisper base, loaded once for the session (assembled into the user's models cache if needed)."""
    from asr import make_recognizer

    rec = make_recognizer("whisper", beam_size=5)
    rec.load()
    return rec


@pytest.fixture(scope="session")
def kokoro():
    """The project's Kokoro voice (jm_kumo), or skip while ``tts`` is not there yet."""
    try:
        from tts import make_synthesizer
    except ImportError as exc:
        pytest.skip(f"tts.make_synthesizer is not available yet ({exc}); test speech comes from the Kokoro TTS")
    syn = make_synthesizer("kokoro", voice="jm_kumo")
    syn.load()
    return syn


@pytest.fixture(scope="session")
def speak(kokoro):
    """``speak(text, telephone=False)`` → float32 16 kHz audio of the Kokoro voice, optionally via 8 kHz µ-law."""
    import numpy as np
    import soxr

    from asr.channel import telephone_band

    def _speak(text: str, telephone: bool = False):
        pcm = np.asarray(kokoro.synthesize(text))
        audio = pcm.astype(np.float32) / 32768.0 if pcm.dtype == np.int16 else pcm.astype(np.float32)
        if telephone:
            return telephone_band(audio, kokoro.sample_rate)
        return soxr.resample(audio, kokoro.sample_rate, 16000).astype(np.float32)

    return _speak
