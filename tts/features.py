"""Log-mel features shared by the acoustic model and the vocoder.

Computed exactly as HiFi-GAN's ``meldataset.mel_spectrogram`` (the universal checkpoint was trained on it):
librosa's Slaney mel basis (re-implemented here, so librosa is not needed at run time), reflect padding of ``(n_fft - hop) / 2`` on both sides, STFT with ``center=False``
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


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above (librosa's default, ``htk=False``)."""
    hz = np.asarray(hz, dtype=np.float64)
    mel = hz / (200.0 / 3)
    log_step = np.log(6.4) / 27.0
    return np.where(hz >= 1000.0, 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / log_step, mel)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    log_step = np.log(6.4) / 27.0
    return np.where(mel >= 15.0, 1000.0 * np.exp(log_step * (mel - 15.0)), mel * (200.0 / 3))


def mel_basis(cfg: MelConfig) -> np.ndarray:
    """``[n_mels, n_fft // 2 + 1]`` triangular filters, Slaney area-normalised (= ``librosa.filters.mel``)."""
    fft_hz = np.linspace(0.0, cfg.sample_rate / 2.0, 1 + cfg.n_fft // 2)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(cfg.fmin), _hz_to_mel(cfg.fmax), cfg.n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_hz[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


def _basis_and_window(cfg: MelConfig, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    key = (cfg, str(device))
    with _cache_lock:
        if key not in _cache:
            _cache[key] = (torch.from_numpy(mel_basis(cfg)).to(device),
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


__all__ = ["LOG_FLOOR", "MelConfig", "log_mel", "mel_basis"]
