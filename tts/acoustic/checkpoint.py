"""Acoustic-model checkpoints: one file holds the model's config, weights, phoneme list, corpus statistics and
mel settings, so a user's own checkpoint loads through exactly the same code as the shipped voice.

A training checkpoint additionally holds the aligner, the optimiser and the step (``resume``); ``export``
keeps only what synthesis needs, in float16 (half the size; loaded back as float32).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tts.acoustic.model import AcousticConfig, AcousticModel, Stats
from tts.features import MelConfig
from tts.torch_files import load_weights, save_atomic

FORMAT = "carecall-hdts-acoustic"
VERSION = 1


class CheckpointError(ValueError):
    """The file is not a usable acoustic-model checkpoint (missing, corrupt, another format, wrong shapes)."""


@dataclass
class Acoustic:
    """A loaded acoustic model with everything needed to use it."""
    model: AcousticModel
    stats: Stats
    symbols: tuple[str, ...]
    mel: MelConfig
    step: int
    path: Path


def make_payload(model: AcousticModel, stats: Stats, symbols, mel: MelConfig, step: int, **extra) -> dict:
    return {"format": FORMAT, "version": VERSION, "config": model.cfg.to_dict(), "model": model.state_dict(),
            "symbols": list(symbols), "stats": stats.to_dict(), "mel": mel.to_dict(), "step": int(step), **extra}


def save(payload: dict, path: Path) -> Path:
    """Write atomically: a killed run never leaves a truncated checkpoint."""
    return save_atomic(payload, path)


def read(path: Path) -> dict:
    """The raw payload, validated as this format."""
    payload = load_weights(path, CheckpointError, "acoustic checkpoint")
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a carecall HDTS acoustic checkpoint (expected format {FORMAT!r})")
    if payload.get("version", 0) > VERSION:
        raise CheckpointError(f"{path} has format version {payload['version']}; this code reads up to {VERSION}")
    missing = [k for k in ("config", "model", "symbols", "stats", "mel") if k not in payload]
    if missing:
        raise CheckpointError(f"{path} lacks {', '.join(missing)}")
    return payload


def load_acoustic(path: Path, device: str = "cpu") -> Acoustic:
    """The model of a checkpoint (training or exported), in eval mode on ``device``."""
    payload = read(path)
    model = AcousticModel(AcousticConfig.from_dict(payload["config"]))
    state = {k: v.float() if v.is_floating_point() else v for k, v in payload["model"].items()}
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise CheckpointError(f"{path}: weights do not match its config: {exc}") from exc
    model.to(device).eval()
    return Acoustic(model, Stats(**payload["stats"]), tuple(payload["symbols"]), MelConfig.from_dict(payload["mel"]),
                    int(payload.get("step", 0)), Path(path))


def export(src: Path, dst: Path, *, half: bool = True) -> Path:
    """An inference-only copy of a (training) checkpoint: no aligner, optimiser or RNG state; float16 weights."""
    payload = read(src)
    keep = {k: payload[k] for k in ("format", "version", "config", "symbols", "stats", "mel", "step")}
    keep["model"] = {k: (v.half() if half and v.is_floating_point() else v) for k, v in payload["model"].items()}
    for k in ("corpus", "trained"):
        if k in payload:
            keep[k] = payload[k]
    return save(keep, dst)
