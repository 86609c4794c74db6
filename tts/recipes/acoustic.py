"""Training of the acoustic model on a prepared corpus (``carecall tts train-acoustic``).

Joint training, as FastPitch with the alignment framework does it: each step the aligner aligns the batch's
phonemes to its mel frames (MAS on its soft alignment), the durations it finds are the length regulator's
input and the duration predictor's target, and per-phoneme pitch and energy are averaged from the frame
values over those durations. After ``align_steps`` the aligner is frozen: its durations for the whole corpus
are computed once, kept in the checkpoint, and later steps skip it (a third of a step's cost on a CPU).
Checkpoints every ``checkpoint_every`` steps and at the end (or when
``max_minutes`` is spent); ``resume`` continues from ``out_dir/checkpoint.pt`` with its optimiser and step.
Losses go to ``out_dir/train_log.jsonl``. One torch thread unless told otherwise.
"""
from __future__ import annotations

import json
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from tts.acoustic import checkpoint as ckpt
from tts.acoustic.features import phoneme_average
from tts.acoustic.model import AcousticConfig, AcousticModel, Stats
from tts.acoustic.symbols import SYMBOLS, encode
from tts.features import LOG_FLOOR, MelConfig
from tts.recipes.prepare import STATS, read_manifest

CHECKPOINT, EXPORTED, LOG = "checkpoint.pt", "acoustic.pt", "train_log.jsonl"


@dataclass
class Utterance:
    id: str
    tokens: torch.Tensor  # [N]
    mel: torch.Tensor  # [n_mels, T]
    log_f0: torch.Tensor  # [T] normalised, 0 where unvoiced
    voiced: torch.Tensor  # [T] bool
    energy: torch.Tensor  # [T] normalised


def load_corpus(data_dir: Path, stats: Stats, symbols=SYMBOLS, max_frames: int = 1000) -> list[Utterance]:
    data_dir = Path(data_dir)
    out = []
    for row in read_manifest(data_dir):
        tokens = encode(row["phonemes"].split(), symbols)
        if not tokens or row["n_frames"] > max_frames or row["n_frames"] < len(tokens):
            continue
        with np.load(data_dir / row["features"]) as z:
            mel, f0, en = z["mel"].astype(np.float32), z["f0"], z["energy"]
        voiced = f0 > 0
        lf = np.where(voiced, (np.log(np.maximum(f0, 1e-3)) - stats.pitch_mean) / stats.pitch_std, 0.0)
        out.append(Utterance(row["id"], torch.tensor(tokens), torch.from_numpy(mel),
                             torch.from_numpy(lf.astype(np.float32)), torch.from_numpy(voiced),
                             torch.from_numpy(((en - stats.energy_mean) / stats.energy_std).astype(np.float32))))
    if not out:
        raise ValueError(f"no usable utterance in {data_dir}")
    return out


def batches(corpus: list[Utterance], batch_size: int, rng: random.Random) -> list[list[Utterance]]:
    """Length-sorted buckets of ``batch_size``, in random order (little padding, every epoch different)."""
    order = sorted(corpus, key=lambda u: (u.mel.shape[1] + rng.random() * 20))
    groups = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(groups)
    return groups


def collate(group: list[Utterance], table: dict[str, torch.Tensor] | None = None) -> dict[str, torch.Tensor]:
    """Padded batch; with a durations ``table`` that covers the group, its durations too."""
    n = max(u.tokens.numel() for u in group)
    t = max(u.mel.shape[1] for u in group)
    b = len(group)
    out = {"tokens": torch.zeros(b, n, dtype=torch.long), "mel": torch.full((b, group[0].mel.shape[0], t), LOG_FLOOR),
           "log_f0": torch.zeros(b, t), "voiced": torch.zeros(b, t, dtype=torch.bool), "energy": torch.zeros(b, t),
           "token_lens": torch.tensor([u.tokens.numel() for u in group]),
           "mel_lens": torch.tensor([u.mel.shape[1] for u in group])}
    for i, u in enumerate(group):
        out["tokens"][i, : u.tokens.numel()] = u.tokens
        out["mel"][i, :, : u.mel.shape[1]] = u.mel
        out["log_f0"][i, : u.mel.shape[1]] = u.log_f0
        out["voiced"][i, : u.mel.shape[1]] = u.voiced
        out["energy"][i, : u.mel.shape[1]] = u.energy
    if table is not None and all(u.id in table for u in group):
        out["durations"] = torch.zeros(b, n, dtype=torch.long)
        for i, u in enumerate(group):
            out["durations"][i, : u.tokens.numel()] = table[u.id]
    return out


@torch.no_grad()
def extract_durations(model: AcousticModel, aligner, corpus: list[Utterance], batch_size: int = 16
                      ) -> dict[str, torch.Tensor]:
    """The aligner's (MAS) durations of every utterance."""
    table = {}
    for i in range(0, len(corpus), batch_size):
        group = corpus[i:i + batch_size]
        batch = collate(group)
        durations, _, _ = aligner(batch["mel"], batch["mel_lens"], model.embedding(batch["tokens"]), batch["token_lens"])
        for j, u in enumerate(group):
            table[u.id] = durations[j, : u.tokens.numel()].clone()
    return table


def train_step(model: AcousticModel, aligner, batch: dict, bin_weight: float) -> dict[str, torch.Tensor]:
    """Losses of one batch (aligner durations unless the batch has frozen ones, teacher-forced variance values)."""
    token_pad = batch["tokens"] == 0
    if "durations" in batch:
        durations, ctc, binl = batch["durations"], torch.zeros(()), torch.zeros(())
    else:
        emb = model.embedding(batch["tokens"])
        durations, ctc, binl = aligner(batch["mel"], batch["mel_lens"], emb, batch["token_lens"])
    pitch = phoneme_average(batch["log_f0"], durations, batch["voiced"])
    energy = phoneme_average(batch["energy"], durations)
    out = model(batch["tokens"], token_pad, durations, pitch, energy)
    keep = ~token_pad
    frames = ~out["frame_pad"]
    mel_t = batch["mel"].transpose(1, 2)[:, : frames.shape[1]]
    mel_loss = (F.l1_loss(out["mel"], mel_t, reduction="none").mean(-1) * frames).sum() / frames.sum()
    dur_loss = _masked_mse(out["log_duration"], torch.log1p(durations.float()), keep)
    pitch_loss = _masked_mse(out["pitch"], pitch, keep)
    energy_loss = _masked_mse(out["energy"], energy, keep)
    total = mel_loss + dur_loss + 0.5 * pitch_loss + 0.5 * energy_loss + ctc + bin_weight * binl
    return {"loss": total, "mel": mel_loss, "duration": dur_loss, "pitch": pitch_loss, "energy": energy_loss,
            "align": ctc, "bin": binl}


def _masked_mse(pred: torch.Tensor, target: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    return ((pred - target) ** 2 * keep).sum() / keep.sum()


def train_acoustic(data_dir: Path, out_dir: Path, *, steps: int = 2000, batch_size: int = 16, lr: float = 1e-3,
                   warmup: int = 300, align_steps: int | None = 600, resume: bool = False, init_from: Path | None = None,
                   config: dict | None = None, checkpoint_every: int = 200, max_minutes: float | None = None,
                   progress: bool = True, seed: int = 0, threads: int | None = 1) -> Path:
    """Train (or continue) and return the exported inference checkpoint ``out_dir/acoustic.pt``."""
    from tqdm import tqdm

    from tts.acoustic.align import Aligner

    if threads:
        torch.set_num_threads(threads)
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stats_file = json.loads((data_dir / STATS).read_text(encoding="utf-8"))
    stats = Stats(**{k: stats_file[k] for k in ("pitch_mean", "pitch_std", "energy_mean", "energy_std")})
    mel_cfg = MelConfig.from_dict(stats_file["mel"])
    random.seed(seed)
    torch.manual_seed(seed)
    rng = random.Random(seed)

    state = None
    if resume and (out_dir / CHECKPOINT).is_file():
        state = ckpt.read(out_dir / CHECKPOINT)
    elif init_from:
        state = ckpt.read(Path(init_from))
    symbols = tuple(state["symbols"]) if state else SYMBOLS
    cfg = AcousticConfig.from_dict(state["config"]) if state else AcousticConfig(n_symbols=len(symbols), **(config or {}))
    model = AcousticModel(cfg)
    aligner = Aligner(cfg.d_model, cfg.n_mels)
    params = list(model.parameters()) + list(aligner.parameters())
    optimizer = torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.98), weight_decay=1e-6)
    step = 0
    if state:
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state["model"].items()})
        if "aligner" in state:
            aligner.load_state_dict(state["aligner"])
        if resume and "optimizer" in state:
            optimizer.load_state_dict(state["optimizer"])
            step = int(state["step"])
            rng.setstate(_rng_state(state.get("rng")) or rng.getstate())
    schedule = lambda s: min((s + 1) / warmup, math.sqrt(warmup / (s + 1)))  # noqa: E731 (Noam)
    for group in optimizer.param_groups:
        group["lr"] = lr * schedule(step)

    corpus = load_corpus(data_dir, stats, symbols)
    table = None
    if state and "durations" in state and align_steps is not None:
        table = dict(state["durations"])
        missing = [u for u in corpus if u.id not in table or table[u.id].numel() != u.tokens.numel()]
        if missing:  # utterances added since the aligner was frozen
            table.update(extract_durations(model, aligner.eval(), missing, batch_size))
    corpus_info = {"utterances": len(corpus), "hours": stats_file.get("hours"), "data_dir": str(data_dir)}
    started = time.monotonic()
    log = (out_dir / LOG).open("a", encoding="utf-8")
    bar = tqdm(total=steps, initial=step, desc="acoustic", unit="step", disable=not progress)

    def save() -> None:
        extra = {"durations": table} if table is not None else {}
        payload = ckpt.make_payload(model, stats, symbols, mel_cfg, step, aligner=aligner.state_dict(),
                                    optimizer=optimizer.state_dict(), rng=list(_flatten_rng(rng.getstate())),
                                    corpus=corpus_info, **extra)
        ckpt.save(payload, out_dir / CHECKPOINT)

    # the bin loss ramps in once the soft alignment has settled, before the aligner is frozen
    bin_start = max(1, min(400, steps // 5, (align_steps or steps) // 2))
    model.train()
    aligner.train()
    stop = False
    while step < steps and not stop:
        for group in batches(corpus, batch_size, rng):
            if table is None and align_steps is not None and step >= align_steps:
                table = extract_durations(model, aligner.eval(), corpus, batch_size)
            bin_weight = min(1.0, max(0.0, (step - bin_start) / bin_start))
            losses = train_step(model, aligner, collate(group, table), bin_weight)
            optimizer.zero_grad(set_to_none=True)
            losses["loss"].backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            step += 1
            for g in optimizer.param_groups:
                g["lr"] = lr * schedule(step)
            row = {k: round(float(v.detach()), 4) for k, v in losses.items()}
            bar.update(1)
            bar.set_postfix(mel=row["mel"], dur=row["duration"], align=row["align"])
            log.write(json.dumps({"step": step, "s": round(time.monotonic() - started, 1), **row}) + "\n")
            log.flush()
            out_of_time = max_minutes is not None and time.monotonic() - started > max_minutes * 60
            if step % checkpoint_every == 0 or step >= steps or out_of_time:
                save()
            if step >= steps or out_of_time:
                stop = True
                break
    bar.close()
    log.close()
    if not (out_dir / CHECKPOINT).is_file() or ckpt.read(out_dir / CHECKPOINT)["step"] != step:
        save()
    return ckpt.export(out_dir / CHECKPOINT, out_dir / EXPORTED)


def _flatten_rng(state) -> list:
    version, internal, gauss = state
    return [version, list(internal), gauss]


def _rng_state(flat):
    if not flat:
        return None
    return (flat[0], tuple(flat[1]), flat[2])
