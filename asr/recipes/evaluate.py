"""CER / WER and real-time factor of a streaming recogniser over a manifest, streamed in 20 ms packets.

CER is over characters without spaces (Korean spacing varies; ``asr.metrics.without_spaces``); WER over
space-separated words. Both are reported on the recogniser's raw output against the manifest text (spoken
forms), and CER once more after Korean ITN on both sides (what the dialog compares). ``telephone=True`` sends each clip through the 8 kHz
µ-law channel and feeds the recogniser at 8 kHz, as a phone call does.
"""
from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from asr.metrics import char_errors, without_spaces, word_errors

PACKET_S = 0.02


@dataclass
class Utterance:
    audio: str
    ref: str
    hyp: str
    final: str  # after ITN
    partials: list[str]
    audio_s: float
    compute_s: float
    final_latency_ms: float  # end of audio → final text (flush of the last chunk)
    cer: float


@dataclass
class Report:
    model: str
    engine: str
    manifest: str
    chunk_ms: int
    telephone: bool
    utterances: int = 0
    cer: float = 0.0
    cer_itn: float = 0.0
    wer: float = 0.0
    exact: float = 0.0
    rtf: float = 0.0
    final_latency_ms_p50: float = 0.0
    final_latency_ms_p95: float = 0.0
    growing_partials: float = 0.0  # share of utterances whose partials grew to the final text
    packet_ms_p50: float = 0.0  # compute per 20 ms packet pushed (includes the chunk steps it triggers)
    packet_ms_p99: float = 0.0
    packet_ms_max: float = 0.0
    items: list[Utterance] = field(default_factory=list)

    def to_json(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1), encoding="utf-8")


def stream_clip(recognizer: Any, audio: np.ndarray, rate: int,
                packet_times: list[float] | None = None) -> tuple[str, list[str], float, float]:
    """Stream one clip packet by packet: (raw final, partials, compute seconds, end-of-audio→final ms)."""
    session = recognizer.session(input_rate=rate)
    step = int(PACKET_S * rate)
    partials: list[str] = []
    compute = 0.0
    for i in range(0, audio.size, step):
        started = time.perf_counter()
        partial = session.push(audio[i:i + step])
        took = time.perf_counter() - started
        compute += took
        if packet_times is not None:
            packet_times.append(took)
        if partial:
            partials.append(partial)
    started = time.perf_counter()
    raw = session.finish()
    flush = time.perf_counter() - started
    return raw, partials, compute + flush, flush * 1000


def evaluate(recognizer: Any, manifest: str | Path, *, telephone: bool = False, limit: int | None = None,
             progress: Callable[[int, int], None] | None = None) -> Report:
    """Stream every clip of ``manifest`` through ``recognizer`` (loaded here) and score it."""
    from asr.itn import normalize
    from asr.recipes.speech import read_wav
    from asr.recipes.train import read_manifest

    recognizer.load()
    rows = read_manifest(manifest)[: limit or None]
    info = getattr(recognizer, "info", None)
    report = Report(model=getattr(info, "path", "?"), engine=recognizer.name, manifest=str(manifest),
                    chunk_ms=getattr(info, "chunk_ms", 0), telephone=telephone)
    edits = chars = itn_edits = itn_chars = w_edits = words = exact = grew = 0
    audio_total = compute_total = 0.0
    latencies: list[float] = []
    packets: list[float] = []
    for n, row in enumerate(rows, 1):
        audio, rate = read_wav(row["audio_filepath"])
        if rate != recognizer.sample_rate and not telephone:
            import soxr

            audio, rate = soxr.resample(audio, rate, recognizer.sample_rate).astype(np.float32), recognizer.sample_rate
        if telephone:
            import soxr

            from telephony.codec import ulaw_decode, ulaw_encode

            narrow = soxr.resample(audio, rate, 8000)
            pcm = ulaw_decode(ulaw_encode((np.clip(narrow, -1, 1) * 32767).astype(np.int16)))
            audio, rate = pcm.astype(np.float32) / 32768.0, 8000
        raw, partials, compute, latency = stream_clip(recognizer, audio, rate, packets)
        ref = row["text"]
        e, c = char_errors(ref, raw, clean=without_spaces)
        ie, ic = char_errors(normalize(ref), normalize(raw), clean=without_spaces)
        we, wc = word_errors(ref, raw)
        edits, chars, itn_edits, itn_chars, w_edits, words = (edits + e, chars + c, itn_edits + ie,
                                                              itn_chars + ic, w_edits + we, words + wc)
        exact += without_spaces(raw) == without_spaces(ref)
        grew += bool(partials) and _grows(partials, raw)
        audio_s = audio.size / rate
        audio_total += audio_s
        compute_total += compute
        latencies.append(latency)
        report.items.append(Utterance(row["audio_filepath"], ref, raw, recognizer.postprocess(raw), partials,
                                      round(audio_s, 3), round(compute, 4), round(latency, 2), e / max(c, 1)))
        if progress:
            progress(n, len(rows))
    k = max(len(rows), 1)
    report.utterances = len(rows)
    report.cer, report.cer_itn = edits / max(chars, 1), itn_edits / max(itn_chars, 1)
    report.wer, report.exact, report.growing_partials = w_edits / max(words, 1), exact / k, grew / k
    report.rtf = compute_total / max(audio_total, 1e-9)
    if latencies:
        report.final_latency_ms_p50 = statistics.median(latencies)
        report.final_latency_ms_p95 = sorted(latencies)[int(0.95 * (len(latencies) - 1))]
    if packets:
        ordered = sorted(packets)
        report.packet_ms_p50 = ordered[len(ordered) // 2] * 1000
        report.packet_ms_p99 = ordered[int(0.99 * (len(ordered) - 1))] * 1000
        report.packet_ms_max = ordered[-1] * 1000
    return report


def _grows(partials: list[str], final: str) -> bool:
    """At least two partials, the text got longer over the turn, and the final is at least as long."""
    lengths = [len(p.replace(" ", "")) for p in partials]
    return len(lengths) >= 2 and lengths[-1] > lengths[0] and len(final.replace(" ", "")) >= lengths[-1]
