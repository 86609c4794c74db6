"""Train a streaming FastConformer from a config, or fine-tune a checkpoint, on NeMo-style JSON manifests.

A manifest is one JSON object per line: ``{"audio_filepath": ..., "duration": ..., "text": ...}`` — the format
ClovaCall and KsponSpeech are converted to. Uses NeMo's own model classes and Lightning trainer on CPU or GPU.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class TrainResult:
    path: Path
    params: int
    steps: int
    seconds: float
    final_loss: float | None


def quiet_nemo() -> None:
    """NeMo logs every config key as a warning when restoring; keep only errors."""
    from nemo.utils import logging as nemo_logging

    nemo_logging.setLevel(logging.ERROR)


def read_manifest(path: str | Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_manifest(path: str | Path, rows: list[dict[str, Any]]) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def labels_of(manifests: list[str | Path]) -> list[str]:
    """Character labels covering every transcript (space first), for a char model trained from scratch."""
    chars = {ch for m in manifests for row in read_manifest(m) for ch in row["text"]}
    return [" "] + sorted(chars - {" "})


def train(
    train_manifest: str | Path,
    out_path: str | Path,
    *,
    config: dict[str, Any] | None = None,
    init_from: str | Path | None = None,
    val_manifest: str | Path | None = None,
    max_steps: int = 1000,
    batch_size: int = 32,
    lr: float | None = None,
    threads: int = 2,
    seed: int = 1234,
    accelerator: str = "auto",
    progress: bool = True,
    att_context_probs: list[float] | None = None,
    save_every: int | None = None,
) -> TrainResult:
    """Train ``config`` from scratch, or fine-tune the ``.nemo`` at ``init_from``; save to ``out_path``.
    ``save_every`` N also saves ``<out_path stem>.step<k>.nemo`` every N steps (a long CPU run can be cut short)."""
    import lightning.pytorch as pl
    import torch
    from omegaconf import OmegaConf

    from nemo.collections.asr.models import ASRModel, EncDecCTCModel

    quiet_nemo()
    torch.set_num_threads(threads)
    pl.seed_everything(seed, workers=True)
    trainer = pl.Trainer(
        accelerator=accelerator, devices=1, max_steps=max_steps, logger=False, enable_checkpointing=False,
        enable_progress_bar=progress, enable_model_summary=False, log_every_n_steps=50,
        limit_val_batches=0, num_sanity_val_steps=0, gradient_clip_val=1.0,
        callbacks=[_Snapshots(Path(out_path), save_every)] if save_every else None,
    )
    ds_update = {"manifest_filepath": str(train_manifest), "batch_size": batch_size}
    if init_from:
        model = ASRModel.restore_from(str(init_from), map_location="cpu")
        model.set_trainer(trainer)
        train_cfg = OmegaConf.to_container(model.cfg.train_ds, resolve=True) | ds_update
        model.setup_training_data(OmegaConf.create(train_cfg))
        optim = OmegaConf.to_container(model.cfg.optim, resolve=True)
        optim["sched"]["max_steps"] = max_steps
        if lr:
            optim["lr"] = lr
        model.setup_optimization(OmegaConf.create(optim))
    else:
        if config is None:
            raise ValueError("give a model config or a checkpoint to fine-tune")
        config = {**config, "train_ds": {**config["train_ds"], **ds_update}}
        config["optim"]["sched"]["max_steps"] = max_steps
        if lr:
            config["optim"]["lr"] = lr
        model = EncDecCTCModel(cfg=OmegaConf.create(config), trainer=trainer)
    if att_context_probs:  # multi-lookahead models: how often each chunk size is drawn in training
        model.encoder.att_context_probs = list(att_context_probs)
    started = time.perf_counter()
    trainer.fit(model)
    seconds = time.perf_counter() - started
    loss = trainer.callback_metrics.get("train_loss")
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save_to(str(out))
    params = sum(p.numel() for p in model.parameters())
    return TrainResult(out, params, trainer.global_step, seconds, float(loss) if loss is not None else None)


def _Snapshots(out: Path, every: int):
    import lightning.pytorch as pl

    class Snapshots(pl.Callback):
        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
            step = trainer.global_step
            if step and step % every == 0 and step < trainer.max_steps:
                out.parent.mkdir(parents=True, exist_ok=True)
                pl_module.save_to(str(out.with_name(f"{out.stem}.step{step}.nemo")))

    return Snapshots()
