"""Rule-based Korean understanding of care-call answers, tolerant of phone-quality ASR output."""

from dialog.understanding.about_the_call import asks_who, wants_no_calls
from dialog.understanding.answers import (
    Finding,
    after_yes_no,
    anything_else,
    choice,
    health,
    identity,
    injury,
    is_hedge,
    meal,
    medication,
    mood,
    says_words,
    severity,
    sleep,
    yes_no,
    yes_no_answer,
)
from dialog.understanding.booking import detail_named, intent
from dialog.understanding.risk import asks_for_person, call_back, confusion, emergency, loneliness, self_harm
from dialog.understanding.symptoms import SymptomFinding, body_part, find_symptoms, temperature
from dialog.understanding.text import Utterance, correction_tail

__all__ = [
    "Finding", "SymptomFinding", "Utterance", "after_yes_no", "asks_who", "wants_no_calls", "asks_for_person", "anything_else", "choice", "body_part", "call_back", "confusion", "correction_tail", "detail_named",
    "emergency", "find_symptoms", "health", "identity", "injury", "intent", "is_hedge", "loneliness", "meal",
    "medication", "mood", "says_words", "self_harm", "severity", "sleep", "temperature", "yes_no", "yes_no_answer",
]  # fmt: skip
