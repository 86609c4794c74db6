"""Pipecat services around the project's own recogniser and synthesiser.

The engines (``asr.Recognizer``, ``tts.Synthesizer``) are loaded once per process and shared by every
call; these services hold only per-call state. Model work runs in worker threads so the event loop that
serves every call's audio never blocks.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncGenerator, Callable

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
from pipecat.services.stt_service import SegmentedSTTService
from pipecat.services.tts_service import TTSService
from pipecat.transcriptions.language import Language
from pipecat.utils.time import time_now_iso8601

# p99 of speech-end → final transcript for Whisper base on 2 CPU cores (docs/BENCHMARKS.md); turn
# strategies use it to decide how long to wait for a transcript.
WHISPER_TTFS_P99_S = 1.5


class RecognizerSTTService(SegmentedSTTService):
    """Transcribes each VAD-delimited caller segment with a shared ``asr.Recognizer``.

    ``hint`` is the vocabulary the dialog expects next; the dialog processor updates it after every
    question, and it is passed to the recogniser as a prompt.
    """

    def __init__(self, recognizer, *, on_transcript: Callable[[str, float], None] | None = None, **kwargs):
        super().__init__(
            sample_rate=recognizer.sample_rate,
            settings=STTSettings(model=getattr(recognizer, "name", "asr"), language=Language.KO),
            ttfs_p99_latency=WHISPER_TTFS_P99_S,
            **kwargs,
        )
        self._recognizer = recognizer
        self._on_transcript = on_transcript
        self.hint: str | None = None

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
        samples = np.frombuffer(audio, dtype=np.int16).astype(np.float32) / 32768.0
        await self.start_processing_metrics()
        try:
            result = await asyncio.to_thread(self._recognizer.transcribe, samples, self.hint)
        except Exception as exc:  # a model failure must not end the call
            logger.exception("speech recognition failed")
            yield ErrorFrame(f"speech recognition failed: {exc}")
            return
        finally:
            await self.stop_processing_metrics()
        text = result.text.strip()
        logger.info(f"ASR ({result.compute_s:.2f}s for {result.audio_s:.2f}s): {text!r}")
        if self._on_transcript:
            self._on_transcript(text, result.compute_s)
        if text:
            yield TranscriptionFrame(text, self._user_id, time_now_iso8601(), Language.KO_KR)


class SynthesizerTTSService(TTSService):
    """Speaks text with a shared ``tts.Synthesizer``, streaming its chunks as they are produced.

    The synthesiser yields audio clause by clause (the hdts engine: vocoder chunk by vocoder chunk); each chunk
    is handed to the event loop as soon as it exists, so the caller hears the first words while the rest is
    still being synthesised. ``prosody`` (``tts.prosody.Prosody``) is this call's speaking style, e.g. the
    scenario's; None keeps the synthesiser's own.
    """

    def __init__(self, synthesizer, *, prosody=None, **kwargs):
        super().__init__(
            push_start_frame=True,
            push_stop_frames=True,
            sample_rate=synthesizer.sample_rate,
            settings=TTSSettings(
                model=getattr(synthesizer, "name", "tts"),
                voice=getattr(synthesizer, "voice", None) or "default",
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
