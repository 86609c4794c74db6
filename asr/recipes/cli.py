"""``carecall asr train|eval|export``: NeMo recipes for the streaming recogniser.

Register with ``app.add_typer(asr_app, name="asr")`` in ``agent/cli/main.py``. NeMo is imported only inside the
commands, so ``carecall --help`` stays fast.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

asr_app = typer.Typer(help="Speech recogniser recipes (NeMo): train, evaluate, export.", no_args_is_help=True)
console = Console()


def _load_config(config: str, manifests: list[Path]) -> dict:
    """``small`` / ``large`` (built-in streaming FastConformer sizes) or a NeMo model YAML (``model:`` or bare)."""
    from asr.recipes import configs
    from asr.recipes.train import labels_of

    if config in ("small", "large"):
        from asr.recipes.corpus import vocabulary

        labels = vocabulary() if config == "small" else labels_of(manifests)
        return configs.streaming_ctc_config(labels) if config == "small" else configs.production_config(labels)
    import yaml

    data = yaml.safe_load(Path(config).read_text(encoding="utf-8"))
    data = data.get("model", data)
    if not data.get("labels"):
        labels = labels_of(manifests)
        data["labels"] = labels
        for key in ("train_ds", "validation_ds", "test_ds"):
            if key in data:
                data[key]["labels"] = labels
        data.setdefault("decoder", {})["vocabulary"] = labels
        data["decoder"]["num_classes"] = len(labels)
    return data


@asr_app.command()
def train(
    train_manifest: Path = typer.Argument(..., exists=True, help="NeMo JSON-lines manifest (audio_filepath, duration, text)."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the trained .nemo."),
    config: str = typer.Option("small", help="small | large | path to a model YAML (ignored with --init)."),
    init: Path | None = typer.Option(None, exists=True, help="A .nemo checkpoint to fine-tune instead."),
    val_manifest: Path | None = typer.Option(None, "--val", exists=True, help="Held-out manifest to score after training."),
    steps: int = typer.Option(1000, help="Optimiser steps."),
    batch_size: int = typer.Option(32),
    lr: float | None = typer.Option(None, help="Peak learning rate (default: the config's)."),
    threads: int = typer.Option(2, help="Torch threads on CPU."),
    accelerator: str = typer.Option("auto", help="auto | cpu | gpu"),
    seed: int = typer.Option(1234),
) -> None:
    """Train a cache-aware streaming FastConformer from a config, or fine-tune a checkpoint."""
    from asr.recipes.train import train as run_train

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    cfg = None if init else _load_config(config, [train_manifest])
    result = run_train(train_manifest, out, config=cfg, init_from=init, max_steps=steps, batch_size=batch_size,
                       lr=lr, threads=threads, seed=seed, accelerator=accelerator)
    console.print(f"[bold]saved[/] {result.path} ({result.path.stat().st_size / 1e6:.1f} MB): "
                  f"{result.params / 1e6:.2f} M parameters, {result.steps} steps in {result.seconds:.0f} s, "
                  f"loss {result.final_loss}")
    if val_manifest:
        _eval(result.path, val_manifest, "nemo", None, "cpu", False, None, None)


@asr_app.command("eval")
def eval_(
    model: Path = typer.Argument(..., help="A .nemo checkpoint."),
    manifest: Path = typer.Argument(..., exists=True, help="NeMo JSON-lines manifest to score."),
    engine: str = typer.Option("nemo", help="nemo (torch) | nemo-onnx"),
    chunk_ms: int | None = typer.Option(None, help="Chunk size of a multi-lookahead model."),
    device: str = typer.Option("cpu"),
    telephone: bool = typer.Option(False, help="Through 8 kHz µ-law, fed at 8 kHz like a phone call."),
    limit: int | None = typer.Option(None, help="Only the first N clips."),
    report: Path | None = typer.Option(None, help="JSON report path (default: next to the manifest)."),
) -> None:
    """Stream every clip of a manifest in 20 ms packets; print CER / WER / RTF and write a JSON report."""
    _eval(model, manifest, engine, chunk_ms, device, telephone, limit, report)


def _eval(model: Path, manifest: Path, engine: str, chunk_ms: int | None, device: str, telephone: bool,
          limit: int | None, report_path: Path | None) -> None:
    from asr import ModelError, make_recognizer
    from asr.recipes.evaluate import evaluate

    rec = make_recognizer(engine, model_path=model, device=device, chunk_ms=chunk_ms)
    try:
        rec.load()
    except ModelError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=console, transient=True) as bar:
        task = bar.add_task("streaming", total=None)
        result = evaluate(rec, manifest, telephone=telephone, limit=limit,
                          progress=lambda n, total: bar.update(task, completed=n, total=total))
    table = Table(title=f"{model.name} on {manifest.name} ({engine}, {result.chunk_ms} ms chunks"
                        f"{', 8 kHz µ-law' if telephone else ''})")
    for col in ("clips", "CER", "CER after ITN", "WER", "exact", "RTF", "final p50 ms", "final p95 ms",
                "growing partials"):
        table.add_column(col, justify="right")
    table.add_row(str(result.utterances), f"{result.cer:.2%}", f"{result.cer_itn:.2%}", f"{result.wer:.2%}",
                  f"{result.exact:.0%}", f"{result.rtf:.3f}", f"{result.final_latency_ms_p50:.1f}",
                  f"{result.final_latency_ms_p95:.1f}", f"{result.growing_partials:.0%}")
    console.print(table)
    worst = sorted(result.items, key=lambda u: -u.cer)[:5]
    for u in worst:
        if u.cer > 0:
            console.print(f"  {u.cer:.0%}  {u.ref}  →  {u.hyp}")
    out = report_path or manifest.with_name(f"{manifest.stem}.{engine}.report.json")
    result.to_json(out)
    console.print(f"report: {out}")
