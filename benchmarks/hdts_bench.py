"""HDTS voice benchmark (docs/BENCHMARKS.md §7): time to first audio, RTF of the acoustic model and of the
vocoder separately, and intelligibility (Whisper-base CER, clean and over 8 kHz µ-law) of the default hdts voice,
the interim Kokoro ``jm_kumo`` engine, and a copy-synthesis of the teacher (Kokoro audio → log-mel → HiFi-GAN
universal: what the hdts voice could reach with a perfect acoustic model).

    .venv/bin/python benchmarks/hdts_bench.py                      # all three systems, one torch/ONNX thread
    .venv/bin/python benchmarks/hdts_bench.py --systems hdts --voice var/tts-voice/acoustic/acoustic.pt -v

Texts: the first prompts of the care-call and reservation scenarios (greetings and each state's first prompt,
sample values in the placeholders) and the 14 caller sentences of tts_bench.py. CER: both reference and
transcript go through ``tts.text.normalize`` (digits read out), then spaces and punctuation are removed.
The report says how many texts the hdts voice saw in training (its teacher corpus includes scenario prompts).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from asr.channel import telephone_band  # noqa: E402
from asr.metrics import corpus_cer, letters_and_digits  # noqa: E402
from tts_bench import SENTENCES  # noqa: E402


def scenario_prompts(per_scenario: int = 12) -> dict[str, list[str]]:
    """The first greeting and every state's first prompt (whole lines, as the agent says them), per scenario."""
    import yaml

    from tts.recipes.sentences import SAMPLE

    out = {}
    for name in ("care_call", "reservation"):
        data = yaml.safe_load((ROOT / "dialog" / "scenarios" / f"{name}.yaml").read_text(encoding="utf-8"))
        lines = [data["greetings"][0]] + [s["prompts"][0] for s in data["states"].values() if s.get("prompts")]
        texts = [re.sub(r"\{(\w+)\}", lambda m: SAMPLE.get(m.group(1), ""), line) for line in lines]
        out[name] = list(dict.fromkeys(texts))[:per_scenario]
    return out


def cer(refs: list[str], hyps: list[str]) -> float:
    """Corpus CER with digits read out (``tts.text.normalize``), then only letters and digits kept."""
    from tts.text import normalize

    return corpus_cer(refs, hyps, clean=lambda s: letters_and_digits(normalize(s)))


def run_hdts(texts: list[str], voice: str | None, vocoder: str | None) -> tuple[dict, list[tuple[np.ndarray, int]]]:
    """TTFA (stream → first chunk), acoustic and vocoder seconds per audio second, and the audio."""
    from tts import make_synthesizer

    opts = {"vocoder": vocoder} if vocoder else {}
    syn = make_synthesizer("hdts", voice=voice, threads=1, **opts)
    t0 = time.perf_counter()
    syn.load()
    load_s = time.perf_counter() - t0
    syn.synthesize("안녕하세요. 반갑습니다.")  # warm-up
    ttfa, acoustic_s, vocoder_s, audio_s, audio = [], 0.0, 0.0, 0.0, []
    for text in texts:
        syn.cache.clear()
        t0 = time.perf_counter()
        next(iter(syn.stream(text)))
        ttfa.append(time.perf_counter() - t0)
        pieces = []
        for clause in syn.clauses(text):
            t0 = time.perf_counter()
            mel = syn.mel(clause)["mel"]
            t1 = time.perf_counter()
            wav = syn.vocoder(mel.unsqueeze(0))[0].numpy() if mel.shape[-1] else np.zeros(0, np.float32)
            t2 = time.perf_counter()
            acoustic_s, vocoder_s = acoustic_s + t1 - t0, vocoder_s + t2 - t1
            pieces += [wav, np.zeros(int(0.2 * syn.sample_rate), np.float32)]
        clip = np.concatenate(pieces)
        audio_s += clip.size / syn.sample_rate
        audio.append((clip, syn.sample_rate))
    row = {"system": f"hdts/{syn.voice if len(str(syn.voice)) < 30 else Path(syn.voice).name}", "load_s": load_s,
           "ttfa_s": float(np.mean(ttfa)), "ttfa_max_s": float(np.max(ttfa)),
           "rtf_acoustic": acoustic_s / audio_s, "rtf_vocoder": vocoder_s / audio_s,
           "rtf": (acoustic_s + vocoder_s) / audio_s}
    return row, audio


def run_kokoro(texts: list[str]) -> tuple[dict, list[tuple[np.ndarray, int]]]:
    from tts import make_synthesizer

    syn = make_synthesizer("kokoro", voice="jm_kumo", threads=1)
    t0 = time.perf_counter()
    syn.load()
    load_s = time.perf_counter() - t0
    syn.synthesize("안녕하세요. 반갑습니다.")
    ttfa, compute, audio_s, audio = [], 0.0, 0.0, []
    for text in texts:
        syn.cache.clear()
        t0 = time.perf_counter()
        next(iter(syn.stream(text)))
        ttfa.append(time.perf_counter() - t0)
        syn.cache.clear()
        t0 = time.perf_counter()
        pcm = syn.synthesize(text)
        compute += time.perf_counter() - t0
        audio_s += pcm.size / syn.sample_rate
        audio.append((pcm.astype(np.float32) / 32768.0, syn.sample_rate))
    return {"system": "kokoro/jm_kumo", "load_s": load_s, "ttfa_s": float(np.mean(ttfa)),
            "ttfa_max_s": float(np.max(ttfa)), "rtf": compute / audio_s}, audio


def copy_synthesis(kokoro_audio: list[tuple[np.ndarray, int]]) -> tuple[dict, list[tuple[np.ndarray, int]]]:
    """Teacher audio → 22.05 kHz → log-mel → HiFi-GAN universal."""
    import soxr

    from tts.features import log_mel
    from tts.vocoder import load_vocoder

    voc = load_vocoder()
    out, compute, audio_s = [], 0.0, 0.0
    for wav, rate in kokoro_audio:
        x = soxr.resample(wav, rate, voc.sample_rate).astype(np.float32)
        t0 = time.perf_counter()
        y = voc(log_mel(x).unsqueeze(0))[0].numpy()
        compute += time.perf_counter() - t0
        audio_s += y.size / voc.sample_rate
        out.append((y, voc.sample_rate))
    return {"system": "teacher copy-synthesis (HiFi-GAN universal)", "rtf_vocoder": compute / audio_s}, out


def transcribe_all(asr, audio: list[tuple[np.ndarray, int]]) -> tuple[list[str], list[str]]:
    import soxr

    def hyp(a: np.ndarray) -> str:
        segments = asr.transcribe(a, language="ko", beam_size=5, vad_filter=False, condition_on_previous_text=False,
                                  without_timestamps=True, temperature=0.0)[0]
        return "".join(s.text for s in segments).strip()

    clean, tel = [], []
    for wav, rate in audio:
        wav = wav / max(1e-3, float(np.abs(wav).max())) * 0.9 if wav.size else wav
        clean.append(hyp(soxr.resample(wav, rate, 16000).astype(np.float32)))
        tel.append(hyp(telephone_band(wav.astype(np.float32), rate)))
    return clean, tel


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--systems", default="hdts,kokoro,copy")
    ap.add_argument("--voice", default=None, help="hdts voice name or acoustic checkpoint (default: ko_kumo)")
    ap.add_argument("--vocoder", default=None, help="hdts vocoder checkpoint (default: HiFi-GAN universal)")
    ap.add_argument("--teacher", type=Path, default=ROOT / "var" / "tts-voice" / "teacher" / "transcript.txt")
    ap.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "hdts_bench.json")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    import torch
    from faster_whisper import WhisperModel

    from asr.models import ensure_whisper_base

    torch.set_num_threads(1)
    sets = {**scenario_prompts(), "answers": [s + "." for s in SENTENCES]}
    texts = [t for group in sets.values() for t in group]
    seen: set[str] = set()
    letters = lambda t: re.sub(r"[^가-힣]", "", t)  # noqa: E731 (seen = same words, punctuation aside)
    if args.teacher.is_file():
        seen = {letters(line.split("|", 1)[1]) for line in args.teacher.read_text(encoding="utf-8").splitlines()
                if "|" in line}
    asr = WhisperModel(str(ensure_whisper_base()), device="cpu", compute_type="int8", cpu_threads=1)
    systems = args.systems.split(",")
    rows, kokoro_audio = [], None
    for system in systems:
        if system == "hdts":
            row, audio = run_hdts(texts, args.voice, args.vocoder)
        elif system == "kokoro":
            row, audio = run_kokoro(texts)
            kokoro_audio = audio
        elif system == "copy":
            if kokoro_audio is None:
                kokoro_audio = run_kokoro(texts)[1]
            row, audio = copy_synthesis(kokoro_audio)
        else:
            raise SystemExit(f"unknown system {system!r}")
        clean, tel = transcribe_all(asr, audio)
        start = 0
        for name, group in sets.items():
            n = len(group)
            row[f"cer_clean_{name}"] = cer(group, clean[start:start + n])
            row[f"cer_tel_{name}"] = cer(group, tel[start:start + n])
            start += n
        row["cer_clean"], row["cer_tel"] = cer(texts, clean), cer(texts, tel)
        for label, keep in (("seen", True), ("unseen", False)):  # texts the hdts voice's corpus had or not
            idx = [i for i, t in enumerate(texts) if (letters(t) in seen) == keep]
            row[f"cer_clean_{label}"] = cer([texts[i] for i in idx], [clean[i] for i in idx])
            row[f"cer_tel_{label}"] = cer([texts[i] for i in idx], [tel[i] for i in idx])
        row["transcripts"] = list(zip(texts, clean, tel))
        rows.append(row)
        print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items() if k != "transcripts"},
                         ensure_ascii=False), flush=True)
    report = {"texts": {k: len(v) for k, v in sets.items()},
              "seen_in_teacher_corpus": {k: sum(letters(t) in seen for t in v) for k, v in sets.items()},
              "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"\ntexts {report['texts']}, seen in the teacher corpus {report['seen_in_teacher_corpus']}")
    print(f"{'system':<46}{'TTFA s':>8}{'RTF ac':>8}{'RTF voc':>8}{'CER clean':>11}{'CER µ-law':>11}")
    for r in rows:
        f = lambda k: f"{r[k]:.2f}" if k in r else "–"  # noqa: E731
        print(f"{r['system']:<46}{f('ttfa_s'):>8}{f('rtf_acoustic'):>8}{f('rtf_vocoder'):>8}"
              f"{r['cer_clean']:>11.3f}{r['cer_tel']:>11.3f}")
        if args.verbose:
            for ref, hc, ht in r["transcripts"]:
                print(f"    {ref} | {hc} | {ht}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
