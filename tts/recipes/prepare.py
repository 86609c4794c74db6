"""Corpus preparation: a KSS-style wav + transcript list → the prepared-corpus format both trainers read.

Input: a transcript file (or a directory holding ``transcript.txt``, KSS's ``transcript.v.1.*.txt`` or
LJSpeech's ``metadata.csv``) with lines ``path|text[|expanded|…]``; with four or more columns (KSS) the third,
the expanded reading, is used. A path without an extension is ``wavs/<path>.wav`` (LJSpeech).

Output ``out_dir``: ``wavs/<id>.wav`` (mono 16-bit at 22,050 Hz, silence trimmed), ``feats/<id>.npz`` (log-mel
[80,T] float16, F0 [T] Hz, energy [T]), ``stats.json`` (log-F0 and energy mean/std) and ``manifest.jsonl``, one
``{"id", "wav", "text", "phonemes", "n_frames", "features"}`` per line.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tts.acoustic import features
from tts.acoustic.symbols import text_to_phonemes
from tts.features import MelConfig, log_mel

MANIFEST, STATS = "manifest.jsonl", "stats.json"


@dataclass
class Item:
    wav: Path
    text: str


def read_transcript(source: Path) -> list[Item]:
    """Utterances of a KSS/LJSpeech-style list (missing audio files are skipped with the count reported)."""
    source = Path(source)
    if source.is_dir():
        names = ["transcript.txt", "metadata.csv", *sorted(p.name for p in source.glob("transcript*.txt"))]
        found = [source / n for n in names if (source / n).is_file()]
        if not found:
            raise FileNotFoundError(f"no transcript.txt, transcript.v.*.txt or metadata.csv in {source}")
        source = found[0]
    base = source.parent
    items = []
    for line in source.read_text(encoding="utf-8-sig").splitlines():
        cols = line.strip().split("|")
        if len(cols) < 2 or not cols[1].strip():
            continue
        rel = cols[0].strip()
        path = base / rel if Path(rel).suffix else base / "wavs" / f"{rel}.wav"
        text = cols[2] if len(cols) >= 4 and cols[2].strip() else cols[1]
        items.append(Item(path, text.strip()))
    return items


def prepare(source: Path, out_dir: Path, *, cfg: MelConfig = MelConfig(), trim_db: float = 40.0,
            limit: int | None = None, progress: bool = True) -> Path:
    """Prepare every utterance of ``source``; returns the manifest path."""
    import librosa
    import soundfile as sf
    from tqdm import tqdm

    items = read_transcript(source)[:limit]
    out_dir = Path(out_dir)
    (out_dir / "wavs").mkdir(parents=True, exist_ok=True)
    (out_dir / "feats").mkdir(parents=True, exist_ok=True)
    rows, log_f0, energies, skipped = [], [], [], 0
    for item in tqdm(items, desc="prepare", unit="utt", disable=not progress):
        phonemes = text_to_phonemes(item.text)
        if not item.wav.is_file() or not phonemes:
            skipped += 1
            continue
        wav, sr = sf.read(item.wav, dtype="float32", always_2d=True)
        wav = wav.mean(axis=1)
        if sr != cfg.sample_rate:
            wav = librosa.resample(wav, orig_sr=sr, target_sr=cfg.sample_rate, res_type="soxr_hq")
        wav, _ = librosa.effects.trim(wav, top_db=trim_db, frame_length=cfg.n_fft, hop_length=cfg.hop_length)
        wav = np.clip(wav, -1, 1)
        uid = _safe_id(item.wav)
        sf.write(out_dir / "wavs" / f"{uid}.wav", wav, cfg.sample_rate, subtype="PCM_16")
        wav = sf.read(out_dir / "wavs" / f"{uid}.wav", dtype="float32")[0]  # the 16-bit audio both trainers see
        mel = log_mel(wav, cfg).numpy()
        n = mel.shape[1]
        f0 = features.f0(wav, n, cfg)
        en = features.energy(mel)
        np.savez(out_dir / "feats" / f"{uid}.npz", mel=mel.astype(np.float16), f0=f0, energy=en)
        log_f0.append(np.log(f0[f0 > 0]))
        energies.append(en)
        rows.append({"id": uid, "wav": f"wavs/{uid}.wav", "text": item.text, "phonemes": " ".join(phonemes),
                     "n_frames": int(n), "features": f"feats/{uid}.npz"})
    if not rows:
        raise ValueError(f"no usable utterance in {source} ({skipped} skipped: missing audio or no Korean text)")
    lf, en = np.concatenate(log_f0), np.concatenate(energies)
    stats = {"pitch_mean": float(lf.mean()), "pitch_std": float(lf.std() or 1.0),
             "energy_mean": float(en.mean()), "energy_std": float(en.std() or 1.0),
             "mel": cfg.to_dict(), "utterances": len(rows), "skipped": skipped,
             "hours": sum(r["n_frames"] for r in rows) * cfg.hop_length / cfg.sample_rate / 3600}
    (out_dir / STATS).write_text(json.dumps(stats, indent=2), encoding="utf-8")
    with (out_dir / MANIFEST).open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return out_dir / MANIFEST


def read_manifest(data_dir: Path) -> list[dict]:
    path = Path(data_dir) / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run `carecall tts prepare` first")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _safe_id(path: Path) -> str:
    parts = path.with_suffix("").parts[-2:]
    name = parts[-1] if parts[0] in ("wavs", "") else "_".join(parts)
    return re.sub(r"[^\w.-]", "_", name)
