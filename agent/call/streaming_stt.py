"""Pipecat STT service around a streaming recogniser (``asr.nemo``): interim transcripts while the caller
speaks, one finalized transcript at the end of each VAD segment.

The recogniser's model is shared by every call; this service holds one streaming session (its own encoder
caches). Audio is fed packet by packet from the moment the VAD says speech started (with a short pre-roll,
since the VAD decides ~0.2 s late); each packet's model work runs in a worker thread. Partials go out as
``InterimTranscriptionFrame`` so turn-taking can use them; at ``VADUserStoppedSpeakingFrame`` the session is
flushed and the final, inverse-normalised text goes out as a finalized ``TranscriptionFrame``.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncGenerator, Callable, Sequence

import numpy as np
from loguru import logger
from pipecat.frames.frames import (
    EndFrame,
    Frame,
    InterimTranscriptionFrame,
    StartFrame,
    TranscriptionFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.services.settings import STTSettings
from pipecat.services.stt_service import STTService
from pipecat.transcriptions.language import Language
from pipecat.utils.time import time_now_iso8601

from asr import Recognizer, StreamingRecognizer, StreamSession

# p99 end of speech → final transcript for the small model on 2 CPU cores is far below this; a
# production-size model on CPU stays under it too (docs/BENCHMARKS.md).
STREAMING_TTFS_P99_S = 0.5


class StreamingSTTService(STTService):
    """Streams caller audio into ``recognizer.session()``; ``recognizer`` is e.g. ``NemoStreamingRecognizer``."""

    def __init__(
        self,
        recognizer: StreamingRecognizer,
        *,
        preroll_s: float = 0.5,
        on_transcript: Callable[[str, float], None] | None = None,
        **kwargs,
    ):
        super().__init__(
            settings=STTSettings(model=recognizer.name, language=Language.KO),
            ttfs_p99_latency=STREAMING_TTFS_P99_S,
            **kwargs,
        )
        self._recognizer = recognizer
        self._on_transcript = on_transcript
        self._preroll_s = preroll_s
        self._preroll: deque[bytes] = deque()
        self._preroll_bytes = 0
        self._session: StreamSession | None = None
        self._streaming = False
        self._compute_s = 0.0
        self.hint: str | None = None  # set by the dialog; a CTC model has no prompt, kept for the same interface
        self.choose: Callable[[Sequence[str]], int] | None = None  # likewise: one hypothesis, nothing to choose
        self.partials: list[str] = []  # this turn's interim texts, for logs and tests

    def can_generate_metrics(self) -> bool:
        return True

    async def start(self, frame: StartFrame):
        await super().start(frame)
        self._session = await asyncio.to_thread(self._recognizer.session, self.sample_rate)

    async def stop(self, frame: EndFrame):
        """A caller who hangs up mid-sentence still gets their last words transcribed."""
        if self._streaming:
            await self._finish_turn()
        await super().stop(frame)

    async def run_stt(self, audio: bytes) -> AsyncGenerator[Frame | None, None]:
        if not self._streaming:
            self._remember(audio)
            yield None
            return
        partial = await self._push(audio)
        if partial:
            self.partials.append(partial)
            yield InterimTranscriptionFrame(partial, self._user_id, time_now_iso8601(), Language.KO_KR)

    async def _handle_vad_user_started_speaking(self, frame: VADUserStartedSpeakingFrame):
        await super()._handle_vad_user_started_speaking(frame)
        if self._session is None:
            return
        self._session.reset()
        self.partials = []
        self._compute_s = 0.0
        self._streaming = True
        preroll = b"".join(self._preroll)
        self._preroll.clear()
        self._preroll_bytes = 0
        if preroll:
            await self._push(preroll)

    async def _handle_vad_user_stopped_speaking(self, frame: VADUserStoppedSpeakingFrame):
        await super()._handle_vad_user_stopped_speaking(frame)
        if self._streaming:
            await self._finish_turn()

    async def _push(self, audio: bytes) -> str | None:
        samples = np.frombuffer(audio, dtype=np.int16).astype(np.float32) / 32768.0
        started = time.perf_counter()
        try:
            return await asyncio.to_thread(self._session.push, samples)
        except Exception as exc:  # a model failure must not end the call
            logger.exception("streaming recognition failed")
            await self.push_error(f"speech recognition failed: {exc}", exception=exc)
            self._streaming = False
            return None
        finally:
            self._compute_s += time.perf_counter() - started

    async def _finish_turn(self) -> None:
        self._streaming = False
        await self.start_processing_metrics()
        started = time.perf_counter()
        try:
            text = await asyncio.to_thread(self._recognizer.finalize, self._session)
        except Exception as exc:
            logger.exception("streaming recognition failed at end of turn")
            await self.push_error(f"speech recognition failed: {exc}", exception=exc)
            return
        finally:
            await self.stop_processing_metrics()
        self._compute_s += time.perf_counter() - started
        audio_s = self._session.audio_s
        logger.info(f"ASR stream ({self._compute_s:.2f}s for {audio_s:.2f}s, {len(self.partials)} partials): {text!r}")
        if self._on_transcript:
            self._on_transcript(text, self._compute_s)
        if text:
            self.request_finalize()
            self.confirm_finalize()
            await self.push_frame(TranscriptionFrame(text, self._user_id, time_now_iso8601(), Language.KO_KR))

    def _remember(self, audio: bytes) -> None:
        """Keep the last ``preroll_s`` of audio heard before the VAD decided speech started."""
        self._preroll.append(audio)
        self._preroll_bytes += len(audio)
        limit = int(self._preroll_s * self.sample_rate) * 2
        while self._preroll and self._preroll_bytes - len(self._preroll[0]) >= limit:
            self._preroll_bytes -= len(self._preroll.popleft())


def make_stt_service(
    recognizer: Recognizer | StreamingRecognizer, *, speculative: bool = False, **kwargs
) -> STTService:
    """The streaming service for a recogniser with sessions (nemo engines), else the segmented one
    (``speculative``: it recognises at the first silent frame; a streaming session has its text already)."""
    if isinstance(recognizer, StreamingRecognizer):
        return StreamingSTTService(recognizer, **kwargs)
    from agent.call.speech_services import RecognizerSTTService

    return RecognizerSTTService(recognizer, speculative=speculative, **kwargs)
