"""Turn-taking on the phone line: what Smart Turn v3 says about the personas' answers, and end of speech →
final transcript → end of turn, with and without speculative recognition.

    .venv/bin/python benchmarks/turn_taking.py                 # both modes, every persona answer
    .venv/bin/python benchmarks/turn_taking.py --lines 8 --modes speculative

The personas' answers (Kokoro ``jm_kumo``, through the 8 kHz µ-law line and back to 16 kHz as the Twilio
serializer does, the synthesiser's own leading/trailing silence cut so the end of speech is known to the
sample) are played in real time, 20 ms packets, into the agent's front half as ``agent/call/runner.py`` builds
it: ``RecognizerSTTService`` (Whisper, the configured ``CARECALL_ASR_*``) → user aggregator
(``PauseReportingVAD`` = Silero with its pause reports, Smart Turn v3 with the silence fallback; the
production settings). Per answer: end of speech (its last packet sent) → the final transcript leaves the
recogniser service → the end of the turn (the aggregator's ``LLMContextFrame``). Then answers made of two of
those lines with a 0.8 s pause between: one turn or two?

``--offline`` splits the same figure into parts that a busy box cannot blur: where the production VAD puts the
first silent frame and its stop decision after each answer's last sample (sample counts, not wall time), and
the recogniser's compute on the segment it gets at the VAD stop and on the speculative one (best of 3 runs
each), with whether their texts agree. End of speech → final transcript = the start offset + that compute.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RATE = 16000
PACKET_S = 0.02
GAP_S = 3.0  # silence after each answer: the fallback (1.5 s) and the recogniser have time


@dataclass
class Answer:
    text: str
    audio: np.ndarray  # int16 at RATE, speech from its first to its last sample
    pause_inside: bool = False


@dataclass
class Heard:
    speech_start: float
    speech_end: float
    next_start: float
    transcripts: list[tuple[float, str]] = field(default_factory=list)
    turns: list[float] = field(default_factory=list)
    smart_turn: list[float] = field(default_factory=list)  # Smart Turn's probability of "complete", per VAD stop


def _answers(limit: int | None) -> list[Answer]:
    from telephony.codec import from_phone, to_phone
    from telephony.simulator.personas import load_persona
    from tts import make_synthesizer

    texts: list[str] = []
    for name in ("well", "fever_cough", "fall_low_mood"):
        for lines in load_persona(name).answers.values():
            if lines[0] not in texts:
                texts.append(lines[0])
    texts = texts[:limit] if limit else texts
    voice = make_synthesizer("kokoro", voice="jm_kumo", speed=0.95)
    voice.load()

    def line(text: str) -> np.ndarray:
        pcm = from_phone(to_phone(voice.synthesize(text), voice.sample_rate), RATE)
        loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > 300)
        return pcm[loud[0] : loud[-1] + 1]

    answers = [Answer(t, line(t)) for t in texts]
    singles = [a for a in answers if len(a.audio) / RATE < 1.6][:4]
    pause = np.zeros(int(0.8 * RATE), dtype=np.int16)
    for first, second in zip(singles, singles[1:] + singles[:1]):
        answers.append(Answer(f"{first.text} … {second.text}", np.concatenate([first.audio, pause, second.audio]),
                              pause_inside=True))
    return answers


async def _play(answers: list[Answer], recognizer, speculative: bool) -> list[Heard]:
    from pipecat.frames.frames import InputAudioRawFrame, LLMContextFrame, MetricsFrame, TranscriptionFrame
    from pipecat.metrics.metrics import TurnMetricsData
    from pipecat.pipeline.pipeline import Pipeline
    from pipecat.pipeline.worker import PipelineParams, PipelineWorker
    from pipecat.processors.aggregators.llm_context import LLMContext
    from pipecat.processors.aggregators.llm_response_universal import LLMContextAggregatorPair
    from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
    from pipecat.workers.runner import WorkerRunner

    from agent.call.speech_services import RecognizerSTTService
    from agent.call.turn_taking import PauseReportingVAD, SmartTurnModels, user_turn_params
    from agent.settings import Settings

    settings = Settings()
    events: list[tuple[float, str, object]] = []

    class Probe(FrameProcessor):
        async def process_frame(self, frame, direction):
            await super().process_frame(frame, direction)
            now = time.monotonic()
            if isinstance(frame, TranscriptionFrame):
                events.append((now, "transcript", frame.text))
            elif isinstance(frame, LLMContextFrame):
                events.append((now, "turn", None))
            elif isinstance(frame, MetricsFrame):
                for data in frame.data:
                    if isinstance(data, TurnMetricsData):
                        events.append((now, "smart_turn", data.probability))
            await self.push_frame(frame, direction)

    stt = RecognizerSTTService(recognizer, speculative=speculative)
    models = SmartTurnModels(settings.turn_fallback_s)
    vad = PauseReportingVAD(stop_secs=settings.vad_stop_s, listener=stt)
    user_agg, _ = LLMContextAggregatorPair(
        LLMContext(), user_params=user_turn_params(vad, await models.acquire(), silence_timeout_s=0)
    )
    worker = PipelineWorker(Pipeline([stt, Probe(), user_agg, Probe()]),
                            params=PipelineParams(audio_in_sample_rate=RATE), enable_rtvi=False,
                            cancel_on_idle_timeout=False)
    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    started = asyncio.Event()

    @worker.event_handler("on_pipeline_started")
    async def _started(_worker, _frame):
        started.set()

    heard: list[Heard] = []

    async def feed() -> None:
        await started.wait()
        stream = [np.zeros(int(RATE), dtype=np.int16)]
        ends = []
        at = len(stream[0])
        for answer in answers:
            stream.append(answer.audio)
            at += len(answer.audio)
            ends.append(at)
            stream.append(np.zeros(int(GAP_S * RATE), dtype=np.int16))
            at += int(GAP_S * RATE)
        audio = np.concatenate(stream)
        n = int(PACKET_S * RATE)
        t0 = time.monotonic()
        for i in range(0, len(audio) - n + 1, n):
            await worker.queue_frame(InputAudioRawFrame(audio[i : i + n].tobytes(), RATE, 1))
            await asyncio.sleep(max(0.0, t0 + (i + n) / RATE - time.monotonic()))
        starts = [t0 + (end - len(answer.audio)) / RATE for end, answer in zip(ends, answers)]
        for k, end in enumerate(ends):
            speech_end = t0 + np.ceil(end / n) * n / RATE
            heard.append(Heard(starts[k], speech_end, starts[k + 1] if k + 1 < len(starts) else float("inf")))
        await worker.stop_when_done()

    await asyncio.gather(runner.run(), feed())
    for h in heard:
        for at, kind, value in events:
            if h.speech_start <= at < h.next_start:
                if kind == "transcript":
                    h.transcripts.append((at, str(value)))
                elif kind == "turn":
                    h.turns.append(at)
                elif kind == "smart_turn":
                    h.smart_turn.append(float(value))
    return heard


def _vad_offsets(audio: np.ndarray, stop_secs: float) -> tuple[float, float]:
    """Seconds from the end of speech to the VAD's first silent frame and to its stop decision."""
    from agent.call.turn_taking import PauseReportingVAD

    vad = PauseReportingVAD(stop_secs=stop_secs)
    vad.set_sample_rate(RATE)
    stream = np.concatenate([np.zeros(RATE, dtype=np.int16), audio, np.zeros(RATE, dtype=np.int16)])
    end = RATE + len(audio)
    n = int(PACKET_S * RATE)
    paused = stopped = float("nan")

    async def run() -> None:
        nonlocal paused, stopped
        previous = None
        for i in range(0, len(stream) - n + 1, n):
            state = (await vad.analyze_audio(stream[i : i + n].tobytes())).name
            at = (i + n - end) / RATE
            if at > -0.05 and state == "STOPPING" and previous == "SPEAKING":
                paused = at
            if at > -0.05 and state == "QUIET" and previous == "STOPPING":
                stopped = at
                return
            previous = state

    asyncio.run(run())
    return paused, stopped


def _offline(answers: list[Answer], recognizer, console) -> None:
    from rich.table import Table

    from agent.settings import Settings
    from asr.itn import normalize
    from asr.metrics import corpus_cer

    def best_of_3(samples: np.ndarray) -> tuple[float, float, str]:
        """Wall and CPU seconds (the fastest of 3 runs: the box is shared) and the text."""
        runs = []
        for _ in range(3):
            wall, cpu = time.perf_counter(), time.process_time()
            text = recognizer.transcribe(samples).text
            runs.append((time.perf_counter() - wall, time.process_time() - cpu))
        return *min(runs), text

    def segment(answer: Answer, silence_s: float) -> np.ndarray:
        """The speech, the line's silence up to where recognition starts (zeros), the service's 0.5 s padding."""
        tail = np.zeros(int(round((silence_s + 0.5) * RATE)), dtype=np.int16)
        return np.concatenate([answer.audio, tail]).astype(np.float32) / 32768.0

    stop_s = Settings().vad_stop_s
    rows = []
    for answer in (a for a in answers if not a.pause_inside):
        _, old_stop = _vad_offsets(answer.audio, 0.3)  # before: 0.3 s VAD stop, recognised at the stop
        paused, stop = _vad_offsets(answer.audio, stop_s)
        wall_stop, cpu_stop, text_stop = best_of_3(segment(answer, stop))
        wall_early, cpu_early, text_early = best_of_3(segment(answer, paused + stop_s))  # padded as the service does
        rows.append((answer.text, paused, stop, old_stop, wall_stop, cpu_stop, wall_early, cpu_early, text_stop,
                     text_early))
    table = Table("answer", "first silent frame", "VAD stop 0.2", "VAD stop 0.3 (before)", "recognition at stop",
                  "speculative", "text at stop", "text speculative",
                  title="End of speech → start of recognition (s after the last speech sample); recognition wall s "
                        "(CPU s), best of 3")
    for text, paused, stop, old_stop, w1, c1, w2, c2, t1, t2 in rows:
        table.add_row(text, f"{paused:+.2f}", f"{stop:+.2f}", f"{old_stop:+.2f}", f"{w1:.2f} ({c1:.2f})",
                      f"{w2:.2f} ({c2:.2f})", t1, t2)
    console.print(table)
    before = [r[3] + r[4] for r in rows]
    at_stop = [r[2] + r[4] for r in rows]
    after = [r[1] + r[6] for r in rows]
    refs = [normalize(r[0]) for r in rows]
    cer_stop = corpus_cer(refs, [normalize(r[8]) for r in rows])
    cer_early = corpus_cer(refs, [normalize(r[9]) for r in rows])
    console.print("end of speech → final transcript, p50 (p90): "
                  f"before (0.3 s VAD, at its stop) {statistics.median(before):.2f} ({np.percentile(before, 90):.2f}) s, "
                  f"0.2 s VAD at its stop {statistics.median(at_stop):.2f} ({np.percentile(at_stop, 90):.2f}) s, "
                  f"speculative {statistics.median(after):.2f} ({np.percentile(after, 90):.2f}) s; "
                  f"start of recognition p50 {statistics.median(r[3] for r in rows):+.2f} → "
                  f"{statistics.median(r[1] for r in rows):+.2f} s; CER at stop {cer_stop:.3f}, speculative "
                  f"{cer_early:.3f}; same text {sum(r[8] == r[9] for r in rows)}/{len(rows)}")


def _ms(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values) * 1000:.0f} / {np.percentile(values, 90) * 1000:.0f} / {max(values) * 1000:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=None, help="first N persona answers only")
    parser.add_argument("--modes", nargs="+", default=["at-vad-stop", "speculative"],
                        choices=["at-vad-stop", "speculative"])
    parser.add_argument("--offline", action="store_true", help="the parts (VAD offsets, compute), not real time")
    args = parser.parse_args()

    from loguru import logger
    from rich.console import Console
    from rich.table import Table

    from agent.settings import Settings
    from asr import make_recognizer

    logger.remove()
    logger.add(sys.stderr, level=os.environ.get("BENCH_LOG", "WARNING"))
    settings = Settings()
    answers = _answers(args.lines)
    recognizer = make_recognizer(settings.asr_engine, **settings.asr_options())
    recognizer.load()
    recognizer.transcribe(answers[0].audio.astype(np.float32) / 32768.0)  # warm

    console = Console()
    if args.offline:
        _offline(answers, recognizer, console)
        console.print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; recogniser {recognizer.name}")
        return
    table = Table("recognition", "answers", "speech end → final transcript (ms) p50 / p90 / max",
                  "speech end → end of turn (ms) p50 / p90 / max", "paused answers held as one turn",
                  title="Turn-taking on the personas' answers (real time, phone-band audio)")
    verdicts: list[tuple[str, list[float]]] = []
    for mode in args.modes:
        heard = await_play(answers, recognizer, mode == "speculative")
        single = [(a, h) for a, h in zip(answers, heard) if not a.pause_inside]
        paused = [(a, h) for a, h in zip(answers, heard) if a.pause_inside]
        to_text = [h.transcripts[-1][0] - h.speech_end for _, h in single if h.transcripts]
        to_turn = [h.turns[0] - h.speech_end for _, h in single if h.turns]
        held = sum(1 for _, h in paused if len(h.turns) == 1)
        table.add_row(mode, str(len(single)), _ms(to_text), _ms(to_turn), f"{held}/{len(paused)}")
        verdicts = [(a.text, h.smart_turn) for a, h in zip(answers, heard)]
        for a, h in zip(answers, heard):
            texts = " | ".join(t for _, t in h.transcripts)
            console.print(f"[dim]{mode}: {a.text!r} → {texts!r}, turns {len(h.turns)}, "
                          f"Smart Turn {', '.join(f'{p:.2f}' for p in h.smart_turn)}[/dim]")
    console.print(table)
    complete = sum(1 for text, probs in verdicts if "…" not in text and probs and probs[-1] > 0.5)
    singles = sum(1 for text, _ in verdicts if "…" not in text)
    console.print(f"Smart Turn v3 said 'complete' at the end of {complete}/{singles} single answers")
    console.print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; recogniser {recognizer.name}")


def await_play(answers: list[Answer], recognizer, speculative: bool) -> list[Heard]:
    return asyncio.run(_play(answers, recognizer, speculative))


if __name__ == "__main__":
    main()
