"""A server that takes no new calls (draining to stop): ``/twiml`` answers 503, so Twilio dials the number's
fallback URL, and a new media stream is refused with 503 before its handshake; both open again when it takes
calls. Real uvicorn on 127.0.0.1, the websockets client."""

import json

import httpx
import pytest
import websockets
from fastapi import FastAPI
from telephony_testkit import serve

from telephony import protocol
from telephony.routes import TelephonyConfig, make_router
from telephony.simulator.phone import parse_stream_twiml

CALL = "CA" + "d" * 32
FORM = {"CallSid": CALL, "AccountSid": "AC" + "0" * 32, "From": "+821012345678", "To": "+8215880000"}


async def test_no_new_calls_while_the_server_is_not_accepting_them():
    accepting, started = [True], []

    async def handler(websocket, start):
        started.append(start.call_sid)
        await websocket.send_text(json.dumps(protocol.mark(start.stream_sid, "hello")))

    app = FastAPI()
    config = TelephonyConfig(auth_token=None, public_base_url="http://127.0.0.1", accepting_calls=lambda: accepting[0])
    app.include_router(make_router(handler, config))
    async with serve(app) as base, httpx.AsyncClient() as client:
        ws_url = base.replace("http://", "ws://") + "/ws"
        twiml = await client.post(f"{base}/twiml", data=FORM)  # issued while taking calls…
        _, params = parse_stream_twiml(twiml.text)

        accepting[0] = False  # …and now draining
        refused = await client.post(f"{base}/twiml", data=FORM)
        assert refused.status_code == 503 and refused.headers["retry-after"]
        with pytest.raises(websockets.InvalidStatus) as denied:
            async with websockets.connect(ws_url):
                pass
        assert denied.value.response.status_code == 503
        assert started == []

        accepting[0] = True
        async with websockets.connect(ws_url) as ws:
            await ws.send(json.dumps(protocol.start("MZ" + "1" * 32, CALL, FORM["AccountSid"], params)))
            assert json.loads(await ws.recv())["event"] == "mark"
        assert started == [CALL]
