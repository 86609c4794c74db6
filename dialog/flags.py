"""Risk flags raised during a call (rules and severities: docs/ARCHITECTURE.md)."""

from __future__ import annotations

from dataclasses import dataclass

from dialog.vocabulary import SEVERITIES

__all__ = ["SEVERITIES", "Flag", "severity_rank"]


def severity_rank(severity: str | None) -> int:
    """A severity's place on the one scale, ``SEVERITIES`` (low = 0 … critical = 3), for sorting and
    minimum-severity thresholds everywhere (dashboard queue, alerts, exports, settings); -1 for none or an
    unknown name, so every real severity ranks above it."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else -1


@dataclass(frozen=True)
class Flag:
    rule: str  # e.g. "fever", "fall", "self_harm_risk"
    severity: str  # low | medium | high | critical
    evidence: str  # the caller's exact words that triggered it ("" for no_answer)
    turn: int  # 0-based index of the caller turn (handle() call) that triggered it
    message: str = ""  # short Korean note for the care worker

    @property
    def rank(self) -> int:
        """Severity as a number (low = 0 … critical = 3), for sorting and thresholds."""
        return severity_rank(self.severity)
