"""Vosk/Kaldi small Korean recogniser: the weaker alternative (CER ~40 % clean, much worse at 8 kHz)."""
from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from asr.base import ModelError, Transcript
from asr.guard import audio_problem
from asr.itn import normalize


class VoskRecognizer:
    """``make_recognizer("vosk")``. ``hint`` is ignored (the small model has a fixed graph).

    Whisper-only options (``beam_size``, ``compute_type``, ``cpu_threads``, ``models_dir``) are accepted and
    ignored, so the same settings can build either engine.
    """

    sample_rate = 16000
    name = "vosk-small-ko"

    def __init__(self, model_dir: str | os.PathLike[str] | None = None, *, itn: bool = True,
                 beam_size: int | None = None, compute_type: str | None = None, cpu_threads: int | None = None,
                 models_dir: str | os.PathLike[str] | None = None, min_audio_s: float = 0.2,
                 silence_rms: float = 0.004) -> None:
        self.model_dir = Path(model_dir).expanduser() if model_dir else None
        self.itn = itn
        self.min_audio_s = min_audio_s
        self.silence_rms = silence_rms
        self._model: Any = None
        self._lock = threading.Lock()

    def resolve_model_dir(self) -> Path:
        from asr.models import vosk_model_dir

        path = self.model_dir or vosk_model_dir()
        if not path.is_dir():
            raise ModelError(f"Vosk model_dir {path} does not exist")
        missing = [n for n in ("am/final.mdl", "conf/mfcc.conf") if not (path / n).is_file()]
        if missing:
            raise ModelError(f"Vosk model_dir {path} is not a Vosk model: missing {', '.join(missing)}")
        return path

    def load(self) -> None:
        if self._model is not None:
            return
        with self._lock:
            if self._model is not None:
                return
            path = self.resolve_model_dir()
            try:
                import vosk
            except ImportError as exc:
                raise ModelError("vosk is not installed: pip install 'carecall[vosk]'") from exc
            vosk.SetLogLevel(-1)
            try:
                self._model = vosk.Model(str(path))
            except Exception as exc:
                raise ModelError(f"cannot load Vosk model from {path}: {exc}") from exc

    def transcribe(self, audio: Any, hint: str | None = None) -> Transcript:
        import numpy as np

        from asr.audio import as_mono_float32

        started = time.perf_counter()
        samples = as_mono_float32(audio)
        audio_s = samples.shape[0] / self.sample_rate
        problem = audio_problem(samples, self.sample_rate, self.min_audio_s, self.silence_rms)
        if problem:
            return Transcript("", audio_s, time.perf_counter() - started, dropped=problem)
        self.load()
        import vosk

        rec = vosk.KaldiRecognizer(self._model, float(self.sample_rate))  # one per turn: cheap, not shared
        pcm = (samples * 32767.0).astype(np.int16).tobytes()
        step = self.sample_rate  # 1 s of int16 per call
        for i in range(0, len(pcm), step * 2):
            rec.AcceptWaveform(pcm[i:i + step * 2])
        raw = json.loads(rec.FinalResult()).get("text", "").strip()
        text = normalize(raw) if self.itn and raw else raw
        return Transcript(text, audio_s, time.perf_counter() - started, raw=raw)
