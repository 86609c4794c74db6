"""Turn-taking through the real pipecat pipeline: recogniser service → user aggregator (VAD, Smart Turn strategy
with its silence fallback) → dialog processor (a real care-call DialogSession) → TTS → a playout clock.

Synthetic audio: each caller "sentence" is a tone whose pitch the fake recogniser reads back as words, silence
is silence, and the VAD's voice model is an energy test; everything else (VAD state machine and its pause
reports, pipecat's turn strategy, speculative recognition, interruption, the dialog) is the production code.
Smart Turn's verdicts are scripted (the model's own behaviour on phone audio is checked separately below).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from pipecat.audio.turn.base_turn_analyzer import EndOfTurnState
from pipecat.audio.turn.smart_turn.base_smart_turn import BaseSmartTurn, SmartTurnParams
from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    EndWorkerFrame,
    Frame,
    InputAudioRawFrame,
    InterruptionFrame,
    TTSAudioRawFrame,
)
from pipecat.metrics.metrics import TurnMetricsData
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import LLMContextAggregatorPair
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.tests.utils import SleepFrame, run_test

from agent.call.dialog_processor import DialogProcessor
from agent.call.speech_services import RecognizerSTTService, SynthesizerTTSService
from agent.call.turn_taking import PauseReportingVAD, SmartTurnModels, user_turn_params
from agent.settings import Settings
from dialog import DialogSession, load_scenario
from telephony.codec import from_phone, to_phone

RATE = 16000
FRAME_S = 0.02
WORDS = {440.0: "괜찮아요", 660.0: "건강해요", 880.0: "근데 어제부터 열이 좀 나요", 550.0: "아니요 없어요", 770.0: "고마워요"}
SETTINGS = Settings(_env_file=None)
GREETING_S = 1.8  # the health question takes 1.6 s to play


def tone(freq: float, seconds: float) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return (np.sin(2 * np.pi * freq * t) * 20000).astype(np.int16)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(RATE * seconds), dtype=np.int16)


def after_the_question(*parts: np.ndarray) -> list[Frame]:
    """The line while the agent asks its question (silence), then the caller's audio."""
    return paced(np.concatenate([silence(GREETING_S), *parts]))


def paced(audio: np.ndarray) -> list[Frame]:
    """20 ms input frames, delivered in real time (100 ms at a time), as a phone line delivers them."""
    n = int(RATE * FRAME_S)
    frames: list[Frame] = []
    for i in range(0, len(audio) - n + 1, n):
        frames.append(InputAudioRawFrame(audio[i : i + n].tobytes(), RATE, 1))
        if len(frames) % 6 == 5:
            frames.append(SleepFrame(0.1))
    return frames


class EnergyVAD(PauseReportingVAD):
    """The production VAD with an energy test for a voice model (synthetic tones are not voices to Silero)."""

    def voice_confidence(self, buffer: bytes) -> float:
        samples = np.frombuffer(buffer, dtype=np.int16).astype(np.float32)
        return 1.0 if samples.size and np.sqrt(np.mean(samples**2)) > 1000 else 0.0


class ScriptedSmartTurn(BaseSmartTurn):
    """pipecat's Smart Turn buffering and silence fallback, with the model's verdicts given in order."""

    def __init__(self, verdicts: list[bool], fallback_s: float):
        super().__init__(params=SmartTurnParams(stop_secs=fallback_s))
        self.verdicts = list(verdicts)
        self.asked = 0

    def _predict_endpoint(self, audio_array: np.ndarray) -> dict[str, Any]:
        self.asked += 1
        complete = self.verdicts.pop(0) if self.verdicts else True
        return {"prediction": int(complete), "probability": 0.9 if complete else 0.1}


@dataclass
class Heard:
    text: str
    audio_s: float
    compute_s: float = 0.001


class ToneRecognizer:
    """Reads each burst of tone back as the words of its pitch."""

    name = "tones"
    sample_rate = RATE

    def __init__(self):
        self.calls = 0

    def transcribe(self, audio: np.ndarray, hint: str | None = None) -> Heard:
        self.calls += 1
        n = int(RATE * FRAME_S)
        frames = [audio[i : i + n] for i in range(0, len(audio) - n + 1, n)]
        words, current = [], None
        for frame in frames:
            if np.sqrt(np.mean(frame**2)) < 0.05:
                current = None
                continue
            spectrum = np.abs(np.fft.rfft(frame))
            freq = min(WORDS, key=lambda f: abs(f - np.argmax(spectrum) * RATE / len(frame)))
            if freq != current:
                words.append(WORDS[freq])
                current = freq
        return Heard(" ".join(words), len(audio) / RATE)


class ToneSynthesizer:
    name = "tone"
    voice = "test"
    sample_rate = 16000

    def __init__(self, seconds_per_char: float):
        self.seconds_per_char = seconds_per_char

    def stream(self, text: str):
        yield (np.sin(np.arange(int(self.seconds_per_char * self.sample_rate * len(text))) / 4) * 3000).astype(np.int16)


class PlayoutClock(FrameProcessor):
    """The output transport's part: plays the agent's audio in real time, says when the agent starts and stops
    speaking (upstream, as the transport does), stops at an interruption, and lets the end of the call through
    once the audio before it has played."""

    def __init__(self):
        super().__init__()
        self.until = 0.0
        self.task: asyncio.Task | None = None
        self.started_at: list[float] = []
        self.interruptions = 0
        self.played_out = 0  # stretches of agent audio that played to their end

    async def process_frame(self, frame: Frame, direction: FrameDirection):
        await super().process_frame(frame, direction)
        if isinstance(frame, EndWorkerFrame):
            self.create_task(self._after_playout(frame, direction))
            return
        if isinstance(frame, TTSAudioRawFrame):
            now = time.monotonic()
            self.until = max(self.until, now) + len(frame.audio) / 2 / frame.sample_rate
            if self.task is None:
                self.started_at.append(now)
                await self.push_frame(BotStartedSpeakingFrame(), FrameDirection.UPSTREAM)
                self.task = self.create_task(self._play())
        elif isinstance(frame, InterruptionFrame) and self.task is not None:
            self.interruptions += 1
            await self.cancel_task(self.task)
            await self._stopped()
        await self.push_frame(frame, direction)

    async def _play(self) -> None:
        while (left := self.until - time.monotonic()) > 0:
            await asyncio.sleep(left)
        self.played_out += 1
        await self._stopped()

    async def _after_playout(self, frame: Frame, direction: FrameDirection) -> None:
        while self.task is not None:
            await asyncio.sleep(0.02)
        await self.push_frame(frame, direction)

    async def _stopped(self) -> None:
        self.task, self.until = None, 0.0
        await self.push_frame(BotStoppedSpeakingFrame(), FrameDirection.UPSTREAM)


class AskedFirst(DialogSession):
    """The care call, begun at one question (as if the earlier questions were answered)."""

    def __init__(self, *args, question: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.question = question

    def start(self):
        return self.ask(self.question)


@dataclass
class Call:
    session: AskedFirst
    dialog: DialogProcessor
    stt: RecognizerSTTService
    smart_turn: ScriptedSmartTurn
    playout: PlayoutClock
    recognizer: ToneRecognizer
    spoken: list[str]  # the agent's lines
    heard: list[str]  # the caller's words per turn, as the dialog got them


async def place_call(caller_audio: list[Frame], verdicts: list[bool], *, speculative: bool = True,
                     seconds_per_char: float = 0.06, question: str = "health") -> Call:
    session = AskedFirst(load_scenario("care_call"), person={"name": "김영수"}, seed=7, question=question)
    recognizer = ToneRecognizer()
    stt = RecognizerSTTService(recognizer, speculative=speculative)
    smart_turn = ScriptedSmartTurn(verdicts, SETTINGS.turn_fallback_s)
    vad = EnergyVAD(stop_secs=SETTINGS.vad_stop_s, listener=stt)
    spoken: list[str] = []
    heard: list[str] = []

    async def on_reply(reply, caller_text):
        spoken.append(reply.text)
        if caller_text is not None:
            heard.append(caller_text)

    dialog = DialogProcessor(session, stream_sid="MZ1", on_reply=on_reply, merge_window_s=SETTINGS.turn_merge_window_s)
    params = user_turn_params(vad, smart_turn, silence_timeout_s=0, dialog=dialog)
    user_agg, _ = LLMContextAggregatorPair(LLMContext(), user_params=params)
    playout = PlayoutClock()
    pipeline = Pipeline([stt, user_agg, dialog, SynthesizerTTSService(ToneSynthesizer(seconds_per_char)), playout])
    await run_test(pipeline, frames_to_send=caller_audio,
                   pipeline_params=PipelineParams(audio_in_sample_rate=RATE, audio_out_sample_rate=8000))
    return Call(session, dialog, stt, smart_turn, playout, recognizer, spoken, heard)


async def test_an_answer_with_a_pause_inside_is_one_turn():
    """"괜찮아요." 0.8 s "건강해요.": Smart Turn hears the first sentence as unfinished, the caller goes on
    within the fallback silence, and the whole answer is one turn."""
    audio = after_the_question(tone(440, 0.8), silence(0.8), tone(660, 0.8), silence(1.0))
    call = await place_call(audio, verdicts=[False, True])
    assert call.session.turns == 1
    assert call.session.state == "medication" and call.session.answers["health"] == "well"
    assert call.spoken == ["몸은 좀 괜찮으세요? 어디 불편하신 데는 없으세요?", "건강하시다니 다행이에요. 약은 잘 챙겨 드셨어요?"]
    assert call.heard == ["괜찮아요 건강해요"]
    assert call.playout.interruptions == 0 and call.dialog.merged_turns == 0
    assert call.stt.speculations_used == 2  # both segments recognised from their first silent frame
    assert call.recognizer.calls == 2


async def test_incomplete_verdict_still_ends_the_turn_after_the_fallback_silence():
    call = await place_call(after_the_question(tone(440, 0.8), silence(2.0)), verdicts=[False])
    assert call.session.turns == 1 and call.session.state == "medication"
    assert len(call.spoken) == 2


async def test_caller_going_on_into_the_reply_stops_it_and_is_heard_as_one_turn():
    """Smart Turn calls "괜찮아요." finished and the agent starts replying; the caller goes on ("근데 어제부터
    열이 좀 나요") just after: the reply is interrupted and the dialog hears one answer, advancing once, to the
    fever follow-up (heard apart, the second part would have been taken as the answer to the next question)."""
    audio = after_the_question(tone(440, 0.8), silence(0.6), tone(880, 1.2), silence(1.0))
    call = await place_call(audio, verdicts=[True, True])
    assert call.playout.interruptions == 1
    assert call.dialog.merged_turns == 1
    assert call.heard == ["괜찮아요", "근데 어제부터 열이 좀 나요"]  # journaled as said; the dialog heard both at once
    assert call.session.turns == 1
    assert call.session.state == "health.fever"
    assert call.session.answers["health"] == "unwell" and call.session.answers["symptoms"] == ["fever"]
    assert call.spoken[1] == "건강하시다니 다행이에요. 약은 잘 챙겨 드셨어요?"  # said, then cut off
    assert "열이 많이 나세요" in call.spoken[2]
    # The caller resumed while the first reply was playing, within the window.
    assert len(call.playout.started_at) >= 2


async def test_thanks_said_over_the_goodbye_do_not_cut_it_off():
    """"아니요, 없어요." ends the call; the caller's "고마워요" 0.6 s later, over the goodbye, is within the merge
    window, but the goodbye is the call's last line: it plays to its end and the call ends once."""
    audio = after_the_question(tone(550, 0.8), silence(0.6), tone(770, 0.8), silence(3.0))
    call = await place_call(audio, verdicts=[True, True], question="anything_else")
    assert call.heard == ["아니요 없어요"] and call.session.finished and call.session.outcome == "completed"
    assert call.dialog.ending and call.dialog.merged_turns == 0
    assert len(call.spoken) == 2  # the question, then the goodbye, said once
    assert call.playout.interruptions == 0
    assert call.playout.played_out == 2  # the question and the goodbye, each to its end


async def test_caller_who_answers_the_reply_later_starts_a_new_turn():
    """Past the window the caller is answering the reply's question: no merge, the dialog advances twice."""
    pause = silence(SETTINGS.turn_merge_window_s + 0.8)
    audio = after_the_question(tone(440, 0.8), pause, tone(660, 0.8), silence(1.0))
    call = await place_call(audio, verdicts=[True, True])
    assert call.dialog.merged_turns == 0 and call.heard == ["괜찮아요", "건강해요"]
    assert call.session.turns == 2


async def test_caller_who_heard_a_short_reply_out_starts_a_new_turn():
    """A reply over before the window is: the caller heard it all, so even a quick answer is a new turn."""
    audio = after_the_question(tone(440, 0.8), silence(0.6), tone(660, 0.8), silence(1.0))
    call = await place_call(audio, verdicts=[True, True], seconds_per_char=0.005)  # the reply plays in 0.14 s
    assert call.dialog.merged_turns == 0 and call.heard == ["괜찮아요", "건강해요"]
    assert call.session.turns == 2


async def test_a_discarded_speculation_is_not_the_transcript():
    """A dip shorter than the VAD's stop silence: the speculation on the speech before it is thrown away and
    the whole segment is recognised."""
    audio = after_the_question(tone(440, 0.6), silence(0.1), tone(660, 0.6), silence(1.0))
    call = await place_call(audio, verdicts=[True])
    assert call.heard == ["괜찮아요 건강해요"]
    assert call.recognizer.calls == 2  # the discarded speculation, and the one taken at the real pause
    assert call.stt.speculations_used == 1


async def test_speculation_off_recognises_at_the_vad_stop():
    call = await place_call(after_the_question(tone(440, 0.8), silence(1.0)), verdicts=[True], speculative=False)
    assert call.session.turns == 1 and call.stt.speculations_used == 0 and call.recognizer.calls == 1


async def test_smart_turn_v3_judges_phone_audio_at_the_pipeline_rate_and_at_8khz():
    """The bundled ONNX model loads offline and judges phone-band audio as our pipeline feeds it (16 kHz, the
    Twilio serializer's upsampling of the 8 kHz line) and at 8 kHz (the analyzer resamples to 16 kHz itself)."""
    models = SmartTurnModels(SETTINGS.turn_fallback_s)
    models.warm()
    analyzer = await models.acquire()
    assert analyzer.params.stop_secs == SETTINGS.turn_fallback_s
    line = to_phone(np.concatenate([tone(220, 0.6), silence(0.2)]), RATE)
    for rate in (16000, 8000):
        analyzer.set_sample_rate(rate)
        audio = from_phone(line, rate)
        n, speech = int(rate * FRAME_S), int(rate * 0.6)
        for i in range(0, len(audio) - n + 1, n):
            analyzer.append_audio(audio[i : i + n].tobytes(), is_speech=i < speech)
        state, metrics = await analyzer.analyze_end_of_turn()
        assert isinstance(metrics, TurnMetricsData) and 0.0 <= metrics.probability <= 1.0
        assert (state == EndOfTurnState.COMPLETE) == metrics.is_complete
        analyzer.clear()
    models.release(analyzer)
    assert await models.acquire() is analyzer  # kept for the next call
