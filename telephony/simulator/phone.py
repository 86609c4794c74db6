"""The phone simulator: a callee on a Twilio line, over the real Media Streams websocket protocol.

It does what Twilio does for a call: (``dial``) fetch TwiML from the agent's webhook, open the
``<Stream>`` websocket, send ``connected`` and ``start``, then a continuous 20 ms ``media`` frame of 8 kHz
mu-law paced in real time (silence ``0xFF`` when the callee is quiet); it "plays" the agent's audio on
its own clock, echoes each ``mark`` when playback reaches it and honours ``clear`` (drops buffered audio,
returns pending marks at once). On top of that it plays a persona: after the mark for question S has
played and the line has been quiet a moment, the callee answers S in speech (and presses the persona's keys
for S). When the agent redirects the live call through Twilio's REST API (``redirect``, called by the fake
REST API in ``telephony.simulator.twilio_api``), the stream ends as Twilio ends it (``stop``, then close) and
the call records the TwiML and the number it was put through to.

It measures what a caller experiences on the wire: ``start`` → first agent audio (greeting latency),
and per agent turn the end of the callee's speech (last voiced frame sent) → first voiced agent audio
received (voice-to-voice latency).
"""

from __future__ import annotations

import asyncio
import time
import uuid
import wave
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode

import numpy as np
import websockets
from loguru import logger

from telephony import protocol
from telephony.codec import peak, to_phone, ulaw_decode
from telephony.simulator.personas import Persona
from telephony.protocol import Clear, Mark, Media, ProtocolError, parse_message

Voice = Callable[[str], tuple[np.ndarray, int]]  # text → (int16 mono pcm, sample rate)
EventSink = Callable[[str, dict[str, Any]], None]  # (kind, data incl. t/who/text)

FRAME_S = protocol.FRAME_MS / 1000
SPEECH_LEVEL = 300  # int16 peak above which a frame counts as speech rather than line silence
ACCOUNT_SID = "AC" + "0" * 32


@dataclass(frozen=True)
class SimEvent:
    t: float  # seconds since the stream started
    who: str  # "callee", "agent" or "line"
    kind: str
    text: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class SimulatedCall:
    call_sid: str
    stream_sid: str
    events: list[SimEvent] = field(default_factory=list)
    latencies_s: list[float] = field(default_factory=list)  # per agent turn: callee speech end → agent audio
    greeting_latency_s: float | None = None  # start → first agent audio
    clear_count: int = 0  # every 'clear' received (pipecat also sends one when nothing is playing)
    barge_ins: int = 0  # 'clear's that cut agent speech still playing
    marks: list[str] = field(default_factory=list)  # marks received from the agent, in order
    marks_echoed: list[str] = field(default_factory=list)  # echoed after playback (or at a clear)
    answered: list[tuple[str, str]] = field(default_factory=list)  # (state, text) the callee said
    server_hung_up: bool = False
    redirect_twiml: str | None = None  # TwiML the call was updated with through the REST API
    transferred_to: str | None = None  # the number that TwiML's <Dial> put the call through to
    caller_hung_up: bool = False
    timed_out: bool = False
    close_code: int | None = None
    duration_s: float = 0.0
    agent_audio_s: float = 0.0  # agent audio received (before any clear)
    voiced_frames_sent: int = 0
    protocol_errors: int = 0
    caller_audio: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))  # 8 kHz, what was said
    agent_audio: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))  # 8 kHz, what was heard
    recording_path: Path | None = None

    @property
    def completed(self) -> bool:
        return self.server_hung_up

    @property
    def timeline(self) -> list[tuple[str, str, float]]:
        """(who, text, t) of what was said: callee lines and the agent's prompts (by their mark)."""
        said = {"caller_speech", "barge_in", "dtmf", "agent_audio", "mark"}
        return [(e.who, e.text, round(e.t, 3)) for e in self.events if e.kind in said]

    def stereo(self) -> np.ndarray:
        """(n, 2) int16: left = callee, right = agent as heard, on one timeline."""
        n = max(len(self.caller_audio), len(self.agent_audio))
        out = np.zeros((n, 2), np.int16)
        out[: len(self.caller_audio), 0] = self.caller_audio
        out[: len(self.agent_audio), 1] = self.agent_audio
        return out

    def write_wav(self, path: str | Path, stereo: bool = True) -> Path:
        """The two-sided recording at 8 kHz (stereo, or both sides mixed to mono)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        frames = self.stereo()
        if not stereo:
            frames = np.clip(frames.astype(np.int32).sum(axis=1), -32768, 32767).astype(np.int16)
        with wave.open(str(path), "wb") as w:
            w.setnchannels(2 if stereo else 1)
            w.setsampwidth(2)
            w.setframerate(protocol.SAMPLE_RATE)
            w.writeframes(frames.tobytes())
        self.recording_path = path
        return path


async def dial(
    base_url: str,
    *,
    call_sid: str,
    from_number: str,
    to_number: str,
    extra_query: dict[str, str] | None = None,
    auth_token: str | None = None,
    direction: str = "outbound-api",
) -> tuple[str, dict[str, str]]:
    """POST Twilio's call webhook form to ``{base_url}/twiml`` (signed when ``auth_token`` is given);
    return the stream URL and its parameters (including the one-time token)."""
    import httpx

    url = f"{base_url.rstrip('/')}/twiml"
    if extra_query:
        url += "?" + urlencode(extra_query)
    form = {
        "CallSid": call_sid,
        "AccountSid": ACCOUNT_SID,
        "From": from_number,
        "To": to_number,
        "Direction": direction,  # Twilio's values: inbound, outbound-api, outbound-dial
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
    """One simulated call. ``await PhoneSimulator(ws_url, persona, voice, ...).run()`` → ``SimulatedCall``.

    Timing knobs (``quiet_s``, ``pause_s``) default to a person's: the callee answers once the agent has
    been quiet ``quiet_s`` after the question's mark and then takes a ``pause_s`` breath.
    ``hang_up_mode`` for ``persona.hang_up_after``: ``drop`` (connection lost, no close frame), ``close``
    (close frame, no ``stop``) or ``stop`` (Twilio's own ending: ``stop`` then close).
    """

    def __init__(
        self,
        ws_url: str,
        persona: Persona,
        voice: Voice,
        *,
        stream_parameters: dict[str, str] | None = None,
        call_sid: str | None = None,
        max_duration_s: float = 300.0,
        quiet_s: float = 0.6,
        pause_s: float = 0.4,
        hang_up_mode: Literal["drop", "close", "stop"] = "drop",
        record_path: str | Path | None = None,
        on_event: EventSink | None = None,
    ):
        self.ws_url = ws_url
        self.persona = persona
        self.voice = voice
        self.parameters = dict(stream_parameters or {})
        self.max_duration_s = max_duration_s
        self.quiet_s = quiet_s
        self.pause_s = pause_s
        self.hang_up_mode = hang_up_mode
        self.record_path = record_path
        self.on_event = on_event
        self.call = SimulatedCall(call_sid=call_sid or "CA" + uuid.uuid4().hex, stream_sid="MZ" + uuid.uuid4().hex)
        self._rendered: dict[str, list[bytes]] = {}
        self._t0 = 0.0
        self._seq = 1  # Twilio's sequenceNumber: 1 = start
        # callee → agent
        self._outgoing: deque[bytes] = deque()
        self._sent = bytearray()  # mu-law as sent, for the recording
        self._last_voiced_sent: float | None = None
        self._speech_end: float | None = None
        self._awaiting_reply = False
        self._dtmf: deque[str] = deque()
        # agent → callee
        self._heard = bytearray()  # int16 bytes, placed at playback time
        self._playback_end = 0.0  # when the agent audio received so far finishes playing
        self._voiced_until = 0.0  # when the last voiced agent audio finishes playing
        self._last_voiced_rx = 0.0
        self._pending_marks: list[tuple[float, str]] = []  # (plays at, name)
        self._cleared_echoes: list[str] = []  # marks a clear returned, echoed on the next tick
        self._in_utterance = False
        self._utterances = 0
        self._utterance_started = 0.0
        # the callee's mind
        self._question: tuple[str, float] | None = None  # (state, its mark played at)
        self._attempts: dict[str, int] = {}
        self._predicted: str | None = persona.next_state(None)
        self._barged = False
        self._barged_into: str | None = None
        self._hang_up_at: float | None = None
        self._closing = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._redirected = False  # set (in the loop) when the call's TwiML was replaced: the stream ends

    # --- public ----------------------------------------------------------------------------------------

    async def run(self) -> SimulatedCall:
        """Dial, talk until the server closes the socket, the persona hangs up or ``max_duration_s``."""
        await asyncio.to_thread(self._render_all)
        self._loop = asyncio.get_running_loop()
        started = time.monotonic()
        try:
            async with websockets.connect(self.ws_url, max_size=None, open_timeout=10) as ws:
                await ws.send(protocol.dumps(protocol.connected()))
                self._t0 = time.monotonic()
                await ws.send(
                    protocol.dumps(
                        protocol.start(self.call.stream_sid, self.call.call_sid, ACCOUNT_SID, self.parameters)
                    )
                )
                self._emit("line", "dialed", data={"url": self.ws_url})
                receiver = asyncio.create_task(self._receive(ws))
                sender = asyncio.create_task(self._send(ws))
                done, pending = await asyncio.wait({receiver, sender}, return_when=asyncio.FIRST_COMPLETED)
                if sender in done and receiver not in done:
                    try:  # we ended the call: give the close handshake a moment
                        await asyncio.wait_for(receiver, timeout=2.0)
                    except (TimeoutError, asyncio.CancelledError):
                        pass
                for task in (sender, receiver):
                    if not task.done():
                        task.cancel()
                await asyncio.gather(sender, receiver, return_exceptions=True)
                for task in (sender, receiver):
                    exc = task.exception() if not task.cancelled() else None
                    if exc is not None and not isinstance(exc, websockets.ConnectionClosed):
                        raise exc
                self.call.close_code = ws.close_code
        finally:
            self.call.duration_s = time.monotonic() - (self._t0 or started)
            self.call.caller_audio = ulaw_decode(bytes(self._sent))
            self.call.agent_audio = np.frombuffer(bytes(self._heard), dtype=np.int16).copy()
            if self.record_path:
                self.call.write_wav(self.record_path)
        return self.call

    def press(self, digits: str) -> None:
        """Press keys now (sent as Twilio ``dtmf`` messages before the next media frame)."""
        for digit in digits:
            self._dtmf.append(digit)
            self._emit("callee", "dtmf", digit)

    def redirect(self, twiml: str) -> None:
        """The call's TwiML was replaced through the REST API (thread-safe: the fake API calls it from its
        own thread). A ``<Dial>`` puts the call through to its number; the media stream ends either way."""
        if self._loop is None:
            raise RuntimeError("the call has not started")
        self._loop.call_soon_threadsafe(self._on_redirect, twiml)

    def _on_redirect(self, twiml: str) -> None:
        self.call.redirect_twiml = twiml
        dial = ET.fromstring(twiml).find("./Dial")
        if dial is not None:
            number = (dial.text or "").strip() or next((n.text or "").strip() for n in dial.findall("Number"))
            self.call.transferred_to = number
        self._redirected = True
        self._emit("line", "redirected", data={"twiml": twiml, "transferred_to": self.call.transferred_to})

    # --- the callee's line out ------------------------------------------------------------------------

    async def _send(self, ws) -> None:
        """One media frame every 20 ms on an absolute schedule, like a phone; plus mark echoes and DTMF."""
        silence = protocol.MULAW_SILENCE * protocol.FRAME_BYTES
        chunk = 0
        next_at = self._t0
        while True:
            now = time.monotonic()
            if self._redirected:  # Twilio leaves <Connect><Stream> for the new TwiML: stop, then close
                await self._hang_up(ws, "stop")
                return
            if now - self._t0 > self.max_duration_s:
                self.call.timed_out = True
                self._emit("line", "timeout")
                await self._hang_up(ws, "stop")
                return
            if self._hang_up_at is not None and now >= self._hang_up_at:
                self.call.caller_hung_up = True
                self._emit("callee", "hang_up", data={"mode": self.hang_up_mode})
                await self._hang_up(ws, self.hang_up_mode)
                return
            for name in self._marks_played(now):
                await ws.send(protocol.dumps(protocol.mark(self.call.stream_sid, name, self._next_seq())))
            self._think(now)
            if self._dtmf:
                digit = self._dtmf.popleft()
                await ws.send(protocol.dumps(protocol.dtmf(self.call.stream_sid, digit, self._next_seq())))
            payload = self._outgoing.popleft() if self._outgoing else silence
            if payload is not silence and peak(ulaw_decode(payload)) >= SPEECH_LEVEL:
                self._last_voiced_sent = now
                self.call.voiced_frames_sent += 1
            if payload is not silence and not self._outgoing:  # the answer's last frame: the callee stops
                self._speech_end = self._last_voiced_sent
                self._awaiting_reply = True
            chunk += 1
            timestamp_ms = int(round((chunk - 1) * protocol.FRAME_MS))
            await ws.send(
                protocol.dumps(protocol.media(self.call.stream_sid, payload, self._next_seq(), chunk, timestamp_ms))
            )
            self._sent += payload
            next_at += FRAME_S
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def _hang_up(self, ws, mode: str) -> None:
        self._closing = True
        if mode == "stop":
            await ws.send(
                protocol.dumps(protocol.stop(self.call.stream_sid, self.call.call_sid, ACCOUNT_SID, self._next_seq()))
            )
        if mode == "drop":
            ws.transport.abort()  # a phone line that goes dead: no close frame
        else:
            await ws.close()

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    # --- the agent's line in --------------------------------------------------------------------------

    async def _receive(self, ws) -> None:
        try:
            async for raw in ws:
                self._on_message(raw, time.monotonic())
        except websockets.ConnectionClosed:
            pass
        if not self._closing:
            self.call.server_hung_up = True
            self._emit("agent", "server_hung_up", data={"code": ws.close_code})

    def _on_message(self, raw: str | bytes, now: float) -> None:
        try:
            message = parse_message(raw)
        except ProtocolError as exc:
            self.call.protocol_errors += 1
            logger.warning(f"simulator: bad message from the agent ({exc}): {str(raw)[:80]!r}")
            return
        if isinstance(message, Media):
            self._on_agent_audio(ulaw_decode(message.payload), now)
        elif isinstance(message, Mark):
            self.call.marks.append(message.name)
            self._pending_marks.append((max(now, self._playback_end), message.name))
            self._emit("agent", "mark_sent", message.name)
        elif isinstance(message, Clear):
            self._on_clear(now)
        else:
            logger.warning(f"simulator: unexpected '{type(message).__name__}' from the agent")

    def _on_agent_audio(self, samples: np.ndarray, now: float) -> None:
        duration = len(samples) / protocol.SAMPLE_RATE
        self.call.agent_audio_s += duration
        play_at = max(now, self._playback_end)
        self._place_heard(samples, play_at)
        self._playback_end = play_at + duration
        if peak(samples) < SPEECH_LEVEL:
            return
        self._last_voiced_rx = now
        self._voiced_until = self._playback_end
        if self._in_utterance:
            return
        self._in_utterance = True
        self._utterances += 1
        self._utterance_started = now
        data: dict[str, Any] = {"utterance": self._utterances}
        if self.call.greeting_latency_s is None:
            self.call.greeting_latency_s = now - self._t0
            data["greeting_s"] = self.call.greeting_latency_s
        if self._awaiting_reply and self._speech_end is not None and not self._outgoing:
            latency = now - self._speech_end
            self.call.latencies_s.append(latency)
            data["latency_s"] = latency
        self._awaiting_reply = False
        self._emit("agent", "agent_audio", data=data)

    def _on_clear(self, now: float) -> None:
        """Twilio empties its buffer and returns the marks still pending at once."""
        self.call.clear_count += 1
        interrupted = self._agent_mid_utterance(now)  # a real barge-in, not a clear after the agent finished
        if interrupted:
            self.call.barge_ins += 1
        self._playback_end = min(self._playback_end, now)
        self._voiced_until = min(self._voiced_until, now)
        del self._heard[self._sample_at(now) * 2 :]
        for _, name in self._pending_marks:
            self.call.marks_echoed.append(name)
            self._cleared_echoes.append(name)
        self._pending_marks = []
        self._emit("agent", "clear", data={"interrupted": interrupted})

    def _agent_mid_utterance(self, now: float) -> bool:
        """Agent speech still playing, or a pause between two of its clauses (the next one still being
        synthesised) shorter than the gap that ends an utterance: a clear now cuts the agent off."""
        if self._voiced_until > now:
            return True
        return self._in_utterance and now - max(self._last_voiced_rx, self._voiced_until) <= self.quiet_s / 2

    def _place_heard(self, samples: np.ndarray, at: float) -> None:
        position = max(self._sample_at(at), len(self._heard) // 2)
        if position * 2 > len(self._heard):
            self._heard += bytes(position * 2 - len(self._heard))
        self._heard += samples.astype(np.int16).tobytes()

    def _sample_at(self, t: float) -> int:
        return max(0, int(round((t - self._t0) * protocol.SAMPLE_RATE)))

    def _marks_played(self, now: float) -> list[str]:
        """Marks whose audio has finished playing (echoed now), plus marks returned by a clear."""
        echoes = list(self._cleared_echoes)
        self._cleared_echoes.clear()
        played = [(at, name) for at, name in self._pending_marks if at <= now]
        self._pending_marks = [(at, name) for at, name in self._pending_marks if at > now]
        for at, name in played:
            self.call.marks_echoed.append(name)
            self._emit("agent", "mark", name)
            if self._barged_into == name:  # already answered by talking over this prompt
                self._barged_into = None
                continue
            self._barged_into = None
            self._question = (name, at)
        return echoes + [name for _, name in played]

    # --- the callee's side of the conversation ----------------------------------------------------------

    def _think(self, now: float) -> None:
        if self._in_utterance and now - max(self._last_voiced_rx, self._voiced_until) > self.quiet_s / 2:
            self._in_utterance = False
        persona = self.persona
        if persona.silent or self._outgoing or self._hang_up_at is not None:
            return
        if self._should_barge(now):
            self._barge(now)
            return
        if self._question is None:
            return
        state, marked_at = self._question
        quiet_since = max(self._last_voiced_rx, self._voiced_until)
        if now < max(marked_at, quiet_since + self.quiet_s) + self.pause_s:
            return
        self._question = None
        if state == "closing":
            return
        attempt = self._attempts.get(state, 0)
        self._attempts[state] = attempt + 1
        for digit in persona.dtmf.get(state, ""):
            self._dtmf.append(digit)
            self._emit("callee", "dtmf", digit, data={"state": state})
        text = persona.answer_for(state, attempt)
        if text is None:
            self._emit("callee", "no_answer", data={"state": state})
        else:
            self._say(text, state)
        self._predicted = persona.next_state(state)
        if persona.hang_up_after == state:
            self._hang_up_at = now + len(self._outgoing) * FRAME_S + 0.3

    def _should_barge(self, now: float) -> bool:
        barge = self.persona.barge_in
        if barge is None or self._barged or not self._in_utterance:
            return False
        if barge.utterance is not None and self._utterances != barge.utterance:
            return False
        if barge.state is not None and self._predicted != barge.state:
            return False
        return now - self._utterance_started >= barge.after_s

    def _barge(self, now: float) -> None:
        barge = self.persona.barge_in
        assert barge is not None
        self._barged = True
        state = barge.state or self._predicted or "(barge-in)"
        self._barged_into = state
        self._attempts[state] = self._attempts.get(state, 0) + 1
        self._say(barge.text, state, kind="barge_in")
        self._predicted = self.persona.next_state(state)

    def _say(self, text: str, state: str, kind: str = "caller_speech") -> None:
        frames = self._rendered.get(text) or self._render(text)
        self._outgoing.extend(frames)
        self._awaiting_reply = False
        self.call.answered.append((state, text))
        self._emit("callee", kind, text, data={"state": state, "seconds": len(frames) * FRAME_S})

    def _render_all(self) -> None:
        for line in self.persona.lines():
            self._rendered[line] = self._render(line)

    def _render(self, text: str) -> list[bytes]:
        """The line as 20 ms mu-law frames, ending on the last voiced frame (so 'end of speech' is exact)."""
        pcm, rate = self.voice(text)
        ulaw = to_phone(np.asarray(pcm, dtype=np.int16), rate)
        ulaw += protocol.MULAW_SILENCE * ((-len(ulaw)) % protocol.FRAME_BYTES)
        frames = [ulaw[i : i + protocol.FRAME_BYTES] for i in range(0, len(ulaw), protocol.FRAME_BYTES)]
        while frames and peak(ulaw_decode(frames[-1])) < SPEECH_LEVEL:
            frames.pop()
        self._rendered[text] = frames
        return frames

    def _emit(self, who: str, kind: str, text: str = "", data: dict[str, Any] | None = None) -> None:
        t = time.monotonic() - self._t0 if self._t0 else 0.0
        event = SimEvent(t, who, kind, text, dict(data or {}))
        self.call.events.append(event)
        if self.on_event:
            try:
                self.on_event(kind, {"t": t, "who": who, "text": text, **event.data})
            except Exception:
                logger.exception("simulator event listener failed")
