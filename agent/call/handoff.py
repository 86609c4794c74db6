"""Handing a live call to a person: Twilio is told to replace the call's TwiML with ``<Say>`` + ``<Dial>``.

Updating a live call (``client.calls(sid).update(twiml=…)``) ends its ``<Connect><Stream>``: Twilio stops the
media stream, says the connecting words and dials the on-call number. The agent's side of the stream then
closes; it must not hang the call up as it does when a dialog ends, or the person would be cut off.
"""

from __future__ import annotations

from typing import Protocol

from loguru import logger

from agent.settings import Settings
from dialog.phone_numbers import PhoneNumberError, to_e164
from telephony.routes import StreamStart

TWILIO_API = "https://api.twilio.com"


class TransferError(RuntimeError):
    """The call could not be handed over (Twilio refused the update, or could not be reached)."""


class CallUpdater(Protocol):
    """Replaces a live call's TwiML (``TwilioCallUpdater``; tests and the phone simulator stand in)."""

    def update(self, call_sid: str, twiml: str) -> None:
        """Blocking; raises ``TransferError``."""
        ...


class HangUpSwitch(Protocol):
    """The call's serializer (``telephony.serializer.CallSerializer``): whether ending the stream hangs up."""

    def keep_call_up(self, keep: bool = True) -> None: ...


def dial_twiml(number: str, say: str = "") -> str:
    """``<Response><Say language="ko-KR">…</Say><Dial>number</Dial></Response>``."""
    from twilio.twiml.voice_response import VoiceResponse

    response = VoiceResponse()
    if say:
        response.say(say, language="ko-KR")
    response.dial(number)
    return str(response)


class TwilioCallUpdater:
    """``CallUpdater`` over the ``twilio`` REST client; ``api_url`` points it at another host (a regional edge,
    a local fake in tests)."""

    def __init__(self, account_sid: str, auth_token: str, *, api_url: str | None = None, timeout_s: float = 10.0):
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        base = (api_url or TWILIO_API).rstrip("/")

        class _HttpClient(TwilioHttpClient):
            def request(self, method, url, *args, **kwargs):
                if url.startswith(TWILIO_API):
                    url = base + url[len(TWILIO_API) :]
                return super().request(method, url, *args, **kwargs)

        self._client = Client(account_sid, auth_token, http_client=_HttpClient(timeout=timeout_s))

    def update(self, call_sid: str, twiml: str) -> None:
        from twilio.base.exceptions import TwilioRestException

        try:
            self._client.calls(call_sid).update(twiml=twiml)
        except TwilioRestException as exc:
            raise TransferError(f"Twilio refused the transfer: {exc.status} {exc.msg}") from exc
        except OSError as exc:  # requests' connection errors are OSErrors
            raise TransferError(f"Twilio could not be reached: {exc}") from exc


class CallHandoff:
    """One call's transfer to a person: hold the serializer's hang-up, update the call, and release the
    hang-up again if the update failed (the agent then says goodbye and ends the call as usual)."""

    def __init__(self, updater: CallUpdater, call_sid: str, hang_up: HangUpSwitch | None = None):
        self._updater = updater
        self._call_sid = call_sid
        self._hang_up = hang_up
        self.taken_over_by: str | None = None  # the number dialled, once Twilio took the update

    def transfer(self, number: str, say: str = "") -> None:
        """Blocking (run it in a thread); raises ``TransferError``."""
        if self._hang_up is not None:
            self._hang_up.keep_call_up(True)
        try:
            self._updater.update(self._call_sid, dial_twiml(number, say))
        except Exception:
            if self._hang_up is not None:
                self._hang_up.keep_call_up(False)
            raise
        self.taken_over_by = number
        logger.info(f"call {self._call_sid} handed to {number}")


def on_call_number(settings: Settings, start: StreamStart, line_number: str | None) -> str | None:
    """Where this call's caller is put through to: the inbound line's number, else the campaign's (the
    ``handoff_number`` stream parameter its calls carry), else the server's default. None where nobody can be
    put through (no number, or no Twilio call to update): the caller is promised a call back instead."""
    if not (settings.twilio_configured and start.call_sid):
        return None
    campaign_number = (start.custom_parameters or {}).get("handoff_number")
    if campaign_number and not line_number:
        try:
            return to_e164(campaign_number)
        except PhoneNumberError:
            logger.warning(f"call {start.call_sid}: the campaign's handoff number {campaign_number!r} is not dialable")
    return line_number or settings.handoff_number
