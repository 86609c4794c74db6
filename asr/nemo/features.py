"""Incremental log-mel features with the model's own NeMo preprocessor, packet by packet.

NeMo's preprocessor frames audio with ``center=True`` (frame k centred on sample k*hop, window n_fft). Frame k is
final once ``k*hop + n_fft/2`` samples have arrived. Each push runs the preprocessor over the few samples that
complete new frames, with two hops of left context, and keeps only frames whose whole window lay inside that
slice: the result equals the whole-clip features (the stream is prefixed with the zeros the centred STFT would
pad). Needs a preprocessor without per-utterance normalisation (``normalize: NA``), like every cache-aware
streaming checkpoint.
"""
from __future__ import annotations

from typing import Any

import numpy as np


class IncrementalFeatures:
    """Turns a growing waveform (model rate, float32) into log-mel frames as soon as each frame is final."""

    CONTEXT_HOPS = 2

    def __init__(self, preprocessor: Any, device: Any, lock: Any = None):
        import contextlib

        self.lock = lock or contextlib.nullcontext()
        feat = preprocessor.featurizer
        self.pre = preprocessor
        self.device = device
        self.hop = int(feat.hop_length)
        pad = getattr(feat, "stft_pad_amount", None)  # exact_pad models pad (n_fft - hop) / 2 instead
        self.left = int(pad) if pad is not None else int(feat.n_fft) // 2
        self.half_window = int(feat.n_fft) - self.left  # samples needed right of a frame's start point
        if self.left > self.CONTEXT_HOPS * self.hop:
            raise ValueError(f"n_fft {feat.n_fft} needs more than {self.CONTEXT_HOPS} hops of left context")
        self.reset()

    def reset(self) -> None:
        self._buf = np.zeros(self.CONTEXT_HOPS * self.hop, np.float32)  # starts at global sample -2*hop
        self._buf_start = -self.CONTEXT_HOPS * self.hop
        self._received = 0
        self._next_frame = 0

    @property
    def frames_emitted(self) -> int:
        return self._next_frame

    def push(self, audio: np.ndarray) -> np.ndarray:
        """Append samples; return the newly final frames as ``[n_mels, n]`` (n may be 0)."""
        if audio.size:
            self._buf = np.concatenate([self._buf, audio.astype(np.float32, copy=False)])
            self._received += audio.size
        if self._received < self.half_window:
            return self._empty()
        complete = (self._received - self.half_window) // self.hop + 1
        return self._emit(complete)

    def flush(self) -> np.ndarray:
        """End of stream: the remaining frames of the whole clip (as many as the whole-clip preprocessor gives), right-padded
        with zeros as the padded STFT does."""
        import torch

        total = int(self.pre.featurizer.get_seq_len(torch.tensor([self._received]))[0])
        if total <= self._next_frame:
            return self._empty()
        pad = self.half_window + self.hop
        self._buf = np.concatenate([self._buf, np.zeros(pad, np.float32)])
        return self._emit(total, padded=pad)

    def _emit(self, upto: int, padded: int = 0) -> np.ndarray:
        if upto <= self._next_frame:
            return self._empty()
        import torch

        start = (self._next_frame - self.CONTEXT_HOPS) * self.hop  # global sample of the slice start
        seg = self._buf[start - self._buf_start:]
        with torch.inference_mode(), self.lock:
            x = torch.from_numpy(np.ascontiguousarray(seg)).to(self.device).unsqueeze(0)
            # ``length`` excludes the end padding so the preprocessor zeroes it after pre-emphasis, as for a clip.
            feats, _ = self.pre(input_signal=x, length=torch.tensor([seg.size - padded], device=self.device))
        n = upto - self._next_frame
        out = feats[0, :, self.CONTEXT_HOPS:self.CONTEXT_HOPS + n].float().cpu().numpy()
        self._next_frame = upto
        keep_from = (upto - self.CONTEXT_HOPS) * self.hop
        self._buf = self._buf[keep_from - self._buf_start:]
        self._buf_start = keep_from
        return out

    def _empty(self) -> np.ndarray:
        return np.zeros((int(self.pre.featurizer.nfilt), 0), np.float32)
