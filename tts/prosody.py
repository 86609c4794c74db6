"""Speaking-style controls shared by every engine: speed, pitch and energy as factors around 1.0.

``speed`` 0.8 is 20 % slower, ``pitch`` 0.9 multiplies F0 by 0.9 (about two semitones lower), ``energy`` 1.2
makes the voice 20 % stronger in magnitude. The HDTS engine applies all three inside its acoustic model; Kokoro
has a speed input only (energy is applied as gain, pitch is not supported); espeak-ng maps them to its options.
"""
from __future__ import annotations

from dataclasses import dataclass

LIMITS = {"speed": (0.5, 2.0), "pitch": (0.5, 2.0), "energy": (0.25, 4.0)}


@dataclass(frozen=True)
class Prosody:
    speed: float = 1.0
    pitch: float = 1.0
    energy: float = 1.0

    def __post_init__(self) -> None:
        for name, (lo, hi) in LIMITS.items():
            value = getattr(self, name)
            if not lo <= value <= hi:
                raise ValueError(f"{name} must be between {lo} and {hi}, got {value}")

    def key(self) -> tuple[float, float, float]:
        """Rounded values for cache keys."""
        return round(self.speed, 3), round(self.pitch, 3), round(self.energy, 3)
