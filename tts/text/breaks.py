"""Break prediction and clause splitting on normalised Korean text.

``add_breaks`` inserts commas (which Kokoro renders as short pauses) after connective endings inside long
comma-less stretches; ``split_clauses`` cuts text into synthesis units: sentences, and long sentences further at
commas, so a stream can start speaking after the first clause.
"""
from __future__ import annotations

import re

# Connective endings after which a speaker may pause ("…먹고, …", "…넘어져서, …", "…있는데, …").
_CONNECTIVE = re.compile(r"(?:고|서|면|는데|은데|지만|니까|면서|아도|어도|거나|든지|러|려고|도록)$")
_SENTENCE = re.compile(r"(?<=[.?!…。？！\n])\s+|\n+")
_COMMA = re.compile(r"(?<=[,，、;:])\s+")
MIN_RUN = 10  # syllables since the last pause before a predicted break is worth it
MIN_TAIL = 4  # …and at least this many after it


def add_breaks(text: str) -> str:
    """'어제 넘어져서 무릎을 다쳤는데 아직도 아파요' → '어제 넘어져서 무릎을 다쳤는데, 아직도 아파요'."""
    out: list[str] = []
    for segment in re.split(r"([,.?!…;:。？！，、\n]+)", text):
        words = segment.split(" ")
        run = 0
        for i, word in enumerate(words):
            run += _syllables(word)
            tail = sum(_syllables(w) for w in words[i + 1:])
            if run >= MIN_RUN and tail >= MIN_TAIL and _CONNECTIVE.search(word):
                words[i] = word + ","
                run = 0
        out.append(" ".join(words))
    return "".join(out)


def split_clauses(text: str, max_syllables: int = 20) -> list[str]:
    """Sentences; a sentence longer than ``max_syllables`` is cut at its commas (pieces merged back up to the limit)."""
    clauses: list[str] = []
    for sentence in filter(None, (s.strip() for s in _SENTENCE.split(text))):
        if _syllables(sentence) <= max_syllables:
            clauses.append(sentence)
            continue
        current = ""
        for piece in filter(None, (p.strip() for p in _COMMA.split(sentence))):
            if current and _syllables(current) + _syllables(piece) > max_syllables:
                clauses.append(current)
                current = piece
            else:
                current = f"{current} {piece}".strip()
        if current:
            clauses.append(current)
    return clauses


def _syllables(text: str) -> int:
    return sum(1 for ch in text if "가" <= ch <= "힣" or ch.isalnum())
