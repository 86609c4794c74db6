"""TTS benchmark: time to first audio, RTF, and intelligibility (Whisper-base CER) clean and over 8 kHz µ-law.

    .venv/bin/python benchmarks/tts_bench.py                            # kokoro jm_kumo + jf_alpha, espeak
    .venv/bin/python benchmarks/tts_bench.py --voices kokoro:jm_kumo --threads 1
    .venv/bin/python benchmarks/tts_bench.py --whisper /tmp/whisper-base  # a CTranslate2 Whisper dir

CER = character edit distance / reference characters after removing spaces and punctuation
(``asr.metrics.corpus_cer``; digits in the hypothesis are errors: it is the raw measure of offline-speech.md).
The phone line is ``asr.channel.telephone_band`` (8 kHz G.711 µ-law of ``telephony.codec`` and back to 16 kHz). The ASR is Whisper base int8, beam 5, no
prompt. Time to first audio = stream() until the first chunk; RTF = synthesize() seconds / audio seconds (warm,
cache cleared). The listener is a machine, the voice is Japanese: treat CER as an intelligibility proxy.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from asr.channel import telephone_band  # noqa: E402
from asr.metrics import corpus_cer  # noqa: E402

SENTENCES = [
    "네 잘 지내고 있어요",
    "어제 밤에 잠을 잘 못 잤어요",
    "열이 조금 있고 기침을 해요",
    "네 아침 먹었어요",
    "어제 넘어져서 무릎을 다쳤어요",
    "약은 저녁에 꼭 챙겨 먹어요",
    "요즘 머리가 자꾸 어지러워요",
    "숨쉬기가 좀 힘들어요",
    "기분은 괜찮아요",
    "딸이 다음 주에 온대요",
    "아니요 없어요 고마워요",
    "안녕하세요 식사는 하셨어요",
    "다음 주 화요일 저녁 일곱 시에 네 명 예약하고 싶어요",
    "오늘 날씨가 많이 추워요",
]
def measure(engine: str, voice: str, threads: int | None, asr) -> dict:
    import soxr

    from tts import make_synthesizer

    opts = {"threads": threads} if engine == "kokoro" and threads else {}
    syn = make_synthesizer(engine, voice=voice, **opts)
    started = time.perf_counter()
    syn.load()
    load_s = time.perf_counter() - started
    syn.synthesize("안녕하세요. 반갑습니다.")  # warm-up
    syn.cache.clear()
    ttfa, compute, audio_s, clean, tel = [], 0.0, 0.0, [], []
    for text in SENTENCES:
        t0 = time.perf_counter()
        next(iter(syn.stream(text + ".")))
        ttfa.append(time.perf_counter() - t0)
        syn.cache.clear()
        t0 = time.perf_counter()
        pcm = syn.synthesize(text + ".")
        compute += time.perf_counter() - t0
        audio_s += len(pcm) / syn.sample_rate
        syn.cache.clear()
        audio = pcm.astype(np.float32) / 32768.0
        clean.append(soxr.resample(audio, syn.sample_rate, 16000).astype(np.float32))
        tel.append(telephone_band(audio, syn.sample_rate))
    hyp = lambda a: "".join(s.text for s in asr.transcribe(  # noqa: E731
        a, language="ko", beam_size=5, vad_filter=False, condition_on_previous_text=False,
        without_timestamps=True, temperature=0.0)[0]).strip()
    hyps_clean, hyps_tel = [hyp(a) for a in clean], [hyp(a) for a in tel]
    return {"name": f"{engine}/{voice}" + (f" t{threads}" if threads else ""), "load_s": load_s,
            "ttfa_s": float(np.mean(ttfa)), "ttfa_max_s": float(np.max(ttfa)), "rtf": compute / audio_s,
            "cer_clean": corpus_cer(SENTENCES, hyps_clean), "cer_tel": corpus_cer(SENTENCES, hyps_tel),
            "hyps": list(zip(SENTENCES, hyps_clean, hyps_tel))}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--voices", default="kokoro:jm_kumo,kokoro:jf_alpha,espeak:ko")
    ap.add_argument("--threads", type=int, default=None, help="onnxruntime intra-op threads for Kokoro")
    ap.add_argument("--whisper", default=os.environ.get("WHISPER_DIR", "/tmp/whisper-base"))
    ap.add_argument("-v", "--verbose", action="store_true", help="print every transcript")
    args = ap.parse_args()
    from faster_whisper import WhisperModel

    asr = WhisperModel(args.whisper, device="cpu", compute_type="int8", cpu_threads=2)
    rows = [measure(*spec.split(":", 1), args.threads, asr) for spec in args.voices.split(",")]
    print(f"\n{'engine/voice':<22}{'load s':>8}{'TTFA s':>8}{'max':>7}{'RTF':>7}{'CER clean':>11}{'CER µ-law':>11}")
    for r in rows:
        print(f"{r['name']:<22}{r['load_s']:>8.2f}{r['ttfa_s']:>8.2f}{r['ttfa_max_s']:>7.2f}{r['rtf']:>7.2f}"
              f"{r['cer_clean']:>11.3f}{r['cer_tel']:>11.3f}")
        if args.verbose:
            for ref, hc, ht in r["hyps"]:
                print(f"    {ref} | {hc} | {ht}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
