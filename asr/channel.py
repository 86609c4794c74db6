"""Telephone-channel simulation for tests and benchmarks: 8 kHz G.711 µ-law and back to 16 kHz."""
from __future__ import annotations

from typing import Any

_BIAS = 0x84
_SEG_END = (0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF)


def mulaw_encode(pcm16: Any) -> Any:
    """int16 PCM → G.711 µ-law codes (uint8), bit-exact with the reference g711.c / ``audioop.lin2ulaw``."""
    import numpy as np

    x = np.asarray(pcm16, dtype=np.int32) >> 2  # 14-bit
    mask = np.where(x < 0, 0x7F, 0xFF)
    mag = np.minimum(np.abs(x), 8159) + 0x21
    seg = np.searchsorted(_SEG_END, mag, side="left")
    code = np.where(seg >= 8, 0x7F, (seg << 4) | ((mag >> (seg + 1)) & 0x0F))
    return (code ^ mask).astype(np.uint8)


def mulaw_decode(codes: Any) -> Any:
    """G.711 µ-law bytes → int16 PCM."""
    import numpy as np

    u = ~np.asarray(codes, dtype=np.int32) & 0xFF
    sign, exponent, mantissa = u & 0x80, (u >> 4) & 0x07, u & 0x0F
    mag = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return np.where(sign != 0, -mag, mag).astype(np.int16)


def telephone_band(audio: Any, sample_rate: int, out_rate: int = 16000) -> Any:
    """float32 audio at ``sample_rate`` → 8 kHz µ-law → float32 at ``out_rate`` (what the agent hears)."""
    import numpy as np
    import soxr

    x = np.asarray(audio, dtype=np.float32)
    narrow = soxr.resample(x, sample_rate, 8000) if sample_rate != 8000 else x
    pcm = (np.clip(narrow, -1.0, 1.0) * 32767.0).astype(np.int16)
    back = mulaw_decode(mulaw_encode(pcm)).astype(np.float32) / 32768.0
    return soxr.resample(back, 8000, out_rate).astype(np.float32)
