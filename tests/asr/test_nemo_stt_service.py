"""The pipecat streaming STT service around the NeMo engine, driven through a real pipecat pipeline."""
from __future__ import annotations

import numpy as np
import pytest

from nemo_testkit import make_held_out, require_nemo

require_nemo()

from pipecat.frames.frames import (  # noqa: E402
    InputAudioRawFrame,
    InterimTranscriptionFrame,
    TranscriptionFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.pipeline.worker import PipelineParams  # noqa: E402
from pipecat.tests.utils import SleepFrame, run_test  # noqa: E402

from agent.call.streaming_stt import StreamingSTTService, make_stt_service  # noqa: E402
from asr import make_recognizer  # noqa: E402


@pytest.fixture(scope="module")
def rec():
    r = make_recognizer("nemo")
    r.load()
    return r


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    clips = make_held_out(6, tmp_path_factory.mktemp("stt"))
    return max(clips, key=lambda c: len(c.text))  # a long sentence, so partials have room to grow


def _frames(audio: np.ndarray, rate: int = 16000) -> list[InputAudioRawFrame]:
    pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16).tobytes()
    step = int(0.02 * rate) * 2
    return [InputAudioRawFrame(pcm[i:i + step], rate, 1) for i in range(0, len(pcm), step)]


async def test_interim_partials_then_one_finalized_transcript(rec, clip):
    stt = make_stt_service(rec)
    assert isinstance(stt, StreamingSTTService)
    quiet = np.zeros(int(0.3 * 16000), np.float32)
    lead, body = clip.audio[:3200], clip.audio[3200:]
    # The VAD decides late: the first 0.2 s of speech arrives before VADUserStartedSpeakingFrame (pre-roll).
    frames = [*_frames(quiet), *_frames(lead), VADUserStartedSpeakingFrame(), *_frames(body), *_frames(quiet),
              VADUserStoppedSpeakingFrame(), SleepFrame(0.2)]
    down, _ = await run_test(stt, frames_to_send=frames, pipeline_params=PipelineParams(audio_in_sample_rate=16000))
    interims = [f.text for f in down if isinstance(f, InterimTranscriptionFrame)]
    finals = [f for f in down if isinstance(f, TranscriptionFrame) and not isinstance(f, InterimTranscriptionFrame)]
    assert len(interims) >= 2 and len(interims[-1]) > len(interims[0]), interims
    assert len(finals) == 1 and finals[0].finalized
    # The pre-roll gave the recogniser the utterance's start: the same result as streaming everything it heard.
    heard = np.concatenate([quiet, clip.audio, quiet])
    session = rec.session(16000)
    for i in range(0, heard.size, 320):
        session.push(heard[i:i + 320])
    assert finals[0].text == rec.finalize(session)
    # The service passes the caller's audio on (the recorder and the VAD downstream need it).
    assert sum(isinstance(f, InputAudioRawFrame) for f in down) == sum(isinstance(f, InputAudioRawFrame) for f in frames)


async def test_silence_between_turns_is_not_recognised_and_turns_are_independent(rec, clip):
    stt = StreamingSTTService(rec)
    turn = [VADUserStartedSpeakingFrame(), *_frames(clip.audio), VADUserStoppedSpeakingFrame()]
    gap = _frames(np.zeros(16000, np.float32))
    frames = [*gap, *turn, *gap, *turn, SleepFrame(0.2)]
    down, _ = await run_test(stt, frames_to_send=frames, pipeline_params=PipelineParams(audio_in_sample_rate=16000))
    finals = [f.text for f in down if isinstance(f, TranscriptionFrame) and not isinstance(f, InterimTranscriptionFrame)]
    assert len(finals) == 2 and finals[0] == finals[1] and finals[0]


async def test_the_segmented_service_is_kept_for_segment_engines():
    from agent.call.speech_services import RecognizerSTTService

    assert isinstance(make_stt_service(make_recognizer("whisper")), RecognizerSTTService)
