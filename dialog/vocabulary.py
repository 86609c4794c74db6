"""The shared care-call vocabulary (docs/ARCHITECTURE.md): state ids, answer values, flag rules.

Other components (agent, phone simulator, personas, call records) are built against these exact strings;
the scenario loader checks every YAML file against them.
"""

from __future__ import annotations

import re

# Care-call state ids are shared with the personas and records (identity, meal, …, health.fever, closing);
# other scenarios name their states freely in the same form.
STATE_ID = re.compile(r"^[a-z][a-z_]*(\.[a-z_]+)?$")

ANSWER_VALUES: dict[str, frozenset[str]] = {
    "meal": frozenset({"eaten", "skipped"}),
    "sleep": frozenset({"good", "poor"}),
    "health": frozenset({"well", "unwell"}),
    "medication": frozenset({"taken", "missed", "none"}),
    "mood": frozenset({"good", "so_so", "low"}),
}
# Not in ANSWER_VALUES: "symptoms" (a list of SYMPTOMS), "body_parts" (symptom → where) and "note" (free
# text); and the reservation line's free-valued details.
BOOKING_KEYS = frozenset({"intent", "date", "time", "party_size", "name", "phone", "requests", "booking_id"})
ANSWER_KEYS = frozenset(ANSWER_VALUES) | {"symptoms", "body_parts", "note"} | BOOKING_KEYS
UNKNOWN = "unknown"  # recorded when the person's answer stayed unclear after every re-prompt

SYMPTOMS = ("fever", "cough", "breathing", "chest_pain", "pain", "fall", "dizziness")

FLAG_RULES = frozenset(
    {
        "fever", "cough", "breathing_trouble", "chest_pain", "fall", "severe_pain", "missed_medication",
        "not_eating", "poor_sleep", "low_mood", "loneliness", "self_harm_risk", "emergency", "confusion",
        "wrong_person", "callback_later", "no_answer",
        # history-aware: comparing this call with the person's earlier calls
        "repeated_no_answer", "mood_worse", "low_mood_persisting", "persistent_symptom",
    }
)  # fmt: skip
SEVERITIES = ("low", "medium", "high", "critical")

OUTCOMES = frozenset(
    {
        "completed", "no_response", "wrong_person", "callback_requested", "emergency",
        "booked", "changed", "cancelled", "not_changed", "no_booking", "not_booked",
    }
)  # fmt: skip
