"""Neural vocoders: log-mel (``tts.features``) → 22.05 kHz speech.

```python
from tts.vocoder import load_vocoder
voc = load_vocoder()                    # HiFi-GAN universal, or load_vocoder("var/vocoder/step-0100000.pt")
wav = voc(mel)                          # [B, 80, T] → [B, T * voc.hop_length], float in [-1, 1]
for chunk in voc.stream(mel[0]): ...    # float32 numpy chunks; the first leaves after one chunk
```
Two kinds: Parallel WaveGAN (``pwg``, trained by ``tts.recipes.vocoder``) and HiFi-GAN V1 (``hifigan``, the
universal checkpoint or a fine-tuned copy of it). Telephone audio: ``tts.telephone.to_telephone``.
"""
from __future__ import annotations

from tts.vocoder.base import Vocoder, VocoderError
from tts.vocoder.checkpoint import KINDS, build_generator, latest_checkpoint, load_vocoder

__all__ = ["KINDS", "Vocoder", "VocoderError", "build_generator", "latest_checkpoint", "load_vocoder"]
