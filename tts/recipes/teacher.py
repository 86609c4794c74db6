"""A teacher corpus: sentences spoken by an existing synthesiser, written as a KSS-style wav + transcript list.

``transcript.txt`` has one ``wavs/<hash>.wav|text`` line per utterance (the file named by a hash of its text),
appended as each file is finished, so a killed or extended run resumes where it stopped and a partial corpus is
already usable by ``prepare``.
"""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

from tts.base import Synthesizer

TRANSCRIPT = "transcript.txt"


def synthesize_corpus(synth: Synthesizer, sentences: list[str], out_dir: Path, *, sample_rate: int = 22050,
                      progress: Callable[[int, int, float], None] | None = None) -> Path:
    """Speak every sentence into ``out_dir/wavs``; returns the transcript path. Done sentences are skipped."""
    import soxr

    out_dir = Path(out_dir)
    (out_dir / "wavs").mkdir(parents=True, exist_ok=True)
    listing = out_dir / TRANSCRIPT
    done = set()
    if listing.exists():
        done = {line.split("|", 1)[1] for line in listing.read_text(encoding="utf-8").splitlines() if "|" in line}
    synth.load()
    with listing.open("a", encoding="utf-8") as f:
        for i, text in enumerate(sentences):
            if text in done:
                continue
            rel = f"wavs/{hashlib.sha1(text.encode()).hexdigest()[:12]}.wav"
            started = time.perf_counter()
            pcm = synth.synthesize(text)
            if pcm.size == 0:
                continue
            audio = pcm.astype(np.float32) / 32768.0
            if synth.sample_rate != sample_rate:
                audio = soxr.resample(audio, synth.sample_rate, sample_rate)
            sf.write(out_dir / rel, np.clip(audio, -1, 1), sample_rate, subtype="PCM_16")
            f.write(f"{rel}|{text}\n")
            f.flush()
            if progress:
                progress(i + 1, len(sentences), time.perf_counter() - started)
    return listing
