import base64
import json

import pytest
from fastapi import FastAPI, Request
from pipecat.frames.frames import (
    EndFrame,
    InputAudioRawFrame,
    InputDTMFFrame,
    InterruptionFrame,
    OutputAudioRawFrame,
    OutputTransportMessageFrame,
)
from telephony_testkit import serve

from telephony import protocol
from telephony.serializer import CallSerializer

SID = "MZ" + "1" * 32


def make(**kw):
    return CallSerializer(stream_sid=SID, sample_rate=16000, **kw)


async def test_media_becomes_audio_and_bad_messages_are_counted_and_skipped():
    ser = make()
    frames = [await ser.deserialize(json.dumps(protocol.media(SID, b"\x00" * 160, n + 2, n + 1, 20 * n)))
              for n in range(25)]  # the stream resampler hands audio on in bursts
    audio = [f for f in frames if f is not None]
    assert audio and all(isinstance(f, InputAudioRawFrame) and f.sample_rate == 16000 for f in audio)
    bad = ["{oops", "[]", '{"event": "ring", "streamSid": "x"}',
           json.dumps({"event": "media", "streamSid": SID, "media": {"payload": "!!not-base64!!"}}),
           json.dumps({"event": "media", "streamSid": SID})]
    for raw in bad:
        assert await ser.deserialize(raw) is None
    assert ser.errors == len(bad)
    assert await ser.deserialize(json.dumps(protocol.connected())) is None
    assert await ser.deserialize(json.dumps(protocol.start(SID, "CA1", "AC1", {}))) is None
    assert ser.errors == len(bad)


async def test_outbound_track_and_empty_media_are_ignored():
    ser = make()
    msg = protocol.media(SID, b"\x00" * 160, 2, 1, 0)
    msg["media"]["track"] = "outbound"
    assert await ser.deserialize(json.dumps(msg)) is None
    assert await ser.deserialize(json.dumps(protocol.outbound_media(SID, b""))) is None
    assert ser.errors == 0


async def test_mark_and_stop_are_surfaced():
    marks, stops = [], []
    ser = make(on_mark=marks.append, on_stop=lambda: stops.append(True))
    assert await ser.deserialize(json.dumps(protocol.mark(SID, "meal", 5))) is None
    assert await ser.deserialize(json.dumps(protocol.stop(SID, "CA1", "AC1", 6))) is None
    assert marks == ["meal"] and ser.marks == ["meal"] and stops == [True] and ser.stopped


async def test_callback_errors_do_not_break_the_call():
    ser = make(on_mark=lambda name: 1 / 0)
    assert await ser.deserialize(json.dumps(protocol.mark(SID, "meal"))) is None
    assert ser.marks == ["meal"]


async def test_dtmf():
    frame = await make().deserialize(json.dumps(protocol.dtmf(SID, "5", 3)))
    assert isinstance(frame, InputDTMFFrame) and frame.button.value == "5"


async def test_serialize_audio_clear_and_marks():
    ser = make()
    out = json.loads(await ser.serialize(OutputAudioRawFrame(audio=b"\x00\x10" * 320, sample_rate=8000, num_channels=1)))
    assert out["event"] == "media" and out["streamSid"] == SID and len(base64.b64decode(out["media"]["payload"])) == 320
    assert json.loads(await ser.serialize(InterruptionFrame())) == {"event": "clear", "streamSid": SID}
    mark = protocol.mark(SID, "meal")
    assert json.loads(await ser.serialize(OutputTransportMessageFrame(message=mark))) == mark


def test_hang_up_needs_credentials():
    with pytest.raises(ValueError, match="auto_hang_up"):
        CallSerializer(stream_sid=SID, call_sid="CA1", hang_up=True)
    CallSerializer(stream_sid=SID)  # no credentials needed without hang-up


async def test_hang_up_posts_to_twilio_rest_api():
    posts = []
    api = FastAPI()

    @api.post("/2010-04-01/Accounts/{account}/Calls/{call}.json")
    async def update_call(account: str, call: str, request: Request):
        posts.append((account, call, dict(await request.form()), request.headers.get("authorization")))
        return {"sid": call, "status": "completed"}

    async with serve(api) as base:
        ser = CallSerializer(stream_sid=SID, call_sid="CA9", account_sid="AC9", auth_token="secret",
                             hang_up=True, base_url=base)
        assert await ser.serialize(EndFrame()) is None
        assert await ser.serialize(EndFrame()) is None  # only once
    assert len(posts) == 1
    account, call, form, auth = posts[0]
    assert (account, call, form) == ("AC9", "CA9", {"Status": "completed"})
    assert auth == "Basic " + base64.b64encode(b"AC9:secret").decode()
