"""Input checks shared by the engines."""
from __future__ import annotations

from typing import Any


def as_mono_float32(audio: Any) -> Any:
    """Return ``audio`` as a contiguous 1-D float32 array in [-1, 1]; int16 PCM is scaled, NaNs zeroed."""
    import numpy as np

    arr = np.asarray(audio)
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.reshape(-1)
    if arr.ndim != 1:
        raise ValueError(f"audio must be mono (1-D), got shape {arr.shape}")
    if arr.dtype == np.int16:
        arr = arr.astype(np.float32) / 32768.0
    elif arr.dtype != np.float32:
        arr = arr.astype(np.float32)
    if not np.isfinite(arr).all():
        arr = np.nan_to_num(arr, nan=0.0, posinf=1.0, neginf=-1.0)
    return np.ascontiguousarray(np.clip(arr, -1.0, 1.0))
