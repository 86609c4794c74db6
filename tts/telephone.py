"""Synthesised speech as a phone line carries it: band-limited resampling to 8 kHz, then G.711 µ-law.

``tts`` imports no telephony code, so the codec lives here too (the same reference algorithm as g711.c and
``audioop.lin2ulaw``; the tests check it against the telephony package's bit-exact tables).
"""
from __future__ import annotations

from math import gcd

import numpy as np

PHONE_RATE = 8000
_BIAS = 0x84
_SEGMENT_ENDS = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])


def mulaw_encode(pcm16: np.ndarray) -> bytes:
    """int16 samples → µ-law bytes (14-bit magnitudes, segment search, inverted bits)."""
    x = np.asarray(pcm16, dtype=np.int32) >> 2
    mask = np.where(x < 0, 0x7F, 0xFF)
    magnitude = np.minimum(np.abs(x), 8159) + 0x21
    segment = np.searchsorted(_SEGMENT_ENDS, magnitude)
    code = np.where(segment >= 8, 0x7F, (segment << 4) | ((magnitude >> (segment + 1)) & 0x0F))
    return (code ^ mask).astype(np.uint8).tobytes()


def mulaw_decode(data: bytes) -> np.ndarray:
    """µ-law bytes → int16 samples."""
    u = ~np.frombuffer(data, dtype=np.uint8).astype(np.int32) & 0xFF
    sign, exponent, mantissa = u & 0x80, (u >> 4) & 0x07, u & 0x0F
    magnitude = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return np.where(sign != 0, -magnitude, magnitude).astype(np.int16)


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
    return mulaw_encode(pcm)


def from_telephone(data: bytes) -> np.ndarray:
    """8 kHz µ-law bytes → float32 audio in [-1, 1] at 8 kHz."""
    return mulaw_decode(data).astype(np.float32) / 32768.0
