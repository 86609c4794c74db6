"""ASR candidates on telephone-band Korean care-call speech: CER, RTF, seconds per turn, peak RSS.

    .venv/bin/python benchmarks/asr_cer.py                      # Kokoro jm_kumo via tts.make_synthesizer
    .venv/bin/python benchmarks/asr_cer.py --voice jf_alpha --engines whisper-b5,vosk
    .venv/bin/python benchmarks/asr_cer.py --wav-dir DIR        # pre-made DIR/NN.wav for the sentences below

Each caller sentence is synthesised, sent through an 8 kHz G.711 µ-law phone line and back to 16 kHz
(``asr.channel.telephone_band``), then recognised by each engine in its own process (so peak RSS is per engine).
CER = character edit distance / reference characters, spaces and punctuation removed, after the same Korean ITN
on both sides (the pipeline's output is ITN'd: 일곱 시 → 7시). ``kocer`` = kocer's corpus CER (forgives number and
spacing variants). The voice is synthetic (Japanese Kokoro voices speaking Korean), so the numbers are a proxy.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

# (dialog state the question was asked in, what the caller says)
SENTENCES = [
    ("identity", "네 맞아요"),
    ("identity", "네 제가 김영수입니다"),
    ("meal", "네 아침 잘 먹었어요"),
    ("meal", "아직 점심을 못 먹었어요"),
    ("sleep", "어제 밤에 잠을 잘 못 잤어요"),
    ("sleep", "네 푹 잤어요"),
    ("health", "열이 나고 기침을 해요"),
    ("health", "어제 넘어져서 무릎을 다쳤어요"),
    ("health", "요즘 머리가 자꾸 어지러워요"),
    ("health", "숨쉬기가 좀 힘들어요"),
    ("medication", "약은 아침에 먹었어요"),
    ("medication", "깜빡하고 약을 안 먹었어요"),
    ("mood", "좀 우울하고 외로워요"),
    ("mood", "기분은 괜찮아요"),
    ("anything_else", "딸이 다음 주에 온대요"),
    ("anything_else", "아니요 없어요 고마워요"),
    ("reservation", "다음 주 화요일 저녁 일곱 시에 네 명 예약하고 싶어요"),
    ("reservation", "토요일 점심 열두 시 반에 두 명이요"),
]

# What the dialog would pass as ``hint`` in each state: the vocabulary it expects, not the answer itself.
HINTS = {
    "identity": "네 맞아요 아니요 잘못 거셨어요 본인 제가",
    "meal": "식사 아침 점심 저녁 밥 먹었어요 안 먹었어요 아직",
    "sleep": "잠 잤어요 푹 못 잤어요 밤에 깼어요",
    "health": "아파요 열 기침 숨 가슴 넘어져서 다쳤어요 어지러워요 무릎 허리 머리 괜찮아요",
    "medication": "약 먹었어요 안 먹었어요 깜빡 아침 저녁",
    "mood": "기분 좋아요 괜찮아요 우울 외로워요 심심해요",
    "anything_else": "없어요 고마워요 딸 아들 병원 다음 주",
    "reservation": "예약 월요일 화요일 수요일 목요일 금요일 토요일 일요일 점심 저녁 시 반 명",
}



def persona_sentences() -> list[tuple[str, str]]:
    """Every line the simulator's care-call personas say, with the question it answers."""
    from telephony.simulator.personas import load_persona

    out = []
    for name in ("well", "fever_cough", "fall_low_mood"):
        for state, lines in load_persona(name).answers.items():
            if state != "default":
                out += [(state, line) for line in lines]
    return list(dict.fromkeys(out))


if os.environ.get("CARECALL_BENCH_SENTENCES") == "personas":  # inherited by the worker processes
    SENTENCES = persona_sentences()

ENGINES = {
    "whisper-b5": ("whisper", {"beam_size": 5}, False),
    "whisper-b1": ("whisper", {"beam_size": 1}, False),
    "whisper-b5-hint": ("whisper", {"beam_size": 5}, True),
    "whisper-b5-hint-m15": ("whisper", {"beam_size": 5, "window_margin_s": 15.0}, True),
    "whisper-b5-hint-m7": ("whisper", {"beam_size": 5, "window_margin_s": 7.0}, True),
    "whisper-b5-hint-m10": ("whisper", {"beam_size": 5, "window_margin_s": 10.0}, True),
    "vosk": ("vosk", {}, False),
}


def cer(refs: list[str], hyps: list[str]) -> float:
    """Corpus CER after Korean ITN on both sides, spaces and punctuation removed."""
    from asr.itn import normalize
    from asr.metrics import corpus_cer, without_punctuation

    return corpus_cer(refs, hyps, clean=lambda s: without_punctuation(normalize(s)))


def synthesise(voice: str, wav_dir: str | None) -> tuple[list, str]:
    """Telephone-band 16 kHz audio for every sentence, and a description of the voice."""
    import numpy as np

    from asr.channel import telephone_band

    out = []
    if wav_dir:
        for i in range(len(SENTENCES)):
            with wave.open(str(Path(wav_dir) / f"{i:02d}.wav")) as w:
                pcm = np.frombuffer(w.readframes(w.getnframes()), np.int16)
                out.append(telephone_band(pcm.astype(np.float32) / 32768.0, w.getframerate()))
        return out, f"wav files from {wav_dir}"
    from tts import make_synthesizer

    syn = make_synthesizer("kokoro", voice=voice)
    syn.load()
    for _, text in SENTENCES:
        pcm = np.asarray(syn.synthesize(text))
        audio = pcm.astype(np.float32) / (32768.0 if pcm.dtype == np.int16 else 1.0)
        out.append(telephone_band(audio, syn.sample_rate))
    return out, f"Kokoro {voice} (tts.make_synthesizer)"


def worker(name: str, audio_path: str) -> dict:
    """Run one engine over the cached audio (in its own process)."""
    import numpy as np

    from asr import make_recognizer

    engine, options, use_hint = ENGINES[name]
    data = np.load(audio_path)
    rec = make_recognizer(engine, **options)
    started = time.perf_counter()
    rec.load()
    load_s = time.perf_counter() - started
    rec.transcribe(data["a00"])  # warm-up, not counted
    hyps, raws, compute, audio_s = [], [], [], []
    for i, (state, _) in enumerate(SENTENCES):
        t = rec.transcribe(data[f"a{i:02d}"], hint=HINTS[state.split(".")[0]] if use_hint else None)
        hyps.append(t.text), raws.append(t.raw), compute.append(t.compute_s), audio_s.append(t.audio_s)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"engine": name, "hyps": hyps, "raws": raws, "compute": compute, "audio": audio_s, "load_s": load_s,
            "rss_mb": rss_mb}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--voice", default="jm_kumo")
    ap.add_argument("--wav-dir")
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--show", action="store_true", help="print every hypothesis")
    ap.add_argument("--personas", action="store_true", help="the simulator personas' lines instead")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--audio", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.audio), ensure_ascii=False))
        return 0

    if args.personas:
        os.environ["CARECALL_BENCH_SENTENCES"] = "personas"
        global SENTENCES
        SENTENCES = persona_sentences()

    import numpy as np

    audio, voice = synthesise(args.voice, args.wav_dir)
    refs = [text for _, text in SENTENCES]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "audio.npz")
        np.savez(path, **{f"a{i:02d}": a for i, a in enumerate(audio)})
        results = []
        for name in args.engines.split(","):
            proc = subprocess.run([sys.executable, __file__, "--worker", name, "--audio", path],
                                  capture_output=True, text=True)
            if proc.returncode:
                print(f"{name}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
                continue
            results.append(json.loads(proc.stdout.strip().splitlines()[-1]))

    try:
        import kocer
    except ImportError:
        kocer = None
    total_audio = sum(len(a) for a in audio) / 16000
    print(f"voice: {voice}; channel: 8 kHz G.711 µ-law → 16 kHz; {len(refs)} turns, {total_audio:.1f} s of speech; "
          f"{os.cpu_count()} CPU threads available")
    print(f"{'engine':<17} {'CER':>6} {'kocer':>6} {'RTF':>5} {'s/turn':>7} {'max s':>6} {'load s':>6} {'peak RSS':>9}")
    for r in results:
        k = kocer.cer(refs, [h or "" for h in r["hyps"]]) if kocer else float("nan")
        rtf = sum(r["compute"]) / sum(r["audio"])
        print(f"{r['engine']:<17} {cer(refs, r['hyps']):6.3f} {k:6.3f} {rtf:5.2f} {np.mean(r['compute']):7.2f} "
              f"{max(r['compute']):6.2f} {r['load_s']:6.1f} {r['rss_mb']:6.0f} MB")
    if args.show:
        for r in results:
            print(f"\n[{r['engine']}]")
            for ref, hyp in zip(refs, r["hyps"]):
                print(f"  {ref}  →  {hyp}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
