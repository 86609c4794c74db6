"""The agent's web server: Twilio webhooks and media streams, the operator dashboard, campaign callbacks.

At start-up (the ASGI lifespan) it closes the calls a dead process left open (``recover_abandoned_calls``)
and starts the alert delivery worker; ``run_server`` runs it under uvicorn so that a graceful stop (SIGTERM)
marks the calls it cuts ``server_stopped``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Response
from loguru import logger

from agent.call.events import CallListener
from agent.call.ownership import owner_alive
from agent.call.recording import repair_wav
from agent.call.runner import CallRunner
from agent.dashboard import chain_listeners, mount_dashboard
from agent.call.engines import Engines
from agent.settings import Settings
from agent.store import AlertRoute, CallStore
from telephony.limits import StreamLimits
from telephony.routes import TelephonyConfig, make_router

ABANDONED_AFTER_S = 120  # beyond the longest call (max_call_s): a call open this long has no live process


def create_app(
    settings: Settings,
    engines: Engines,
    store: CallStore,
    listener: CallListener | None = None,
) -> FastAPI:
    """Build the FastAPI app serving ``POST /twiml`` and the ``/ws`` media stream."""
    app = FastAPI(title="carecall agent", lifespan=_lifespan)
    app.state.closers = []  # async callables run when the server stops (Redis clients and the like)
    dashboard = mount_dashboard(app, settings, store)  # /dashboard; live page and alerts hear every call
    notifier = dashboard.notifier
    runner = CallRunner(engines, store, settings, chain_listeners(listener, dashboard.listener), alerts=notifier.routes)
    config = TelephonyConfig(
        auth_token=settings.twilio_auth_token,
        public_base_url=settings.base_url,
        require_stream_token=True,
        limits=StreamLimits.for_calls(
            settings.max_call_s, burst_s=settings.stream_burst_s, max_message_bytes=settings.stream_max_message_bytes
        ),
    )
    app.include_router(make_router(runner, config))
    from agent.campaigns.twilio_routes import mount_campaigns  # outbound campaigns: Twilio callbacks

    mount_campaigns(app, settings, store)
    app.state.closers.append(dashboard.hub.broker.close)
    app.state.closers.append(notifier.stop)
    app.state.starters = [  # run in order when the server starts, before it takes calls
        lambda: asyncio.to_thread(recover_abandoned_calls, settings, store, notifier.routes),
        _started(notifier.start),
    ]

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready")
    async def ready(response: Response) -> dict[str, str]:
        """For a load balancer: 503 while the scenario's fixed prompts are still being synthesised at start-up
        (a call taken now would wait on that work for the CPU), 200 once every prompt plays from the cache."""
        if engines is not None and engines.warming:
            response.status_code = 503
            return {"status": "warming", "pending": "synthesis of the scenario's fixed prompts"}
        return {"status": "ready"}

    app.state.settings = settings
    app.state.store = store
    app.state.runner = runner
    return app


def recover_abandoned_calls(
    settings: Settings, store: CallStore, routes: Sequence[AlertRoute], now: datetime | None = None
) -> list[str]:
    """Close the calls a process that died left ``in_progress`` (its owner is gone, or it is older than any
    call can be) as ``interrupted``, keeping what was journaled and alerting on their flags through the
    outbox; make their recordings playable. Returns their ids."""
    recovered = store.recover_abandoned(
        timedelta(seconds=settings.max_call_s + ABANDONED_AFTER_S), now, owner_alive=owner_alive, alerts=routes
    )
    for call_id in recovered:
        path = store.recording_path(call_id)
        if path and not (Path(path).is_file() and repair_wav(Path(path))):
            store.link_recording(call_id, None)  # nothing playable was left
    if recovered:
        logger.warning(f"{len(recovered)} call(s) left open by a stopped server closed as interrupted: {recovered}")
    return recovered


def run_server(app: FastAPI, settings: Settings) -> None:
    """uvicorn, telling the call runner first when a signal asks the server to stop, so the calls it cuts
    are recorded ``server_stopped`` rather than hung up by the caller."""
    runner: CallRunner = app.state.runner

    class _Server(uvicorn.Server):
        def handle_exit(self, sig, frame) -> None:
            runner.server_stopping()
            super().handle_exit(sig, frame)

    # uvicorn refuses a websocket message over the stream cap before buffering it (telephony.limits).
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning",
                            ws_max_size=settings.stream_max_message_bytes)
    _Server(config).run()


def _started(start: Callable[[], None]) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        start()

    return run


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    starters: list[Callable[[], Awaitable[object]]] = getattr(app.state, "starters", [])
    for begin in starters:
        try:
            await begin()
        except Exception:  # a server that cannot recover old calls still takes new ones
            logger.exception("a start-up step failed")
    yield
    closers: list[Callable[[], Awaitable[None]]] = getattr(app.state, "closers", [])
    for close in closers:
        try:
            await close()
        except Exception:
            logger.exception(f"closing {close!r} at shutdown failed")
