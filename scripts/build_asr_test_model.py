"""Build the project's small Korean streaming test model from synthetic speech, with a fixed seed.

    .venv/bin/python scripts/build_asr_test_model.py   # data (~5-15 min) + the training stages in STAGES
    .venv/bin/python scripts/build_asr_test_model.py --stages 2   # only the first two (the first committed model)

1. Speech: every care-call / reservation phrase and ~200 template sentences, spoken by Kokoro-82M (five voices
   and random mixes of their styles, speeds 0.85-1.15) and espeak-ng (ten variants, speeds, pitches), each copy
   warped in pitch/tempo, mixed with white or pink noise, levelled, and mostly passed through the 8 kHz µ-law
   telephone band (``asr.recipes.speech``).
2. A 4-layer cache-aware streaming FastConformer-CTC over Hangul syllables (``asr.recipes.configs``), trained
   for several chunk sizes at once (640, 320, 160 ms) in the runs listed in ``STAGES``: 850 steps from scratch,
   then fine-tunes of the previous checkpoint, each with a fresh warm-up and cosine schedule (850 steps at
   2e-3, 900 at 2e-3 and 800 at 1.5e-3, the last two drawing the default 640 ms chunk 60 % of the time).
   Every stage is kept as ``<data-dir>/stageK.nemo`` and reused by later builds; the last one is copied to
   ``asr/models_data/ko_streaming_ctc_small.nemo``. One torch thread by default (the box is shared).
3. A held-out Kokoro set (new sentence combinations, fresh voice mixes) is written beside the data for
   ``carecall asr eval``.

Rebuilds give a model of the same quality, not the same bytes (thread scheduling in training).
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Stage:
    steps: int
    lr: float | None  # peak learning rate; None = the config's 4e-3
    seed: int
    chunk_probs: tuple[float, ...] | None = None  # how often 640 / 320 / 160 ms chunks are drawn (None: evenly)


# The training runs of the committed model, in order (times: 2 shared cores, 1-2 torch threads).
STAGES = (
    Stage(850, None, SEED),  # from scratch, ~13 min
    Stage(850, 2e-3, 2),  # fine-tune at half the peak learning rate, ~18 min
    Stage(900, 2e-3, 3, (0.6, 0.2, 0.2)),  # favouring the default 640 ms chunk, ~36 min at 1 thread
    Stage(800, 1.5e-3, 4, (0.6, 0.2, 0.2)),  # ~30 min at 1 thread
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var" / "asr-data")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--stages", type=int, default=0, help="run the first N stages of STAGES (default: all)")
    parser.add_argument("--d-model", type=int, default=96)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="processes rendering speech")
    parser.add_argument("--threads", type=int, default=1, help="torch threads for training")
    parser.add_argument("--save-every", type=int, default=0, help="also keep a snapshot every N steps")
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
    config = streaming_ctc_config(labels, d_model=args.d_model, n_layers=args.layers, max_steps=STAGES[0].steps)
    # Each stage after the first fine-tunes the previous checkpoint with a fresh warm-up + cosine schedule;
    # finished stages under --data-dir are reused, so a build can be resumed or extended stage by stage.
    count = args.stages or len(STAGES)
    done = max((k for k in range(1, count + 1) if (args.data_dir / f"stage{k}.nemo").exists()), default=0)
    for k, spec in enumerate(STAGES[:count], 1):
        stage = args.data_dir / f"stage{k}.nemo"
        if k <= done:
            print(f"stage {k}: reusing {stage}" if k == done else f"stage {k}: done")
            continue
        init = None if k == 1 else args.data_dir / f"stage{k - 1}.nemo"
        result = train(train_manifest, stage, config=None if init else config, init_from=init,
                       max_steps=spec.steps, lr=spec.lr, threads=args.threads, seed=spec.seed,
                       att_context_probs=list(spec.chunk_probs) if spec.chunk_probs else None,
                       save_every=args.save_every or None)
        print(f"stage {k}: {result.params / 1e6:.2f} M parameters, {result.steps} steps in {result.seconds:.0f} s, "
              f"loss {result.final_loss}; saved {result.path} ({result.path.stat().st_size / 1e6:.1f} MB)")
    shutil.copyfile(args.data_dir / f"stage{count}.nemo", args.out)
    print(f"stage {count} -> {args.out}")
    print(f"evaluate: .venv/bin/carecall asr eval {args.out} {held_manifest} --telephone")


def _progress(started: float):
    def show(done: int, total: int) -> None:
        if done % 25 == 0 or done == total:
            rate = done / max(time.perf_counter() - started, 1e-6)
            print(f"\r  {done}/{total} utterances, {rate:.1f}/s, eta {(total - done) / rate:.0f} s", end="", flush=True)

    return show


if __name__ == "__main__":
    main()
