"""One call's streaming state: resampler, incremental features, chunking, encoder caches and hypothesis.

The model is shared by every call; a ``StreamingSession`` holds only its own caches. Chunking follows NeMo's
``CacheAwareStreamingAudioBuffer`` (first chunk ``chunk_size[0]`` frames, then ``chunk_size[1]`` frames with
``pre_encode_cache_size`` frames of feature context and ``drop_extra_pre_encoded``), but on features that
arrive 20 ms at a time instead of a whole file's spectrogram.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from asr.nemo.features import IncrementalFeatures


def _first(value: Any) -> int:
    return int(value[0]) if isinstance(value, (list, tuple)) else int(value)


def _rest(value: Any) -> int:
    return int(value[1]) if isinstance(value, (list, tuple)) else int(value)


@dataclass
class Chunk:
    features: np.ndarray  # [n_mels, T] including the pre-encode context
    length: int
    first: bool
    last: bool
    drop_extra_pre_encoded: int


@dataclass(frozen=True)
class ChunkGeometry:
    """The encoder's streaming chunk sizes, copied once when the model is loaded.

    NeMo's ``cache_aware_stream_step`` rewrites the shared ``encoder.streaming_cfg.drop_extra_pre_encoded``
    for the duration of every step (0 on a stream's first chunk). A planner that read the live config could
    see another call's temporary value and cut its own chunk with the wrong drop: the encoder then kept
    frames it had already seen and the transcript repeated a syllable ("금요일로 로"). Each pair is (first
    chunk, later chunks).
    """

    chunk_size: tuple[int, int]
    shift_size: tuple[int, int]
    pre_encode_cache_size: tuple[int, int]
    drop_extra_pre_encoded: int
    sampling_frames: tuple[int, int] | None

    @classmethod
    def of(cls, encoder: Any) -> ChunkGeometry:
        """Read from a loaded encoder while no stream is stepping (``NemoStreamingRecognizer.load``)."""
        cfg = encoder.streaming_cfg
        pre = encoder.pre_encode
        sampling = pre.get_sampling_frames() if hasattr(pre, "get_sampling_frames") else None
        return cls(
            chunk_size=_pair(cfg.chunk_size),
            shift_size=_pair(cfg.shift_size),
            pre_encode_cache_size=_pair(cfg.pre_encode_cache_size),
            drop_extra_pre_encoded=int(cfg.drop_extra_pre_encoded),
            sampling_frames=None if sampling is None else _pair(sampling),
        )


def _pair(value: Any) -> tuple[int, int]:
    return (_first(value), _rest(value))


class ChunkPlanner:
    """Cuts a growing feature sequence into the encoder's streaming chunks."""

    def __init__(self, geometry: ChunkGeometry, n_mels: int):
        self.geometry = geometry
        self.n_mels = n_mels
        self.reset()

    def reset(self) -> None:
        self._feats = np.zeros((self.n_mels, 0), np.float32)
        self._feats_start = 0  # global frame index of _feats[:, 0]
        self._total = 0
        self._idx = 0  # global frame where the next chunk starts
        self._steps = 0

    def add(self, frames: np.ndarray) -> None:
        if frames.shape[1]:
            self._feats = np.concatenate([self._feats, frames], axis=1)
            self._total += frames.shape[1]

    def chunks(self, final: bool = False) -> list[Chunk]:
        """Every chunk that is complete now (``final``: also the incomplete tail)."""
        out: list[Chunk] = []
        g = self.geometry
        while True:
            first = self._steps == 0
            at = 0 if first else 1
            size, shift = g.chunk_size[at], g.shift_size[at]
            available = self._total - self._idx
            if available <= 0 or (available < size and not final):
                break
            if g.sampling_frames is not None and min(available, size) < g.sampling_frames[at]:
                break
            if first:
                context = np.zeros((self.n_mels, g.pre_encode_cache_size[0]), np.float32)
            else:
                want = g.pre_encode_cache_size[1]
                lo = max(self._idx - want, 0)
                context = self._slice(lo, self._idx)
                if context.shape[1] < want:
                    pad = np.zeros((self.n_mels, want - context.shape[1]), np.float32)
                    context = np.concatenate([pad, context], axis=1)
            body = self._slice(self._idx, min(self._idx + size, self._total))
            feats = np.concatenate([context, body], axis=1)
            self._idx += shift
            self._steps += 1
            last = final and self._idx >= self._total
            drop = 0 if first else g.drop_extra_pre_encoded
            out.append(Chunk(feats, feats.shape[1], first, last, drop))
            self._trim()
        return out

    def _slice(self, lo: int, hi: int) -> np.ndarray:
        return self._feats[:, lo - self._feats_start:hi - self._feats_start]

    def _trim(self) -> None:
        keep_from = max(self._idx - self.geometry.pre_encode_cache_size[1], 0)
        if keep_from > self._feats_start:
            self._feats = self._feats[:, keep_from - self._feats_start:]
            self._feats_start = keep_from


class Stepper(Protocol):
    """Runs one chunk through the encoder and decoder, keeping the caches; returns the hypothesis text."""

    def step(self, chunk: Chunk) -> str: ...

    def reset(self) -> None: ...


class TorchStepper:
    """``model.conformer_stream_step`` with this stream's caches (CTC, RNNT or either head of a hybrid).

    ``lock`` is shared by every stream of one model (and by its preprocessor calls): NeMo's
    ``cache_aware_stream_step`` briefly rewrites the shared ``encoder.streaming_cfg.drop_extra_pre_encoded``,
    and concurrent preprocessor calls also gave wrong features, so streams stepping at once in threads
    corrupted each other (tests/asr/test_nemo_streaming.py caught it). Steps are milliseconds on CPU for the
    small model; a GPU serving many calls would batch streams instead.
    """

    def __init__(self, model: Any, device: str, lock: Any = None):
        import threading

        self.model = model
        self.device = device
        self.lock = lock or threading.Lock()
        self.reset()

    def reset(self) -> None:
        import torch

        with torch.inference_mode():
            ch, tm, ln = self.model.encoder.get_initial_cache_state(batch_size=1)
        self._cache = (ch, tm, ln)
        self._pred_out = None
        self._hyps = None
        self.text = ""

    def step(self, chunk: Chunk) -> str:
        import torch

        with torch.inference_mode(), self.lock:
            feats = torch.from_numpy(chunk.features).unsqueeze(0).to(self.device)
            length = torch.tensor([chunk.length], device=self.device)
            result = self.model.conformer_stream_step(
                processed_signal=feats, processed_signal_length=length,
                cache_last_channel=self._cache[0], cache_last_time=self._cache[1],
                cache_last_channel_len=self._cache[2], keep_all_outputs=chunk.last,
                previous_hypotheses=self._hyps, previous_pred_out=self._pred_out,
                drop_extra_pre_encoded=chunk.drop_extra_pre_encoded, return_transcription=True,
            )
        preds, texts, ch, tm, ln, best = result[:6]
        self._cache = (ch, tm, ln)
        self._pred_out, self._hyps = preds, best
        hyp = texts[0]
        self.text = hyp if isinstance(hyp, str) else (getattr(hyp, "text", "") or "")
        return self.text


class StreamingSession:
    """Audio in (any rate), growing partial text out, final text at the end of a turn."""

    def __init__(self, features: IncrementalFeatures, planner: ChunkPlanner, stepper: Stepper, model_rate: int,
                 input_rate: int):
        self.features, self.planner, self.stepper = features, planner, stepper
        self.model_rate, self.input_rate = model_rate, input_rate
        self.text = ""
        self.samples_in = 0
        self._resampler = None
        self.reset()

    def reset(self) -> None:
        """Forget everything: fresh caches for the next turn."""
        self.features.reset()
        self.planner.reset()
        self.stepper.reset()
        self.text = ""
        self.samples_in = 0
        self._resampler = None
        if self.input_rate != self.model_rate:
            import soxr

            self._resampler = soxr.ResampleStream(self.input_rate, self.model_rate, 1, dtype="float32", quality="HQ")

    @property
    def audio_s(self) -> float:
        return self.samples_in / self.input_rate

    def push(self, audio: np.ndarray) -> str | None:
        """Feed float32 mono samples at ``input_rate`` (a 20 ms packet or any length). Returns the partial
        text when it changed, else None."""
        self.samples_in += audio.size
        if self._resampler is not None:
            audio = self._resampler.resample_chunk(audio.astype(np.float32, copy=False))
        self.planner.add(self.features.push(audio))
        return self._run(final=False)

    def push_pcm16(self, pcm: bytes) -> str | None:
        return self.push(np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768.0)

    def push_mulaw(self, payload: bytes) -> str | None:
        """A telephone packet as it comes off the wire: G.711 µ-law at ``input_rate`` (8 kHz)."""
        from telephony.codec import ulaw_decode

        pcm = ulaw_decode(payload)
        return self.push(pcm.astype(np.float32) / 32768.0)

    def finish(self) -> str:
        """End of the turn: flush resampler, features and the last chunk; return the raw final text."""
        if self._resampler is not None:
            tail = self._resampler.resample_chunk(np.zeros(0, np.float32), last=True)
            self.planner.add(self.features.push(tail))
        self.planner.add(self.features.flush())
        self._run(final=True)
        return self.text

    def _run(self, final: bool) -> str | None:
        changed = None
        for chunk in self.planner.chunks(final=final):
            text = self.stepper.step(chunk)
            if text != self.text:
                self.text = changed = text
        return changed
