"""A whole simulated phone call with the NeMo streaming engine selected (CARECALL_ASR_ENGINE=nemo).

Phone simulator → Twilio media websocket (8 kHz µ-law) → VAD → streaming NeMo STT (interim + final) →
reservation dialog → TTS → back; the booking the dialog made is checked against the persona's expectations.
"""
from __future__ import annotations

import asyncio
import socket

import pytest

from nemo_testkit import require_nemo

require_nemo()

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_reservation_call_with_the_nemo_engine(tmp_path):
    from agent.app import create_app
    from agent.cli.demo import persona_voice, serve_in_background, simulate
    from agent.call.engines import Engines
    from agent.settings import Settings
    from agent.store import CallStore, migrate
    from agent.call.streaming_stt import StreamingSTTService
    from telephony.simulator.personas import load_persona

    settings = Settings(data_dir=tmp_path / "var", port=_free_port(), asr_engine="nemo")
    engines = await asyncio.to_thread(Engines.load, settings)
    assert engines.recognizer.name == "nemo" and engines.recognizer.info.decoder == "ctc"

    migrate(settings.resolved_database_url)
    store = CallStore(settings.resolved_database_url)
    events, ended = [], asyncio.Event()

    async def listen(event) -> None:
        events.append(event)
        if event.kind == "ended":
            ended.set()

    services: list[StreamingSTTService] = []
    original_init = StreamingSTTService.__init__

    def spy(self, *args, **kwargs):  # keep a handle on the call's STT service to look at its partials
        original_init(self, *args, **kwargs)
        services.append(self)

    persona = load_persona("reserve_dinner")
    voice = persona_voice(persona)
    await asyncio.to_thread(voice.load)
    app = create_app(settings, engines, store, listener=listen)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(StreamingSTTService, "__init__", spy)
        async with serve_in_background(app, settings):
            call = await simulate(settings.base_url, persona, voice)
            await asyncio.wait_for(ended.wait(), timeout=30)

    assert len(services) == 1, "the call's pipeline must use the streaming STT service"
    call_id = next(e.call_id for e in events if e.kind == "started")
    record = store.get_call(call_id)
    caller = [t.text for t in record.turns if t.speaker == "caller"]
    print("caller turns:", caller, "answers:", record.answers)
    assert record.outcome == persona.expect.outcome, (record.outcome_detail, caller)
    for key, value in persona.expect.answers.items():
        assert record.answers.get(key) == value, (key, record.answers, caller)
    # Finals reached the dialog inverse-normalised (두 명 → 2명, 일곱 시 → 7시).
    assert any("2명" in text for text in caller), caller
    assert call.server_hung_up and len(call.latencies_s) >= 3
