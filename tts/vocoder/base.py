"""The vocoder interface: log-mel in, waveform out, whole or streamed in overlapping chunks.

Every utterance is vocoded as if followed by ``context_frames`` of silence (the networks look that far ahead),
so whole, streamed and batched (padded) vocoding of the same mel give the same samples.

Streaming: the mel is cut into chunks of ``chunk_frames``; each is vocoded with ``overlap_frames`` of context on
both sides (the networks are non-causal), the context audio is dropped, and neighbouring chunks are cross-faded
over ``fade_samples`` taken from the right context, so the joins are inaudible and the stream agrees with
whole-utterance vocoding. Parallel WaveGAN's input noise is a fixed-seed sequence indexed by sample position,
so a chunk sees exactly the noise it would see in a whole-utterance run.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import torch
from torch import nn

from tts.features import LOG_FLOOR, MelConfig


class VocoderError(RuntimeError):
    """The vocoder cannot be loaded or used: missing file, wrong kind, incompatible weights or mel config."""


NOISE_SEED = 20200101


class Vocoder:
    """A loaded generator in inference form (weight norm folded, eval mode). Thread-safe."""

    kind: str = "vocoder"

    def __init__(self, generator: nn.Module, mel_config: MelConfig, *, kind: str, device: str = "cpu",
                 context_frames: int = 8):
        if generator.hop_length != mel_config.hop_length:
            raise VocoderError(f"the generator upsamples by {generator.hop_length} but the mel hop is "
                               f"{mel_config.hop_length}")
        self.generator = generator.to(device).eval()
        self.mel_config = mel_config
        self.kind = kind
        self.device = torch.device(device)
        self.context_frames = context_frames
        self._noise = torch.zeros(0)
        self._noise_lock = threading.Lock()

    @property
    def sample_rate(self) -> int:
        return self.mel_config.sample_rate

    @property
    def hop_length(self) -> int:
        return self.mel_config.hop_length

    @property
    def n_mels(self) -> int:
        return self.mel_config.n_mels

    # -- the network ----------------------------------------------------------------------------------------------
    @property
    def uses_noise(self) -> bool:
        return self.kind == "pwg"

    def noise(self, start: int, stop: int) -> torch.Tensor:
        """Samples ``[start, stop)`` of the fixed input-noise sequence (grown on demand, shared by all calls)."""
        with self._noise_lock:
            if self._noise.numel() < stop:
                n = max(stop, 2 * self._noise.numel(), self.sample_rate * 10)
                gen = torch.Generator().manual_seed(NOISE_SEED)
                self._noise = torch.randn(n, generator=gen)
            return self._noise[start:stop]

    def run(self, mel: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        """The raw network: mel ``[B, 80, T]`` (+ noise ``[B, 1, T*hop]`` for PWG) → ``[B, T*hop]`` in [-1, 1]."""
        mel = mel.to(self.device, torch.float32)
        with torch.inference_mode():
            if self.uses_noise:
                if noise is None:
                    noise = self.noise(0, mel.shape[-1] * self.hop_length).expand(mel.shape[0], 1, -1)
                wav = self.generator(noise.to(self.device), mel)
            else:
                wav = self.generator(mel)
        return wav.squeeze(1).clamp(-1.0, 1.0).cpu()

    def __call__(self, mel: torch.Tensor | np.ndarray) -> torch.Tensor:
        """Log-mel ``[B, 80, T]`` (or ``[80, T]``) → float waveform ``[B, T*hop]`` (or ``[T*hop]``) in [-1, 1]."""
        mel = torch.as_tensor(mel, dtype=torch.float32)
        squeeze = mel.dim() == 2
        if squeeze:
            mel = mel.unsqueeze(0)
        self._check(mel)
        frames = mel.shape[-1]
        if frames == 0:
            out = torch.zeros(mel.shape[0], 0)
        else:
            out = self.run(self.pad_silence(mel, frames + self.context_frames))[:, : frames * self.hop_length]
        return out[0] if squeeze else out

    @staticmethod
    def pad_silence(mel: torch.Tensor, frames: int) -> torch.Tensor:
        """``mel`` (``[..., T]``) extended to ``frames`` frames with silence (the log-mel floor)."""
        return torch.nn.functional.pad(mel, (0, frames - mel.shape[-1]), value=LOG_FLOOR)

    def _check(self, mel: torch.Tensor) -> None:
        if mel.dim() != 3 or mel.shape[1] != self.n_mels:
            raise ValueError(f"expected a log-mel [B, {self.n_mels}, T], got shape {tuple(mel.shape)}")

    # -- streaming ------------------------------------------------------------------------------------------------
    def stream(self, mel: torch.Tensor | np.ndarray, chunk_frames: int = 32, overlap_frames: int | None = None,
               fade_samples: int | None = None, max_chunk_frames: int | None = None) -> Iterator[np.ndarray]:
        """Float32 audio chunks of a log-mel ``[80, T]``; their concatenation has ``T * hop`` samples.

        ``overlap_frames`` is the context vocoded on each side of a chunk (default: the network's receptive
        field, ``context_frames``); ``fade_samples`` the cross-fade at each join (default: one hop).
        ``max_chunk_frames``: chunks double from ``chunk_frames`` up to this size, so the first audio leaves as
        early and later chunks spend less time on context (default: all chunks ``chunk_frames``).
        """
        mel = torch.as_tensor(mel, dtype=torch.float32)
        if mel.dim() != 2:
            raise ValueError(f"stream takes one log-mel [{self.n_mels}, T], got shape {tuple(mel.shape)}")
        self._check(mel.unsqueeze(0))
        if chunk_frames < 1:
            raise ValueError("chunk_frames must be at least 1")
        hop, total = self.hop_length, mel.shape[-1]
        context = self.context_frames if overlap_frames is None else max(0, overlap_frames)
        mel = self.pad_silence(mel, total + self.context_frames)  # what a whole-utterance call sees
        fade = min(hop if fade_samples is None else fade_samples, context * hop)
        ramp = torch.linspace(0.0, 1.0, fade + 2)[1:-1] if fade else torch.zeros(0)
        tail = torch.zeros(0)  # the previous chunk's audio over the next chunk's first ``fade`` samples
        start, size = 0, chunk_frames
        while start < total:
            stop = min(total, start + size)
            size = min(2 * size, max(max_chunk_frames or chunk_frames, chunk_frames))
            lo, hi = max(0, start - context), min(total + self.context_frames, stop + context)
            noise = self.noise(lo * hop, hi * hop).view(1, 1, -1) if self.uses_noise else None
            audio = self.run(mel[:, lo:hi].unsqueeze(0), noise)[0]
            own = audio[(start - lo) * hop:(stop - lo) * hop]
            n = min(tail.numel(), own.numel())
            if n:
                own = torch.cat([tail[:n] * (1 - ramp[:n]) + own[:n] * ramp[:n], own[n:]])
            tail = audio[(stop - lo) * hop:(stop - lo) * hop + fade]
            start = stop
            yield own.numpy().astype(np.float32, copy=False)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kind={self.kind!r}, sample_rate={self.sample_rate}, hop={self.hop_length})"
