"""The router over a real uvicorn server on 127.0.0.1, dialled with the websockets client."""

import asyncio
import json

import httpx
import pytest
import websockets
from fastapi import FastAPI
from telephony_testkit import serve
from twilio.request_validator import RequestValidator

from telephony import protocol
from telephony.routes import CLOSE_INTERNAL_ERROR, CLOSE_POLICY_VIOLATION, CLOSE_START_TIMEOUT, TelephonyConfig, make_router
from telephony.simulator.phone import parse_stream_twiml

TOKEN = "test-auth-token"
CALL = "CA" + "a" * 32
FORM = {"CallSid": CALL, "AccountSid": "AC" + "0" * 32, "From": "+821012345678", "To": "+8215880000"}


class Handler:
    def __init__(self, fail: bool = False):
        self.starts = []
        self.fail = fail

    async def __call__(self, websocket, start):
        self.starts.append(start)
        if self.fail:
            raise RuntimeError("boom")
        await websocket.send_text(json.dumps(protocol.mark(start.stream_sid, "hello")))


def app_for(handler, **config):
    config.setdefault("auth_token", None)
    config.setdefault("public_base_url", "http://127.0.0.1")
    config.setdefault("start_timeout_s", 0.5)
    app = FastAPI()
    app.include_router(make_router(handler, TelephonyConfig(**config),
                                   parameters_for=lambda form, query: {"hook": form.get("CallStatus", "none")}))
    return app


async def stream_params(base: str, query: str = "") -> dict[str, str]:
    async with httpx.AsyncClient() as client:
        r = await client.post(f"{base}/twiml{query}", data=FORM)
    assert r.status_code == 200, r.text
    return parse_stream_twiml(r.text)[1]


async def call(ws_url: str, params: dict[str, str], before: list = (), start: bool = True):
    """Dial like Twilio; returns (messages received, close code)."""
    received = []
    async with websockets.connect(ws_url) as ws:
        for raw in before:
            await ws.send(raw)
        if start:
            await ws.send(json.dumps(protocol.start("MZ" + "1" * 32, CALL, FORM["AccountSid"], params)))
        try:
            async for raw in ws:
                received.append(json.loads(raw))
        except websockets.ConnectionClosed:
            pass
        await ws.wait_closed()
        return received, ws.close_code


async def test_twiml_then_stream_happy_path():
    handler = Handler()
    async with serve(app_for(handler)) as base:
        async with httpx.AsyncClient() as client:
            r = await client.post(f"{base}/twiml?scenario=care_call&person_id=42&evil=1", data=FORM)
        assert r.headers["content-type"].startswith("application/xml")
        url, params = parse_stream_twiml(r.text)
        assert url == "ws://127.0.0.1/ws"
        assert params["token"] and params["from_number"] == FORM["From"] and params["to_number"] == FORM["To"]
        assert params["scenario"] == "care_call" and params["person_id"] == "42" and "evil" not in params
        assert params["hook"] == "none"
        ws_url = base.replace("http", "ws") + "/ws"
        received, code = await call(ws_url, params, before=[json.dumps(protocol.connected())])
    assert received == [protocol.mark("MZ" + "1" * 32, "hello")] and code == 1000
    (start,) = handler.starts
    assert start.call_sid == CALL and start.from_number == FORM["From"] and start.to_number == FORM["To"]
    assert start.custom_parameters["scenario"] == "care_call" and "token" not in start.custom_parameters


async def test_get_twiml_for_convenience():
    async with serve(app_for(Handler())) as base:
        async with httpx.AsyncClient() as client:
            r = await client.get(f"{base}/twiml?From=%2B821011112222&scenario=x")
    params = parse_stream_twiml(r.text)[1]
    assert params["from_number"] == "+821011112222" and params["scenario"] == "x"


async def test_media_before_start_and_garbage_are_skipped():
    handler = Handler()
    garbage = ["not json", "[1]", '{"event": "ring"}', '{"event": "media", "streamSid": "MZ", "media": {"payload": "@@"}}',
               b"\x00\x01binary", json.dumps(protocol.mark("MZ", "x"))]
    async with serve(app_for(handler)) as base:
        params = await stream_params(base)
        early_media = json.dumps(protocol.media("MZ" + "1" * 32, b"\xff" * 160, 2, 1, 0))
        _, code = await call(base.replace("http", "ws") + "/ws", params,
                             before=[json.dumps(protocol.connected()), early_media, early_media, *garbage])
    assert code == 1000 and len(handler.starts) == 1


@pytest.mark.parametrize("token", [None, "forged"])
async def test_missing_or_unknown_token_refused(token):
    handler = Handler()
    async with serve(app_for(handler)) as base:
        await stream_params(base)
        params = {"token": token} if token else {}
        received, code = await call(base.replace("http", "ws") + "/ws", params)
    assert code == CLOSE_POLICY_VIOLATION and received == [] and handler.starts == []


async def test_reused_token_refused():
    handler = Handler()
    async with serve(app_for(handler)) as base:
        params = await stream_params(base)
        _, first = await call(base.replace("http", "ws") + "/ws", params)
        _, second = await call(base.replace("http", "ws") + "/ws", params)
    assert (first, second) == (1000, CLOSE_POLICY_VIOLATION) and len(handler.starts) == 1


async def test_missing_token_allowed_when_not_required_but_bad_one_still_refused():
    handler = Handler()
    async with serve(app_for(handler, require_stream_token=False)) as base:
        _, ok = await call(base.replace("http", "ws") + "/ws", {"scenario": "x"})
        _, bad = await call(base.replace("http", "ws") + "/ws", {"token": "forged"})
    assert (ok, bad) == (1000, CLOSE_POLICY_VIOLATION)


async def test_no_start_times_out():
    async with serve(app_for(Handler())) as base:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        _, code = await call(base.replace("http", "ws") + "/ws", {}, before=[json.dumps(protocol.connected())],
                             start=False)
        assert code == CLOSE_START_TIMEOUT and 0.4 < loop.time() - t0 < 3


async def test_handler_exception_closes_cleanly():
    async with serve(app_for(Handler(fail=True))) as base:
        params = await stream_params(base)
        _, code = await call(base.replace("http", "ws") + "/ws", params)
    assert code == CLOSE_INTERNAL_ERROR


async def test_signature_checked_against_public_url():
    public = "https://agent.example.com"
    async with serve(app_for(Handler(), auth_token=TOKEN, public_base_url=public)) as base:
        url = f"{public}/twiml?scenario=care_call"
        good = RequestValidator(TOKEN).compute_signature(url, FORM)
        async with httpx.AsyncClient() as client:
            ok = await client.post(f"{base}/twiml?scenario=care_call", data=FORM, headers={"X-Twilio-Signature": good})
            tampered = await client.post(f"{base}/twiml?scenario=care_call", data={**FORM, "From": "+821000000000"},
                                         headers={"X-Twilio-Signature": good})
            other_query = await client.post(f"{base}/twiml?scenario=evil", data=FORM, headers={"X-Twilio-Signature": good})
            missing = await client.post(f"{base}/twiml?scenario=care_call", data=FORM)
    assert ok.status_code == 200 and parse_stream_twiml(ok.text)[0] == "wss://agent.example.com/ws"
    assert (tampered.status_code, other_query.status_code, missing.status_code) == (403, 403, 403)


async def test_signature_url_from_forwarded_headers_without_public_base():
    async with serve(app_for(Handler(), auth_token=TOKEN, public_base_url="")) as base:
        good = RequestValidator(TOKEN).compute_signature("https://tunnel.example.org/twiml", FORM)
        headers = {"X-Twilio-Signature": good, "X-Forwarded-Proto": "https", "Host": "tunnel.example.org"}
        async with httpx.AsyncClient() as client:
            ok = await client.post(f"{base}/twiml", data=FORM, headers=headers)
            plain = await client.post(f"{base}/twiml", data=FORM, headers={**headers, "X-Forwarded-Proto": "http"})
    assert ok.status_code == 200 and parse_stream_twiml(ok.text)[0] == "wss://tunnel.example.org/ws"
    assert plain.status_code == 403


async def test_signature_failure_is_logged(caplog_loguru):
    async with serve(app_for(Handler(), auth_token=TOKEN)) as base:
        async with httpx.AsyncClient() as client:
            r = await client.post(f"{base}/twiml", data=FORM, headers={"X-Twilio-Signature": "bogus"})
    assert r.status_code == 403
    assert any("X-Twilio-Signature" in m and "WARNING" in m for m in caplog_loguru)
