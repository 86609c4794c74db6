"""What one media stream may send: bytes per message, audio per wall-clock second, audio per call.

A Twilio stream sends one ~400-byte ``media`` message per 20 ms of audio, in real time. A client that sends
huge messages, or audio faster than real time, would otherwise make the agent decode, resample, recognise and
record all of it, long after the caller hung up. ``MediaSocket`` enforces the caps where messages come off the
socket, before anything parses them further:

* a message over ``max_message_bytes`` closes the stream (1009, message too big): no real client sends one;
* audio beyond real time plus a ``burst_s`` allowance (a token bucket refilled by the wall clock) is dropped,
  not passed on, so network jitter after a stall costs a little audio rather than the call;
* all audio received, dropped included, over ``max_audio_s`` closes the stream (1008): a flood ends there.

``MediaSocket.refusal`` then says why, for the call's record.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from loguru import logger
from starlette.types import Message
from starlette.websockets import WebSocket, WebSocketState

from telephony.protocol import SAMPLE_RATE, Media, ProtocolError, parse_message

CLOSE_POLICY_VIOLATION = 1008
CLOSE_MESSAGE_TOO_BIG = 1009


@dataclass(frozen=True)
class StreamLimits:
    max_message_bytes: int = 16_384  # Twilio's messages are < 1 KB; a start with many parameters a few KB
    burst_s: float = 5.0  # audio a client may send ahead of real time
    max_audio_s: float = 605.0  # all audio of one stream (default: a 600 s call plus the burst)

    @classmethod
    def for_calls(cls, max_call_s: float, *, burst_s: float = 5.0, max_message_bytes: int = 16_384) -> StreamLimits:
        """Caps for calls of at most ``max_call_s``: no honest stream carries more audio than that plus a burst."""
        return cls(max_message_bytes, burst_s, max_call_s + burst_s)


class Admission(Enum):
    PASS = "pass"
    DROP = "drop"  # faster than real time beyond the burst
    END = "end"  # the stream's whole audio allowance is used


class AudioMeter:
    """A token bucket of audio seconds (refilled one per wall-clock second, holding at most ``burst_s``) and
    the total received."""

    def __init__(self, limits: StreamLimits, clock: Callable[[], float] = time.monotonic):
        self.limits = limits
        self._clock = clock
        self._tokens = limits.burst_s
        self._at = clock()
        self.received_s = 0.0
        self.dropped_s = 0.0

    def admit(self, audio_s: float) -> Admission:
        self.received_s += audio_s
        if self.received_s > self.limits.max_audio_s:
            return Admission.END
        now = self._clock()
        self._tokens = min(self.limits.burst_s, self._tokens + (now - self._at))
        self._at = now
        if audio_s <= self._tokens + 1e-9:  # float sums of 20 ms frames
            self._tokens -= audio_s
            return Admission.PASS
        self.dropped_s += audio_s
        return Admission.DROP


class MediaSocket(WebSocket):
    """The accepted media-stream websocket with the input caps applied to everything read from it.

    Built over an accepted ``WebSocket`` (same scope, receive and send); whoever reads it (the handshake, then
    pipecat's transport) sees only messages within the caps, and a disconnect when the stream was refused.
    """

    def __init__(self, websocket: WebSocket, limits: StreamLimits, clock: Callable[[], float] = time.monotonic):
        super().__init__(websocket.scope, websocket.receive, websocket.send)
        self.client_state = websocket.client_state
        self.application_state = websocket.application_state
        self.limits = limits
        self.meter = AudioMeter(limits, clock)
        self.label = _peer(websocket)  # "media stream <sid>" once the stream has started
        self.refusal: str | None = None  # why the agent closed the stream, for the call's record
        self._dropping = False

    async def receive(self) -> Message:
        while True:
            message = await super().receive()
            if message["type"] == "websocket.disconnect" and message.get("code") == CLOSE_MESSAGE_TOO_BIG:
                # the server's own frame limit (uvicorn's ws_max_size) closed the stream before we saw it
                self.refusal = f"a message over the server's frame limit ({message.get('reason') or 'too big'})"
                logger.warning(f"{self.label}: closed by the server: {self.refusal}")
                return message
            if message["type"] != "websocket.receive":
                return message
            raw = message.get("text")
            if raw is None:
                raw = message.get("bytes") or b""
            size = _size(raw, self.limits.max_message_bytes)
            if size > self.limits.max_message_bytes:
                return await self._refuse(
                    CLOSE_MESSAGE_TOO_BIG,
                    f"a message of {size} bytes is over the {self.limits.max_message_bytes}-byte cap",
                )
            audio_s = _audio_seconds(raw)
            if not audio_s:
                return message
            admission = self.meter.admit(audio_s)
            if admission is Admission.PASS:
                if self._dropping:
                    self._dropping = False
                    dropped = self.meter.dropped_s
                    logger.info(f"{self.label}: back to real time ({dropped:.1f} s of audio dropped so far)")
                return message
            if admission is Admission.END:
                return await self._refuse(
                    CLOSE_POLICY_VIOLATION,
                    f"{self.meter.received_s:.0f} s of audio received, over the {self.limits.max_audio_s:.0f} s "
                    f"a call may carry ({self.meter.dropped_s:.0f} s of it sent faster than real time)",
                )
            if not self._dropping:
                self._dropping = True
                logger.warning(
                    f"{self.label}: audio arrives faster than real time beyond the {self.limits.burst_s:g} s burst; "
                    "dropping the excess"
                )

    async def _refuse(self, code: int, reason: str) -> Message:
        self.refusal = reason
        logger.warning(f"{self.label}: closed by the agent: {reason}")
        if self.application_state == WebSocketState.CONNECTED:
            try:
                await self.close(code=code, reason=reason[:120])
            except (RuntimeError, OSError):
                pass
        self.client_state = WebSocketState.DISCONNECTED
        return {"type": "websocket.disconnect", "code": code, "reason": reason}


def _size(raw: str | bytes, cap: int) -> int:
    """Bytes on the wire (UTF-8 for text), encoding only when the character count leaves it in doubt."""
    if isinstance(raw, bytes) or len(raw) > cap or 4 * len(raw) <= cap:
        return len(raw)
    return len(raw.encode("utf-8", "surrogatepass"))


def _audio_seconds(raw: str | bytes) -> float:
    """Seconds of audio in a media message (µ-law, one byte a sample); 0 for anything else. A malformed
    message carries no audio here; the serializer logs and skips it."""
    if not raw or ("media" not in raw if isinstance(raw, str) else b"media" not in raw):
        return 0.0
    try:
        message = parse_message(raw)
    except ProtocolError:
        return 0.0
    return len(message.payload) / SAMPLE_RATE if isinstance(message, Media) else 0.0


def _peer(websocket: WebSocket) -> str:
    client = websocket.client
    return f"media stream from {client.host}:{client.port}" if client else "media stream"
