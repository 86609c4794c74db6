"""Twilio Media Streams messages, both ways.

Twilio → us: ``connected``, ``start``, ``media``, ``mark``, ``dtmf``, ``stop``. Us → Twilio: ``media``,
``mark``, ``clear``. ``parse_message`` validates one websocket message and raises ``ProtocolError`` with a
reason a person can act on; the builders produce exactly the JSON Twilio documents (field names, string
sequence numbers), for the phone simulator and for anything that talks to Twilio.
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
MULAW = "audio/x-mulaw"
DTMF_DIGITS = frozenset("0123456789*#ABCD")
EVENTS = ("connected", "start", "media", "mark", "dtmf", "stop", "clear")


class ProtocolError(ValueError):
    """A websocket message that is not a valid Twilio Media Streams message."""


@dataclass(frozen=True)
class Connected:
    protocol: str = "Call"
    version: str = "1.0.0"


@dataclass(frozen=True)
class Start:
    stream_sid: str
    call_sid: str
    account_sid: str
    custom_parameters: dict[str, str] = field(default_factory=dict)
    tracks: tuple[str, ...] = ("inbound",)
    encoding: str = MULAW
    sample_rate: int = SAMPLE_RATE
    channels: int = 1
    sequence_number: int | None = None


@dataclass(frozen=True)
class Media:
    """Audio. From Twilio it carries track/chunk/timestamp; from us only the payload."""

    stream_sid: str
    payload: bytes  # mu-law bytes, one byte per sample
    track: str = "inbound"
    chunk: int | None = None
    timestamp_ms: int | None = None
    sequence_number: int | None = None


@dataclass(frozen=True)
class Mark:
    stream_sid: str
    name: str
    sequence_number: int | None = None


@dataclass(frozen=True)
class Dtmf:
    stream_sid: str
    digit: str
    track: str = "inbound_track"
    sequence_number: int | None = None


@dataclass(frozen=True)
class Stop:
    stream_sid: str
    call_sid: str | None = None
    account_sid: str | None = None
    sequence_number: int | None = None


@dataclass(frozen=True)
class Clear:
    stream_sid: str


Message = Connected | Start | Media | Mark | Dtmf | Stop | Clear


# --- parsing ------------------------------------------------------------------------------------------


def _get(obj: dict[str, Any], name: str, where: str, kind: type | tuple[type, ...] = str) -> Any:
    if name not in obj:
        raise ProtocolError(f"'{where}' message is missing '{name}'")
    value = obj[name]
    if not isinstance(value, kind) or isinstance(value, bool):
        expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ProtocolError(f"'{where}.{name}' must be {expected}, got {type(value).__name__}")
    return value


def _int(obj: dict[str, Any], name: str, where: str) -> int | None:
    """Twilio sends counters as decimal strings ("sequenceNumber": "2"); accept ints as well."""
    value = obj.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ProtocolError(f"'{where}.{name}' must be a number, got {type(value).__name__}")
    try:
        number = int(value)
    except ValueError:
        raise ProtocolError(f"'{where}.{name}' must be a number, got {value!r}") from None
    if number < 0:
        raise ProtocolError(f"'{where}.{name}' must not be negative, got {number}")
    return number


def decode_payload(payload: str, sample_width: int = 1) -> bytes:
    """Base64 media payload → bytes; must be whole samples (``sample_width`` bytes each)."""
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ProtocolError(f"media payload is not valid base64 ({exc})") from None
    if len(data) % sample_width:
        raise ProtocolError(
            f"media payload of {len(data)} bytes is not a whole number of {sample_width}-byte samples"
        )
    return data


def parse_message(raw: str | bytes, *, sample_width: int = 1) -> Message:
    """Parse one Media Streams message; raises ``ProtocolError`` saying what is wrong.

    ``sample_width`` is bytes per sample of the stream's encoding (1 for mu-law, Twilio's only
    bidirectional format).
    """
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ProtocolError(f"a message must be a JSON object, got {type(data).__name__}")
    if "event" not in data:
        raise ProtocolError("message has no 'event'")
    event = data["event"]
    if not isinstance(event, str):
        raise ProtocolError(f"'event' must be a string, got {type(event).__name__}")
    if event not in EVENTS:
        raise ProtocolError(f"unknown event '{event}' (known: {', '.join(EVENTS)})")

    if event == "connected":
        return Connected(str(data.get("protocol", "Call")), str(data.get("version", "")))
    stream_sid = _get(data, "streamSid", event)
    if event == "clear":
        return Clear(stream_sid)
    seq = _int(data, "sequenceNumber", event)
    if event == "start":
        return _parse_start(data, stream_sid, seq)
    if event == "media":
        media = _get(data, "media", event, dict)
        return Media(
            stream_sid=stream_sid,
            payload=decode_payload(_get(media, "payload", "media"), sample_width),
            track=str(media.get("track", "inbound")),
            chunk=_int(media, "chunk", "media"),
            timestamp_ms=_int(media, "timestamp", "media"),
            sequence_number=seq,
        )
    if event == "mark":
        name = _get(_get(data, "mark", event, dict), "name", "mark")
        return Mark(stream_sid, name, seq)
    if event == "dtmf":
        body = _get(data, "dtmf", event, dict)
        digit = _get(body, "digit", "dtmf")
        if digit not in DTMF_DIGITS:
            raise ProtocolError(f"'{digit}' is not a DTMF digit")
        return Dtmf(stream_sid, digit, str(body.get("track", "inbound_track")), seq)
    # stop
    body = data.get("stop", {})
    if not isinstance(body, dict):
        raise ProtocolError(f"'stop.stop' must be dict, got {type(body).__name__}")
    return Stop(stream_sid, body.get("callSid"), body.get("accountSid"), seq)


def _parse_start(data: dict[str, Any], stream_sid: str, seq: int | None) -> Start:
    start = _get(data, "start", "start", dict)
    params = start.get("customParameters", {})
    if not isinstance(params, dict):
        raise ProtocolError(f"'start.customParameters' must be dict, got {type(params).__name__}")
    tracks = start.get("tracks", ["inbound"])
    if not isinstance(tracks, list) or not all(isinstance(t, str) for t in tracks):
        raise ProtocolError("'start.tracks' must be a list of strings")
    fmt = start.get("mediaFormat", {})
    if not isinstance(fmt, dict):
        raise ProtocolError(f"'start.mediaFormat' must be dict, got {type(fmt).__name__}")
    rate = _int(fmt, "sampleRate", "start.mediaFormat")
    channels = _int(fmt, "channels", "start.mediaFormat")
    return Start(
        stream_sid=stream_sid,
        call_sid=_get(start, "callSid", "start"),
        account_sid=_get(start, "accountSid", "start"),
        custom_parameters={str(k): "" if v is None else str(v) for k, v in params.items()},
        tracks=tuple(tracks),
        encoding=str(fmt.get("encoding", MULAW)),
        sample_rate=SAMPLE_RATE if rate is None else rate,
        channels=1 if channels is None else channels,
        sequence_number=seq,
    )


# --- builders: what Twilio sends (the phone simulator uses these) --------------------------------------


def dumps(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def connected() -> dict[str, Any]:
    return {"event": "connected", "protocol": "Call", "version": "1.0.0"}


def start(
    stream_sid: str,
    call_sid: str,
    account_sid: str,
    custom_parameters: dict[str, str] | None = None,
    sequence: int = 1,
) -> dict[str, Any]:
    return {
        "event": "start",
        "sequenceNumber": str(sequence),
        "start": {
            "accountSid": account_sid,
            "streamSid": stream_sid,
            "callSid": call_sid,
            "tracks": ["inbound"],
            "customParameters": dict(custom_parameters or {}),
            "mediaFormat": {"encoding": MULAW, "sampleRate": SAMPLE_RATE, "channels": 1},
        },
        "streamSid": stream_sid,
    }


def media(stream_sid: str, payload: bytes, sequence: int, chunk: int, timestamp_ms: int) -> dict[str, Any]:
    """Inbound audio as Twilio sends it: ``chunk`` counts from 1, ``timestamp`` is ms since the stream began."""
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
    """A mark: from us without ``sequenceNumber``; Twilio's echo carries one."""
    message: dict[str, Any] = {"event": "mark", "streamSid": stream_sid, "mark": {"name": name}}
    if sequence is not None:
        message["sequenceNumber"] = str(sequence)
    return message


def dtmf(stream_sid: str, digit: str, sequence: int) -> dict[str, Any]:
    return {
        "event": "dtmf",
        "streamSid": stream_sid,
        "sequenceNumber": str(sequence),
        "dtmf": {"track": "inbound_track", "digit": digit},
    }


def stop(stream_sid: str, call_sid: str, account_sid: str, sequence: int) -> dict[str, Any]:
    return {
        "event": "stop",
        "sequenceNumber": str(sequence),
        "streamSid": stream_sid,
        "stop": {"accountSid": account_sid, "callSid": call_sid},
    }


# --- builders: what we send to Twilio ----------------------------------------------------------------


def outbound_media(stream_sid: str, payload: bytes) -> dict[str, Any]:
    return {"event": "media", "streamSid": stream_sid, "media": {"payload": base64.b64encode(payload).decode("ascii")}}


def clear(stream_sid: str) -> dict[str, Any]:
    return {"event": "clear", "streamSid": stream_sid}
