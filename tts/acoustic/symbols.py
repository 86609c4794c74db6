"""The phoneme inventory of the acoustic model: the IPA units ``tts.text.to_ipa`` can emit, one token each.

An aspirated consonant is one unit (``kʰ``), the glottal mark of a tense/geminate consonant is its own unit
(``ʔ``), a word boundary is ``_`` and punctuation keeps only what changes prosody (``. , ? !``).
"""
from __future__ import annotations

from tts.text import add_breaks, g2p, normalize, to_ipa

PAD = "<pad>"
WORD = "_"
PUNCT = {".": ".", ",": ",", "?": "?", "!": "!", ";": ",", ":": ",", "…": ".", "—": ","}
CONSONANTS = ["p", "b", "pʰ", "t", "d", "tʰ", "k", "ɡ", "kʰ", "ʨ", "ʥ", "ʨʰ", "s", "ɕ", "h", "m", "n", "ŋ", "ɾ", "l", "ʔ"]
VOWELS = ["a", "e", "i", "o", "u", "ɔ", "ɯ", "j", "w", "ɰ"]
SYMBOLS: tuple[str, ...] = (PAD, WORD, ".", ",", "?", "!", *CONSONANTS, *VOWELS)
SYMBOL_ID = {s: i for i, s in enumerate(SYMBOLS)}


def ipa_to_phonemes(ipa: str) -> list[str]:
    """'haʔkjo ɡajo?' → ['h','a','ʔ','k','j','o','_','ɡ','a','j','o','?']; unknown characters are dropped."""
    out: list[str] = []
    for ch in ipa:
        if ch == "ʰ" and out and out[-1] + ch in SYMBOL_ID:
            out[-1] += ch
        elif ch == " ":
            if out and out[-1] not in (WORD, *PUNCT.values()):
                out.append(WORD)
        elif ch in PUNCT:
            while out and out[-1] == WORD:
                out.pop()
            out.append(PUNCT[ch])
        elif ch in SYMBOL_ID:
            out.append(ch)
    while out and out[-1] == WORD:
        out.pop()
    return out


def text_to_phonemes(text: str) -> list[str]:
    """Raw Korean text → phoneme units (normalised, breaks predicted, standard pronunciation)."""
    return ipa_to_phonemes(to_ipa(g2p(add_breaks(normalize(text)))))


def encode(phonemes: list[str], symbols: tuple[str, ...] | list[str] = SYMBOLS) -> list[int]:
    """Phoneme units → ids in ``symbols`` (a checkpoint's own list); unknown units are dropped."""
    index = {s: i for i, s in enumerate(symbols)}
    return [index[p] for p in phonemes if p in index]
