"""Symptoms named during one call, and how the next call recalls the last call's.

The symptom detector (dialog.understanding.symptoms) listens on every caller turn, whatever was asked. What a
scenario does with each symptom (flag, follow-up question, acknowledgement, recall wording) is declared under
its ``symptoms:``, listed most urgent first: that order picks the one acknowledged when several are named at
once, and the one the next call asks about.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from dialog import understanding as nlu
from dialog.history import subject
from dialog.scenario import SymptomSpec
from dialog.understanding import SymptomFinding, Utterance
from dialog.vocabulary import BODY_PARTS_KEY, SYMPTOMS, SYMPTOMS_KEY


class SymptomLog:
    """The symptoms named so far in this call (each once, in the vocabulary's order) and their words."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.evidence: dict[str, str] = {}

    def hear(self, u: Utterance) -> list[SymptomFinding]:
        """Record the symptoms named in this turn; return the ones not named before."""
        found = [s for s in nlu.find_symptoms(u) if s.symptom not in self.names]
        for s in found:
            self.names.append(s.symptom)
            self.evidence[s.symptom] = s.evidence
        self.names.sort(key=SYMPTOMS.index)
        return found


def most_urgent(names: Iterable[str], specs: Mapping[str, SymptomSpec]) -> str | None:
    """Of several symptoms, the one the scenario lists first (unlisted ones last)."""
    order = {name: rank for rank, name in enumerate(specs)}
    return min(names, key=lambda name: order.get(name, len(order)), default=None)


def recall(last_answers: Mapping[str, Any] | None, specs: Mapping[str, SymptomSpec]) -> dict[str, str]:
    """Prompt variables about the last answered call: {last_symptoms} ("열, 기침") and {last_concern}
    ("무릎이 아프시다고"), the most urgent symptom it named."""
    named = [s for s in (last_answers or {}).get(SYMPTOMS_KEY) or [] if s in specs]
    first = most_urgent(named, specs)
    if first is None:
        return {"last_symptoms": "", "last_concern": ""}
    spec = specs[first]
    part = ((last_answers or {}).get(BODY_PARTS_KEY) or {}).get(first)
    concern = (spec.recall or f"{spec.label} 때문에 불편하시다고").format(part=subject(part or "몸"))
    return {"last_symptoms": ", ".join(specs[s].label for s in named), "last_concern": concern}
