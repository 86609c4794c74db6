"""The simulated phone network: whether a simulated call is answered, and by whom.

A contact's notes may script it: ``sim=no_answer,busy,answer; persona=fever_cough`` — the N-th attempt
gets the N-th result (the last one repeats), and an answered call is played by that persona (default
``well``). Without a script the result is drawn from ``odds``, seeded by the number, round and attempt,
so a run is reproducible.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass, field

from agent.campaigns.service import Claim

RESULTS = ("answer", "no_answer", "busy", "failed", "voicemail")
DEFAULT_ODDS = {"answer": 0.7, "no_answer": 0.15, "busy": 0.05, "failed": 0.03, "voicemail": 0.07}


def parse_notes(notes: str) -> dict[str, str]:
    """``key=value`` pairs separated by ``;`` (other text is ignored)."""
    out = {}
    for part in (notes or "").split(";"):
        if "=" in part:
            key, value = part.split("=", 1)
            out[key.strip().lower()] = value.strip()
    return out


@dataclass
class SimulatedNetwork:
    seed: int = 0
    odds: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_ODDS))
    default_persona: str = "well"

    def result(self, claim: Claim) -> str:
        script = parse_notes(claim.notes).get("sim")
        if script:
            steps = [s.strip().replace("-", "_") for s in script.split(",") if s.strip()]
            step = steps[min(claim.attempt_no, len(steps)) - 1]
            if step not in RESULTS:
                return "failed"  # a typo in the script must not look like a real answer
            return step
        rng = random.Random(zlib.crc32(f"{self.seed}|{claim.phone}|{claim.round_date}|{claim.attempt_no}".encode()))
        return rng.choices(list(self.odds), weights=list(self.odds.values()))[0]

    def persona(self, claim: Claim) -> str:
        return parse_notes(claim.notes).get("persona") or self.default_persona
