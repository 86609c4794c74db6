"""SIGTERM drains a real server (uvicorn on a socket, the real app and call runner, calls over real websockets
speaking the Media Streams protocol): no new calls, the calls in progress may end by themselves, and those
still live at the deadline are cut ``server_stopped``; a second signal stops at once.

No recogniser or synthesiser model is loaded (only the small VAD and turn models of every call): the callers
send silence (no turn, so no recognition) and the synthesiser makes silence. The drain's deadline runs on an injected clock, so no test waits for it.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
import pytest
import uvicorn
import websockets

from agent.app import create_app
from agent.drain import Drain, DrainingServer
from agent.settings import Settings
from agent.store import CallStore, migrate
from telephony import protocol
from telephony.simulator.phone import dial

from silent_engines import silent_engines

ACCOUNT = "AC" + "0" * 32
SILENCE = protocol.MULAW_SILENCE * protocol.FRAME_BYTES


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Clock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Served:
    server: DrainingServer
    thread: threading.Thread
    store: CallStore
    settings: Settings
    clock: Clock = field(default_factory=Clock)

    @property
    def url(self) -> str:
        return self.settings.base_url

    def sigterm(self) -> None:
        """What the signal does: uvicorn's handler (signals reach only the main thread; this server runs in
        another, so the test calls the handler as the signal would)."""
        self.server.handle_exit(signal.SIGTERM, None)

    async def stopped(self, timeout: float = 20.0) -> None:
        await asyncio.to_thread(self.thread.join, timeout)
        assert not self.thread.is_alive(), "the server did not stop"


@pytest.fixture
def served(tmp_path):
    """The app of ``carecall serve`` under its draining uvicorn server, in a thread of its own."""
    settings = Settings(_env_file=None, data_dir=tmp_path, port=_free_port(), tts_prewarm=False, max_call_s=60.0,
                        drain_timeout_s=30.0)  # fmt: skip
    migrate(settings.resolved_database_url)
    store = CallStore(settings.resolved_database_url)
    app = create_app(settings, silent_engines(), store)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning", lifespan="on")
    clock = Clock()
    server = DrainingServer(config, app.state.drain, on_cut=app.state.runner.server_stopping, clock=clock)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    served = Served(server, thread, store, settings, clock)
    for _ in range(200):
        if server.started:
            break
        thread.join(0.05)
    assert server.started
    yield served
    server.should_exit = True
    thread.join(30)


@asynccontextmanager
async def live_call(served: Served, n: int) -> AsyncIterator[websockets.ClientConnection]:
    """A call as Twilio places it (/twiml, then /ws), the caller sending silence in real time until the block
    exits with the caller hanging up, or the server ends the stream."""
    call_sid = f"CA{n:032d}"
    ws_url, params = await dial(served.url, call_sid=call_sid, from_number=f"+82105555{n:04d}", to_number="+8215881234")
    async with websockets.connect(ws_url) as ws:
        stream = f"MZ{n:032d}"
        await ws.send(json.dumps(protocol.connected()))
        await ws.send(json.dumps(protocol.start(stream, call_sid, ACCOUNT, params)))

        async def talk() -> None:
            for i in range(3000):  # a minute of silence at most
                await ws.send(json.dumps(protocol.media(stream, SILENCE, i + 2, i + 1, 20 * i)))
                await asyncio.sleep(0.02)

        async def listen() -> None:
            async for _ in ws:  # the agent's audio, until it closes
                pass

        tasks = [asyncio.create_task(talk()), asyncio.create_task(listen())]
        try:
            await _until(lambda: _call_of(served.store, call_sid) is not None, "the call to start")
            yield ws
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


def _call_of(store: CallStore, call_sid: str):
    return next((c for c in store.list_calls(limit=50) if c.call_sid == call_sid), None)


async def _until(condition, what: str, timeout: float = 15.0):
    async with asyncio.timeout(timeout):
        while not (value := condition()):
            await asyncio.sleep(0.05)
    return value


async def _ended(served: Served, call_sid: str):
    return await _until(lambda: (c := _call_of(served.store, call_sid)) and c.status == "ended" and c, "the call's end")


async def test_sigterm_stops_new_calls_and_lets_live_ones_end_then_cuts_the_rest_at_the_deadline(served):
    async with httpx.AsyncClient(base_url=served.url) as http:
        async with live_call(served, 1) as first, live_call(served, 2):
            served.sigterm()
            ready = await http.get("/ready")
            assert ready.status_code == 503 and ready.json()["reason"] == "draining"
            assert ready.json()["checks"]["draining"]["status"] == "draining"
            assert "2 call(s) in progress" in ready.json()["checks"]["draining"]["detail"]
            assert (await http.post("/twiml", data={"CallSid": "CA" + "9" * 32})).status_code == 503
            with pytest.raises(websockets.InvalidStatus) as refused:
                async with websockets.connect(served.url.replace("http", "ws") + "/ws"):
                    pass
            assert refused.value.response.status_code == 503
            assert (await http.get("/health")).status_code == 200  # alive: a liveness probe must not kill it

            await first.close()  # the first caller hangs up: that call ends as it would have anyway
            hung_up = await _ended(served, f"CA{1:032d}")
            assert hung_up.outcome == "caller_hung_up"
            assert served.thread.is_alive() and (await http.get("/health")).status_code == 200  # call 2 runs on

            served.clock.now += 30.0  # the drain's deadline
            await served.stopped()
    cut = _call_of(served.store, f"CA{2:032d}")
    assert (cut.status, cut.outcome) == ("ended", "server_stopped"), cut.outcome_detail


async def test_the_server_stops_as_soon_as_its_last_call_has_ended(served):
    async with live_call(served, 3) as caller:
        served.sigterm()
        await asyncio.sleep(0.3)  # several of uvicorn's ticks: a live call holds the server
        assert served.thread.is_alive()
        await caller.close()
        await served.stopped()  # long before the deadline: the clock never moved
    assert _call_of(served.store, f"CA{3:032d}").outcome == "caller_hung_up"


async def test_a_second_sigterm_stops_at_once(served):
    async with live_call(served, 4):
        served.sigterm()
        served.sigterm()
        await served.stopped()
    record = await _ended(served, f"CA{4:032d}")
    assert record.outcome == "server_stopped", record.outcome_detail


async def test_a_server_with_no_calls_stops_on_sigterm_at_once(served):
    served.sigterm()
    await served.stopped(timeout=5)


def test_the_drain_counts_the_calls_it_tracks_and_knows_its_deadline():
    drain = Drain(timeout_s=10)
    assert drain.accepting_calls() and not drain.over(now=1e9)  # no drain, no end

    async def call(_ws, _start) -> None:
        assert drain.live == 1
        drain.begin(now=100.0)
        assert not drain.accepting_calls() and not drain.over(now=109.9)
        assert drain.over(now=110.0)  # the deadline, calls or not

    asyncio.run(drain.track(call)(None, None))
    assert drain.live == 0 and drain.over(now=100.0)  # the last call ended
