"""NVIDIA NeMo streaming recognition (cache-aware FastConformer), imported only when the nemo engine is used.

``from asr.nemo import NemoStreamingRecognizer`` costs nothing until ``load()``: NeMo, torch and onnxruntime are
imported there (NeMo takes 7-12 s and ~700 MB to import).
"""
from __future__ import annotations

from asr.nemo.engine import NemoStreamingRecognizer
from asr.nemo.loading import DEFAULT_MODEL, ModelInfo

__all__ = ["DEFAULT_MODEL", "ModelInfo", "NemoStreamingRecognizer"]
