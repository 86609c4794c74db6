"""Neural vocoder benchmark on one CPU thread: RTF whole and streamed, time to first audio chunk, agreement of
the stream with whole-utterance vocoding, and copy-synthesis quality.

    .venv/bin/python benchmarks/vocoder_bench.py                          # HiFi-GAN universal + PWG configs
    .venv/bin/python benchmarks/vocoder_bench.py --pwg var/tts-vocoder    # plus a trained PWG checkpoint/run
    .venv/bin/python benchmarks/vocoder_bench.py --cer                    # plus Whisper-base CER (intelligibility)

Copy-synthesis: a care-call sentence is synthesised by Kokoro (``--source``), resampled to 22.05 kHz, turned
into a log-mel (``tts.features.log_mel``) and vocoded back. "mel L1" = mean |log-mel(vocoded) − log-mel(source)|
(0 = identical spectrogram). CER = Whisper base (int8, beam 5, one thread) on the source and on each vocoder's
copy, clean and after the 8 kHz µ-law phone path (``tts.telephone.to_telephone``). Untrained PWG rows (random
weights) measure speed only. First chunk = ``Vocoder.stream(mel, chunk_frames)`` until its first chunk; "streamed 32→128": chunks
doubling from 32 to 128 frames (``max_chunk_frames``), same first chunk, less context recomputed.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from asr.metrics import corpus_cer  # noqa: E402
from tts_bench import SENTENCES  # noqa: E402


def source_audio(engine: str, n: int) -> list[tuple[str, np.ndarray]]:
    from tts import make_synthesizer
    from tts.telephone import resample

    syn = make_synthesizer(engine, voice="jm_kumo" if engine == "kokoro" else None).load()
    out = []
    for text in SENTENCES[:n]:
        pcm = syn.synthesize(text)
        out.append((text, resample(pcm.astype(np.float32) / 32768.0, syn.sample_rate, 22050)))
    return out


def vocoders(pwg_paths: list[str]) -> list[tuple[str, object]]:
    import torch

    from tts.features import MelConfig
    from tts.vocoder import build_generator, load_vocoder
    from tts.vocoder.base import Vocoder
    from tts.vocoder.layers import remove_weight_norm
    from tts.vocoder.pwg import PWG_SMALL

    def untrained(config: dict | None) -> Vocoder:
        torch.manual_seed(0)
        gen = remove_weight_norm(build_generator("pwg", config))
        return Vocoder(gen, MelConfig(), kind="pwg", context_frames=gen.receptive_field_frames())

    rows = [("HiFi-GAN V1 universal", load_vocoder())]
    rows += [(f"PWG trained ({p})", load_vocoder(p)) for p in pwg_paths]
    rows += [("PWG paper config, untrained", untrained(None)), ("PWG small, untrained", untrained(PWG_SMALL))]
    return rows


def measure(name: str, voc, items, chunk_frames: int, max_chunk: int, asr) -> dict:
    import torch

    from tts.features import log_mel
    from tts.telephone import from_telephone, resample, to_telephone

    audio_s = whole_s = stream_s = grow_s = 0.0
    firsts, corrs, l1s, clean, phone = [], [], [], [], []
    voc(log_mel(items[0][1][:22050]))  # warm-up
    for _, wav in items:
        mel = log_mel(wav)
        audio_s += mel.shape[-1] * voc.hop_length / voc.sample_rate
        t = time.perf_counter()
        whole = voc(mel).numpy()
        whole_s += time.perf_counter() - t
        t = time.perf_counter()
        chunks = []
        for chunk in voc.stream(mel, chunk_frames=chunk_frames):
            if not chunks:
                firsts.append(time.perf_counter() - t)
            chunks.append(chunk)
        stream_s += time.perf_counter() - t
        streamed = np.concatenate(chunks)
        t = time.perf_counter()
        grown = np.concatenate(list(voc.stream(mel, chunk_frames=chunk_frames, max_chunk_frames=max_chunk)))
        grow_s += time.perf_counter() - t
        corrs.append(float(np.corrcoef(grown, whole)[0, 1]))
        corrs.append(float(np.corrcoef(streamed, whole)[0, 1]))
        l1s.append(float((log_mel(whole) - mel).abs().mean()))
        if asr is not None:
            clean.append(asr.transcribe(resample(whole, 22050, 16000)).text)
            phone.append(asr.transcribe(resample(from_telephone(to_telephone(whole, 22050)), 8000, 16000)).text)
    return {"name": name, "params": sum(p.numel() for p in voc.generator.parameters()) / 1e6,
            "rtf": whole_s / audio_s, "rtf_stream": stream_s / audio_s, "rtf_grow": grow_s / audio_s, "first": float(np.mean(firsts)),
            "first_max": float(np.max(firsts)), "corr": float(np.min(corrs)), "l1": float(np.mean(l1s)),
            "clean": clean, "phone": phone, "threads": torch.get_num_threads()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", default="kokoro", choices=["kokoro", "espeak"])
    ap.add_argument("--sentences", type=int, default=6)
    ap.add_argument("--chunk-frames", type=int, default=32)
    ap.add_argument("--max-chunk-frames", type=int, default=128, help="growing chunks: up to this size")
    ap.add_argument("--pwg", action="append", default=[], help="a trained PWG checkpoint or run directory")
    ap.add_argument("--cer", action="store_true", help="also Whisper-base CER of each copy-synthesis")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(1)
    items = source_audio(args.source, args.sentences)
    texts = [t for t, _ in items]
    asr = None
    if args.cer:
        from asr import make_recognizer
        from tts.telephone import from_telephone, resample, to_telephone

        asr = make_recognizer("whisper", beam_size=5, cpu_threads=1, itn=False)
        asr.load()
        src_clean = [asr.transcribe(resample(w, 22050, 16000)).text for _, w in items]
        src_phone = [asr.transcribe(resample(from_telephone(to_telephone(w, 22050)), 8000, 16000)).text
                     for _, w in items]
    audio = sum(len(w) for _, w in items) / 22050
    print(f"{len(items)} sentences ({audio:.1f} s) from {args.source}, torch {torch.__version__}, "
          f"1 thread, {platform.processor() or platform.machine()}, chunk {args.chunk_frames} frames "
          f"({args.chunk_frames * 256 / 22050 * 1000:.0f} ms)\n")
    head = (f"| vocoder | params | RTF whole | RTF streamed | RTF streamed {args.chunk_frames}→{args.max_chunk_frames} |"
            " first chunk mean / worst | stream vs whole (min corr) | mel L1 |")
    if asr is not None:
        head += " CER clean | CER 8 kHz µ-law |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    if asr is not None:
        print(f"| source ({args.source}, no vocoder) | | | | | | | 0 | {corpus_cer(texts, src_clean):.3f} | {corpus_cer(texts, src_phone):.3f} |")
    for name, voc in vocoders(args.pwg):
        r = measure(name, voc, items, args.chunk_frames, args.max_chunk_frames, asr)
        line = (f"| {name} | {r['params']:.2f} M | {r['rtf']:.2f} | {r['rtf_stream']:.2f} | {r['rtf_grow']:.2f} | "
                f"{r['first']:.2f} s / {r['first_max']:.2f} s | {r['corr']:.5f} | {r['l1']:.2f} |")
        if asr is not None:
            line += f" {corpus_cer(texts, r['clean']):.3f} | {corpus_cer(texts, r['phone']):.3f} |"
        print(line, flush=True)


if __name__ == "__main__":
    main()
