"""A caller presses 0 for a person: the agent tells them first, then updates the live call through Twilio's REST
API (a local fake) with <Say> + <Dial> to the on-call number; the media stream ends as Twilio ends it, and the
record (and the dashboard's call page) shows who took over."""

from __future__ import annotations

import asyncio
import re

import pytest

from agent.app import create_app
from agent.call.events import CallEvent, new_call_sid
from agent.cli.demo import persona_voice, serve_in_background
from agent.store import CallStore, migrate
from telephony.simulator.personas import load_persona
from telephony.simulator.phone import PhoneSimulator, dial
from telephony.simulator.twilio_api import FakeTwilioApi

pytestmark = pytest.mark.slow

ACCOUNT = "AC" + "2" * 32
TOKEN = "handoff-test-token"
ON_CALL = "+821099990000"
TOLD_FIRST = "담당 선생님께 바로 연결해 드릴게요. 잠시만 기다려 주세요."


def call_page(settings, store, call_id: str) -> str:
    """The call's dashboard page, as an operator sees it."""
    from fastapi.testclient import TestClient

    from agent.dashboard.users import UserBook
    from agent.store import UserStore

    UserBook(UserStore(store.engine)).add("operator", "operator-pw-123", "operator")
    client = TestClient(create_app(settings, None, store), base_url="http://testserver")
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/dashboard/login").text).group(1)
    client.post("/dashboard/login", data={"username": "operator", "password": "operator-pw-123", "csrf": csrf})
    return client.get(f"/dashboard/calls/{call_id}").text


async def test_key_0_hands_the_call_to_the_on_call_number(engines, make_settings):
    persona = load_persona("asks_for_person")
    voice = persona_voice(persona)
    await asyncio.to_thread(voice.load)
    with FakeTwilioApi() as api:
        settings = make_settings(twilio_account_sid=ACCOUNT, twilio_auth_token=TOKEN, twilio_api_url=api.url,
                                 handoff_number="010-9999-0000")  # fmt: skip
        migrate(settings.resolved_database_url)
        store = CallStore(settings.resolved_database_url)
        ended = asyncio.Event()

        async def listen(event: CallEvent) -> None:
            if event.kind == "ended":
                ended.set()

        app = create_app(settings, engines, store, listener=listen)
        async with serve_in_background(app, settings):
            call_sid = new_call_sid()
            ws_url, params = await dial(settings.base_url, call_sid=call_sid, from_number=persona.phone,
                                        to_number="+8215881234", extra_query={"name": persona.name},
                                        auth_token=TOKEN)  # fmt: skip
            phone = PhoneSimulator(ws_url, persona, voice, stream_parameters=params, call_sid=call_sid,
                                   max_duration_s=90)  # fmt: skip
            api.attach(call_sid, phone)
            call = await phone.run()
            await asyncio.wait_for(ended.wait(), timeout=30)

    # The phone: pressed 0 at the first question, heard the told-first line to its end, then Twilio took the
    # call off the stream (stop + close) and dialled the on-call number.
    assert ("callee", "0") in [(e.who, e.text) for e in call.events if e.kind == "dtmf"]
    assert call.transferred_to == ON_CALL
    assert re.search(r'<Say language="ko-KR">[^<]+</Say><Dial>\+821099990000</Dial>', call.redirect_twiml)
    kinds = [(e.kind, e.text) for e in call.events]
    assert kinds.index(("mark", "closing")) < kinds.index(("redirected", ""))  # told first, then transferred
    assert not call.timed_out and not call.server_hung_up and not call.caller_hung_up
    # The agent updated the call once, and never hung it up (that would cut the person off).
    assert api.updates(call_sid) == [{"Twiml": call.redirect_twiml}]

    (record,) = store.list_calls()
    assert record.outcome == "transferred" and record.taken_over_by == ON_CALL
    agent_lines = [t.text for t in record.turns if t.speaker == "agent"]
    assert agent_lines[-1] == TOLD_FIRST
    assert [t.text for t in record.turns if t.speaker == "caller"][-1] == "[0번 버튼]"

    page = call_page(settings, store, record.id)
    assert "담당자 연결" in page and re.search(r'class="taken-over-by">\+821099990000<', page)
