"""Recognition error rates: one edit distance, and the text clean-ups the project's CER figures are measured on.

Every CER in the recipes, tests and benchmarks is computed here, so each figure in docs/BENCHMARKS.md has one
definition. The figures differ only in what is removed before counting, and each caller names its choice:

- ``without_spaces`` — ``carecall asr eval`` (``asr.recipes.evaluate``): Korean spacing varies, everything else
  counts (a hyphen the ITN writes in a phone number is a character).
- ``without_punctuation`` — the default: spaces and the punctuation Whisper adds (``. , ? ! ~ · - ' "``);
  the recognition tests, ``benchmarks/tts_bench.py``, ``vocoder_bench.py`` and ``asr_cer.py`` (after ITN).
- ``letters_and_digits`` — only Hangul syllables, Latin letters and digits survive; ``benchmarks/hdts_bench.py``
  (after ``tts.text.normalize``).

Pure Python: importing it costs nothing and needs no audio stack.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence

PUNCTUATION = re.compile(r"[\s.,?!~·\-'\"]+")
NOT_LETTER_OR_DIGIT = re.compile(r"[^가-힣a-zA-Z0-9]")

Clean = Callable[[str], str]


def without_spaces(text: str) -> str:
    """The text with its spaces removed (nothing else)."""
    return text.replace(" ", "")


def without_punctuation(text: str) -> str:
    """The text with whitespace and punctuation (``. , ? ! ~ · - ' "``) removed."""
    return PUNCTUATION.sub("", text)


def letters_and_digits(text: str) -> str:
    """Only the Hangul syllables, Latin letters and digits of the text."""
    return NOT_LETTER_OR_DIGIT.sub("", text)


def edit_distance(ref: Sequence[Hashable], hyp: Sequence[Hashable]) -> int:
    """Levenshtein distance (substitutions, insertions, deletions all cost 1) between two sequences."""
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def char_errors(ref: str, hyp: str, clean: Clean = without_punctuation) -> tuple[int, int]:
    """(character edits, reference characters) after ``clean`` on both sides: the terms a corpus CER sums."""
    r, h = clean(ref), clean(hyp)
    return edit_distance(r, h), len(r)


def word_errors(ref: str, hyp: str) -> tuple[int, int]:
    """(word edits, reference words) over whitespace-separated words."""
    r, h = ref.split(), hyp.split()
    return edit_distance(r, h), len(r)


def cer(ref: str, hyp: str, clean: Clean = without_punctuation) -> float:
    """Character error rate of one utterance: edits / reference characters (0 edits of 0 characters = 0)."""
    edits, chars = char_errors(ref, hyp, clean)
    return edits / max(1, chars)


def wer(ref: str, hyp: str) -> float:
    """Word error rate of one utterance."""
    edits, words = word_errors(ref, hyp)
    return edits / max(1, words)


def corpus_cer(refs: Sequence[str], hyps: Sequence[str], clean: Clean = without_punctuation) -> float:
    """CER of a set: all edits / all reference characters (long sentences weigh more than short answers)."""
    edits = chars = 0
    for ref, hyp in zip(refs, hyps):
        e, c = char_errors(ref, hyp, clean)
        edits, chars = edits + e, chars + c
    return edits / max(1, chars)
