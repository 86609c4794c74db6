"""A round-robin front for several call servers (the load balancer of a deployment, in a test): HTTP requests and
media-stream websockets alike are proxied to the backends in turn, and every call's webhook and stream are logged.

A real balancer may well send a call's ``/twiml`` and its ``/ws`` to the same server, and often will; this one
makes sure it never does: the stream goes to a server that did not answer the call's webhook (it reads the
``start`` message, which names the call, before it picks). That is the case a server-local stream token fails,
every time rather than now and then.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import httpx
import uvicorn
import websockets
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "host", "content-length"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class FrontLog:
    """Which backend answered what: per call SID its webhooks and streams, per backend its request count."""

    twiml: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # call SID → backends
    dialled: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # called number → webhooks
    streams: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # call SID → backends
    stream_close_codes: dict[str, int | None] = field(default_factory=dict)  # call SID → the backend's close code
    requests: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # backend → requests proxied
    timeline: list[tuple[float, str, str]] = field(default_factory=list)  # (monotonic s, what, call SID)


class RoundRobinFront:
    """``with RoundRobinFront(["http://127.0.0.1:8001", …]) as front: front.url`` — a proxy in a thread."""

    def __init__(self, backends: list[str]):
        self.backends = [b.rstrip("/") for b in backends]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = FrontLog()
        self._turn = itertools.cycle(range(len(self.backends)))
        self._stream_turn = itertools.count()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._http: httpx.AsyncClient | None = None

    def _next(self) -> str:
        """The next backend in turn, for an HTTP request."""
        backend = self.backends[next(self._turn)]
        self.log.requests[backend] += 1
        return backend

    def _stream_backend(self, call_sid: str) -> str:
        """A backend that did not answer this call's webhook (in turn among those), for its media stream."""
        answered = set(self.log.twiml.get(call_sid, []))
        others = [b for b in self.backends if b not in answered] or self.backends
        backend = others[next(self._stream_turn) % len(others)]
        self.log.requests[backend] += 1
        return backend

    # --- HTTP -----------------------------------------------------------------------------------------------

    async def _proxy_http(self, request: Request) -> Response:
        backend = self._next()
        body = await request.body()
        if request.url.path == "/twiml":
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            self.log.twiml[form.get("CallSid", "")].append(backend)
            self.log.dialled[form.get("To", "")] += 1
            self.log.timeline.append((time.monotonic(), "twiml", form.get("CallSid", "")))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        assert self._http is not None
        answer = await self._http.request(request.method, backend + request.url.path, params=request.url.query,
                                          headers=headers, content=body)
        out = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP | {"content-encoding"}}
        return Response(answer.content, status_code=answer.status_code, headers=out)

    # --- media streams ---------------------------------------------------------------------------------------

    async def _proxy_ws(self, client: WebSocket) -> None:
        await client.accept()
        early: list[str] = []
        call_sid = ""
        try:
            while True:  # Twilio sends 'connected' then 'start' (naming the call) before any audio
                message = await client.receive_text()
                early.append(message)
                event = json.loads(message)
                if event.get("event") == "start":
                    call_sid = event.get("start", {}).get("callSid", "")
                    break
        except (WebSocketDisconnect, ValueError):
            return
        backend = self._stream_backend(call_sid)
        self.log.streams[call_sid].append(backend)
        self.log.timeline.append((time.monotonic(), "stream", call_sid))
        async with websockets.connect("ws" + backend.removeprefix("http") + client.url.path, max_size=None) as server:
            for message in early:
                await server.send(message)

            async def upstream() -> None:
                try:
                    while True:
                        await server.send(await client.receive_text())
                except WebSocketDisconnect as gone:
                    await server.close(gone.code or 1000)
                except websockets.ConnectionClosed:
                    pass

            async def downstream() -> None:
                try:
                    async for message in server:
                        await client.send_text(message if isinstance(message, str) else message.decode())
                except websockets.ConnectionClosed:
                    pass
                self.log.stream_close_codes[call_sid] = server.close_code
                self.log.timeline.append((time.monotonic(), "hung up", call_sid))
                try:
                    await client.close(server.close_code or 1000)
                except RuntimeError:
                    pass  # the caller had gone already

            pumps = [asyncio.create_task(upstream()), asyncio.create_task(downstream())]
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            await asyncio.wait(pumps, timeout=5)
            for pump in pumps:
                pump.cancel()

    # --- lifetime ---------------------------------------------------------------------------------------------

    def __enter__(self) -> RoundRobinFront:
        app = Starlette(routes=[
            WebSocketRoute("/ws", self._proxy_ws),
            Route("/{path:path}", self._proxy_http, methods=["GET", "POST", "HEAD", "PUT", "DELETE"]),
        ], lifespan=self._lifespan)
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", ws_max_size=1 << 20)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="front", daemon=True)
        self._thread.start()
        for _ in range(200):
            if self._server.started:
                return self
            threading.Event().wait(0.05)
        raise RuntimeError("the front did not start")

    def __exit__(self, *exc) -> None:
        assert self._server is not None and self._thread is not None
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def _lifespan(self, app):
        front = self

        class Lifespan:
            async def __aenter__(self) -> None:
                front._http = httpx.AsyncClient(timeout=30)

            async def __aexit__(self, *exc) -> None:
                assert front._http is not None
                await front._http.aclose()

        return Lifespan()
