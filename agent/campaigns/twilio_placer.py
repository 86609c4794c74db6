"""Real calls through Twilio's REST API.

``calls.create`` dials the contact with answering-machine detection (``DetectMessageEnd``); Twilio then
fetches ``/campaigns/twilio/answer``, which sends a person on to the agent's ``/twiml`` stream and leaves
a machine a short message (``twilio_routes``). Status callbacks (initiated, ringing, answered, completed,
and the unanswered endings) go to ``/campaigns/twilio/status``, which records the attempt's end; the
dialer holds its concurrency slots until then.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

from loguru import logger

from agent.campaigns.placers import Outcome, Progress
from agent.campaigns.service import ENDED, AttemptView, CampaignService, Claim
from agent.campaigns.waiters import Waiters

# Twilio's CallStatus → the attempt's status
STATUS_MAP = {
    "queued": "dialing", "initiated": "dialing", "ringing": "ringing", "in-progress": "in_progress",
    "answered": "in_progress", "completed": "completed", "busy": "busy", "no-answer": "no_answer",
    "failed": "failed", "canceled": "failed",
}
STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]
MACHINE = ("machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax")


class TwilioPlacer:
    name = "twilio"

    def __init__(self, client, service: CampaignService, waiters: Waiters, *, from_number: str, base_url: str,
                 store=None, ring_timeout_s: int = 30, max_call_s: float = 600.0):
        self.client = client  # twilio.rest.Client
        self.service = service
        self.waiters = waiters
        self.from_number = from_number
        self.base_url = base_url.rstrip("/")
        self.store = store
        self.ring_timeout_s = ring_timeout_s
        self.max_call_s = max_call_s

    @classmethod
    def from_settings(cls, settings, store, waiters: Waiters) -> TwilioPlacer:
        from twilio.rest import Client

        if not (settings.twilio_configured and settings.twilio_from_number and settings.public_url):
            raise ValueError("the Twilio placer needs CARECALL_TWILIO_ACCOUNT_SID, _AUTH_TOKEN, "
                             "CARECALL_TWILIO_FROM_NUMBER and CARECALL_PUBLIC_URL")
        client = Client(settings.twilio_account_sid, settings.twilio_auth_token)
        return cls(client, CampaignService(engine=store.engine), waiters, from_number=settings.twilio_from_number,
                   base_url=settings.base_url, store=store, max_call_s=settings.max_call_s)

    def new_sid(self) -> None:
        return None  # Twilio assigns it

    def answer_url(self, claim: Claim) -> str:
        query = {"attempt": claim.attempt_id, "scenario": claim.scenario, "name": claim.name, "phone": claim.phone,
                 "campaign_id": claim.campaign_id, "person_id": str(claim.contact_id), "direction": "outbound"}
        return f"{self.base_url}/campaigns/twilio/answer?{urlencode(query)}"

    def status_url(self, attempt_id: str) -> str:
        return f"{self.base_url}/campaigns/twilio/status?{urlencode({'attempt': attempt_id})}"

    async def place(self, claim: Claim, progress: Progress) -> Outcome:
        from twilio.base.exceptions import TwilioRestException

        try:
            call = await asyncio.to_thread(
                self.client.calls.create, to=claim.phone, from_=self.from_number, url=self.answer_url(claim),
                method="POST", status_callback=self.status_url(claim.attempt_id), status_callback_method="POST",
                status_callback_event=STATUS_EVENTS, machine_detection="DetectMessageEnd",
                timeout=self.ring_timeout_s,
            )
        except TwilioRestException as exc:
            return Outcome("failed", None, f"Twilio refused the call: {exc.status} {exc.msg}")
        await asyncio.to_thread(self.service.set_call_sid, claim.attempt_id, call.sid)
        ended = await self.waiters.wait(claim.attempt_id, self.service, self.ring_timeout_s + self.max_call_s + 60)
        view = await asyncio.to_thread(self.service.view, claim.attempt_id)
        if ended and view is not None and view.status in ENDED:
            return Outcome(view.status, view.call_id)  # recorded by the status callback already
        logger.warning(f"attempt {claim.attempt_id}: no final status callback for {call.sid}; asking Twilio")
        return await self._fetch(call.sid)

    async def recover(self, attempt: AttemptView) -> Outcome:
        if not attempt.call_sid:
            return Outcome("failed", None, f"dialer {attempt.dialer} stopped before Twilio answered the request")
        return await self._fetch(attempt.call_sid)

    async def _fetch(self, call_sid: str) -> Outcome:
        """How Twilio says the call went (for a lost callback, or a dialer that died)."""
        try:
            call = await asyncio.to_thread(self.client.calls(call_sid).fetch)
        except Exception as exc:
            return Outcome("failed", None, f"could not fetch {call_sid} from Twilio: {exc}")
        status = STATUS_MAP.get(call.status, "failed")
        if status not in ENDED:
            # Still live: end it rather than leave a call nobody accounts for.
            await asyncio.to_thread(self.client.calls(call_sid).update, status="completed")
            return Outcome("failed", None, f"call {call_sid} was still {call.status}; hung up")
        if status == "completed" and getattr(call, "answered_by", None) in MACHINE:
            status = "voicemail"
        record = self.store.call_by_sid(call_sid) if self.store is not None else None
        return Outcome(status, record.id if record else None, f"Twilio: {call.status}")
