"""The shared care-call vocabulary (docs/ARCHITECTURE.md): state ids, answer values, flag rules.

Other components (agent, phone simulator, personas, call records) are built against these exact strings;
the scenario loader checks every YAML file against them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

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
# Not in ANSWER_VALUES: the symptoms named in the call (a list of SYMPTOMS) and where they hurt (symptom →
# body part), written by the symptom detector on any turn; a free-text note for the care worker (only words
# are kept in it, never "nothing" or "unknown", and its question is asked even when it holds words); and the
# reservation line's free-valued details.
SYMPTOMS_KEY = "symptoms"
BODY_PARTS_KEY = "body_parts"
NOTE_KEY = "note"
BOOKING_KEYS = frozenset({"intent", "date", "time", "party_size", "name", "phone", "requests", "booking_id"})
ANSWER_KEYS = frozenset(ANSWER_VALUES) | {SYMPTOMS_KEY, BODY_PARTS_KEY, NOTE_KEY} | BOOKING_KEYS
UNKNOWN = "unknown"  # recorded when the person's answer stayed unclear after every re-prompt

SYMPTOMS = ("fever", "cough", "breathing", "chest_pain", "pain", "fall", "dizziness")

FLAG_RULES = frozenset(
    {
        "fever", "cough", "breathing_trouble", "chest_pain", "fall", "severe_pain", "missed_medication",
        "not_eating", "poor_sleep", "low_mood", "loneliness", "self_harm_risk", "emergency", "confusion",
        "wrong_person", "callback_later", "no_answer",
        "person_callback",  # a person was wanted at once and nobody could be put through: call back now
        "opted_out",  # the callee confirmed they want no more calls: a person checks on them
        # history-aware: comparing this call with the person's earlier calls
        "repeated_no_answer", "mood_worse", "low_mood_persisting", "persistent_symptom",
    }
)  # fmt: skip
SEVERITIES = ("low", "medium", "high", "critical")

OPTED_OUT = "opted_out"  # the callee asked for no more calls and confirmed it: the agent stores it on the person
OUTCOMES = frozenset(
    {
        "completed", "no_response", "wrong_person", "callback_requested", "emergency", "transferred", OPTED_OUT,
        "booked", "changed", "cancelled", "not_changed", "no_booking", "not_booked",
    }
)  # fmt: skip


def answer_problems(answers: Mapping[str, object]) -> list[str]:
    """What is not in this vocabulary in a set of answers written by hand (a persona's expected answers):
    unknown keys and values that are not values of their key. Free-valued keys (booking details, ``note``,
    ``body_parts``) are only checked for being keys."""
    problems: list[str] = []
    for key, value in answers.items():
        if key not in ANSWER_KEYS:
            problems.append(f"unknown answer key '{key}' (known: {', '.join(sorted(ANSWER_KEYS))})")
        elif key == SYMPTOMS_KEY:
            if not isinstance(value, list):
                problems.append(f"'{SYMPTOMS_KEY}' must be a list")
            else:
                problems += [f"'{v}' is not a value of '{SYMPTOMS_KEY}' ({', '.join(SYMPTOMS)})"
                             for v in value if v not in SYMPTOMS]
        elif key in BOOKING_KEYS and not isinstance(value, str):
            problems.append(f"'{key}' must be a string (answers are stored as text)")
        elif key in ANSWER_VALUES and (not isinstance(value, str) or value not in ANSWER_VALUES[key] | {UNKNOWN}):
            problems.append(f"'{value}' is not a value of '{key}' ({', '.join(sorted(ANSWER_VALUES[key]))}, {UNKNOWN})")
    return problems


def flag_problems(rules: Iterable[str]) -> list[str]:
    """The rules that are not flag rules of this vocabulary, each as a message."""
    return [f"unknown flag rule '{rule}'" for rule in rules if rule not in FLAG_RULES]
