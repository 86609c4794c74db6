"""Pipecat services around the project's own recogniser and synthesiser.

The engines (``asr.Recognizer``, ``tts.Synthesizer``) are loaded once per process and shared by every
call; these services hold only per-call state. Model work runs in worker threads so the event loop that
serves every call's audio never blocks.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass

import numpy as np
from loguru import logger
from pipecat.frames.frames import (
    EndFrame,
    ErrorFrame,
    Frame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.services.settings import STTSettings, TTSSettings
from pipecat.processors.frame_processor import FrameDirection
from pipecat.services.stt_service import SegmentedSTTService, STTService
from pipecat.services.tts_service import TTSService
from pipecat.transcriptions.language import Language
from pipecat.utils.time import time_now_iso8601

from asr import Recognizer, Transcript
from tts import Prosody, Synthesizer

# p99 of speech-end → final transcript for Whisper base on 2 CPU cores (docs/BENCHMARKS.md); turn
# strategies use it to decide how long to wait for a transcript.
WHISPER_TTFS_P99_S = 1.5


@dataclass
class _Speculation:
    """A recognition started at the first silent frame of a pause, on the segment's audio up to there."""

    speech: bytes
    result: asyncio.Future[Transcript]
    stale: bool = False  # the caller spoke again before the VAD decided the segment was over


class RecognizerSTTService(SegmentedSTTService):
    """Transcribes each VAD-delimited caller segment with a shared ``asr.Recognizer``.

    ``hint`` is the vocabulary the dialog expects next; the dialog processor updates it after every
    question, and it is passed to the recogniser as a prompt.

    Speculative recognition (``speculative=True``; this is an ``agent.call.turn_taking.PauseListener``):
    at the first silent frame of a pause the speech so far is recognised at once, instead of after the VAD's
    stop silence; if the VAD then ends the segment, that result is the segment's transcript, and if the caller
    goes on it is discarded (one speculation at a time, so a pause inside a word costs at most one extra run).
    """

    def __init__(self, recognizer: Recognizer, *, on_transcript: Callable[[str, float], None] | None = None,
                 speculative: bool = False, **kwargs):
        super().__init__(
            sample_rate=recognizer.sample_rate,
            settings=STTSettings(model=recognizer.name, language=Language.KO),
            ttfs_p99_latency=WHISPER_TTFS_P99_S,
            **kwargs,
        )
        self._recognizer = recognizer
        self._on_transcript = on_transcript
        self._speculative = speculative
        self._speculation: _Speculation | None = None
        self.hint: str | None = None
        # Set by the dialog (``DialogSession.choose``): which of the recogniser's hypotheses to hear.
        self.choose: Callable[[Sequence[str]], int] | None = None
        self.speculations_used = 0  # segments whose transcript came from a speculation (logs, tests, benchmark)

    async def speech_paused(self, stop_secs: float) -> None:
        """First silent frame: recognise the segment so far, in a worker thread."""
        # The segment's audio is the base class's buffer, which grows without trimming while the caller speaks.
        if not self._speculative or not self._user_speaking or not self._audio_buffer:
            return
        if self._speculation is not None and not self._speculation.result.done():
            return
        speech = bytes(self._audio_buffer)
        # As long as the segment will be (its stop silence, then the padding): the recogniser hears the same.
        padded = speech + bytes(int(stop_secs * self.sample_rate) * 2) + self._trailing_silence()
        result = asyncio.get_running_loop().run_in_executor(
            None, self._recognizer.transcribe, _pcm_to_float(padded), self.hint
        )
        result.add_done_callback(_retrieve)  # a discarded speculation's failure is not worth a warning
        self._speculation = _Speculation(speech, result)

    async def speech_resumed(self) -> None:
        """It was only a pause: what was recognised is not the segment."""
        if self._speculation is not None:
            self._speculation.stale = True

    async def push_frame(self, frame: Frame, direction: FrameDirection = FrameDirection.DOWNSTREAM):
        """A transcript is the turn's last so far (``finalized``, which lets Smart Turn end the turn at once)
        only if the caller is not speaking again and no later segment waits; the base class marks every
        segment final, and a late one would end a turn whose next words are still being recognised."""
        if isinstance(frame, TranscriptionFrame) and (self._user_speaking or not self._segment_queue.empty()):
            await STTService.push_frame(self, frame, direction)
            return
        await super().push_frame(frame, direction)

    @property
    def wants_wav_segments(self) -> bool:
        return False

    async def stop(self, frame: EndFrame):
        """A call that ends while the caller is still talking (they hung up mid-sentence, so no
        silence follows for the VAD to hear) still gets its last words transcribed."""
        if self._user_speaking:
            await self._handle_user_stopped_speaking(VADUserStoppedSpeakingFrame())
        await super().stop(frame)

    def can_generate_metrics(self) -> bool:
        return True

    async def run_stt(self, audio: bytes) -> AsyncGenerator[Frame, None]:
        speculated = self._speculated(audio)
        await self.start_processing_metrics()
        try:
            if speculated is not None:
                result = await speculated
            else:
                result = await asyncio.to_thread(self._recognizer.transcribe, _pcm_to_float(audio), self.hint)
        except Exception as exc:  # a model failure must not end the call
            logger.exception("speech recognition failed")
            yield ErrorFrame(f"speech recognition failed: {exc}")
            return
        finally:
            await self.stop_processing_metrics()
        text = self._heard(result)
        logger.info(f"ASR ({result.compute_s:.2f}s for {result.audio_s:.2f}s): {text!r}")
        if self._on_transcript:
            self._on_transcript(text, result.compute_s)
        if text:
            yield TranscriptionFrame(text, self._user_id, time_now_iso8601(), Language.KO_KR)

    def _heard(self, result: Transcript) -> str:
        """The hypothesis the dialog understands (``choose``), else the recogniser's best."""
        if self.choose is None:
            return result.text.strip()
        hypotheses = result.hypotheses
        index = self.choose(hypotheses)
        if index:
            logger.info(f"ASR: heard runner-up {hypotheses[index]!r} for {result.text!r}")
        return hypotheses[index].strip()

    def _speculated(self, segment: bytes) -> asyncio.Future[Transcript] | None:
        """The speculation that recognised this segment's speech, if any: taken at its pause, no speech since
        (what follows in the segment is the VAD's stop silence and the padding)."""
        spec = self._speculation
        if spec is None:
            return None
        if spec.stale:
            self._speculation = None
            return None
        if not segment.startswith(spec.speech):
            return None  # an earlier segment still queued; the speculation is for a later one
        self._speculation = None
        self.speculations_used += 1
        return spec.result


def _retrieve(future: asyncio.Future) -> None:
    if not future.cancelled():
        future.exception()


def _pcm_to_float(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768.0


class SynthesizerTTSService(TTSService):
    """Speaks text with a shared ``tts.Synthesizer``, streaming its chunks as they are produced.

    The synthesiser yields audio clause by clause (the hdts engine: vocoder chunk by vocoder chunk); each chunk
    is handed to the event loop as soon as it exists, so the caller hears the first words while the rest is
    still being synthesised. ``prosody`` (``tts.prosody.Prosody``) is this call's speaking style, e.g. the
    scenario's; None keeps the synthesiser's own.
    """

    def __init__(self, synthesizer: Synthesizer, *, prosody: Prosody | None = None, **kwargs):
        super().__init__(
            push_start_frame=True,
            push_stop_frames=True,
            sample_rate=synthesizer.sample_rate,
            settings=TTSSettings(
                model=synthesizer.name,
                voice=synthesizer.voice,
                language=Language.KO,
            ),
            **kwargs,
        )
        self._synthesizer = synthesizer
        self._prosody = prosody

    def can_generate_metrics(self) -> bool:
        return True

    async def run_tts(self, text: str, context_id: str) -> AsyncGenerator[Frame, None]:
        await self.start_tts_usage_metrics(text)
        loop = asyncio.get_running_loop()
        chunks: asyncio.Queue[np.ndarray | BaseException | None] = asyncio.Queue()
        cancelled = threading.Event()

        def produce() -> None:
            try:
                stream = (self._synthesizer.stream(text, self._prosody) if self._prosody is not None
                          else self._synthesizer.stream(text))
                for chunk in stream:
                    if cancelled.is_set():
                        break
                    loop.call_soon_threadsafe(chunks.put_nowait, chunk)
            except BaseException as exc:  # forwarded to the event loop below
                loop.call_soon_threadsafe(chunks.put_nowait, exc)
            finally:
                loop.call_soon_threadsafe(chunks.put_nowait, None)

        started = time.perf_counter()
        producer = loop.run_in_executor(None, produce)
        first = True
        try:
            while (item := await chunks.get()) is not None:
                if isinstance(item, BaseException):
                    logger.error(f"speech synthesis failed for {text!r}: {item}")
                    yield ErrorFrame(f"speech synthesis failed: {item}")
                    break
                if first:
                    await self.stop_ttfb_metrics()
                    logger.debug(f"TTS first audio after {time.perf_counter() - started:.2f}s: {text[:30]!r}")
                    first = False
                yield TTSAudioRawFrame(item.astype(np.int16).tobytes(), self.sample_rate, 1, context_id=context_id)
        finally:
            cancelled.set()
            await producer
