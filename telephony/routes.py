"""The two endpoints a Twilio number needs: the TwiML webhook and the media-stream websocket.

``POST /twiml`` (GET too, for trying it by hand) checks Twilio's signature when an auth token is
configured, issues a one-time stream token and answers ``<Connect><Stream url=…/ws>``. ``WS /ws`` does the
Media Streams handshake (``connected`` → ``start``), checks the token, then hands the socket to the
agent's ``handler(websocket, StreamStart)``. From the first message on, the socket is a ``MediaSocket``: the
input caps of ``telephony.limits`` apply, and ``websocket.refusal`` says why the agent closed a stream. While
``config.accepting_calls()`` is False (the server is draining to stop) both answer 503 instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from fastapi import APIRouter, Request, Response, WebSocket, WebSocketDisconnect
from loguru import logger
from starlette.websockets import WebSocketState

from telephony.limits import MediaSocket, StreamLimits
from telephony.protocol import Connected, Media, ProtocolError, Start, parse_message
from telephony.security import StreamTokens, TokenStore, TwilioSignatureChecker
from telephony.twiml import stream_twiml

CLOSE_NORMAL = 1000
CLOSE_POLICY_VIOLATION = 1008  # missing / unknown / reused stream token
CLOSE_INTERNAL_ERROR = 1011  # the call handler raised
CLOSE_START_TIMEOUT = 4408  # no 'start' within start_timeout_s
CLOSE_TRY_AGAIN_LATER = 1013  # the server takes no calls now (draining), where no HTTP 503 can be sent
POLICY_VIOLATION = CLOSE_POLICY_VIOLATION  # old name

# Query parameters of the webhook URL passed on to the stream (the agent puts them there when it
# places an outbound call: /twiml?scenario=care_call&person_id=42). Twilio signs the whole URL.
DEFAULT_PASSTHROUGH = ("scenario", "name", "person_name", "person_id", "phone", "campaign_id", "direction",
                       "handoff_number", "organization", "disclosure")  # fmt: skip


@dataclass(frozen=True)
class StreamStart:
    """What the agent learns when a media stream starts (the token already removed)."""

    stream_sid: str
    call_sid: str
    account_sid: str
    custom_parameters: dict[str, str]
    from_number: str | None = None
    to_number: str | None = None


StreamHandler = Callable[[MediaSocket, StreamStart], Awaitable[None]]
# (form fields of Twilio's webhook POST, query parameters) → extra stream parameters
ParametersHook = Callable[[dict[str, str], dict[str, str]], dict[str, str]]


@dataclass
class TelephonyConfig:
    auth_token: str | None
    public_base_url: str  # http(s)://host[:port] as Twilio reaches us ("" = from the request's headers)
    require_stream_token: bool = True
    start_timeout_s: float = 5.0
    ws_path: str = "/ws"
    public_ws_url: str | None = None  # overrides the URL derived from public_base_url
    passthrough_query: tuple[str, ...] = DEFAULT_PASSTHROUGH
    tokens: TokenStore = field(default_factory=StreamTokens)
    limits: StreamLimits = field(default_factory=StreamLimits)  # what one stream may send (telephony.limits)
    # False while the server takes no new calls (it is draining to stop): /twiml answers 503, so Twilio uses the
    # number's fallback URL, and a new /ws is refused with 503 before its handshake.
    accepting_calls: Callable[[], bool] = lambda: True

    @property
    def ws_url(self) -> str:
        if self.public_ws_url:
            return self.public_ws_url
        base = self.public_base_url.rstrip("/")
        if base.startswith("https://"):
            base = "wss://" + base.removeprefix("https://")
        elif base.startswith("http://"):
            base = "ws://" + base.removeprefix("http://")
        return base + self.ws_path


def make_router(
    handler: StreamHandler,
    config: TelephonyConfig,
    parameters_for: ParametersHook | None = None,
) -> APIRouter:
    """The ``/twiml`` webhook and the ``/ws`` media stream for ``handler``.

    ``parameters_for(form, query)`` may add stream parameters (the scenario, the person) from the
    webhook's form fields and query string; they arrive in ``StreamStart.custom_parameters``.
    """
    router = APIRouter()
    # Without a public base URL the signed URL is rebuilt from the request (X-Forwarded-Proto/Host).
    checker = TwilioSignatureChecker(config.auth_token, config.public_base_url or None) if config.auth_token else None

    @router.api_route("/twiml", methods=["GET", "POST"])
    async def twiml(request: Request) -> Response:
        if not config.accepting_calls():
            logger.warning(f"/twiml from {_peer(request.client)}: refused with 503, the server takes no new calls")
            return Response("this server takes no new calls", status_code=503, headers={"Retry-After": "5"})
        form = {k: str(v) for k, v in (await request.form()).items()} if request.method == "POST" else {}
        query = dict(request.query_params)
        if checker is not None and not await checker.check(request):
            logger.warning(
                f"refused {request.method} /twiml from {_peer(request.client)}: "
                f"{'bad' if request.headers.get('x-twilio-signature') else 'missing'} X-Twilio-Signature "
                f"(checked against {checker.signed_url(request)})"
            )
            return Response("invalid signature", status_code=403)
        call = {**query, **form}  # Twilio's fields are in the form for POST, in the query for GET
        call_sid = call.get("CallSid", "")
        parameters = {
            "token": await asyncio.to_thread(config.tokens.issue, call_sid),  # a shared store is a round trip
            "call_sid": call_sid,
            "from_number": call.get("From", ""),
            "to_number": call.get("To", ""),
            "direction": call.get("Direction", "inbound"),
        }
        for key in config.passthrough_query:
            if query.get(key):
                parameters[key] = query[key]
        if parameters_for is not None:
            parameters.update({k: str(v) for k, v in parameters_for(form, query).items()})
        ws_url = config.ws_url if (config.public_ws_url or config.public_base_url) else _ws_url_from(request, config)
        logger.info(f"/twiml: call {call_sid or '?'} from {parameters['from_number'] or '?'} → stream {ws_url}")
        return Response(stream_twiml(ws_url, parameters), media_type="application/xml")

    @router.websocket(config.ws_path)
    async def media_stream(accepted: WebSocket) -> None:
        if not config.accepting_calls():
            logger.warning(f"media stream from {_peer(accepted.client)}: refused, the server takes no new calls")
            await _refuse(accepted)
            return
        await accepted.accept()
        websocket = MediaSocket(accepted, config.limits)
        peer = _peer(websocket.client)
        try:
            start = await asyncio.wait_for(_await_start(websocket, peer), timeout=config.start_timeout_s)
        except TimeoutError:
            logger.warning(f"media stream from {peer}: no 'start' within {config.start_timeout_s:g} s; closing")
            await _close(websocket, CLOSE_START_TIMEOUT, "no start message")
            return
        except WebSocketDisconnect:
            logger.warning(f"media stream from {peer}: closed before 'start'")
            return

        token = start.custom_parameters.get("token")
        if not await asyncio.to_thread(config.tokens.consume, token, start.call_sid):
            if config.require_stream_token or token:
                why = "missing" if not token else "unknown, expired or already used"
                logger.warning(
                    f"refused media stream {start.stream_sid} (call {start.call_sid}) from {peer}: {why} stream token"
                )
                await _close(websocket, CLOSE_POLICY_VIOLATION, "stream not started by our TwiML")
                return
            logger.warning(f"media stream {start.stream_sid} from {peer} has no token; accepted (tokens not required)")

        params = {k: v for k, v in start.custom_parameters.items() if k != "token"}
        stream = StreamStart(
            stream_sid=start.stream_sid,
            call_sid=start.call_sid,
            account_sid=start.account_sid,
            custom_parameters=params,
            from_number=params.get("from_number") or None,
            to_number=params.get("to_number") or None,
        )
        logger.info(f"media stream {start.stream_sid} started: call {start.call_sid} from {stream.from_number or '?'}")
        websocket.label = f"media stream {start.stream_sid} (call {start.call_sid})"
        code, reason = CLOSE_NORMAL, "call ended"
        try:
            await handler(websocket, stream)
        except WebSocketDisconnect:
            logger.info(f"media stream {start.stream_sid}: caller closed the socket")
        except Exception:
            logger.exception(f"call handler failed on media stream {start.stream_sid} (call {start.call_sid})")
            code, reason = CLOSE_INTERNAL_ERROR, "internal error"
        finally:
            await _close(websocket, code, reason)

    return router


async def _await_start(websocket: WebSocket, peer: str) -> Start:
    """Read until ``start``: ``connected`` is expected, early media and garbage are logged and skipped."""
    early_media = 0
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        raw = message.get("text")
        if raw is None:
            raw = message.get("bytes") or b""
        try:
            parsed = parse_message(raw)
        except ProtocolError as exc:
            logger.warning(f"media stream from {peer}: skipped a bad message before start ({exc}): {str(raw)[:120]!r}")
            continue
        if isinstance(parsed, Start):
            if early_media:
                logger.warning(f"media stream {parsed.stream_sid}: ignored {early_media} media message(s) before start")
            return parsed
        if isinstance(parsed, Connected):
            logger.debug(f"media stream from {peer}: connected (protocol {parsed.protocol} {parsed.version})")
        elif isinstance(parsed, Media):
            if not early_media:
                logger.warning(f"media stream from {peer}: media before start; ignoring until start")
            early_media += 1
        else:
            logger.warning(f"media stream from {peer}: ignored '{type(parsed).__name__.lower()}' before start")


async def _refuse(websocket: WebSocket) -> None:
    """Turn a websocket away before its handshake: HTTP 503 where the server can send one, else close 1013."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(Response("this server takes no new calls", status_code=503))
    else:
        await websocket.accept()
        await _close(websocket, CLOSE_TRY_AGAIN_LATER, "server draining")


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.application_state != WebSocketState.CONNECTED or websocket.client_state == WebSocketState.DISCONNECTED:
        return
    try:
        await websocket.close(code=code, reason=reason)
    except (RuntimeError, WebSocketDisconnect, OSError):
        pass


def _ws_url_from(request: Request, config: TelephonyConfig) -> str:
    """wss://host/ws as the caller reached us, for when no public URL is configured."""
    proto = request.headers.get("x-forwarded-proto", request.url.scheme).split(",")[0].strip()
    host = (request.headers.get("x-forwarded-host") or request.headers.get("host") or request.url.netloc).split(",")[0]
    return f"{'wss' if proto == 'https' else 'ws'}://{host.strip()}{config.ws_path}"


def _peer(client) -> str:
    return f"{client.host}:{client.port}" if client else "?"
