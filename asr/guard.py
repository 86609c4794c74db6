"""Guards against Whisper's failure modes on phone audio.

* Before the model: empty, too short or silent audio is answered with empty text without running it.
* After the model: hallucination loops (repeated phrases), romanised/foreign-script gibberish, and the stock
  phrases Whisper invents on noise (YouTube sign-offs, broadcast credits, subtitle credits) are removed.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

MIN_AUDIO_S = 0.2
SILENCE_RMS = 0.004  # ≈ -48 dBFS: the loudest 30 ms frame of a turn below this is line noise, not speech


def audio_problem(audio: "np.ndarray", sample_rate: int, min_audio_s: float = MIN_AUDIO_S,
                  silence_rms: float = SILENCE_RMS) -> str | None:
    """Why ``audio`` is not worth recognising ('empty', 'too_short', 'silence'), or None."""
    import numpy as np

    n = int(audio.shape[0]) if audio.ndim else 0
    if n == 0:
        return "empty"
    if n < min_audio_s * sample_rate:
        return "too_short"
    frame = max(1, int(0.03 * sample_rate))
    usable = (n // frame) * frame or n
    frames = audio[:usable].reshape(-1, min(frame, usable)).astype(np.float64)
    loudest = float(np.sqrt((frames**2).mean(axis=1)).max())
    return "silence" if loudest < silence_rms else None


# Stock phrases Whisper produces on silence/noise (Korean YouTube and broadcast training data).
_STOCK = [
    r"(?:오늘도\s*|끝까지\s*|영상\s*)?시청\s*해\s*주셔서\s*(?:정말\s*)?(?:감사|고맙)(?:합니다|드립니다|습니다)",
    r"(?:구독|좋아요|알림\s*설정)(?:\s*(?:과|와|,|및|하고)?\s*(?:구독|좋아요|알림\s*설정))*\s*(?:부탁|눌러)[가-힣]*",
    r"다음\s*(?:영상|시간|편)에서\s*(?:또\s*)?(?:만나요|뵙겠습니다|만나겠습니다|봬요)",
    r"(?:MBC|KBS|SBS|YTN|JTBC|MBN|TV조선|채널A|연합)\s*뉴스\s*(?:[가-힣]{2,4}\s*(?:입니다|기자(?:입니다)?))?",
    r"[가-힣]{2,4}\s*기자(?:가|였습니다|입니다)\s*(?:보도합니다)?",
    r"(?:한글\s*)?자막\s*(?:(?:제공|제작|편집|번역)(?:\s*(?:및|과|와)\s*(?:한글\s*)?자막\s*(?:제공|제작|편집|번역))*"
    r"(?:\s*[:：]\s*[A-Za-z가-힣0-9_.]+)?|(?:[:：]|by|BY)\s*[A-Za-z가-힣0-9_.]+)",
    r"(?:subtitles?|captions?|translated|transcribed)\s*(?:by|:)\s*\S*",
    r"(?:www\.)?amara\.org\S*",
    r"(?:이\s*)?영상은\s*[가-힣\s]{0,20}(?:지원|협찬)[가-힣]*",
    r"(?:thank\s*you\s*for\s*watching|please\s*subscribe)[.!]?",
    r"ご視聴ありがとうございました",
]
_STOCK_RE = re.compile("|".join(f"(?:{p})" for p in _STOCK), re.IGNORECASE)
_HANGUL = re.compile(r"[가-힣ㄱ-ㅎㅏ-ㅣ]")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")
_OTHER_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0400-\u04ff\u0600-\u06ff\u0e00-\u0e7f]+")
# Latin words a Korean caller may really say, kept even in Korean sentences.
_LATIN_OK = {"ok", "okay", "ct", "mri", "tv", "cctv", "ktx", "sms", "ars", "pc", "am", "pm", "kg", "cm", "km", "mg",
             "icu", "er", "no", "yes", "covid", "cf"}
# A phrase (1–30 characters) repeated back to back 3+ more times is a decoding loop: keep one copy.
_LOOP = re.compile(r"(\S.{0,29}?)(?:[\s,.]*\1){3,}")
_SPACES = re.compile(r"\s+")


def _strip_other_scripts(text: str) -> str:
    return _OTHER_SCRIPT.sub(" ", text)


def _strip_romanised(text: str) -> str:
    """Drop Latin words unless they are a few known abbreviations; romanised Korean is gibberish to the dialog."""
    latin = sum(len(w) for w in _LATIN_WORD.findall(text))
    hangul = len(_HANGUL.findall(text))
    def keep(match: re.Match[str]) -> str:
        word = match.group(0)
        return word if word.lower() in _LATIN_OK else " "
    if latin == 0:
        return text
    if hangul == 0 or latin > 4:
        return _LATIN_WORD.sub(keep, text)
    return text


def collapse_loops(text: str) -> str:
    """'네 네 네 네 네 네' → '네'; '감사합니다 감사합니다 …' → '감사합니다'."""
    prev = None
    while prev != text:
        prev, text = text, _LOOP.sub(r"\1", text)
    return text


def clean_text(text: str, hint: str | None = None) -> tuple[str, str | None]:
    """Return (cleaned text, name of the guard that changed it or None)."""
    original = _SPACES.sub(" ", text).strip()
    reason = None
    out = _strip_other_scripts(original)
    if out != original:
        reason = "foreign_script"
    stripped = _STOCK_RE.sub(" ", out)
    if stripped != out:
        reason, out = "stock_phrase", stripped
    deromanised = _strip_romanised(out)
    if deromanised != out:
        reason, out = "romanised", deromanised
    looped = collapse_loops(out)
    if looped != out:
        reason, out = "loop", looped
    out = _SPACES.sub(" ", out).strip()
    if reason:
        out = re.sub(r"\s+([,.?!])", r"\1", out).strip(" ,.·-~")
    if not re.search(r"[가-힣0-9A-Za-z]", out):
        out, reason = "", reason or ("no_words" if original else None)
    if hint and out and _bare(out) == _bare(hint) and len(hint.split()) > 3:
        return "", "prompt_echo"  # Whisper read the prompt back instead of hearing anything
    return out, (reason if out != original else None)


def _bare(text: str) -> str:
    return re.sub(r"[\s,.?!·~-]+", "", text)
