"""Twilio Media Streams messages, both ways.

Twilio → us: ``connected``, ``start``, ``media``, ``mark``, ``dtmf``, ``stop``. Us → Twilio: ``media``,
``mark``, ``clear``. ``parse_message`` validates one websocket text message and raises ``ProtocolError``
with a reason a person can act on; the builders produce exactly what Twilio sends, for the phone simulator.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

SAMPLE_RATE = 8000
FRAME_MS = 20
FRAME_BYTES = SAMPLE_RATE * FRAME_MS // 1000  # 160 bytes of mu-law per 20 ms
MULAW_SILENCE = b"\xff"


class ProtocolError(ValueError):
    """A websocket message that is not a valid Twilio Media Streams message."""


@dataclass(frozen=True)
class Connected:
    protocol: str
    version: str


@dataclass(frozen=True)
class Start:
    stream_sid: str
    call_sid: str
    account_sid: str
    custom_parameters: dict[str, str] = field(default_factory=dict)
    tracks: tuple[str, ...] = ("inbound",)
    encoding: str = "audio/x-mulaw"
    sample_rate: int = SAMPLE_RATE


@dataclass(frozen=True)
class Media:
    stream_sid: str
    payload: bytes  # mu-law bytes
    timestamp_ms: int | None = None
    chunk: int | None = None
    track: str = "inbound"


@dataclass(frozen=True)
class Mark:
    stream_sid: str
    name: str


@dataclass(frozen=True)
class Dtmf:
    stream_sid: str
    digit: str


@dataclass(frozen=True)
class Stop:
    stream_sid: str
    call_sid: str | None = None


@dataclass(frozen=True)
class Clear:
    stream_sid: str


Message = Connected | Start | Media | Mark | Dtmf | Stop | Clear

DTMF_DIGITS = set("0123456789*#ABCD")


def _field(obj: dict[str, Any], name: str, where: str, kind: type = str) -> Any:
    if name not in obj:
        raise ProtocolError(f"'{where}' message has no '{name}'")
    value = obj[name]
    if not isinstance(value, kind):
        raise ProtocolError(f"'{where}.{name}' must be {kind.__name__}, got {type(value).__name__}")
    return value


def _decode_payload(payload: str) -> bytes:
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ProtocolError(f"media payload is not valid base64: {exc}") from None


def parse_message(raw: str | bytes) -> Message:
    """Parse one Media Streams message; raises ``ProtocolError`` saying what is wrong."""
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ProtocolError(f"a message must be a JSON object, got {type(data).__name__}")
    event = data.get("event")
    if not isinstance(event, str):
        raise ProtocolError("message has no 'event'")

    if event == "connected":
        return Connected(str(data.get("protocol", "")), str(data.get("version", "")))
    if event in ("clear",):
        return Clear(_field(data, "streamSid", event))
    stream_sid = _field(data, "streamSid", event)
    if event == "start":
        start = _field(data, "start", event, dict)
        params = start.get("customParameters") or {}
        if not isinstance(params, dict):
            raise ProtocolError("'start.customParameters' must be an object")
        fmt = start.get("mediaFormat") or {}
        return Start(
            stream_sid=stream_sid,
            call_sid=_field(start, "callSid", "start"),
            account_sid=str(start.get("accountSid", "")),
            custom_parameters={str(k): str(v) for k, v in params.items()},
            tracks=tuple(start.get("tracks") or ("inbound",)),
            encoding=str(fmt.get("encoding", "audio/x-mulaw")),
            sample_rate=int(fmt.get("sampleRate", SAMPLE_RATE)),
        )
    if event == "media":
        media = _field(data, "media", event, dict)
        payload = _decode_payload(_field(media, "payload", "media"))
        ts = media.get("timestamp")
        chunk = media.get("chunk")
        try:
            return Media(
                stream_sid=stream_sid,
                payload=payload,
                timestamp_ms=int(ts) if ts is not None else None,
                chunk=int(chunk) if chunk is not None else None,
                track=str(media.get("track", "inbound")),
            )
        except (TypeError, ValueError):
            raise ProtocolError("media 'timestamp' and 'chunk' must be numbers") from None
    if event == "mark":
        return Mark(stream_sid, _field(_field(data, "mark", event, dict), "name", "mark"))
    if event == "dtmf":
        digit = _field(_field(data, "dtmf", event, dict), "digit", "dtmf")
        if digit not in DTMF_DIGITS:
            raise ProtocolError(f"'{digit}' is not a DTMF digit")
        return Dtmf(stream_sid, digit)
    if event == "stop":
        stop = data.get("stop") or {}
        return Stop(stream_sid, stop.get("callSid") if isinstance(stop, dict) else None)
    raise ProtocolError(f"unknown event '{event}'")


# --- builders: what Twilio sends (used by the phone simulator) and what we send to Twilio -------------


def connected() -> dict[str, Any]:
    return {"event": "connected", "protocol": "Call", "version": "1.0.0"}


def start(stream_sid: str, call_sid: str, account_sid: str, custom_parameters: dict[str, str]) -> dict[str, Any]:
    return {
        "event": "start",
        "sequenceNumber": "1",
        "start": {
            "accountSid": account_sid,
            "streamSid": stream_sid,
            "callSid": call_sid,
            "tracks": ["inbound"],
            "customParameters": dict(custom_parameters),
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": SAMPLE_RATE, "channels": 1},
        },
        "streamSid": stream_sid,
    }


def media(stream_sid: str, payload: bytes, sequence: int, chunk: int, timestamp_ms: int) -> dict[str, Any]:
    return {
        "event": "media",
        "sequenceNumber": str(sequence),
        "media": {
            "track": "inbound",
            "chunk": str(chunk),
            "timestamp": str(timestamp_ms),
            "payload": base64.b64encode(payload).decode("ascii"),
        },
        "streamSid": stream_sid,
    }


def mark(stream_sid: str, name: str, sequence: int | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"event": "mark", "streamSid": stream_sid, "mark": {"name": name}}
    if sequence is not None:
        message["sequenceNumber"] = str(sequence)
    return message


def dtmf(stream_sid: str, digit: str, sequence: int) -> dict[str, Any]:
    return {"event": "dtmf", "streamSid": stream_sid, "sequenceNumber": str(sequence),
            "dtmf": {"track": "inbound_track", "digit": digit}}


def stop(stream_sid: str, call_sid: str, account_sid: str, sequence: int) -> dict[str, Any]:
    return {"event": "stop", "sequenceNumber": str(sequence), "streamSid": stream_sid,
            "stop": {"accountSid": account_sid, "callSid": call_sid}}


def clear(stream_sid: str) -> dict[str, Any]:
    return {"event": "clear", "streamSid": stream_sid}
