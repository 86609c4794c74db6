"""The pipecat services around our engines, driven through a real pipecat pipeline with fake engines."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from pipecat.frames.frames import (
    ErrorFrame,
    InputAudioRawFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    TTSSpeakFrame,
    TTSStartedFrame,
    TTSStoppedFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.pipeline.worker import PipelineParams
from pipecat.tests.utils import SleepFrame, run_test

from agent.call.speech_services import RecognizerSTTService, SynthesizerTTSService


@dataclass
class FakeTranscript:
    text: str
    audio_s: float
    compute_s: float = 0.01


class FakeRecognizer:
    name = "fake"
    sample_rate = 16000

    def __init__(self, text: str = "네 밥 먹었어요", fail: bool = False):
        self.text = text
        self.fail = fail
        self.calls: list[tuple[int, str | None]] = []

    def transcribe(self, audio: np.ndarray, hint: str | None = None) -> FakeTranscript:
        assert audio.dtype == np.float32 and np.abs(audio).max() <= 1.0
        self.calls.append((len(audio), hint))
        if self.fail:
            raise RuntimeError("model exploded")
        return FakeTranscript(self.text, len(audio) / self.sample_rate)


class FakeSynthesizer:
    """Yields one chunk per clause, like the real engine: 0.1 s of tone per character."""

    name = "fake"
    voice = "test"
    sample_rate = 24000

    def __init__(self, fail_after: int | None = None):
        self.fail_after = fail_after
        self.threads: set[str] = set()

    def stream(self, text: str):
        for i, clause in enumerate(c for c in text.replace("?", ".").split(".") if c.strip()):
            if self.fail_after is not None and i >= self.fail_after:
                raise RuntimeError("vocoder failed")
            self.threads.add(threading.current_thread().name)
            n = int(0.1 * self.sample_rate * len(clause.strip()))
            yield (np.sin(np.arange(n) / 5) * 8000).astype(np.int16)


def _speech_frames(seconds: float, rate: int = 16000) -> list[InputAudioRawFrame]:
    n = int(rate * 0.02)
    tone = (np.sin(np.arange(n) / 3) * 5000).astype(np.int16).tobytes()
    return [InputAudioRawFrame(tone, rate, 1) for _ in range(int(seconds / 0.02))]


async def test_segment_is_transcribed_once_with_the_dialog_hint():
    recognizer = FakeRecognizer()
    stt = RecognizerSTTService(recognizer)
    stt.hint = "네 아니요 밥"
    frames = [VADUserStartedSpeakingFrame(), *_speech_frames(1.0), VADUserStoppedSpeakingFrame(), SleepFrame(0.3)]
    down, _ = await run_test(stt, frames_to_send=frames, pipeline_params=PipelineParams(audio_in_sample_rate=16000))
    transcripts = [f for f in down if isinstance(f, TranscriptionFrame)]
    assert [t.text for t in transcripts] == ["네 밥 먹었어요"]
    assert transcripts[0].finalized
    (samples, hint), = recognizer.calls
    assert hint == "네 아니요 밥"
    assert samples >= 16000  # the whole segment, plus trailing silence


async def test_the_dialog_chooses_which_hypothesis_is_heard():
    from asr import Transcript

    class NBestRecognizer(FakeRecognizer):
        def transcribe(self, audio, hint=None):
            return Transcript("여사지", len(audio) / self.sample_rate, 0.01, alternatives=("여섯 시요", "여섯 시"))

    stt = RecognizerSTTService(NBestRecognizer())
    offered = []
    stt.choose = lambda hypotheses: offered.append(tuple(hypotheses)) or 1
    frames = [VADUserStartedSpeakingFrame(), *_speech_frames(0.5), VADUserStoppedSpeakingFrame(), SleepFrame(0.3)]
    down, _ = await run_test(stt, frames_to_send=frames, pipeline_params=PipelineParams(audio_in_sample_rate=16000))
    assert [f.text for f in down if isinstance(f, TranscriptionFrame)] == ["여섯 시요"]
    assert offered == [("여사지", "여섯 시요", "여섯 시")]


async def test_empty_recognition_produces_no_transcript():
    stt = RecognizerSTTService(FakeRecognizer(text="  "))
    frames = [VADUserStartedSpeakingFrame(), *_speech_frames(0.5), VADUserStoppedSpeakingFrame(), SleepFrame(0.3)]
    down, _ = await run_test(stt, frames_to_send=frames, pipeline_params=PipelineParams(audio_in_sample_rate=16000))
    assert not [f for f in down if isinstance(f, TranscriptionFrame)]


async def test_recogniser_failure_becomes_an_error_frame_not_a_crash():
    stt = RecognizerSTTService(FakeRecognizer(fail=True))
    frames = [VADUserStartedSpeakingFrame(), *_speech_frames(0.5), VADUserStoppedSpeakingFrame(), SleepFrame(0.3)]
    down, up = await run_test(stt, frames_to_send=frames, pipeline_params=PipelineParams(audio_in_sample_rate=16000))
    assert not [f for f in down if isinstance(f, TranscriptionFrame)]
    assert any(isinstance(f, ErrorFrame) and "model exploded" in f.error for f in up)


async def test_tts_streams_each_clause_in_order_off_the_event_loop():
    synth = FakeSynthesizer()
    tts = SynthesizerTTSService(synth)
    down, _ = await run_test(tts, frames_to_send=[TTSSpeakFrame("안녕하세요. 식사는 하셨어요?"), SleepFrame(0.5)])
    kinds = [type(f) for f in down if isinstance(f, (TTSStartedFrame, TTSAudioRawFrame, TTSStoppedFrame))]
    assert kinds[0] is TTSStartedFrame and kinds[-1] is TTSStoppedFrame
    audio = [f for f in down if isinstance(f, TTSAudioRawFrame)]
    assert all(f.sample_rate == 24000 for f in audio)
    total = sum(len(f.audio) for f in audio) // 2
    assert total == int(0.1 * 24000 * len("안녕하세요")) + int(0.1 * 24000 * len("식사는 하셨어요"))
    assert "MainThread" not in synth.threads


async def test_tts_failure_mid_utterance_keeps_the_audio_already_made():
    tts = SynthesizerTTSService(FakeSynthesizer(fail_after=1))
    down, up = await run_test(tts, frames_to_send=[TTSSpeakFrame("첫 문장입니다. 둘째 문장입니다."), SleepFrame(0.5)])
    audio = [f for f in down if isinstance(f, TTSAudioRawFrame)]
    assert sum(len(f.audio) for f in audio) // 2 == int(0.1 * 24000 * len("첫 문장입니다"))
    assert any(isinstance(f, ErrorFrame) and "vocoder failed" in f.error for f in down + up)


async def test_speech_cut_off_by_the_end_of_the_call_is_still_transcribed():
    recognizer = FakeRecognizer(text="네 밥 먹었어요")
    stt = RecognizerSTTService(recognizer)
    frames = [VADUserStartedSpeakingFrame(), *_speech_frames(0.8)]  # no VAD stop: the line went dead
    down, _ = await run_test(stt, frames_to_send=frames, pipeline_params=PipelineParams(audio_in_sample_rate=16000))
    assert [f.text for f in down if isinstance(f, TranscriptionFrame)] == ["네 밥 먹었어요"]
