"""When a caller's turn is over: Smart Turn v3 on a short silence, a longer silence when it says "not yet".

Silence alone ends turns too early for elderly callers, who pause inside an answer ("괜찮아요. … 건강해요.").
So a turn ends when

* the VAD has heard ``vad_stop_s`` of silence and Smart Turn v3 (pipecat's bundled ONNX model, offline; it
  judges the turn's audio, intonation included) says the caller has finished, and the transcript is in; or
* Smart Turn said "not finished" but the silence has gone on ``turn_fallback_s`` more: the caller has
  really stopped.

A pause that outlasts both (the caller resumes just as the agent starts replying) is the dialog processor's
to mend (``agent.call.dialog_processor``: the reply stops and both parts are heard as one turn).

Once the agent has decided to end the call (its goodbye, or the line that tells the caller they are being put
through), the caller no longer interrupts it (``MutedWhileEnding``): a "고마워요" said over the goodbye would
otherwise cut it off, and the session, finished, would not act on the words anyway.

The VAD also reports the first silent frame and a resumption before its stop decision
(``PauseReportingVAD`` → a ``PauseListener``), so the recogniser can start on the speech so far while the
turn is still being decided.
"""

from __future__ import annotations

import asyncio
from typing import Protocol, runtime_checkable

from pipecat.audio.turn.smart_turn.base_smart_turn import SmartTurnParams
from pipecat.audio.turn.smart_turn.local_smart_turn_v3 import LocalSmartTurnAnalyzerV3
from pipecat.audio.vad.silero import SileroVADAnalyzer
from pipecat.audio.vad.vad_analyzer import VADParams, VADState
from pipecat.frames.frames import Frame
from pipecat.processors.aggregators.llm_response_universal import LLMUserAggregatorParams
from pipecat.turns.user_mute import BaseUserMuteStrategy
from pipecat.turns.user_stop.turn_analyzer_user_turn_stop_strategy import TurnAnalyzerUserTurnStopStrategy
from pipecat.turns.user_turn_strategies import UserTurnStrategies


@runtime_checkable
class PauseListener(Protocol):
    """Told when the caller's speech pauses (first silent VAD frame; if the pause ends the segment, the VAD
    decides so ``stop_secs`` of silence later) and when it resumes before that."""

    async def speech_paused(self, stop_secs: float) -> None: ...

    async def speech_resumed(self) -> None: ...


class Ending(Protocol):
    """Whether the call's last line is being said (``agent.call.dialog_processor.DialogProcessor``)."""

    @property
    def ending(self) -> bool: ...


class MutedWhileEnding(BaseUserMuteStrategy):
    """Mutes the caller (no barge-in, no new turn) from the moment the dialog ends the call, so its goodbye
    is heard out. pipecat asks it at every frame the user aggregator sees (the line's audio: every 20 ms)."""

    def __init__(self, dialog: Ending, **kwargs):
        super().__init__(**kwargs)
        self._dialog = dialog

    async def process_frame(self, frame: Frame) -> bool:
        return self._dialog.ending


class PauseReportingVAD(SileroVADAnalyzer):
    """Silero VAD that also reports SPEAKING → STOPPING (a pause begins) and STOPPING → SPEAKING (it was only
    a pause) to ``listener``; the started/stopped decisions themselves are Silero's, unchanged."""

    def __init__(self, *, stop_secs: float, listener: PauseListener | None = None, **kwargs):
        super().__init__(params=VADParams(stop_secs=stop_secs), **kwargs)
        self.listener = listener
        self._last_state = VADState.QUIET

    async def analyze_audio(self, buffer: bytes) -> VADState:
        state = await super().analyze_audio(buffer)
        previous, self._last_state = self._last_state, state
        if self.listener is not None:
            if previous == VADState.SPEAKING and state == VADState.STOPPING:
                await self.listener.speech_paused(self.params.stop_secs)
            elif previous == VADState.STOPPING and state == VADState.SPEAKING:
                await self.listener.speech_resumed()
        return state


class SmartTurnModels:
    """Smart Turn v3 analyzers for the live calls, one per call, kept for the next call when it ends.

    Each analyzer holds its own ONNX session (~30 MiB, 0.1-0.6 s to load on the 2-core box) and one call's
    audio; reusing them keeps that load off the start of every call (and off the greeting).
    """

    def __init__(self, fallback_s: float):
        self.fallback_s = fallback_s
        self._idle: list[LocalSmartTurnAnalyzerV3] = []

    def _load(self) -> LocalSmartTurnAnalyzerV3:
        return LocalSmartTurnAnalyzerV3(params=SmartTurnParams(stop_secs=self.fallback_s))

    def warm(self) -> None:
        """Load one analyzer now (at server start), so the first call does not wait for it."""
        if not self._idle:
            self._idle.append(self._load())

    async def acquire(self) -> LocalSmartTurnAnalyzerV3:
        if self._idle:
            return self._idle.pop()
        return await asyncio.to_thread(self._load)

    def release(self, analyzer: LocalSmartTurnAnalyzerV3) -> None:
        """Back to the pool after the call (its buffered audio dropped)."""
        analyzer.clear()
        self._idle.append(analyzer)


def user_turn_params(
    vad: PauseReportingVAD, smart_turn: LocalSmartTurnAnalyzerV3, *, silence_timeout_s: float, dialog: Ending | None = None
) -> LLMUserAggregatorParams:
    """The user aggregator's turn-taking: speech starts a turn (and interrupts the agent), Smart Turn with its
    silence fallback ends it (the fallback is the analyzer's ``stop_secs``, counted from the VAD stop); once
    ``dialog`` is ending the call, the caller is muted (no ``dialog``: turns alone, as a benchmark takes them)."""
    return LLMUserAggregatorParams(
        vad_analyzer=vad,
        user_turn_strategies=UserTurnStrategies(stop=[TurnAnalyzerUserTurnStopStrategy(turn_analyzer=smart_turn)]),
        user_mute_strategies=[MutedWhileEnding(dialog)] if dialog is not None else [],
        user_idle_timeout=silence_timeout_s,
    )
