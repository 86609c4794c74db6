"""Whole calls through real audio: phone simulator → mu-law websocket → VAD → ASR → dialog → TTS → back.

The agent's models load once per test session; each test runs its own server on a free port with its own
database and recordings directory.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass

import pytest

from agent.call.events import CallEvent
from agent.cli.demo import persona_voice, serve_in_background, simulate
from telephony.simulator.voice import CallerVoice
from agent.app import create_app
from agent.call.engines import Engines
from agent.settings import Settings
from agent.store import CallRecord, CallStore, migrate
from telephony.simulator.personas import load_persona
from telephony.simulator.phone import SimulatedCall


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def engines() -> Engines:
    return Engines.load(Settings())


_voices: dict[str, CallerVoice] = {}


def caller_voice(persona) -> CallerVoice:
    key = f"{persona.voice}@{persona.speed}"
    if key not in _voices:
        voice = persona_voice(persona)
        voice.load()
        _voices[key] = voice
    return _voices[key]


@dataclass
class PlacedCall:
    call: SimulatedCall
    record: CallRecord
    events: list[CallEvent]
    settings: Settings


@pytest.fixture
def make_settings(tmp_path):
    def make(**overrides) -> Settings:
        return Settings(data_dir=tmp_path / "var", port=free_port(), **overrides)

    return make


@pytest.fixture
def place_call(engines, make_settings):
    async def place(persona_name: str, **overrides) -> PlacedCall:
        settings = make_settings(**overrides)
        migrate(settings.resolved_database_url)
        store = CallStore(settings.resolved_database_url)
        events: list[CallEvent] = []
        ended = asyncio.Event()

        async def listen(event: CallEvent) -> None:
            events.append(event)
            if event.kind == "ended":
                ended.set()

        persona = load_persona(persona_name)
        voice = caller_voice(persona)
        app = create_app(settings, engines, store, listener=listen)
        async with serve_in_background(app, settings):
            call = await simulate(settings.base_url, persona, voice)
            await asyncio.wait_for(ended.wait(), timeout=30)
        call_id = next(e.call_id for e in events if e.kind == "started")
        return PlacedCall(call, store.get_call(call_id), events, settings)

    return place
