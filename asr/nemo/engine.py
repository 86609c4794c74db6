"""The NeMo streaming recogniser: one shared model, one ``StreamingSession`` per call.

```python
rec = NemoStreamingRecognizer("/models/ko_fastconformer.nemo", device="cuda")   # or None: the committed small model
rec.load()                                  # restore_from + checks; ModelError with the reason if unusable
s = rec.session(input_rate=8000)            # per call / per turn
for packet in packets: partial = s.push(packet)   # float32 20 ms packets; a str when the hypothesis grew
final = rec.finalize(s)                     # flush + Korean ITN (세 명 → 3명)
```
Also a segment-at-a-time ``transcribe`` (the ``asr.Recognizer`` contract), which streams the segment in 20 ms
packets through a session, so a streaming engine can stand in wherever the segmented ones do.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from asr.base import StreamSession, Transcript
from asr.nemo.loading import ModelInfo, load_streaming_model

if TYPE_CHECKING:
    from asr.nemo.session import ChunkGeometry, StreamingSession

PACKET_S = 0.02


class NemoStreamingRecognizer:
    """Cache-aware streaming FastConformer (CTC, RNNT or hybrid) through NeMo's own streaming step; an
    ``asr.StreamingRecognizer``."""

    name = "nemo"

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        device: str | None = None,
        decoder: str | None = None,
        chunk_ms: int | None = None,
        threads: int | None = None,
        itn: bool = True,
        model_dir: str | Path | None = None,  # the factory's generic name for the model location
        **_ignored: Any,
    ):
        self.model_path = model_path or model_dir or None
        self.device = device or "cpu"
        self.decoder = decoder
        self.chunk_ms = chunk_ms
        self.threads = threads or 1
        self.itn = itn
        self._model: Any = None
        self.info: ModelInfo | None = None
        self.geometry: ChunkGeometry | None = None  # the chunk sizes, fixed at load (see ChunkGeometry)
        self._lock = threading.Lock()
        self._step_lock = threading.Lock()  # one NeMo streaming step at a time per model (see TorchStepper)

    @property
    def model(self) -> Any:
        """The shared NeMo model (None until ``load``)."""
        return self._model

    @property
    def sample_rate(self) -> int:
        """The model's own rate once loaded (16 kHz before, the rate of every NeMo ASR checkpoint we know)."""
        return self.info.sample_rate if self.info else 16000

    def load(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            if self.device.startswith("cuda"):
                import torch

                if not torch.cuda.is_available():
                    from asr.base import ModelError

                    raise ModelError(f"device {self.device!r} asked for, but torch sees no CUDA device")
            else:
                import torch

                # One intra-op thread per stream: more threads stalled the 20 ms loop on a 2-core CPU.
                torch.set_num_threads(self.threads)
            from asr.nemo.session import ChunkGeometry

            model, info = load_streaming_model(
                self.model_path, device=self.device, decoder=self.decoder, chunk_ms=self.chunk_ms
            )
            self.geometry = ChunkGeometry.of(model.encoder)  # before any stream can step
            self._model, self.info = model, info

    def _stepper(self) -> Any:
        from asr.nemo.session import TorchStepper

        return TorchStepper(self.model, self.device, self._step_lock)

    def session(self, input_rate: int | None = None) -> StreamingSession:
        """A new stream with its own caches; ``input_rate`` is the rate of the audio pushed (default: model's)."""
        from asr.nemo.features import IncrementalFeatures
        from asr.nemo.session import ChunkPlanner, StreamingSession

        self.load()
        features = IncrementalFeatures(self.model.preprocessor, self.device, self._step_lock)
        planner = ChunkPlanner(self.geometry, int(self.model.encoder._feat_in))
        return StreamingSession(features, planner, self._stepper(), self.sample_rate, input_rate or self.sample_rate)

    def postprocess(self, text: str) -> str:
        """Final text as the dialog reads it: NFC, single spaces, Korean ITN."""
        import unicodedata

        text = " ".join(unicodedata.normalize("NFC", text).split())
        if self.itn and text:
            from asr.itn import normalize

            text = normalize(text)
        return text

    def finalize(self, session: StreamSession) -> str:
        return self.postprocess(session.finish())

    def transcribe(self, audio: np.ndarray, hint: str | None = None) -> Transcript:
        """One segment (float32 mono at ``sample_rate``), streamed in 20 ms packets. ``hint`` is unused: a CTC
        model has no prompt."""
        from asr.audio import as_mono_float32
        from asr.guard import audio_problem

        started = time.perf_counter()
        audio = as_mono_float32(audio)
        problem = audio_problem(audio, self.sample_rate)
        if problem:
            return Transcript("", audio.size / self.sample_rate, time.perf_counter() - started, dropped=problem)
        session = self.session()
        step = int(PACKET_S * self.sample_rate)
        for i in range(0, audio.size, step):
            session.push(audio[i:i + step])
        raw = session.finish()
        text = self.postprocess(raw)
        return Transcript(text, audio.size / self.sample_rate, time.perf_counter() - started, raw=raw)
