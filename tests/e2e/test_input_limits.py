"""A hostile media stream against the whole agent: an oversized message and a flood faster than real time are
closed by the agent, each call's record is kept and closed ``input_refused`` with the reason, the recording holds
no more than real time allows, and the server answers meanwhile."""

from __future__ import annotations

import asyncio
import json
import time
import wave

import httpx
import websockets

from agent.app import create_app
from agent.call.events import new_call_sid
from agent.cli.demo import serve_in_background
from agent.store import CallStore, migrate
from telephony import protocol
from telephony.simulator.phone import dial

STREAM = "MZ" + "3" * 32
FRAME = protocol.MULAW_SILENCE * protocol.FRAME_BYTES


async def hostile_call(settings, messages) -> int | None:
    ws_url, params = await dial(settings.base_url, call_sid=new_call_sid(), from_number="+821055554444",
                                to_number="+8215881234")
    async with websockets.connect(ws_url, max_size=None) as ws:
        await ws.send(json.dumps(protocol.start(STREAM, params["call_sid"], "AC" + "0" * 32, params)))
        try:
            async with asyncio.timeout(60):
                for raw in messages:
                    await ws.send(raw)
                async for _ in ws:  # the greeting, until the agent closes
                    pass
        except websockets.ConnectionClosed:
            pass
        return ws.close_code


async def ended_calls(store: CallStore, n: int) -> list:
    async with asyncio.timeout(60):
        while True:
            calls = store.list_calls()
            if len(calls) == n and all(c.status == "ended" for c in calls):
                return calls
            await asyncio.sleep(0.1)


def wav_seconds(path: str) -> float:
    with wave.open(path) as w:
        return w.getnframes() / w.getframerate()


async def test_an_oversized_message_and_a_flood_are_closed_and_recorded_honestly(engines, make_settings):
    settings = make_settings(max_call_s=20.0, stream_burst_s=2.0, stream_max_message_bytes=16384)
    migrate(settings.resolved_database_url)
    store = CallStore(settings.resolved_database_url)
    app = create_app(settings, engines, store)
    async with serve_in_background(app, settings):
        big = json.dumps(protocol.media(STREAM, b"\x7f" * 11_000_000, 2, 1, 0))  # 11 MB: 1,375 s of audio
        started = time.monotonic()
        code = await hostile_call(settings, [big, big, big, big])
        assert code == 1009
        (first,) = await ended_calls(store, 1)
        assert time.monotonic() - started < 30

        flood = [json.dumps(protocol.media(STREAM, FRAME, i + 2, i + 1, 20 * i)) for i in range(2000)]  # 40 s
        started = time.monotonic()
        code = await hostile_call(settings, flood)
        elapsed = time.monotonic() - started
        assert code == 1008
        async with httpx.AsyncClient() as client:  # the server answers right away
            reply = await asyncio.wait_for(client.get(f"{settings.base_url}/health"), 2)
        assert reply.status_code == 200
        calls = await ended_calls(store, 2)
    second = next(c for c in calls if c.id != first.id)
    assert first.outcome == "input_refused" and "over the 16384-byte cap" in first.outcome_detail
    assert second.outcome == "input_refused" and "over the 22 s a call may carry" in second.outcome_detail
    for record in (first, second):
        if record.recording_path:  # both sides of what was heard: never more than the wall clock allowed
            assert wav_seconds(record.recording_path) <= elapsed + 2.0 + 5.0
