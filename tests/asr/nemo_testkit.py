"""Shared helpers of the NeMo tests: held-out speech made fresh with Kokoro, and phone-style streaming."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

HELD_OUT_SEED = 4242  # not the build script's seeds: new sentences, new voice mixes, new channels


def require_nemo() -> None:
    pytest.importorskip("nemo.collections.asr", reason="NeMo is not installed (pip install -e '.[nemo]')")
    pytest.importorskip("torch", reason="torch is not installed")


@dataclass
class Clip:
    text: str
    voice: str
    audio: np.ndarray  # float32 16 kHz (already through the phone band when phone=True)
    mulaw_8k: bytes  # the same clip as a phone line carries it


_made: dict[int, list[Clip]] = {}  # n → its clips: the test modules asking for the same set share one synthesis


def make_held_out(n: int, tmp: Path) -> list[Clip]:
    """``n`` Kokoro utterances the committed model never heard (new combinations, fresh voice mixes); made once
    per test session for each ``n``."""
    if n not in _made:
        _made[n] = _synthesise_held_out(n)
    return list(_made[n])


def _synthesise_held_out(n: int) -> list[Clip]:
    from asr.recipes import corpus
    from asr.recipes.dataset import held_out_jobs
    from asr.recipes.speech import Speaker, apply_channel

    import soxr

    from telephony.codec import ulaw_encode

    trained = set(corpus.training_texts(20261125, 215))
    jobs = held_out_jobs(HELD_OUT_SEED, n, trained, phone=1.0)
    speaker = Speaker(threads=2)
    clips = []
    for job in jobs:
        raw, rate = speaker.speak(job.text, job.voice)
        audio = apply_channel(raw, rate, job.channels[0], np.random.default_rng(job.seed))
        narrow = soxr.resample(audio, 16000, 8000)
        payload = ulaw_encode((np.clip(narrow, -1, 1) * 32767).astype(np.int16))
        clips.append(Clip(job.text, job.voice.label, audio, payload))
    return clips


def stream_mulaw(session, payload: bytes, packet: int = 160) -> list[str]:
    """Push a µ-law clip in 20 ms telephone packets; returns the partials in order."""
    partials = []
    for i in range(0, len(payload), packet):
        text = session.push_mulaw(payload[i:i + packet])
        if text:
            partials.append(text)
    return partials


def total_cer(pairs: list[tuple[str, str]]) -> float:
    """Corpus CER with spaces ignored, as ``carecall asr eval`` reports it."""
    from asr.metrics import corpus_cer, without_spaces

    return corpus_cer([ref for ref, _ in pairs], [hyp for _, hyp in pairs], clean=without_spaces)
