"""The two endpoints a Twilio number needs: the TwiML webhook and the media-stream websocket."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from fastapi import APIRouter, Request, Response, WebSocket, WebSocketDisconnect
from loguru import logger
from starlette.websockets import WebSocketState

from telephony.protocol import Connected, Media, ProtocolError, Start, parse_message
from telephony.security import StreamTokens, TwilioSignatureChecker
from telephony.twiml import stream_twiml

POLICY_VIOLATION = 1008


@dataclass(frozen=True)
class StreamStart:
    """What the agent learns when a media stream starts."""

    stream_sid: str
    call_sid: str
    account_sid: str
    custom_parameters: dict[str, str]
    from_number: str | None = None
    to_number: str | None = None


StreamHandler = Callable[[WebSocket, StreamStart], Awaitable[None]]
ParametersHook = Callable[[dict[str, str], dict[str, str]], dict[str, str]]


@dataclass
class TelephonyConfig:
    public_base_url: str  # http(s)://host[:port]; the stream URL is its ws(s) twin + /ws
    auth_token: str | None = None
    require_stream_token: bool = True
    start_timeout_s: float = 10.0
    tokens: StreamTokens = field(default_factory=StreamTokens)

    @property
    def ws_url(self) -> str:
        base = self.public_base_url.rstrip("/")
        if base.startswith("https://"):
            return "wss://" + base.removeprefix("https://") + "/ws"
        return "ws://" + base.removeprefix("http://") + "/ws"


def make_router(
    handler: StreamHandler,
    config: TelephonyConfig,
    parameters_for: ParametersHook | None = None,
) -> APIRouter:
    """``POST /twiml`` answers Twilio with a ``<Connect><Stream>``; ``WS /ws`` runs the call.

    ``parameters_for(form, query)`` may add stream parameters (the scenario, the person) from the
    webhook's form fields and query string.
    """
    router = APIRouter()
    checker = TwilioSignatureChecker(config.auth_token, config.public_base_url) if config.auth_token else None

    @router.api_route("/twiml", methods=["GET", "POST"])
    async def twiml(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()} if request.method == "POST" else {}
        query = dict(request.query_params)
        if checker is not None:
            path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            url = checker.public_url(path, str(request.url))
            params = form if request.method == "POST" else {}
            if not checker.is_valid(url, params, request.headers.get("X-Twilio-Signature")):
                logger.warning(f"refused /twiml from {request.client}: bad or missing X-Twilio-Signature")
                return Response("invalid signature", status_code=403)
        call_sid = form.get("CallSid") or query.get("CallSid", "")
        parameters = {
            "token": config.tokens.issue(call_sid),
            "from_number": form.get("From") or query.get("From", ""),
            "to_number": form.get("To") or query.get("To", ""),
            "direction": form.get("Direction") or query.get("direction", "inbound"),
        }
        for key in ("scenario", "name", "phone", "person_id", "campaign_id"):
            if query.get(key):
                parameters[key] = query[key]
        if parameters_for:
            parameters.update(parameters_for(form, query))
        return Response(stream_twiml(config.ws_url, parameters), media_type="application/xml")

    @router.websocket("/ws")
    async def media_stream(websocket: WebSocket) -> None:
        await websocket.accept()
        peer = websocket.client
        try:
            start = await asyncio.wait_for(_await_start(websocket), timeout=config.start_timeout_s)
        except TimeoutError:
            logger.warning(f"media stream from {peer}: no 'start' within {config.start_timeout_s:.0f}s; closing")
            await _close(websocket, POLICY_VIOLATION, "no start message")
            return
        except WebSocketDisconnect:
            logger.warning(f"media stream from {peer}: closed before 'start'")
            return
        token = start.custom_parameters.get("token")
        if not config.tokens.consume(token, start.call_sid):
            if config.require_stream_token or token:
                logger.warning(
                    f"refused media stream {start.stream_sid} (call {start.call_sid}) from {peer}: "
                    f"{'missing' if not token else 'unknown, expired or reused'} stream token"
                )
                await _close(websocket, POLICY_VIOLATION, "stream not started by our TwiML")
                return
            logger.warning(f"media stream {start.stream_sid} without a token accepted (tokens not required)")
        params = dict(start.custom_parameters)
        params.pop("token", None)
        stream = StreamStart(
            stream_sid=start.stream_sid,
            call_sid=start.call_sid,
            account_sid=start.account_sid,
            custom_parameters=params,
            from_number=params.get("from_number") or None,
            to_number=params.get("to_number") or None,
        )
        try:
            await handler(websocket, stream)
        except Exception:
            logger.exception(f"call on stream {start.stream_sid} failed")
        finally:
            await _close(websocket, 1000, "call ended")

    return router


async def _await_start(websocket: WebSocket) -> Start:
    """Read until ``start``; log and skip ``connected``, early media and garbage."""
    early_media = 0
    while True:
        raw = await websocket.receive_text()
        try:
            message = parse_message(raw)
        except ProtocolError as exc:
            logger.warning(f"media stream: skipped a bad message before start ({exc})")
            continue
        if isinstance(message, Start):
            if early_media:
                logger.warning(f"media stream {message.stream_sid}: ignored {early_media} media before start")
            return message
        if isinstance(message, Media):
            early_media += 1
        elif not isinstance(message, Connected):
            logger.warning(f"media stream: ignored '{type(message).__name__.lower()}' before start")


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.client_state == WebSocketState.CONNECTED and websocket.application_state == WebSocketState.CONNECTED:
        try:
            await websocket.close(code=code, reason=reason)
        except (RuntimeError, WebSocketDisconnect):
            pass
