"""The phone simulator: a callee on a Twilio line, over the real Media Streams websocket protocol.

It does what Twilio does for a call: fetch TwiML from the agent's webhook, open the ``<Stream>``
websocket, send ``connected`` and ``start``, then a continuous 20 ms ``media`` frame of 8 kHz mu-law
(silence when the callee is quiet), echo ``mark``s once the audio before them has played, and honour
``clear``. On top of that it plays a persona: after the agent's prompt for a question has played and the
line has gone quiet, the callee answers that question in speech.

It measures what a caller experiences: time from ``start`` to the first greeting audio, and per agent turn
the time from the end of the callee's speech to the first agent audio on the wire.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import numpy as np
import websockets
from loguru import logger

from telephony import protocol
from telephony.codec import to_phone, ulaw_decode
from telephony.personas import Persona

Voice = Callable[[str], tuple[np.ndarray, int]]  # text → (int16 pcm, sample rate)
EventSink = Callable[[str, dict[str, Any]], None]

FRAME_S = protocol.FRAME_MS / 1000
SPEECH_LEVEL = 300  # int16 peak above which a received frame counts as agent speech
QUIET_BEFORE_ANSWER_S = 0.6  # the agent's audio must have stopped this long…
HUMAN_PAUSE_S = 0.3  # …then the callee takes a breath before answering


@dataclass
class SimulatedCall:
    call_sid: str
    stream_sid: str
    events: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)
    latencies_s: list[float] = field(default_factory=list)
    greeting_latency_s: float | None = None
    clear_count: int = 0
    marks: list[str] = field(default_factory=list)
    answered: list[tuple[str, str]] = field(default_factory=list)  # (state, text)
    server_hung_up: bool = False
    close_code: int | None = None
    duration_s: float = 0.0
    agent_audio_s: float = 0.0

    @property
    def completed(self) -> bool:
        return self.server_hung_up


async def dial(
    base_url: str,
    *,
    call_sid: str,
    from_number: str,
    to_number: str,
    extra_query: dict[str, str] | None = None,
    auth_token: str | None = None,
) -> tuple[str, dict[str, str]]:
    """POST Twilio's call webhook form to ``/twiml``; return the stream URL and its parameters."""
    import httpx

    url = f"{base_url.rstrip('/')}/twiml"
    if extra_query:
        url += "?" + urlencode(extra_query)
    form = {
        "CallSid": call_sid,
        "AccountSid": "AC" + "0" * 32,
        "From": from_number,
        "To": to_number,
        "Direction": "outbound-api",
        "CallStatus": "in-progress",
    }
    headers = {}
    if auth_token:
        from twilio.request_validator import RequestValidator

        headers["X-Twilio-Signature"] = RequestValidator(auth_token).compute_signature(url, form)
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(url, data=form, headers=headers)
    response.raise_for_status()
    return parse_stream_twiml(response.text)


def parse_stream_twiml(twiml: str) -> tuple[str, dict[str, str]]:
    """The ``<Stream url>`` and its ``<Parameter>``s from a ``<Connect>`` TwiML document."""
    root = ET.fromstring(twiml)
    stream = root.find("./Connect/Stream")
    if stream is None or not stream.get("url"):
        raise ValueError("TwiML has no <Connect><Stream url=…>")
    params = {p.get("name", ""): p.get("value", "") for p in stream.findall("Parameter")}
    return stream.get("url", ""), params


class PhoneSimulator:
    def __init__(
        self,
        ws_url: str,
        persona: Persona,
        voice: Voice,
        *,
        stream_parameters: dict[str, str] | None = None,
        call_sid: str | None = None,
        max_duration_s: float = 300.0,
        on_event: EventSink | None = None,
    ):
        self.ws_url = ws_url
        self.persona = persona
        self.voice = voice
        self.parameters = dict(stream_parameters or {})
        self.max_duration_s = max_duration_s
        self.on_event = on_event
        self.call = SimulatedCall(
            call_sid=call_sid or "CA" + uuid.uuid4().hex, stream_sid="MZ" + uuid.uuid4().hex
        )
        self._outgoing: deque[bytes] = deque()  # mu-law frames the callee is saying
        self._t0 = 0.0
        self._playback_end = 0.0  # when the agent audio received so far finishes playing
        self._last_agent_audio = 0.0
        self._pending_marks: list[tuple[float, str]] = []  # (plays at, name)
        self._question: str | None = None  # the last question whose prompt has played
        self._attempts: dict[str, int] = {}
        self._speech_end: float | None = None  # when the callee's last word left the phone
        self._awaiting_reply = False
        self._agent_utterances = 0
        self._in_agent_utterance = False
        self._utterance_started = 0.0
        self._barged = False
        self._hang_up_at: float | None = None

    # --- public -------------------------------------------------------------------------------------

    async def run(self) -> SimulatedCall:
        self._t0 = time.monotonic()
        try:
            async with websockets.connect(self.ws_url, max_size=None) as ws:
                await ws.send(json.dumps(protocol.connected()))
                await ws.send(
                    json.dumps(
                        protocol.start(self.call.stream_sid, self.call.call_sid, "AC" + "0" * 32, self.parameters)
                    )
                )
                self._emit("dialed", url=self.ws_url)
                receiver = asyncio.create_task(self._receive(ws))
                sender = asyncio.create_task(self._send(ws))
                done, pending = await asyncio.wait({receiver, sender}, return_when=asyncio.FIRST_COMPLETED)
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
                for task in done:
                    if task.exception() and not isinstance(task.exception(), websockets.ConnectionClosed):
                        raise task.exception()
                self.call.close_code = ws.close_code
        finally:
            self.call.duration_s = time.monotonic() - self._t0
        return self.call

    # --- the two halves of the line -----------------------------------------------------------------

    async def _send(self, ws) -> None:
        """One media frame every 20 ms on an absolute schedule, like a phone; plus marks and hang-ups."""
        silence = protocol.MULAW_SILENCE * protocol.FRAME_BYTES
        sequence, chunk = 2, 0
        next_at = time.monotonic()
        while True:
            now = time.monotonic()
            if now - self._t0 > self.max_duration_s:
                self._emit("timeout")
                await ws.send(json.dumps(protocol.stop(self.call.stream_sid, self.call.call_sid, "AC", sequence)))
                await ws.close()
                return
            if self._hang_up_at is not None and now >= self._hang_up_at:
                self._emit("hang_up")
                await ws.close()  # abrupt: a phone put down, no 'stop'
                return
            for name in self._marks_played(now):
                await ws.send(json.dumps(protocol.mark(self.call.stream_sid, name, sequence)))
                sequence += 1
            self._think(now)
            if self._outgoing:
                payload = self._outgoing.popleft()
                if not self._outgoing:  # the last frame of the answer: the callee stops speaking
                    self._speech_end = now + FRAME_S
                    self._awaiting_reply = True
            else:
                payload = silence
            chunk += 1
            await ws.send(
                json.dumps(protocol.media(self.call.stream_sid, payload, sequence, chunk, int((now - self._t0) * 1000)))
            )
            sequence += 1
            next_at += FRAME_S
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def _receive(self, ws) -> None:
        try:
            async for raw in ws:
                self._on_message(raw, time.monotonic())
        except websockets.ConnectionClosed:
            pass
        self.call.server_hung_up = True
        self._emit("server_hung_up")

    # --- what arrives from the agent -----------------------------------------------------------------

    def _on_message(self, raw: str | bytes, now: float) -> None:
        try:
            message = json.loads(raw)
        except json.JSONDecodeError:
            logger.warning(f"simulator: non-JSON message from the agent: {str(raw)[:80]!r}")
            return
        event = message.get("event")
        if event == "media":
            self._on_agent_audio(ulaw_decode(protocol._decode_payload(message["media"]["payload"])), now)
        elif event == "mark":
            name = message.get("mark", {}).get("name", "")
            self._pending_marks.append((max(now, self._playback_end), name))
        elif event == "clear":
            self.call.clear_count += 1
            self._playback_end = now  # buffered agent audio is dropped, as Twilio does
            self._emit("clear")
        else:
            logger.warning(f"simulator: unexpected '{event}' from the agent")

    def _on_agent_audio(self, samples: np.ndarray, now: float) -> None:
        duration = len(samples) / protocol.SAMPLE_RATE
        self.call.agent_audio_s += duration
        self._playback_end = max(self._playback_end, now) + duration
        if len(samples) == 0 or int(np.abs(samples.astype(np.int32)).max()) < SPEECH_LEVEL:
            return
        if not self._in_agent_utterance:
            self._in_agent_utterance = True
            self._agent_utterances += 1
            self._utterance_started = now
            latency = None
            if self.call.greeting_latency_s is None:
                self.call.greeting_latency_s = now - self._t0
                latency = None
            elif self._awaiting_reply and self._speech_end is not None:
                latency = now - self._speech_end
                self.call.latencies_s.append(latency)
            self._awaiting_reply = False
            self._emit("agent_audio", utterance=self._agent_utterances, latency_s=latency,
                       greeting_s=self.call.greeting_latency_s if self._agent_utterances == 1 else None)
        self._last_agent_audio = now

    def _marks_played(self, now: float) -> list[str]:
        played = [name for at, name in self._pending_marks if at <= now]
        self._pending_marks = [(at, name) for at, name in self._pending_marks if at > now]
        for name in played:
            self.call.marks.append(name)
            self._question = name
        return played

    # --- the callee's side of the conversation -------------------------------------------------------

    def _think(self, now: float) -> None:
        if self._in_agent_utterance and now - max(self._last_agent_audio, self._playback_end) > QUIET_BEFORE_ANSWER_S / 2:
            self._in_agent_utterance = False
        persona = self.persona
        if persona.silent or self._outgoing or self._hang_up_at is not None:
            return
        barge = persona.barge_in
        if (
            barge is not None
            and not self._barged
            and self._in_agent_utterance
            and self._agent_utterances == barge.utterance
            and now - self._utterance_started >= barge.after_s
        ):
            self._barged = True
            self._say(barge.text, state="(barge-in)")
            return
        question = self._question
        quiet_since = max(self._last_agent_audio, self._playback_end)
        if question is None or now - quiet_since < QUIET_BEFORE_ANSWER_S + HUMAN_PAUSE_S:
            return
        self._question = None
        if question == "closing":
            return
        attempt = self._attempts.get(question, 0)
        self._attempts[question] = attempt + 1
        text = persona.answer_for(question, attempt)
        if text is None:
            self._emit("no_answer", state=question)
            return
        self._say(text, state=question)
        if persona.hang_up_after == question:
            self._hang_up_at = now + len(self._outgoing) * FRAME_S + 0.5

    def _say(self, text: str, state: str) -> None:
        pcm, rate = self.voice(text)
        ulaw = to_phone(pcm, rate)
        ulaw += protocol.MULAW_SILENCE * ((-len(ulaw)) % protocol.FRAME_BYTES)
        frames = [ulaw[i : i + protocol.FRAME_BYTES] for i in range(0, len(ulaw), protocol.FRAME_BYTES)]
        # End on the last voiced frame, so 'end of speech' is when the callee really stopped talking.
        while frames and int(np.abs(ulaw_decode(frames[-1]).astype(np.int32)).max()) < SPEECH_LEVEL:
            frames.pop()
        self._outgoing.extend(frames)
        self._awaiting_reply = False
        self.call.answered.append((state, text))
        self._emit("caller_speech", state=state, text=text, seconds=len(ulaw) / protocol.SAMPLE_RATE)

    def _emit(self, kind: str, **data: Any) -> None:
        self.call.events.append((time.monotonic() - self._t0, kind, data))
        if self.on_event:
            try:
                self.on_event(kind, data)
            except Exception:
                logger.exception("simulator event listener failed")
