"""Synthesised speech as a phone line carries it: band-limited resampling to 8 kHz, then G.711 µ-law.

The codec itself is ``telephony.codec`` (the declared leaf module tts/ may import); this module adds what the
synthesiser needs around it: float audio, and a resampler that works without soxr.
"""
from __future__ import annotations

from math import gcd

import numpy as np

from telephony.codec import PHONE_RATE, ulaw_decode, ulaw_encode


def resample(wav: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Float audio at another rate, low-passed below the new Nyquist (soxr if installed, else polyphase)."""
    x = np.asarray(wav, dtype=np.float32)
    if from_rate == to_rate or x.size == 0:
        return x
    try:
        import soxr

        return soxr.resample(x, from_rate, to_rate, quality="HQ").astype(np.float32)
    except ImportError:
        from scipy.signal import resample_poly

        g = gcd(from_rate, to_rate)
        return resample_poly(x, to_rate // g, from_rate // g).astype(np.float32)


def to_telephone(wav: np.ndarray, sample_rate: int) -> bytes:
    """Float audio in [-1, 1] at ``sample_rate`` → 8 kHz G.711 µ-law bytes (one byte per sample)."""
    narrow = resample(wav, sample_rate, PHONE_RATE)
    pcm = np.clip(np.round(narrow * 32767.0), -32768, 32767).astype(np.int16)
    return ulaw_encode(pcm)


def from_telephone(data: bytes) -> np.ndarray:
    """8 kHz µ-law bytes → float32 audio in [-1, 1] at 8 kHz."""
    return ulaw_decode(data).astype(np.float32) / 32768.0
