"""Log-mel features shared by the acoustic model and the vocoder.

Computed exactly as HiFi-GAN's ``meldataset.mel_spectrogram`` (the universal checkpoint was trained on it):
librosa's Slaney mel basis, reflect padding of ``(n_fft - hop) / 2`` on both sides, STFT with ``center=False``
and a Hann window, magnitude ``sqrt(re² + im² + 1e-9)``, then ``log(clamp(mel, 1e-5))``. A waveform of ``T``
samples gives exactly ``T // hop_length`` frames, so mel frame ``i`` covers samples ``[i*hop, (i+1)*hop)``.
"""
from __future__ import annotations

import threading
from dataclasses import asdict, dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class MelConfig:
    sample_rate: int = 22050
    n_fft: int = 1024
    hop_length: int = 256
    win_length: int = 1024
    n_mels: int = 80
    fmin: float = 0.0
    fmax: float = 8000.0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> MelConfig:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


LOG_FLOOR = float(np.log(1e-5))  # the value of silence in log-mel
_cache: dict[tuple, tuple[torch.Tensor, torch.Tensor]] = {}
_cache_lock = threading.Lock()


def _basis_and_window(cfg: MelConfig, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    key = (cfg, str(device))
    with _cache_lock:
        if key not in _cache:
            from librosa.filters import mel as librosa_mel

            basis = librosa_mel(sr=cfg.sample_rate, n_fft=cfg.n_fft, n_mels=cfg.n_mels, fmin=cfg.fmin, fmax=cfg.fmax)
            _cache[key] = (torch.from_numpy(basis).float().to(device),
                           torch.hann_window(cfg.win_length, device=device))
        return _cache[key]


def log_mel(wav: np.ndarray | torch.Tensor, cfg: MelConfig = MelConfig()) -> torch.Tensor:
    """Float waveform in [-1, 1], ``[T]`` or ``[B, T]`` → log-mel ``[n_mels, T // hop]`` or ``[B, n_mels, T // hop]``."""
    x = torch.as_tensor(np.asarray(wav, dtype=np.float32) if isinstance(wav, np.ndarray) else wav).float()
    squeeze = x.dim() == 1
    if squeeze:
        x = x.unsqueeze(0)
    if x.dim() != 2:
        raise ValueError(f"expected a waveform [T] or [B, T], got shape {tuple(x.shape)}")
    basis, window = _basis_and_window(cfg, x.device)
    pad = (cfg.n_fft - cfg.hop_length) // 2
    n_frames = x.shape[-1] // cfg.hop_length
    if x.shape[-1] <= pad:  # too short to reflect-pad: extend with silence, keep T // hop frames
        x = torch.nn.functional.pad(x, (0, pad + 1 - x.shape[-1]))
    x = torch.nn.functional.pad(x.unsqueeze(1), (pad, pad), mode="reflect").squeeze(1)
    spec = torch.stft(x, cfg.n_fft, hop_length=cfg.hop_length, win_length=cfg.win_length, window=window,
                      center=False, pad_mode="reflect", normalized=False, onesided=True, return_complex=True)
    mag = torch.sqrt(spec.real.pow(2) + spec.imag.pow(2) + 1e-9)
    mel = torch.log(torch.clamp(torch.matmul(basis, mag), min=1e-5))[..., :n_frames]
    return mel[0] if squeeze else mel


__all__ = ["LOG_FLOOR", "MelConfig", "log_mel"]
