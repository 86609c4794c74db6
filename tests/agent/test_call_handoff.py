"""Handing a live call to a person: the TwiML, the Twilio REST update (the real ``twilio`` client against the
simulator's fake REST API), the serializer's hang-up held while the person takes the call, and which on-call
number a call gets."""

from __future__ import annotations

import pytest
from pipecat.frames.frames import EndFrame

from agent.call.handoff import CallHandoff, TransferError, TwilioCallUpdater, dial_twiml, on_call_number
from agent.settings import Settings
from telephony.routes import StreamStart
from telephony.serializer import CallSerializer
from telephony.simulator.twilio_api import FakeTwilioApi

ACCOUNT = "AC" + "3" * 32
TOKEN = "token"
CALL = "CA" + "4" * 32


class Phone:
    def __init__(self):
        self.twiml: list[str] = []

    def redirect(self, twiml: str) -> None:
        self.twiml.append(twiml)


@pytest.fixture
def api():
    with FakeTwilioApi() as fake:
        yield fake


def test_dial_twiml_says_then_dials():
    assert dial_twiml("+821012345678", "연결 중입니다.").endswith(
        '<Response><Say language="ko-KR">연결 중입니다.</Say><Dial>+821012345678</Dial></Response>'
    )
    assert "<Say" not in dial_twiml("+821012345678")


def test_the_transfer_updates_the_live_call_and_holds_the_hang_up(api):
    phone = Phone()
    api.attach(CALL, phone)
    serializer = CallSerializer(stream_sid="MZ1", call_sid=CALL, account_sid=ACCOUNT, auth_token=TOKEN,
                                hang_up=True, base_url=api.url)  # fmt: skip
    handoff = CallHandoff(TwilioCallUpdater(ACCOUNT, TOKEN, api_url=api.url), CALL, serializer)
    handoff.transfer("+821012345678", "연결 중입니다.")
    assert phone.twiml == [dial_twiml("+821012345678", "연결 중입니다.")]
    assert api.updates(CALL) == [{"Twiml": phone.twiml[0]}]
    assert handoff.taken_over_by == "+821012345678"


async def test_a_handed_over_call_is_not_hung_up_when_the_stream_ends(api):
    api.attach(CALL, Phone())
    serializer = CallSerializer(stream_sid="MZ1", call_sid=CALL, account_sid=ACCOUNT, auth_token=TOKEN,
                                hang_up=True, base_url=api.url)  # fmt: skip
    serializer.keep_call_up(True)
    await serializer.serialize(EndFrame())
    assert api.updates(CALL) == []  # the person keeps the call
    serializer.keep_call_up(False)
    await serializer.serialize(EndFrame())
    assert api.updates(CALL) == [{"Status": "completed"}]  # an ordinary end of dialog hangs up


async def test_a_refused_transfer_raises_and_gives_the_hang_up_back(api):
    serializer = CallSerializer(stream_sid="MZ1", call_sid=CALL, account_sid=ACCOUNT, auth_token=TOKEN,
                                hang_up=True, base_url=api.url)  # fmt: skip
    handoff = CallHandoff(TwilioCallUpdater(ACCOUNT, TOKEN, api_url=api.url), CALL, serializer)
    with pytest.raises(TransferError, match="404"):  # the fake knows no such call
        handoff.transfer("+821012345678")
    assert handoff.taken_over_by is None
    await serializer.serialize(EndFrame())  # the dialog's goodbye hangs up as usual
    assert api.updates(CALL)[-1] == {"Status": "completed"}


def test_an_unreachable_twilio_is_a_transfer_error():
    updater = TwilioCallUpdater(ACCOUNT, TOKEN, api_url="http://127.0.0.1:9", timeout_s=2)
    with pytest.raises(TransferError, match="could not be reached"):
        updater.update(CALL, dial_twiml("+821012345678"))


def start(**parameters: str) -> StreamStart:
    return StreamStart("MZ1", CALL, ACCOUNT, dict(parameters))


def test_which_on_call_number_a_call_gets():
    twilio = Settings(twilio_account_sid=ACCOUNT, twilio_auth_token=TOKEN, handoff_number="010-1111-2222")
    assert on_call_number(twilio, start(), None) == "+821011112222"  # the server's default
    assert on_call_number(twilio, start(handoff_number="+821033334444"), None) == "+821033334444"  # the campaign's
    assert on_call_number(twilio, start(handoff_number="+821033334444"), "+8225550199") == "+8225550199"  # the line's
    assert on_call_number(twilio, start(handoff_number="not a number"), None) == "+821011112222"
    no_twilio = Settings(handoff_number="010-1111-2222")
    assert on_call_number(no_twilio, start(), "+8225550199") is None  # no live call to update: a call back
    assert on_call_number(Settings(twilio_account_sid=ACCOUNT, twilio_auth_token=TOKEN), start(), None) is None


def test_a_bad_default_number_is_refused_at_start_up():
    with pytest.raises(ValueError, match="handoff_number"):
        Settings(handoff_number="12345")
