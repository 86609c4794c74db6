"""Streaming speed of the NeMo engines: RTF, per-packet compute and end-of-speech → final latency, per chunk
size, torch vs ONNX, for the committed small model and a production-size FastConformer built from config.

    .venv/bin/python benchmarks/asr_streaming.py                       # both models, every chunk size
    .venv/bin/python benchmarks/asr_streaming.py --models small --clips 40
    .venv/bin/python benchmarks/asr_streaming.py --device cuda --streams 1,8,32,64   # on the GPU node

Each clip of the held-out manifest (``scripts/build_asr_test_model.py`` writes it) goes through the 8 kHz µ-law
channel and is pushed as 20 ms packets, one torch / onnxruntime thread per stream. "final ms" is the time
``finish()`` takes after the last packet: the recogniser's share of end-of-speech → final text (the VAD's
stop_secs, 0.3 s in the agent, comes on top). The production-size model has random weights: its CER means
nothing, its speed is what a trained checkpoint of that shape costs. ``--streams`` measures N concurrent
streams on one shared model (one thread each) and reports whether they keep up with real time.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LARGE = ROOT / "var" / "bench" / "fastconformer_large_random.nemo"


def build_large(path: Path) -> Path:
    """d512 x 17 cache-aware FastConformer-CTC (NVIDIA's "large" streaming size) with random weights."""
    if path.exists():
        return path
    from nemo.collections.asr.models import EncDecCTCModel
    from omegaconf import OmegaConf

    from asr.nemo.loading import import_nemo_asr
    from asr.recipes.configs import production_config
    from asr.recipes.corpus import vocabulary

    import_nemo_asr()
    model = EncDecCTCModel(cfg=OmegaConf.create(production_config(vocabulary())))
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save_to(str(path))
    return path


def concurrent(rec, manifest: Path, streams: int, seconds: float = 20.0) -> dict:
    """``streams`` threads, each pushing real-time-paced 20 ms packets for ``seconds``; the share of packets
    whose processing finished before the next one was due, and the worst lag behind real time."""
    import numpy as np

    from asr.recipes.speech import read_wav
    from asr.recipes.train import read_manifest

    rows = read_manifest(manifest)
    audio = np.concatenate([read_wav(r["audio_filepath"])[0] for r in rows[:10]])
    import soxr

    audio8 = soxr.resample(audio, 16000, 8000).astype(np.float32)
    lags: list[float] = []
    lock = threading.Lock()

    def run(k: int) -> None:
        session = rec.session(8000)
        start = time.perf_counter() + 0.01 * k
        worst = 0.0
        n = int(seconds / 0.02)
        offset = (k * 3217) % max(audio8.size - n * 160, 1)
        for i in range(n):
            due = start + i * 0.02
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            session.push(audio8[offset + i * 160: offset + (i + 1) * 160])
            worst = max(worst, time.perf_counter() - due - 0.02)
        session.finish()
        with lock:
            lags.append(worst)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(streams)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"streams": streams, "worst_lag_ms": max(lags) * 1000, "real_time": max(lags) < 0.5}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="small,large")
    ap.add_argument("--engines", default="nemo,nemo-onnx")
    ap.add_argument("--chunks", default="", help="comma-separated chunk sizes in ms (default: every one the model has)")
    ap.add_argument("--manifest", type=Path, default=ROOT / "var" / "asr-data" / "held_out.json")
    ap.add_argument("--clips", type=int, default=20)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--streams", default="", help="concurrent-stream counts to try (torch engine)")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from asr import make_recognizer
    from asr.nemo.loading import DEFAULT_MODEL, import_nemo_asr
    from asr.recipes.evaluate import evaluate

    import_nemo_asr()
    paths = {"small": DEFAULT_MODEL, "large": None}
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, device {args.device}; "
          f"{args.clips} clips of {args.manifest.name} via 8 kHz µ-law in 20 ms packets, 1 thread per stream")
    header = (f"{'model':<7} {'params':>7} {'engine':<10} {'chunk':>6} {'CER':>6} {'RTF':>6} {'packet p50':>10} "
              f"{'p99':>6} {'max':>7} {'final p50':>9} {'p95':>6}")
    print(header)
    print("-" * len(header))
    for model_name in args.models.split(","):
        path = paths[model_name] or build_large(LARGE)
        probe = make_recognizer("nemo", model_path=path, device=args.device)
        probe.load()
        chunks = [int(c) for c in args.chunks.split(",") if c] or sorted(probe.info.chunk_choices_ms(), reverse=True)
        for chunk in chunks:
            for engine in args.engines.split(","):
                if engine == "nemo-onnx" and args.device != "cpu":
                    continue
                rec = make_recognizer(engine, model_path=path, device=args.device, chunk_ms=chunk)
                rec.load()
                evaluate(rec, args.manifest, telephone=True, limit=2)  # warm-up
                r = evaluate(rec, args.manifest, telephone=True, limit=args.clips)
                cer = f"{r.cer:.1%}" if model_name == "small" else "–"
                print(f"{model_name:<7} {rec.info.params / 1e6:>6.1f}M {engine:<10} {chunk:>4}ms {cer:>6} "
                      f"{r.rtf:>6.3f} {r.packet_ms_p50:>8.2f}ms {r.packet_ms_p99:>6.1f} {r.packet_ms_max:>7.1f} "
                      f"{r.final_latency_ms_p50:>7.1f}ms {r.final_latency_ms_p95:>6.1f}", flush=True)
            if args.streams:
                rec = make_recognizer("nemo", model_path=path, device=args.device, chunk_ms=chunk)
                rec.load()
                for n in [int(s) for s in args.streams.split(",")]:
                    c = concurrent(rec, args.manifest, n)
                    print(f"  {model_name} {chunk} ms, {n} concurrent streams: worst lag behind real time "
                          f"{c['worst_lag_ms']:.0f} ms -> {'real time' if c['real_time'] else 'falls behind'}",
                          flush=True)


if __name__ == "__main__":
    main()
