"""Tiny vocoder configs and a tiny generated corpus for the vocoder tests (seconds on one CPU core)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 22050
TINY_PWG = {"layers": 4, "stacks": 2, "residual_channels": 8, "gate_channels": 16, "skip_channels": 8,
            "aux_context_window": 1}
TINY_DISC = {"layers": 3, "conv_channels": 8}


def voiced(seconds: float, f0: float, seed: int = 0) -> np.ndarray:
    """A vowel-like signal: harmonics of a gliding f0 under a slow envelope, plus a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.1 * np.sin(2 * np.pi * 1.5 * t))) / RATE
    x = sum(np.sin(k * phase) / k for k in range(1, 12))
    env = np.clip(np.sin(np.pi * t / t[-1]), 0, 1) ** 0.5
    return (0.3 * x / np.abs(x).max() * env + 0.003 * rng.standard_normal(t.size)).astype(np.float32)


def make_corpus(root: Path, n: int = 3) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    with (root / "manifest.jsonl").open("w", encoding="utf-8") as f:
        for i in range(n):
            wav = voiced(0.4 + 0.1 * i, 110.0 + 40 * i, seed=i)
            name = f"wavs/u{i}.wav"
            (root / "wavs").mkdir(exist_ok=True)
            sf.write(root / name, wav, RATE, subtype="PCM_16")
            f.write(json.dumps({"id": f"u{i}", "wav": name, "text": "아", "phonemes": "a",
                                "n_frames": len(wav) // 256}, ensure_ascii=False) + "\n")
    return root
