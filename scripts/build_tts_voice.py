"""Build the default hdts voice (``tts/models_data/hdts_ko_kumo.pt``) from nothing but offline packages.

Stages (each resumable, outputs under ``--work``, default ``var/tts-voice``):

1. corpus   — the teacher: Kokoro-82M voice ``jm_kumo`` (the most intelligible offline Korean voice, fed IPA by
               the project's own G2P) speaks ``--sentences`` sentences (``tts.recipes.sentences``: the care-call
               and reservation scenarios' prompts, everyday sentences, templated answers and the callers'
               phrases of the ASR corpus; fixed seed) → ``teacher/`` (KSS-style wavs + transcript.txt).
2. prepare  — ``teacher/`` → ``prepared/`` (22,050 Hz wavs, log-mel, F0, energy, manifest.jsonl).
3. train    — the acoustic model, one torch thread, ``--minutes`` of training (resumable with ``--resume``).
4. ship     — the exported (fp16, inference-only) checkpoint → ``tts/models_data/hdts_ko_kumo.pt``.

    .venv/bin/python scripts/build_tts_voice.py                     # all stages (≈ 2 h on one shared core)
    .venv/bin/python scripts/build_tts_voice.py --stages train,ship --resume --minutes 30

The shipped voice was built with the defaults below (corpus 26 min, prepare 1 min, training 78 min = 4,728 steps
on one thread shared with two other trainings); what it cost and how well Whisper understands it are in
docs/BENCHMARKS.md §7. The vocoder is HiFi-GAN universal (``tts.vocoder``), not trained here.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SENTENCES = 607  # the corpus of the shipped voice: the first 607 of the seed-0 list (≈ 19 min of speech)
SEED = 0
TEACHER_VOICE = "jm_kumo"  # the Kokoro-82M voice the hdts voice learns from (its only training speech)
TARGET = ROOT / "tts" / "models_data" / "hdts_ko_kumo.pt"


def corpus(work: Path, n: int) -> None:
    from asr.recipes.corpus import CARE, RESERVATION
    from tts import make_synthesizer
    from tts.recipes.sentences import teacher_sentences
    from tts.recipes.teacher import synthesize_corpus

    texts = teacher_sentences(sorted((ROOT / "dialog" / "scenarios").glob("*.yaml")), seed=SEED, n_templates=700,
                              extra=CARE + RESERVATION, limit=n)
    teacher = make_synthesizer("kokoro", voice=TEACHER_VOICE, threads=1)
    synthesize_corpus(teacher, texts, work / "teacher",
                      progress=lambda i, total, s: print(f"\rcorpus {i}/{total} ({s:.1f} s)", end="", flush=True))
    print()


def prepare(work: Path) -> None:
    from tts.recipes.prepare import prepare as run

    shutil.rmtree(work / "prepared", ignore_errors=True)
    run(work / "teacher", work / "prepared")


def train(work: Path, minutes: float, steps: int, resume: bool) -> Path:
    from tts.recipes.acoustic import train_acoustic

    return train_acoustic(work / "prepared", work / "acoustic", steps=steps, batch_size=16, lr=1e-3, warmup=300,
                          align_steps=250, resume=resume, checkpoint_every=50, max_minutes=minutes, seed=SEED,
                          threads=1)


def ship(work: Path) -> Path:
    from tts.acoustic.checkpoint import load_acoustic

    TARGET.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(work / "acoustic" / "acoustic.pt", TARGET)
    loaded = load_acoustic(TARGET)
    print(f"shipped {TARGET} ({TARGET.stat().st_size / 1e6:.1f} MB, step {loaded.step})")
    return TARGET


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "tts-voice")
    parser.add_argument("--stages", default="corpus,prepare,train,ship")
    parser.add_argument("--sentences", type=int, default=SENTENCES)
    parser.add_argument("--minutes", type=float, default=78.0, help="training time budget")
    parser.add_argument("--steps", type=int, default=20000, help="step cap (the time budget usually ends first)")
    parser.add_argument("--resume", action="store_true", help="continue training from work/acoustic/checkpoint.pt")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    stages = args.stages.split(",")
    record = {}
    for stage in stages:
        started = time.monotonic()
        if stage == "corpus":
            corpus(args.work, args.sentences)
        elif stage == "prepare":
            prepare(args.work)
        elif stage == "train":
            train(args.work, args.minutes, args.steps, args.resume)
        elif stage == "ship":
            ship(args.work)
        else:
            raise SystemExit(f"unknown stage {stage!r}")
        record[stage] = round(time.monotonic() - started, 1)
        print(f"stage {stage}: {record[stage]} s", flush=True)
    log = args.work / "build_log.jsonl"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"stages": record, "sentences": args.sentences, "minutes": args.minutes,
                            "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}) + "\n")


if __name__ == "__main__":
    main()
