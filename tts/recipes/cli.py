"""``carecall tts prepare|train-acoustic|train-vocoder|synthesize``: recipes of the HDTS-style voice.

Register with ``app.add_typer(tts_app, name="tts")`` in ``agent/cli/main.py``. torch and NeMo are imported only
inside the commands, so ``carecall --help`` stays fast.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import typer
from rich.console import Console

tts_app = typer.Typer(help="Speech synthesis recipes: prepare a corpus, train, synthesise.", no_args_is_help=True)
console = Console()


def _config(path: Path | None) -> dict | None:
    """Network overrides from a JSON or YAML file (field names of the model's config)."""
    if path is None:
        return None
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def _threads(threads: int) -> None:
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    import torch

    torch.set_num_threads(threads)


@tts_app.command()
def prepare(
    source: Path = typer.Argument(..., exists=True, help="A transcript list (path|text[|expanded…], KSS or LJSpeech style) or its directory."),
    out: Path = typer.Option(..., "--out", "-o", help="The prepared corpus directory (manifest.jsonl, wavs/, feats/)."),
    limit: int | None = typer.Option(None, help="Only the first N utterances."),
) -> None:
    """Resample, trim, phonemise and extract log-mel, F0 and energy for every utterance."""
    from tts.recipes.prepare import STATS, prepare as run

    manifest = run(source, out, limit=limit)
    import json

    stats = json.loads((out / STATS).read_text(encoding="utf-8"))
    console.print(f"[bold]prepared[/] {stats['utterances']} utterances ({stats['hours'] * 60:.1f} min of audio, "
                  f"{stats['skipped']} skipped) → {manifest}")


@tts_app.command("train-acoustic")
def train_acoustic(
    data: Path = typer.Argument(..., exists=True, file_okay=False, help="A prepared corpus directory."),
    out: Path = typer.Option(..., "--out", "-o", help="Training directory (checkpoint.pt, acoustic.pt, train_log.jsonl)."),
    steps: int = typer.Option(2000, help="Total optimiser steps (a resumed run continues up to this number)."),
    batch_size: int = typer.Option(16),
    lr: float = typer.Option(1e-3, help="Peak learning rate (Noam schedule)."),
    resume: bool = typer.Option(False, "--resume", help="Continue from OUT/checkpoint.pt (weights, optimiser, step)."),
    init: Path | None = typer.Option(None, exists=True, help="Start from this acoustic checkpoint's weights (fine-tuning)."),
    max_minutes: float | None = typer.Option(None, help="Stop (with a checkpoint) after this much training time."),
    align_steps: int = typer.Option(600, help="Steps of joint alignment training before the aligner is frozen."),
    config: Path | None = typer.Option(None, exists=True, help="JSON/YAML of model sizes (d_model, decoder_layers, …)."),
    checkpoint_every: int = typer.Option(200),
    threads: int = typer.Option(1, help="Torch threads."),
    seed: int = typer.Option(0),
) -> None:
    """Train the FastSpeech 2-style acoustic model (alignment learnt jointly, MAS durations)."""
    _threads(threads)
    from tts.recipes.acoustic import train_acoustic as run

    started = time.monotonic()
    path = run(data, out, steps=steps, batch_size=batch_size, lr=lr, resume=resume, init_from=init,
               max_minutes=max_minutes, align_steps=align_steps, config=_config(config),
               checkpoint_every=checkpoint_every, seed=seed, threads=threads)
    console.print(f"[bold]saved[/] {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.monotonic() - started:.0f} s")


@tts_app.command("train-vocoder")
def train_vocoder(
    data: Path = typer.Argument(..., exists=True, file_okay=False, help="A prepared corpus directory."),
    out: Path = typer.Option(..., "--out", "-o", help="Training directory (step-*.pt checkpoints)."),
    kind: str = typer.Option("pwg", help="pwg (Parallel WaveGAN) | hifigan"),
    steps: int = typer.Option(1000),
    batch_size: int = typer.Option(4),
    resume: bool = typer.Option(False, "--resume", help="Continue from the latest checkpoint in OUT."),
    init: str | None = typer.Option(None, help="Start from this vocoder checkpoint, or 'universal' (HiFi-GAN)."),
    config: Path | None = typer.Option(None, exists=True, help="JSON/YAML of generator sizes."),
    threads: int = typer.Option(1, help="Torch threads."),
    seed: int = typer.Option(0),
) -> None:
    """Train a GAN vocoder on the same prepared corpus."""
    _threads(threads)
    from tts.recipes.vocoder import train_vocoder as run

    path = run(data, out, kind=kind, steps=steps, batch_size=batch_size, resume=resume, init_from=init, seed=seed,
               config=_config(config))
    console.print(f"[bold]saved[/] {path}")


@tts_app.command()
def synthesize(
    text: str = typer.Argument(..., help="Korean text to speak."),
    out: Path = typer.Option(..., "--out", "-o", help="WAV file to write."),
    engine: str = typer.Option("hdts", help="hdts | kokoro | espeak"),
    voice: str | None = typer.Option(None, help="A voice name, or (hdts) the path of an acoustic checkpoint."),
    vocoder: Path | None = typer.Option(None, help="(hdts) A vocoder checkpoint; default HiFi-GAN universal."),
    speed: float = typer.Option(1.0, help="0.5–2.0; below 1 is slower."),
    pitch: float = typer.Option(1.0, help="F0 factor, 0.5–2.0 (hdts; espeak)."),
    energy: float = typer.Option(1.0, help="Magnitude factor, 0.25–4.0."),
    threads: int = typer.Option(1, help="Torch / ONNX threads."),
) -> None:
    """Synthesise TEXT to a WAV file."""
    import soundfile as sf

    from tts import SynthesisError, make_synthesizer

    options: dict = {"pitch": pitch, "energy": energy}
    if engine in ("hdts", "kokoro"):
        options["threads"] = threads
    if engine == "hdts" and vocoder is not None:
        options["vocoder"] = vocoder
    try:
        syn = make_synthesizer(engine, voice=voice, speed=speed, **options)
        started = time.monotonic()
        pcm = syn.load().synthesize(text)
    except (SynthesisError, ValueError) as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    took = time.monotonic() - started
    out.parent.mkdir(parents=True, exist_ok=True)
    sf.write(out, pcm, syn.sample_rate, subtype="PCM_16")
    seconds = pcm.size / syn.sample_rate
    console.print(f"[bold]wrote[/] {out}: {seconds:.2f} s at {syn.sample_rate} Hz in {took:.2f} s ({syn!r})")
