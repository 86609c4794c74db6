"""Build the project's small Korean streaming test model from synthetic speech, with a fixed seed.

    .venv/bin/python scripts/build_asr_test_model.py   # data (~5 min) + 2 training runs (~13 min each), 2 cores

1. Speech: every care-call / reservation phrase and ~200 template sentences, spoken by Kokoro-82M (five voices
   and random mixes of their styles, speeds 0.85-1.15) and espeak-ng (ten variants, speeds, pitches), each copy
   warped in pitch/tempo, mixed with white or pink noise, levelled, and mostly passed through the 8 kHz µ-law
   telephone band (``asr.recipes.speech``).
2. A 4-layer cache-aware streaming FastConformer-CTC over Hangul syllables (``asr.recipes.configs``), trained
   for several chunk sizes at once (640, 320, 160 ms), in two runs of 850 steps (the second fine-tunes the
   first at half the learning rate), saved as ``asr/models_data/ko_streaming_ctc_small.nemo``.
3. A held-out Kokoro set (new sentence combinations, fresh voice mixes) is written beside the data for
   ``carecall asr eval``.

Rebuilds give a model of the same quality, not the same bytes (thread scheduling in training).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from asr.recipes import corpus  # noqa: E402
from asr.recipes.configs import streaming_ctc_config  # noqa: E402
from asr.recipes.dataset import held_out_jobs, render_all, training_jobs  # noqa: E402
from asr.recipes.train import read_manifest, write_manifest  # noqa: E402

SEED = 20261125
HELD_OUT_SEED = 777
DEFAULT_OUT = ROOT / "asr" / "models_data" / "ko_streaming_ctc_small.nemo"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var" / "asr-data")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--steps", type=int, default=850, help="optimiser steps per stage")
    parser.add_argument("--stages", type=int, default=3, help="training runs, each fine-tuning the previous")
    parser.add_argument("--d-model", type=int, default=96)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="processes rendering speech")
    parser.add_argument("--threads", type=int, default=2, help="torch threads for training")
    parser.add_argument("--data-only", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    train_manifest = args.data_dir / "train.json"
    held_manifest = args.data_dir / "held_out.json"
    if not train_manifest.exists():
        jobs = training_jobs(SEED)
        print(f"rendering {len(jobs)} training utterances ({2 * len(jobs)} copies) into {args.data_dir}")
        started = time.perf_counter()
        rows = render_all(jobs, args.data_dir / "train", args.workers, progress=_progress(started))
        write_manifest(train_manifest, rows)
        hours = sum(r["duration"] for r in rows) / 3600
        print(f"\n{len(rows)} utterances, {hours:.2f} h, {time.perf_counter() - started:.0f} s")
    if not held_manifest.exists():
        texts = {row["text"] for row in read_manifest(train_manifest)}
        jobs = held_out_jobs(HELD_OUT_SEED, 80, texts)
        rows = render_all(jobs, args.data_dir / "held_out", args.workers)
        write_manifest(held_manifest, rows)
        print(f"held-out set: {len(rows)} utterances -> {held_manifest}")
    if args.data_only:
        return

    from asr.recipes.train import train

    labels = corpus.vocabulary()
    config = streaming_ctc_config(labels, d_model=args.d_model, n_layers=args.layers, max_steps=args.steps)
    # Runs of ~13-18 min each on 2 shared cores: from scratch, then fine-tunes of the previous checkpoint with a
    # fresh cosine schedule at half the peak learning rate; the third favours the default 640 ms chunk.
    stage = args.out
    for k in range(1, args.stages + 1):
        stage = args.out if k == args.stages else args.data_dir / f"stage{k}.nemo"
        if stage.exists() and k < args.stages:
            print(f"stage {k}: reusing {stage}")
            continue
        init = None if k == 1 else args.data_dir / f"stage{k - 1}.nemo"
        result = train(train_manifest, stage, config=None if init else config, init_from=init,
                       max_steps=args.steps if k < 3 else min(args.steps, 450), lr=None if k == 1 else 2e-3, threads=args.threads, seed=SEED if k == 1 else k,
                       att_context_probs=[0.6, 0.2, 0.2] if k >= 3 else None)
        print(f"stage {k}: {result.params / 1e6:.2f} M parameters, {result.steps} steps in {result.seconds:.0f} s, "
              f"loss {result.final_loss}; saved {result.path} ({result.path.stat().st_size / 1e6:.1f} MB)")
    print(f"evaluate: .venv/bin/carecall asr eval {args.out} {held_manifest} --telephone")


def _progress(started: float):
    def show(done: int, total: int) -> None:
        if done % 25 == 0 or done == total:
            rate = done / max(time.perf_counter() - started, 1e-6)
            print(f"\r  {done}/{total} utterances, {rate:.1f}/s, eta {(total - done) / rate:.0f} s", end="", flush=True)

    return show


if __name__ == "__main__":
    main()
