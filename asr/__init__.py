"""Speech to text for the live call.

```python
from asr import make_recognizer
rec = make_recognizer("whisper")          # or "vosk"
rec.load()                                # heavy, idempotent
t = rec.transcribe(audio, hint="네 아니요 식사")   # float32 mono [-1, 1] at rec.sample_rate
```

Importing this package is light (no numpy, no model runtimes): the engines import their runtimes when loaded,
so ``from asr.itn import normalize`` costs nothing.
"""
from __future__ import annotations

from asr.base import ModelError, Recognizer, StreamingRecognizer, StreamSession, Transcript
from asr.factory import ENGINES, make_recognizer

__all__ = [
    "ENGINES", "ModelError", "Recognizer", "StreamSession", "StreamingRecognizer", "Transcript", "make_recognizer",
]
