"""Helpers for the telephony tests: a real uvicorn server on a free port, a fake voice, a fake agent."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import numpy as np
import uvicorn
import websockets

from telephony import protocol
from telephony.codec import peak, to_phone, ulaw_decode


@contextlib.asynccontextmanager
async def serve(app) -> AsyncIterator[str]:
    """Run ``app`` with uvicorn on 127.0.0.1 (a free port) on this loop; yields ``http://127.0.0.1:PORT``."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                await task
                raise RuntimeError("server stopped before it started")
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)


def tone_voice(seconds_per_char: float = 0.1, rate: int = 16000):
    """A fake ``voice``: a 440 Hz tone of len(text) × seconds_per_char."""

    def voice(text: str) -> tuple[np.ndarray, int]:
        n = int(len(text) * seconds_per_char * rate)
        t = np.arange(n) / rate
        return (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16), rate

    return voice


def tone_ulaw(seconds: float, freq: float = 300.0) -> bytes:
    rate = 8000
    t = np.arange(int(seconds * rate)) / rate
    return to_phone((6000 * np.sin(2 * np.pi * freq * t)).astype(np.int16), rate)


@dataclass
class Prompt:
    state: str
    seconds: float = 0.4
    clear_after_s: float | None = None  # send 'clear' this far into the prompt (and stop it)
    clear_on_speech: bool = False  # barge-in: stop and clear when the callee talks over it
    burst: bool = False  # send the whole prompt at once (a TTS faster than real time): the phone buffers it


@dataclass
class AgentLog:
    start: dict | None = None
    heard: list[tuple[str, float]] = field(default_factory=list)  # (state, voiced seconds) per callee turn
    marks_echoed: list[str] = field(default_factory=list)
    dtmf: list[str] = field(default_factory=list)
    stop_received: bool = False
    caller_closed: bool = False
    cleared: int = 0


class FakeAgent:
    """A scripted agent over the Twilio protocol: prompt audio (paced in real time) + mark per state, then
    waits for the callee's answer (voiced frames followed by ``end_silence_s``) and ``reply_delay_s``."""

    def __init__(self, script: list[Prompt], *, end_silence_s: float = 0.3, reply_delay_s: float = 0.2,
                 answer_timeout_s: float = 4.0, hang_up_at_end: bool = True):
        self.script = script
        self.end_silence_s = end_silence_s
        self.reply_delay_s = reply_delay_s
        self.answer_timeout_s = answer_timeout_s
        self.hang_up_at_end = hang_up_at_end
        self.log = AgentLog()
        self._voiced = 0
        self._last_voiced = 0.0
        self._turn_voiced = 0

    async def handler(self, ws) -> None:
        try:
            first = json.loads(await ws.recv())
            assert first["event"] == "connected", first
            self.log.start = json.loads(await ws.recv())
            stream_sid = self.log.start["streamSid"]
            reader = asyncio.create_task(self._read(ws))
            try:
                for prompt in self.script:
                    await self._speak(ws, stream_sid, prompt)
                    await ws.send(json.dumps(protocol.mark(stream_sid, prompt.state)))
                    await self._wait_answer(prompt.state)
                if self.hang_up_at_end:
                    await ws.close()
                else:
                    await reader
            finally:
                reader.cancel()
        except websockets.ConnectionClosed:
            self.log.caller_closed = True

    async def _speak(self, ws, stream_sid: str, prompt: Prompt) -> None:
        audio = tone_ulaw(prompt.seconds)
        started = time.monotonic()
        voiced_before = self._voiced
        if prompt.burst:
            for i in range(0, len(audio), protocol.FRAME_BYTES):
                await ws.send(json.dumps(protocol.outbound_media(stream_sid, audio[i : i + protocol.FRAME_BYTES])))
            if prompt.clear_after_s is None:
                return
            await asyncio.sleep(prompt.clear_after_s)
            await ws.send(json.dumps(protocol.clear(stream_sid)))
            self.log.cleared += 1
            return
        for i in range(0, len(audio), protocol.FRAME_BYTES):
            elapsed = time.monotonic() - started
            if prompt.clear_after_s is not None and elapsed >= prompt.clear_after_s:
                break
            if prompt.clear_on_speech and self._voiced > voiced_before:
                break
            await ws.send(json.dumps(protocol.outbound_media(stream_sid, audio[i : i + protocol.FRAME_BYTES])))
            await asyncio.sleep(max(0.0, started + (i // protocol.FRAME_BYTES + 1) * 0.02 - time.monotonic()))
        else:
            return
        await ws.send(json.dumps(protocol.clear(stream_sid)))
        self.log.cleared += 1

    async def _wait_answer(self, state: str) -> None:
        deadline = time.monotonic() + self.answer_timeout_s
        start_count = self._voiced
        while time.monotonic() < deadline:
            await asyncio.sleep(0.02)
            if self._voiced > start_count and time.monotonic() - self._last_voiced >= self.end_silence_s:
                self.log.heard.append((state, round((self._voiced - start_count) * 0.02, 2)))
                await asyncio.sleep(self.reply_delay_s)
                return
        self.log.heard.append((state, 0.0))

    async def _read(self, ws) -> None:
        try:
            async for raw in ws:
                msg = json.loads(raw)
                if msg["event"] == "media":
                    if peak(ulaw_decode(protocol.decode_payload(msg["media"]["payload"]))) >= 300:
                        self._voiced += 1
                        self._last_voiced = time.monotonic()
                elif msg["event"] == "mark":
                    self.log.marks_echoed.append(msg["mark"]["name"])
                elif msg["event"] == "dtmf":
                    self.log.dtmf.append(msg["dtmf"]["digit"])
                elif msg["event"] == "stop":
                    self.log.stop_received = True
        except websockets.ConnectionClosed:
            self.log.caller_closed = True


@contextlib.asynccontextmanager
async def fake_agent_server(agent: FakeAgent) -> AsyncIterator[str]:
    async with websockets.serve(agent.handler, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}/ws"
