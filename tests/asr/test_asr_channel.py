"""The G.711 µ-law channel simulation used by the tests and the benchmark (the codec is telephony.codec)."""
from __future__ import annotations

import numpy as np
import pytest

from asr.channel import telephone_band
from telephony.codec import ulaw_decode, ulaw_encode


def test_mulaw_matches_audioop_bit_exactly():
    audioop = pytest.importorskip("audioop")  # stdlib until Python 3.13
    pcm = np.arange(-32768, 32768, dtype=np.int16)
    assert ulaw_encode(pcm) == audioop.lin2ulaw(pcm.tobytes(), 2)
    codes = np.arange(256, dtype=np.uint8)
    assert (ulaw_decode(codes.tobytes()) == np.frombuffer(audioop.ulaw2lin(codes.tobytes(), 2), np.int16)).all()


def test_telephone_band_keeps_speech_band_and_cuts_above_4k():
    sr = 24000
    t = np.arange(sr) / sr
    low = telephone_band(0.5 * np.sin(2 * np.pi * 1000 * t).astype(np.float32), sr)
    high = telephone_band(0.5 * np.sin(2 * np.pi * 6000 * t).astype(np.float32), sr)
    assert low.dtype == np.float32 and abs(len(low) - 16000) <= 2
    assert np.sqrt((low**2).mean()) > 0.3
    assert np.sqrt((high**2).mean()) < 0.01
