import base64
import json

import pytest

from telephony import protocol
from telephony.protocol import Clear, Connected, Dtmf, Mark, Media, ProtocolError, Start, Stop, parse_message

SID = "MZ" + "1" * 32
CALL = "CA" + "2" * 32
ACCOUNT = "AC" + "3" * 32


def test_connected_round_trip():
    assert parse_message(protocol.dumps(protocol.connected())) == Connected("Call", "1.0.0")


def test_start_has_twilio_field_names_and_round_trips():
    built = protocol.start(SID, CALL, ACCOUNT, {"token": "t0k", "scenario": "care_call", "name": "김영수"})
    assert built == {
        "event": "start",
        "sequenceNumber": "1",
        "start": {
            "accountSid": ACCOUNT,
            "streamSid": SID,
            "callSid": CALL,
            "tracks": ["inbound"],
            "customParameters": {"token": "t0k", "scenario": "care_call", "name": "김영수"},
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        },
        "streamSid": SID,
    }
    start = parse_message(protocol.dumps(built))
    assert start == Start(SID, CALL, ACCOUNT, {"token": "t0k", "scenario": "care_call", "name": "김영수"},
                          ("inbound",), "audio/x-mulaw", 8000, 1, 1)


def test_media_round_trip_bytes_and_str():
    payload = bytes(range(160))
    built = protocol.media(SID, payload, sequence=3, chunk=2, timestamp_ms=20)
    assert built["media"] == {"track": "inbound", "chunk": "2", "timestamp": "20",
                              "payload": base64.b64encode(payload).decode()}
    for raw in (protocol.dumps(built), protocol.dumps(built).encode()):
        assert parse_message(raw) == Media(SID, payload, "inbound", 2, 20, 3)


def test_outbound_media_mark_clear_round_trip():
    assert parse_message(json.dumps(protocol.outbound_media(SID, b"\xff" * 160))) == Media(SID, b"\xff" * 160)
    assert parse_message(json.dumps(protocol.mark(SID, "meal"))) == Mark(SID, "meal")
    assert parse_message(json.dumps(protocol.mark(SID, "meal", 9))) == Mark(SID, "meal", 9)
    assert parse_message(json.dumps(protocol.clear(SID))) == Clear(SID)
    assert protocol.mark(SID, "x") == {"event": "mark", "streamSid": SID, "mark": {"name": "x"}}


def test_dtmf_and_stop_round_trip():
    assert parse_message(json.dumps(protocol.dtmf(SID, "#", 7))) == Dtmf(SID, "#", "inbound_track", 7)
    assert parse_message(json.dumps(protocol.stop(SID, CALL, ACCOUNT, 8))) == Stop(SID, CALL, ACCOUNT, 8)


def _start(**changes):
    msg = protocol.start(SID, CALL, ACCOUNT, {})
    for path, value in changes.items():
        target = msg
        *parents, last = path.split("__")
        for p in parents:
            target = target[p]
        if value is ...:
            del target[last]
        else:
            target[last] = value
    return json.dumps(msg)


def _media(payload_b64):
    return json.dumps({"event": "media", "streamSid": SID, "media": {"payload": payload_b64}})


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("{not json", "not JSON"),
        (b"\xff\xfe\x00", "not JSON"),
        ("[1, 2]", "must be a JSON object, got list"),
        ('"media"', "must be a JSON object, got str"),
        ("{}", "no 'event'"),
        ('{"event": 5}', "'event' must be a string"),
        ('{"event": "ring", "streamSid": "MZ1"}', "unknown event 'ring'"),
        ('{"event": "media", "media": {"payload": ""}}', "missing 'streamSid'"),
        ('{"event": "media", "streamSid": "MZ1"}', "missing 'media'"),
        ('{"event": "media", "streamSid": "MZ1", "media": {}}', "missing 'payload'"),
        ('{"event": "media", "streamSid": "MZ1", "media": "x"}', "'media.media' must be dict"),
        (_media("not base64!!"), "not valid base64"),
        (_media("QUJ"), "not valid base64"),
        (json.dumps({"event": "media", "streamSid": SID, "media": {"payload": "", "chunk": "two"}}), "must be a number"),
        (json.dumps({"event": "media", "streamSid": SID, "sequenceNumber": -1, "media": {"payload": ""}}), "negative"),
        ('{"event": "mark", "streamSid": "MZ1", "mark": {}}', "missing 'name'"),
        ('{"event": "mark", "streamSid": "MZ1", "mark": {"name": 3}}', "'mark.name' must be str"),
        ('{"event": "dtmf", "streamSid": "MZ1", "dtmf": {"digit": "x"}}', "not a DTMF digit"),
        ('{"event": "stop", "streamSid": "MZ1", "stop": []}', "must be dict"),
        ('{"event": "clear"}', "missing 'streamSid'"),
        (_start(start=...), "missing 'start'"),
        (_start(start__callSid=...), "missing 'callSid'"),
        (_start(start__accountSid=...), "missing 'accountSid'"),
        (_start(streamSid=...), "missing 'streamSid'"),
        (_start(start__customParameters=["a"]), "customParameters' must be dict"),
        (_start(start__tracks="inbound"), "tracks' must be a list"),
        (_start(start__mediaFormat__sampleRate="fast"), "must be a number"),
    ],
)
def test_errors_name_the_problem(raw, reason):
    with pytest.raises(ProtocolError, match=reason.replace("(", r"\(")):
        parse_message(raw)


def test_payload_must_be_whole_samples():
    odd = base64.b64encode(b"\x00\x01\x02").decode()
    assert parse_message(_media(odd)).payload == b"\x00\x01\x02"  # mu-law: 1 byte per sample
    with pytest.raises(ProtocolError, match="not a whole number of 2-byte samples"):
        parse_message(_media(odd), sample_width=2)


def test_start_defaults_when_optional_fields_absent():
    start = parse_message(_start(start__customParameters=..., start__mediaFormat=..., start__tracks=...))
    assert start.custom_parameters == {} and start.sample_rate == 8000 and start.tracks == ("inbound",)
