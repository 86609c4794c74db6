"""Real calls through Twilio's REST API.

``calls.create`` dials the contact with answering-machine detection (``DetectMessageEnd``); Twilio then
fetches ``/campaigns/twilio/answer``, which sends a person on to the agent's ``/twiml`` stream and leaves
a machine a short message (``twilio_routes``). Status callbacks (initiated, ringing, answered, completed,
and the unanswered endings) go to ``/campaigns/twilio/status``, which records the attempt's end; the
dialer holds its concurrency slots until then.

A ``calls.create`` that fails after the request may have reached Twilio (a timeout, a reset connection, a 5xx)
leaves it open whether the phone is ringing: the attempt ends ``unknown``, never ``failed``, and the next attempt
first looks the call up (``reconcile``: the SID a status callback recorded meanwhile, else ``calls.list`` by
number and start time) and dials only when Twilio has no such call. Only a 4xx, Twilio's refusal, is ``failed``.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from urllib.parse import urlencode

from loguru import logger

from agent.campaigns.placers import Outcome, Progress, campaign_parameters
from agent.campaigns.service import ENDED, AttemptRecord, AttemptView, CampaignService, Claim
from agent.campaigns.waiters import Waiters

# Twilio's CallStatus → the attempt's status
STATUS_MAP = {
    "queued": "dialing", "initiated": "dialing", "ringing": "ringing", "in-progress": "in_progress",
    "answered": "in_progress", "completed": "completed", "busy": "busy", "no-answer": "no_answer",
    "failed": "failed", "canceled": "failed",
}
STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]
MACHINE = ("machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax")
CLOCK_SKEW = timedelta(minutes=2)  # our clock against Twilio's, when looking a call up by its start time


class TwilioPlacer:
    name = "twilio"

    def __init__(self, client, service: CampaignService, waiters: Waiters, *, from_number: str, base_url: str,
                 store=None, ring_timeout_s: int = 30, max_call_s: float = 600.0, poll_s: float = 5.0):
        self.client = client  # twilio.rest.Client
        self.service = service
        self.waiters = waiters
        self.from_number = from_number
        self.base_url = base_url.rstrip("/")
        self.store = store
        self.ring_timeout_s = ring_timeout_s
        self.max_call_s = max_call_s
        self.poll_s = poll_s  # how often a call found live during reconciliation is asked about

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
        query.update(campaign_parameters(claim))  # passed on to the stream: on-call person, disclosure wording
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
            if exc.status < 500:
                return Outcome("failed", None, f"Twilio refused the call: {exc.status} {exc.msg}")
            return self._ambiguous(claim, f"Twilio answered {exc.status} {exc.msg}")
        except Exception as exc:  # timeout, reset connection: the request may have reached Twilio
            return self._ambiguous(claim, f"{type(exc).__name__}: {exc}")
        await asyncio.to_thread(self.service.set_call_sid, claim.attempt_id, call.sid)
        ended = await self.waiters.wait(claim.attempt_id, self.service, self.ring_timeout_s + self.max_call_s + 60)
        view = await asyncio.to_thread(self.service.view, claim.attempt_id)
        if ended and view is not None and view.status in ENDED:
            return Outcome(view.status, view.call_id)  # recorded by the status callback already
        logger.warning(f"attempt {claim.attempt_id}: no final status callback for {call.sid}; asking Twilio")
        return await self._fetch(call.sid)

    async def recover(self, attempt: AttemptView) -> Outcome:
        if not attempt.call_sid:
            # it may have died after Twilio took the request: looked up before the contact is dialled again
            return Outcome("unknown", None, f"dialer {attempt.dialer} stopped before Twilio answered the request")
        return await self._fetch(attempt.call_sid)

    def _ambiguous(self, claim: Claim, why: str) -> Outcome:
        logger.warning(f"attempt {claim.attempt_id}: Twilio may or may not have placed the call ({why}); "
                       "recorded unknown, looked up before any retry")
        return Outcome("unknown", None, f"Twilio may have placed the call: {why}")

    async def reconcile(self, earlier: AttemptRecord, claim: Claim) -> Outcome | None:
        """Find the call ``earlier`` may have placed: the SID a status callback recorded, else Twilio's calls to
        this number from our number since that attempt started. Waits for a call still live to end."""
        call_sid = earlier.call_sid or await asyncio.to_thread(self._find_call, earlier, claim)
        if call_sid is None:
            return None
        if earlier.call_sid is None:
            await asyncio.to_thread(self.service.set_call_sid, earlier.id, call_sid)
        deadline = asyncio.get_running_loop().time() + self.ring_timeout_s + self.max_call_s + 60
        while True:
            call = await asyncio.to_thread(self.client.calls(call_sid).fetch)
            if STATUS_MAP.get(call.status, "failed") in ENDED or asyncio.get_running_loop().time() > deadline:
                outcome = await self._ended(call_sid, call)
                detail = f"not dialled again: attempt {earlier.attempt_no}'s call {call_sid} was placed ({call.status})"
                return Outcome(outcome.status, outcome.call_id, detail)
            await asyncio.sleep(self.poll_s)

    def _find_call(self, earlier: AttemptRecord, claim: Claim) -> str | None:
        since = (earlier.started_at or earlier.scheduled_for) - CLOCK_SKEW
        for call in self.client.calls.list(to=claim.phone, from_=self.from_number, start_time_after=since, limit=20):
            owner = self.service.attempt_by_sid(call.sid)
            if owner is None or owner == earlier.id:  # not a call another attempt already accounts for
                return call.sid
        return None

    async def _fetch(self, call_sid: str) -> Outcome:
        """How Twilio says the call went (for a lost callback, or a dialer that died)."""
        try:
            call = await asyncio.to_thread(self.client.calls(call_sid).fetch)
        except Exception as exc:
            return Outcome("failed", None, f"could not fetch {call_sid} from Twilio: {exc}")
        return await self._ended(call_sid, call)

    async def _ended(self, call_sid: str, call) -> Outcome:
        """The attempt's outcome from Twilio's record of the call; a call still live is hung up."""
        status = STATUS_MAP.get(call.status, "failed")
        if status not in ENDED:
            # Still live: end it rather than leave a call nobody accounts for.
            await asyncio.to_thread(self.client.calls(call_sid).update, status="completed")
            return Outcome("failed", None, f"call {call_sid} was still {call.status}; hung up")
        if status == "completed" and getattr(call, "answered_by", None) in MACHINE:
            status = "voicemail"
        record = self.store.call_by_sid(call_sid) if self.store is not None else None
        return Outcome(status, record.id if record else None, f"Twilio: {call.status}")
