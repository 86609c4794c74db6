"""Telephone-channel simulation for tests and benchmarks: 8 kHz G.711 µ-law and back to 16 kHz.

The codec is ``telephony.codec`` (the declared leaf module asr/ may import); this module is only the channel.
"""
from __future__ import annotations

from typing import Any


def telephone_band(audio: Any, sample_rate: int, out_rate: int = 16000) -> Any:
    """float32 audio at ``sample_rate`` → 8 kHz µ-law → float32 at ``out_rate`` (what the agent hears)."""
    import numpy as np
    import soxr

    from telephony.codec import PHONE_RATE, ulaw_decode, ulaw_encode

    x = np.asarray(audio, dtype=np.float32)
    narrow = soxr.resample(x, sample_rate, PHONE_RATE) if sample_rate != PHONE_RATE else x
    pcm = (np.clip(narrow, -1.0, 1.0) * 32767.0).astype(np.int16)
    back = ulaw_decode(ulaw_encode(pcm)).astype(np.float32) / 32768.0
    return soxr.resample(back, PHONE_RATE, out_rate).astype(np.float32)
