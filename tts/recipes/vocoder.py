"""Training recipe of the vocoder: Parallel WaveGAN from scratch, or fine-tuning HiFi-GAN universal.

As in the Parallel WaveGAN recipe: the generator first learns alone from the multi-resolution STFT loss
(warm-up), then the discriminator is switched on at ``discriminator_start`` and the generator's loss becomes
``MR-STFT + 4.0 * LSGAN adversarial``; RAdam, gradient clipping (10 / 1). Both kinds use the Parallel WaveGAN
discriminator: HiFi-GAN's MPD+MSD pair (≈ 70 M parameters) is out of reach on a CPU node, and with the
MR-STFT loss this is the setup of the PWG paper; a fine-tuned universal generator stays loadable as ``hifigan``.

Data (shared with the acoustic recipe): ``data_dir/manifest.jsonl``, one JSON per line with ``id``, ``wav``
(path relative to ``data_dir``, mono 16-bit WAV at ``MelConfig.sample_rate``), ``text``, ``phonemes``,
``n_frames``. Training examples are random ``segment_frames``-frame windows (mel + its samples).
Checkpoints ``out_dir/step-NNNNNNN.pt`` (generator, discriminator, optimisers, step) every ``save_every``
steps and at the end; ``resume=True`` continues from the latest one.
"""
from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from tts.features import MelConfig, log_mel
from tts.vocoder.base import VocoderError
from tts.vocoder.checkpoint import (build_generator, latest_checkpoint, load_generator, read_checkpoint,
                                    save_checkpoint, step_path)
from tts.vocoder.hifigan import universal_checkpoint
from tts.vocoder.losses import MultiResolutionSTFTLoss, discriminator_loss, generator_adversarial_loss
from tts.vocoder.pwg import DiscriminatorConfig, PWGDiscriminator

log = logging.getLogger(__name__)

LAMBDA_ADV = 4.0
LEARNING_RATES = {"pwg": (1e-4, 5e-5), "hifigan": (2e-5, 5e-5)}  # (generator, discriminator)
GRAD_CLIP = (10.0, 1.0)


@dataclass
class Utterance:
    id: str
    wav: np.ndarray  # float32 in [-1, 1], trimmed to n_frames * hop
    mel: torch.Tensor  # [80, n_frames]


def read_corpus(data_dir: Path, mel_config: MelConfig, min_frames: int = 1) -> list[Utterance]:
    """Every manifest entry's audio and log-mel (computed here, so the vocoder sees exactly its own features)."""
    import soundfile as sf

    manifest = Path(data_dir) / "manifest.jsonl"
    if not manifest.is_file():
        raise FileNotFoundError(f"{manifest} is missing (one JSON line per utterance: id, wav, text, ...)")
    utterances = []
    for line_no, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            audio, rate = sf.read(Path(data_dir) / entry["wav"], dtype="float32", always_2d=True)
        except (ValueError, KeyError, OSError) as exc:
            raise ValueError(f"{manifest}:{line_no}: {exc}") from exc
        if rate != mel_config.sample_rate:
            raise ValueError(f"{manifest}:{line_no}: {entry['wav']} is {rate} Hz, the vocoder needs "
                             f"{mel_config.sample_rate} Hz")
        audio = audio.mean(axis=1)
        frames = len(audio) // mel_config.hop_length
        if frames < min_frames:
            continue
        audio = audio[: frames * mel_config.hop_length]
        utterances.append(Utterance(str(entry.get("id", line_no)), audio, log_mel(audio, mel_config)))
    if not utterances:
        raise ValueError(f"{manifest} has no utterance of at least {min_frames} frames")
    return utterances


class SegmentSampler:
    """Random (mel window, matching waveform) pairs; short utterances are padded with silence."""

    def __init__(self, corpus: list[Utterance], segment_frames: int, hop: int, seed: int):
        self.corpus, self.frames, self.hop = corpus, segment_frames, hop
        self.rng = random.Random(seed)

    def batch(self, size: int) -> tuple[torch.Tensor, torch.Tensor]:
        mels, wavs = [], []
        for _ in range(size):
            u = self.rng.choice(self.corpus)
            n = u.mel.shape[-1]
            start = self.rng.randint(0, max(0, n - self.frames))
            mel = u.mel[:, start:start + self.frames]
            wav = torch.from_numpy(u.wav[start * self.hop:(start + self.frames) * self.hop])
            if mel.shape[-1] < self.frames:
                missing = self.frames - mel.shape[-1]
                mel = torch.nn.functional.pad(mel, (0, missing), value=float(np.log(1e-5)))
                wav = torch.nn.functional.pad(wav, (0, missing * self.hop))
            mels.append(mel)
            wavs.append(wav)
        return torch.stack(mels), torch.stack(wavs).unsqueeze(1)


def _initial_generator(kind: str, init_from: Path | str | None, config: dict | None) -> tuple[nn.Module, MelConfig]:
    if init_from is None:
        return build_generator(kind, config), MelConfig()
    path = universal_checkpoint() if str(init_from) == "universal" else Path(init_from)
    generator, init_kind, mel = load_generator(read_checkpoint(path), str(path))
    if init_kind != kind:
        raise VocoderError(f"{path} holds a {init_kind} generator; cannot initialise a {kind} run from it")
    return generator, mel


def _cpu(state):
    """A state dict (nested) with every tensor moved to the CPU."""
    if isinstance(state, torch.Tensor):
        return state.detach().cpu()
    if isinstance(state, dict):
        return {k: _cpu(v) for k, v in state.items()}
    if isinstance(state, (list, tuple)):
        return type(state)(_cpu(v) for v in state)
    return state


def _generate(generator: nn.Module, mel: torch.Tensor) -> torch.Tensor:
    if hasattr(generator, "upsample"):  # Parallel WaveGAN: noise in
        noise = torch.randn(mel.shape[0], 1, mel.shape[-1] * generator.hop_length, device=mel.device)
        return generator(noise, mel)
    return generator(mel)


def train_vocoder(data_dir: Path, out_dir: Path, *, kind: str = "pwg", steps: int = 1000, batch_size: int = 4,
                  segment_frames: int = 32, resume: bool = False, init_from: Path | str | None = None,
                  discriminator_start: int | None = None, progress: bool = True, seed: int = 0,
                  config: dict | None = None, discriminator_config: dict | None = None,
                  save_every: int | None = None, learning_rates: tuple[float, float] | None = None,
                  device: str = "cpu") -> Path:
    """Train (or fine-tune) a vocoder and return the final checkpoint's path.

    ``kind``: ``pwg`` or ``hifigan``; ``init_from``: a checkpoint or ``"universal"`` (HiFi-GAN universal);
    ``discriminator_start``: the step the discriminator joins (default: half of ``steps``);
    ``config`` / ``discriminator_config``: network overrides (e.g. ``tts.vocoder.pwg.PWG_SMALL``);
    ``device``: ``"cuda"`` on the GPU node (checkpoints are always written with CPU tensors).
    """
    if kind not in LEARNING_RATES:
        raise ValueError(f"unknown vocoder kind {kind!r}; known: {', '.join(LEARNING_RATES)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    d_start = steps // 2 if discriminator_start is None else discriminator_start
    save_every = save_every or max(1, min(1000, steps // 5 or 1))

    state = read_checkpoint(found) if resume and (found := latest_checkpoint(out_dir)) else None
    if state is not None:
        generator, loaded_kind, mel_config = load_generator(state, str(found))
        if loaded_kind != kind:
            raise VocoderError(f"{found} holds a {loaded_kind} run; cannot resume it as {kind}")
        disc_cfg = DiscriminatorConfig(**(state.get("discriminator_config") or {}))
    else:
        generator, mel_config = _initial_generator(kind, init_from, config)
        disc_cfg = DiscriminatorConfig(**(discriminator_config or {}))
    discriminator = PWGDiscriminator(disc_cfg)
    generator.to(device)
    discriminator.to(device)
    lr_g, lr_d = learning_rates or LEARNING_RATES[kind]
    optim_g = torch.optim.RAdam(generator.parameters(), lr=lr_g, eps=1e-6)
    optim_d = torch.optim.RAdam(discriminator.parameters(), lr=lr_d, eps=1e-6)
    step = 0
    if state is not None:
        discriminator.load_state_dict(state["discriminator"])
        optim_g.load_state_dict(state["optim_g"])
        optim_d.load_state_dict(state["optim_d"])
        step = int(state["step"])
        torch.manual_seed(seed + step)
    if step >= steps:
        return found

    corpus = read_corpus(data_dir, mel_config)
    sampler = SegmentSampler(corpus, segment_frames, mel_config.hop_length, seed + step)
    stft_loss = MultiResolutionSTFTLoss().to(device)
    log_path = out_dir / "train_log.jsonl"
    generator.train()
    discriminator.train()

    def save(at: int) -> Path:
        return save_checkpoint(step_path(out_dir, at), generator, mel_config,
                               discriminator_config=disc_cfg.to_dict(), discriminator=_cpu(discriminator.state_dict()),
                               optim_g=_cpu(optim_g.state_dict()), optim_d=_cpu(optim_d.state_dict()), step=at,
                               train={"data_dir": str(data_dir), "batch_size": batch_size,
                                      "segment_frames": segment_frames, "discriminator_start": d_start})

    from tqdm import tqdm

    bar = tqdm(total=steps, initial=step, disable=not progress, desc=f"vocoder ({kind})", unit="step")
    last = None
    with log_path.open("a", encoding="utf-8") as log_file:
        while step < steps:
            started = time.monotonic()
            mel, real = (t.to(device) for t in sampler.batch(batch_size))
            fake = _generate(generator, mel)
            sc, mag = stft_loss(fake, real)
            loss_g = sc + mag
            adv = loss_d = None
            if step >= d_start:
                adv = generator_adversarial_loss(discriminator(fake))
                loss_g = loss_g + LAMBDA_ADV * adv
            optim_g.zero_grad()
            loss_g.backward()
            nn.utils.clip_grad_norm_(generator.parameters(), GRAD_CLIP[0])
            optim_g.step()
            if step >= d_start:
                loss_d = discriminator_loss(discriminator(real), discriminator(fake.detach()))
                optim_d.zero_grad()
                loss_d.backward()
                nn.utils.clip_grad_norm_(discriminator.parameters(), GRAD_CLIP[1])
                optim_d.step()
            step += 1
            record = {"step": step, "sc": round(sc.item(), 5), "mag": round(mag.item(), 5),
                      "adv": None if adv is None else round(adv.item(), 5),
                      "d": None if loss_d is None else round(loss_d.item(), 5),
                      "s": round(time.monotonic() - started, 3)}
            log_file.write(json.dumps(record) + "\n")
            bar.set_postfix(stft=f"{sc.item() + mag.item():.3f}", d="-" if loss_d is None else f"{loss_d.item():.3f}")
            bar.update(1)
            if step % save_every == 0 or step == steps:
                log_file.flush()
                last = save(step)
    bar.close()
    return last or save(step)
