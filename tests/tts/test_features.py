"""Log-mel features: shapes, frame count, and equality with HiFi-GAN's recipe computed independently."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from tts.features import LOG_FLOOR, MelConfig, log_mel, mel_basis


def _reference(wav: np.ndarray, cfg: MelConfig) -> np.ndarray:
    """HiFi-GAN ``meldataset.mel_spectrogram`` written with numpy + librosa (float64)."""
    librosa = pytest.importorskip("librosa")

    pad = (cfg.n_fft - cfg.hop_length) // 2
    y = np.pad(wav.astype(np.float64), (pad, pad), mode="reflect")
    spec = librosa.stft(y, n_fft=cfg.n_fft, hop_length=cfg.hop_length, win_length=cfg.win_length,
                        window="hann", center=False)
    mag = np.sqrt(spec.real**2 + spec.imag**2 + 1e-9)
    basis = librosa.filters.mel(sr=cfg.sample_rate, n_fft=cfg.n_fft, n_mels=cfg.n_mels, fmin=cfg.fmin, fmax=cfg.fmax)
    return np.log(np.clip(basis @ mag, 1e-5, None))


def _chirp(n: int, rate: int = 22050) -> np.ndarray:
    t = np.arange(n) / rate
    return (0.5 * np.sin(2 * np.pi * (200 + 1500 * t) * t)).astype(np.float32)


@pytest.mark.parametrize("n", [0, 100, 256, 300, 1000, 22050, 22051])
def test_frames_are_samples_over_hop(n):
    cfg = MelConfig()
    assert tuple(log_mel(np.zeros(n, np.float32)).shape) == (80, n // cfg.hop_length)
    assert tuple(log_mel(torch.zeros(3, n)).shape) == (3, 80, n // cfg.hop_length)


def test_matches_hifigan_recipe():
    cfg = MelConfig()
    wav = _chirp(11025) + 0.01 * np.random.default_rng(0).standard_normal(11025).astype(np.float32)
    ours = log_mel(wav, cfg).numpy()
    ref = _reference(wav, cfg)
    assert ours.shape == ref.shape
    loud = ref > -6  # compare where there is energy; near the floor float32 rounding dominates the log
    assert np.abs(ours - ref)[loud].max() < 1e-3
    assert np.abs(ours - ref).mean() < 1e-3


def test_batch_equals_single_and_silence_is_the_floor():
    wavs = torch.stack([torch.from_numpy(_chirp(4096)), torch.zeros(4096)])
    batch = log_mel(wavs)
    assert torch.allclose(batch[0], log_mel(wavs[0]), atol=1e-5)
    assert torch.allclose(batch[1], torch.full_like(batch[1], LOG_FLOOR))


@pytest.mark.parametrize("cfg", [MelConfig(), MelConfig(sample_rate=16000, n_fft=512, n_mels=40, fmin=55.0, fmax=7600.0)])
def test_mel_basis_equals_librosa(cfg):
    librosa = pytest.importorskip("librosa")
    ref = librosa.filters.mel(sr=cfg.sample_rate, n_fft=cfg.n_fft, n_mels=cfg.n_mels, fmin=cfg.fmin, fmax=cfg.fmax)
    np.testing.assert_allclose(mel_basis(cfg), ref, rtol=1e-5, atol=1e-8)


def test_config_round_trips_and_rejects_bad_shapes():
    cfg = MelConfig(sample_rate=16000, fmax=7600.0)
    assert MelConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError):
        log_mel(torch.zeros(1, 2, 100))
