"""A scenario's ``voice:`` block reaches the synthesiser of its calls as per-call prosody."""
from __future__ import annotations

import numpy as np
import pytest
from pipecat.frames.frames import TTSAudioRawFrame, TTSSpeakFrame
from pipecat.tests.utils import SleepFrame, run_test

from agent.call.runner import scenario_prosody
from agent.settings import Settings
from agent.call.speech_services import SynthesizerTTSService
from dialog import load_scenario
from tts import Prosody


class RecordingSynthesizer:
    name, voice, sample_rate = "fake", "test", 16000

    def __init__(self):
        self.prosodies: list[Prosody | None] = []

    def stream(self, text: str, prosody: Prosody | None = None):
        self.prosodies.append(prosody)
        yield np.zeros(1600, np.int16)


def test_care_call_speaks_slower_and_lower_reservation_keeps_the_servers_voice() -> None:
    care = scenario_prosody(load_scenario("care_call"))
    assert care is not None and care.speed < 1.0 and care.pitch < 1.0
    assert scenario_prosody(load_scenario("reservation")) is None


def test_settings_choose_the_engines_default_voice() -> None:
    assert Settings(tts_engine="kokoro").tts_options()["voice"] == "jm_kumo"
    hdts = Settings(tts_engine="hdts", tts_pitch=0.9, tts_vocoder="v.pt").tts_options()
    assert hdts["voice"] is None and hdts["pitch"] == 0.9 and str(hdts["vocoder"]) == "v.pt"


@pytest.mark.parametrize("prosody", [None, Prosody(speed=0.9, pitch=0.95)])
async def test_tts_service_passes_the_calls_prosody(prosody) -> None:
    synth = RecordingSynthesizer()
    tts = SynthesizerTTSService(synth, prosody=prosody)
    down, _ = await run_test(tts, frames_to_send=[TTSSpeakFrame("안녕하세요."), SleepFrame(0.3)])
    assert any(isinstance(f, TTSAudioRawFrame) for f in down)
    assert synth.prosodies == [prosody]
