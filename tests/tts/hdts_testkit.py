"""A tiny KSS-style corpus and a tiny acoustic-model config for the HDTS tests (seconds on one CPU core)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 24000  # not the model's rate: prepare must resample
TEXTS = ["안녕하세요.", "식사는 하셨어요?", "네 잘 먹었어요.", "내일 다시 전화드릴게요."]
TINY = {"d_model": 32, "n_heads": 2, "ffn_dim": 64, "encoder_layers": 1, "decoder_layers": 1, "predictor_dim": 32}


def speechlike(seconds: float, f0: float, seed: int) -> np.ndarray:
    """Syllable-like bursts of harmonics with a gliding F0, separated by short gaps, plus silence at both ends."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.15 * np.sin(2 * np.pi * 0.8 * t))) / RATE
    x = sum(np.sin(k * phase) / k for k in range(1, 10))
    env = np.clip(np.sin(2 * np.pi * 4 * t), 0, 1) ** 0.7
    wav = 0.3 * x / np.abs(x).max() * env + 0.002 * rng.standard_normal(t.size)
    pad = np.zeros(int(0.2 * RATE))
    return np.concatenate([pad, wav, pad]).astype(np.float32)


def make_kss_corpus(root: Path) -> Path:
    """``root/transcript.txt`` (KSS columns: path|text|expanded|decomposed|seconds|english) and its wavs."""
    (root / "1").mkdir(parents=True, exist_ok=True)
    lines = []
    for i, text in enumerate(TEXTS):
        wav = speechlike(0.6 + 0.15 * len(text) / 4, 100.0 + 20 * i, seed=i)
        sf.write(root / "1" / f"1_{i:04d}.wav", wav, RATE, subtype="PCM_16")
        lines.append(f"1/1_{i:04d}.wav|{text}|{text}|{text}|{len(wav) / RATE:.1f}|-")
    lines.append("1/missing.wav|없는 파일|없는 파일|없는 파일|1.0|-")
    (root / "transcript.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def tiny_voice(path: Path, seed: int = 0) -> Path:
    """An untrained tiny acoustic checkpoint (the real loader's format) with durations of ≈6 frames."""
    import torch

    from tts.acoustic import checkpoint
    from tts.acoustic.model import AcousticConfig, AcousticModel, Stats
    from tts.acoustic.symbols import SYMBOLS
    from tts.features import MelConfig

    torch.manual_seed(seed)
    model = AcousticModel(AcousticConfig(n_symbols=len(SYMBOLS), **TINY))
    with torch.no_grad():
        model.duration.out.bias.fill_(2.0)
    stats = Stats(pitch_mean=float(np.log(120.0)), pitch_std=0.25, energy_mean=0.0, energy_std=1.0)
    return checkpoint.save(checkpoint.make_payload(model, stats, SYMBOLS, MelConfig(), 0), path)


def tiny_vocoder(path: Path) -> Path:
    """An untrained tiny Parallel WaveGAN checkpoint (fast; the audio is noise, the shapes are real)."""
    from tts.features import MelConfig
    from tts.vocoder import build_generator
    from tts.vocoder.checkpoint import save_checkpoint

    small = {"layers": 4, "stacks": 2, "residual_channels": 8, "gate_channels": 16, "skip_channels": 8,
             "aux_context_window": 1}
    return save_checkpoint(path, build_generator("pwg", small), MelConfig())
