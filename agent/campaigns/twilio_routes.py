"""Twilio's callbacks for campaign calls, mounted on the agent's server.

``POST /campaigns/twilio/answer`` — Twilio's answer webhook with answering-machine detection: a person
(or "unknown") is redirected to the agent's ``/twiml`` stream; a machine hears a short Korean message
and the attempt ends as ``voicemail`` (the retry policy decides about another try).
``POST /campaigns/twilio/status`` — status callbacks: ringing / answered update the live attempt; an
ending records it (retry or final) and wakes the waiting dialer. Signatures are checked with Twilio's
``RequestValidator`` when an auth token is set; a bad signature is 403, a garbled callback 400, an
unknown CallSid 404, each logged.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from loguru import logger
from twilio.twiml.voice_response import VoiceResponse

from agent.campaigns.service import ENDED, CampaignService
from agent.campaigns.twilio_placer import MACHINE, STATUS_MAP
from agent.campaigns.waiters import Waiters
from telephony.routes import DEFAULT_PASSTHROUGH
from telephony.security import TwilioSignatureChecker

VOICEMAIL_MESSAGE = ("안녕하세요, 안부 확인 전화 드렸습니다. 별일 없으시길 바랍니다. 다음에 다시 전화드리겠습니다.")


def make_campaign_router(service: CampaignService, *, auth_token: str | None, public_base_url: str,
                         waiters: Waiters | None = None, queue=None,
                         voicemail_message: str = VOICEMAIL_MESSAGE) -> APIRouter:
    router = APIRouter(prefix="/campaigns/twilio")
    checker = TwilioSignatureChecker(auth_token, public_base_url or None) if auth_token else None
    waiters = waiters or Waiters()

    async def form_of(request: Request) -> dict[str, str] | Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        if checker is not None and not await checker.check(request):
            logger.warning(f"refused {request.url.path}: bad or missing X-Twilio-Signature")
            return Response("invalid signature", status_code=403)
        return form

    async def ended(attempt_id: str, status: str, call_id: str | None, detail: str | None) -> None:
        finished = await asyncio.to_thread(service.finish, attempt_id, status, call_id=call_id, detail=detail)
        await waiters.notify(attempt_id, {"status": status})
        if finished.retry_at is not None and queue is not None:
            await queue.wake()

    @router.post("/answer")
    async def answer(request: Request) -> Response:
        form = await form_of(request)
        if isinstance(form, Response):
            return form
        attempt_id = request.query_params.get("attempt", "")
        response = VoiceResponse()
        if form.get("AnsweredBy", "") in MACHINE:
            response.say(voicemail_message, language="ko-KR")
            response.hangup()
            if attempt_id:
                await ended(attempt_id, "voicemail", None, f"answering machine ({form['AnsweredBy']}); message left")
            return Response(str(response), media_type="application/xml")
        query = {k: v for k, v in request.query_params.items() if k in DEFAULT_PASSTHROUGH}
        if attempt_id:
            await asyncio.to_thread(service.progress, attempt_id, "in_progress")
        response.redirect(f"{public_base_url.rstrip('/')}/twiml?{urlencode(query)}", method="POST")
        return Response(str(response), media_type="application/xml")

    @router.post("/status")
    async def status(request: Request) -> Response:
        form = await form_of(request)
        if isinstance(form, Response):
            return form
        call_sid, call_status = form.get("CallSid", "").strip(), form.get("CallStatus", "").strip()
        if not call_sid or call_status not in STATUS_MAP:
            logger.warning(f"garbled status callback: CallSid={call_sid!r} CallStatus={call_status!r}")
            return Response("expected CallSid and a known CallStatus", status_code=400)
        attempt_id = request.query_params.get("attempt") or await asyncio.to_thread(service.attempt_by_sid, call_sid)
        view = await asyncio.to_thread(service.view, attempt_id) if attempt_id else None
        if view is None or (view.call_sid and view.call_sid != call_sid):
            logger.warning(f"status callback for unknown call {call_sid} (attempt {attempt_id or '?'})")
            return Response("unknown CallSid", status_code=404)
        if view.call_sid is None:  # the callback beat the dialer's write of the SID
            await asyncio.to_thread(service.set_call_sid, view.id, call_sid)
        mapped = STATUS_MAP[call_status]
        if view.status in ENDED:
            logger.info(f"status callback {call_status} for attempt {view.id}, already {view.status}")
        elif mapped in ENDED:
            if mapped == "completed" and form.get("AnsweredBy", "") in MACHINE:
                mapped = "voicemail"
            call_id = await asyncio.to_thread(service.call_id_by_sid, call_sid)
            detail = f"Twilio: {call_status}" + (f" ({form['SipResponseCode']})" if form.get("SipResponseCode") else "")
            await ended(view.id, mapped, call_id, detail)
        elif mapped != "dialing":
            await asyncio.to_thread(service.progress, view.id, mapped)
        return Response(status_code=204)

    return router


def mount_campaigns(app, settings, store) -> None:
    """Add the campaign callbacks to the agent's app (Redis wakes the scheduler and dialers when set)."""
    from agent.campaigns.queue import RedisJobQueue

    redis = queue = None
    if settings.redis_url:
        import redis.asyncio as aioredis

        redis = aioredis.from_url(settings.redis_url, decode_responses=True)
        queue = RedisJobQueue(redis, settings.campaign_prefix)
        app.state.closers.append(redis.aclose)
    service = CampaignService(engine=store.engine)
    app.include_router(make_campaign_router(
        service, auth_token=settings.twilio_auth_token, public_base_url=settings.base_url,
        waiters=Waiters(redis, settings.campaign_prefix), queue=queue))
