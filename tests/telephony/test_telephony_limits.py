"""The media stream's input caps: bytes per message, audio per wall-clock second, audio per call.

The meter runs on an injected clock; the router tests dial a real uvicorn server with the websockets client and
a handler that reads the socket the way pipecat's transport does (``receive()`` until a disconnect).
"""

import asyncio
import json

import httpx
import websockets
from fastapi import FastAPI
from telephony_testkit import serve

from telephony import protocol
from telephony.limits import CLOSE_MESSAGE_TOO_BIG, CLOSE_POLICY_VIOLATION, Admission, AudioMeter, StreamLimits
from telephony.routes import TelephonyConfig, make_router

CALL = "CA" + "b" * 32
STREAM = "MZ" + "2" * 32
FRAME = protocol.MULAW_SILENCE * protocol.FRAME_BYTES  # 20 ms


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_real_time_passes_a_burst_passes_and_faster_is_dropped():
    clock = Clock()
    meter = AudioMeter(StreamLimits(burst_s=2.0, max_audio_s=1000.0), clock)
    for _ in range(500):  # 10 s in real time
        assert meter.admit(0.02) is Admission.PASS
        clock.now += 0.02
    assert [meter.admit(0.5) for _ in range(5)] == [Admission.PASS] * 4 + [Admission.DROP]  # 2 s ahead, no more
    clock.now += 1.0
    assert meter.admit(1.0) is Admission.PASS and meter.admit(0.02) is Admission.DROP  # refilled by the clock only
    clock.now += 60.0  # a long stall refills the burst, never more
    assert [meter.admit(1.0) for _ in range(3)] == [Admission.PASS, Admission.PASS, Admission.DROP]
    assert meter.dropped_s == 0.5 + 0.02 + 1.0


def test_the_total_counts_dropped_audio_and_ends_the_stream():
    clock = Clock()
    meter = AudioMeter(StreamLimits.for_calls(10.0, burst_s=1.0), clock)
    assert meter.limits.max_audio_s == 11.0
    verdicts = [meter.admit(0.5) for _ in range(23)]  # 11.5 s at once
    assert verdicts[:2] == [Admission.PASS] * 2 and set(verdicts[2:22]) == {Admission.DROP}
    assert verdicts[22] is Admission.END


class Reader:
    """Reads the socket like pipecat's transport: audio seconds that got through, then why it ended."""

    def __init__(self) -> None:
        self.audio_s = 0.0
        self.disconnect: dict | None = None
        self.refusal: str | None = None
        self.started = asyncio.Event()
        self.ended = asyncio.Event()

    async def __call__(self, websocket, start) -> None:
        self.started.set()
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    self.disconnect = message
                    break
                parsed = protocol.parse_message(message["text"])
                if isinstance(parsed, protocol.Media):
                    self.audio_s += len(parsed.payload) / protocol.SAMPLE_RATE
            self.refusal = websocket.refusal
        finally:
            self.ended.set()


def app_for(handler, limits: StreamLimits) -> FastAPI:
    app = FastAPI()
    config = TelephonyConfig(auth_token=None, public_base_url="http://127.0.0.1", require_stream_token=False,
                             limits=limits)
    app.include_router(make_router(handler, config))

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok"}

    return app


def media(i: int, payload: bytes = FRAME) -> str:
    return json.dumps(protocol.media(STREAM, payload, i + 2, i + 1, 20 * i))


async def stream(base: str, messages, *, limit_s: float = 30, started: asyncio.Event | None = None) -> int | None:
    """Start a stream and send ``messages`` as fast as the socket takes them (after ``started`` is set, when
    given); returns the close code."""
    async with websockets.connect(base.replace("http", "ws") + "/ws", max_size=None) as ws:
        await ws.send(json.dumps(protocol.start(STREAM, CALL, "AC" + "0" * 32, {})))
        if started is not None:
            await asyncio.wait_for(started.wait(), 10)
        try:
            async with asyncio.timeout(limit_s):
                for raw in messages:
                    await ws.send(raw)
                await ws.wait_closed()
        except websockets.ConnectionClosed:
            pass
        except TimeoutError:
            await ws.close()
        return ws.close_code


async def test_a_message_over_the_cap_closes_the_stream_before_it_is_parsed():
    reader = Reader()
    async with serve(app_for(reader, StreamLimits(max_message_bytes=4096))) as base:
        huge = media(0, b"\x7f" * 3_000_000)  # 4 MB of JSON: 375 s of audio in one message
        code = await stream(base, [media(0), media(1), huge, media(2)])
        await asyncio.wait_for(reader.ended.wait(), 10)
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"{base}/health")).status_code == 200
    assert code == CLOSE_MESSAGE_TOO_BIG
    assert reader.disconnect["code"] == CLOSE_MESSAGE_TOO_BIG
    assert reader.refusal.startswith("a message of 4000") and "over the 4096-byte cap" in reader.refusal
    assert reader.audio_s == 0.04  # the two frames before it, nothing of it or after


async def test_a_flood_faster_than_real_time_is_cut_to_the_burst_then_closed_at_the_call_total():
    reader = Reader()
    limits = StreamLimits.for_calls(20.0, burst_s=2.0)  # the stream may carry 22 s in all
    async with serve(app_for(reader, limits)) as base:
        flood = [media(i) for i in range(1500)]  # 30 s of audio, sent at network speed (well under 5 s)
        started = asyncio.get_running_loop().time()
        code = await stream(base, flood)
        await asyncio.wait_for(reader.ended.wait(), 10)
        elapsed = asyncio.get_running_loop().time() - started
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"{base}/health")).status_code == 200
    assert code == CLOSE_POLICY_VIOLATION
    assert reader.disconnect["code"] == CLOSE_POLICY_VIOLATION
    assert "over the 22 s a call may carry" in reader.refusal
    # what got through never ran ahead of the wall clock by more than the burst
    assert 2.0 <= reader.audio_s <= 2.0 + elapsed + 0.02


async def test_real_time_audio_with_jitter_within_the_burst_all_gets_through():
    reader = Reader()
    async with serve(app_for(reader, StreamLimits.for_calls(20.0, burst_s=2.0))) as base:

        async def paced():
            for i in range(100):  # 2 s: sent in 0.5 s bunches, never ahead of real time by more than 0.5 s
                if i and i % 25 == 0:
                    await asyncio.sleep(0.5)
                yield media(i)

        async with websockets.connect(base.replace("http", "ws") + "/ws") as ws:
            await ws.send(json.dumps(protocol.start(STREAM, CALL, "AC" + "0" * 32, {})))
            async for raw in paced():
                await ws.send(raw)
            await ws.close()
        await asyncio.wait_for(reader.ended.wait(), 10)
    assert round(reader.audio_s, 2) == 2.0 and reader.refusal is None


async def test_a_message_the_server_itself_refuses_is_recorded_as_a_refusal_too():
    """Served as ``carecall serve`` does: uvicorn's ``ws_max_size`` at the cap drops the frame unread."""
    import uvicorn

    reader = Reader()
    app = app_for(reader, StreamLimits(max_message_bytes=4096))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off",
                                           ws_max_size=4096))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        base = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        code = await stream(base, [media(0), media(1, b"\x7f" * 100_000)], started=reader.started)
        await asyncio.wait_for(reader.ended.wait(), 10)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
    assert code == CLOSE_MESSAGE_TOO_BIG
    assert reader.refusal.startswith("a message over the server's frame limit")
