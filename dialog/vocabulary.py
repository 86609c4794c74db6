"""The shared care-call vocabulary (docs/ARCHITECTURE.md): state ids, answer values, flag rules.

Other components (agent, phone simulator, personas, call records) are built against these exact strings;
the scenario loader checks every YAML file against them.
"""

from __future__ import annotations

import re

STATE_ID = re.compile(r"^(identity|meal|sleep|health|health\.[a-z_]+|medication|mood|anything_else|closing)$")

ANSWER_VALUES: dict[str, frozenset[str]] = {
    "meal": frozenset({"eaten", "skipped"}),
    "sleep": frozenset({"good", "poor"}),
    "health": frozenset({"well", "unwell"}),
    "medication": frozenset({"taken", "missed", "none"}),
    "mood": frozenset({"good", "so_so", "low"}),
}
# Not in ANSWER_VALUES: "symptoms" (a list of SYMPTOMS) and "note" (free text).
ANSWER_KEYS = frozenset(ANSWER_VALUES) | {"symptoms", "note"}
UNKNOWN = "unknown"  # recorded when the person's answer stayed unclear after every re-prompt

SYMPTOMS = ("fever", "cough", "breathing", "chest_pain", "pain", "fall", "dizziness")

FLAG_RULES = frozenset(
    {
        "fever", "cough", "breathing_trouble", "chest_pain", "fall", "severe_pain", "missed_medication",
        "not_eating", "poor_sleep", "low_mood", "loneliness", "self_harm_risk", "emergency", "confusion",
        "wrong_person", "callback_later", "no_answer",
    }
)  # fmt: skip
SEVERITIES = ("low", "medium", "high", "critical")

OUTCOMES = frozenset({"completed", "no_response", "wrong_person", "callback_requested", "emergency"})
