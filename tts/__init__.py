"""Korean text to speech for the live call.

```python
from tts import make_synthesizer
syn = make_synthesizer("kokoro", voice="jf_alpha", speed=1.0)   # or "espeak", or "hdts" (pitch=, energy=)
syn.load()                                   # heavy, idempotent
pcm = syn.synthesize("안녕하세요. 식사는 하셨어요?")   # np.int16 mono at syn.sample_rate
for chunk in syn.stream(text): ...           # one chunk per clause (hdts: per vocoder chunk)
syn.stream(text, Prosody(speed=0.9, pitch=0.95))   # per-call speaking style (tts.prosody)
```
Importing this package is light: engines load their runtimes in ``load()``. Text analysis: ``tts.text``.
"""
from __future__ import annotations

from tts.base import SynthesisError, Synthesizer
from tts.factory import ENGINES, available_voices, make_synthesizer
from tts.prosody import Prosody

__all__ = ["ENGINES", "Prosody", "SynthesisError", "Synthesizer", "available_voices", "make_synthesizer"]
