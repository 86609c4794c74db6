"""G.711 mu-law, the telephone network's 8 kHz codec, and resampling to and from it.

The one implementation of the codec in the project, and the declared leaf module asr/ and tts/ may import:
the recogniser decodes phone packets with it and the synthesiser encodes for the line with it, so it must not
depend on anything that would drag telephony (or the web) into them.
"""

# Import rule: this module is a leaf. It imports only the standard library and numpy (soxr lazily, only
# inside ``resample``), never anything from the project. asr/ and tts/ may import ``telephony.codec`` and
# nothing else from telephony (tests/asr/test_asr_api.py and tests/tts/test_vocoder.py check sys.modules).

from __future__ import annotations

import numpy as np

PHONE_RATE = 8000  # samples per second on the line; one mu-law byte per sample

_BIAS = 0x84
_SEGMENT_ENDS = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])


def _build_decode_table() -> np.ndarray:
    table = np.zeros(256, dtype=np.int16)
    for i in range(256):
        u = ~i & 0xFF
        sign = u & 0x80
        exponent = (u >> 4) & 0x07
        mantissa = u & 0x0F
        magnitude = ((mantissa << 3) + _BIAS) << exponent
        magnitude -= _BIAS
        table[i] = -magnitude if sign else magnitude
    return table


_DECODE = _build_decode_table()


def ulaw_decode(data: bytes) -> np.ndarray:
    """mu-law bytes → int16 samples (bit-exact with ``audioop.ulaw2lin``)."""
    return _DECODE[np.frombuffer(data, dtype=np.uint8)]


def ulaw_encode(samples: np.ndarray) -> bytes:
    """int16 samples → mu-law bytes (G.711 on 14-bit magnitudes; bit-exact with ``audioop.lin2ulaw``)."""
    x = np.asarray(samples, dtype=np.int32) >> 2
    mask = np.where(x < 0, 0x7F, 0xFF)
    magnitude = np.minimum(np.abs(x), 8159) + 0x21
    segment = np.searchsorted(_SEGMENT_ENDS, magnitude)  # first end >= magnitude
    uval = (segment << 4) | ((magnitude >> (segment + 1)) & 0x0F)
    uval = np.where(segment >= 8, 0x7F, uval)  # beyond the last segment: full scale
    return (uval ^ mask).astype(np.uint8).tobytes()


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """int16 → int16 at another rate (soxr, high quality)."""
    if from_rate == to_rate:
        return np.asarray(samples, dtype=np.int16)
    import soxr

    out = soxr.resample(np.asarray(samples, dtype=np.float32) / 32768.0, from_rate, to_rate)
    return np.clip(np.round(out * 32768.0), -32768, 32767).astype(np.int16)


def to_phone(samples: np.ndarray, rate: int) -> bytes:
    """Any-rate int16 audio → 8 kHz mu-law, as a phone line carries it."""
    return ulaw_encode(resample(samples, rate, PHONE_RATE))


def from_phone(ulaw: bytes, rate: int = PHONE_RATE) -> np.ndarray:
    """8 kHz mu-law → int16 at ``rate``."""
    return resample(ulaw_decode(ulaw), PHONE_RATE, rate)


def peak(samples: np.ndarray) -> int:
    """Largest absolute int16 value (0 for no samples), e.g. to tell speech from line silence."""
    return int(np.abs(np.asarray(samples, dtype=np.int32)).max()) if len(samples) else 0
