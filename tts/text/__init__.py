"""Korean text analysis for TTS: normalisation, pronunciation (G2P), IPA for Kokoro, break prediction.

```python
from tts.text import normalize, g2p, to_ipa, phonemize
normalize("7:30에 3명")        # '일곱 시 삼십 분에 세 명'
g2p("국물 먹어요")              # '궁물 머거요'  (pronounced hangul)
to_ipa(g2p("학교"))            # 'haʔkjo'
phonemize("내일 3시에 봬요.")   # normalize → breaks → g2p → IPA
```
Pure Python, no dependencies.
"""
from __future__ import annotations

from tts.text.breaks import add_breaks, split_clauses
from tts.text.ipa import to_ipa
from tts.text.normalize import normalize
from tts.text.pronounce import g2p


def phonemize(text: str) -> str:
    """Raw Korean text → Kokoro IPA string (normalised, with predicted breaks)."""
    return to_ipa(g2p(add_breaks(normalize(text))))


__all__ = ["add_breaks", "g2p", "normalize", "phonemize", "split_clauses", "to_ipa"]
