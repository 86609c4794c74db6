"""A caller's line audio as the live call's recogniser gets one turn of it.

The benchmarks that play caller lines to the recogniser without a server (``goal_calls.py``, ``persona_hearing.py``)
decode the 8 kHz µ-law the line carries to the recogniser's rate and pad it with line silence, as the segmenter
leaves it around a turn; this is that step, once."""

from __future__ import annotations

import numpy as np

from telephony.codec import PHONE_RATE, from_phone


def line_turn(payload: bytes, rate: int, lead_s: float, tail_s: float) -> np.ndarray:
    """µ-law ``payload`` → float32 at ``rate``, with ``lead_s`` of silence before the speech and ``tail_s`` after."""
    speech = from_phone(payload, rate).astype(np.float32) / 32768.0
    return np.concatenate([np.zeros(int(lead_s * rate), np.float32), speech, np.zeros(int(tail_s * rate), np.float32)])


def line_seconds(payload: bytes) -> float:
    """How long the speech in a µ-law payload lasts (one byte a sample)."""
    return len(payload) / PHONE_RATE
