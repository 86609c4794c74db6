"""The agent's web server: Twilio webhooks and media streams, the operator dashboard, campaign callbacks.

At start-up (the ASGI lifespan) it closes the calls a dead process left open (``recover_abandoned_calls``)
and starts the alert delivery worker; ``run_server`` runs it under uvicorn so that a graceful stop (SIGTERM)
first drains (no new calls; those in progress may end) and marks the calls it cuts ``server_stopped``.
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
from agent.call.stream_tokens import RedisStreamTokens
from agent.drain import Drain, DrainingServer
from agent.readiness import call_server_checks, readiness
from telephony.limits import StreamLimits
from telephony.routes import TelephonyConfig, make_router
from telephony.security import StreamTokens

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
    # SIGTERM drains (agent/drain.py); stream tokens in Redis let any server take a call's /ws.
    drain = Drain(settings.max_call_s if settings.drain_timeout_s is None else settings.drain_timeout_s)
    tokens = RedisStreamTokens.from_url(settings.redis_url) if settings.redis_url else None
    config = TelephonyConfig(
        auth_token=settings.twilio_auth_token,
        public_base_url=settings.base_url,
        require_stream_token=True,
        limits=StreamLimits.for_calls(
            settings.max_call_s, burst_s=settings.stream_burst_s, max_message_bytes=settings.stream_max_message_bytes
        ),
        tokens=tokens or StreamTokens(),
        accepting_calls=drain.accepting_calls,
    )
    app.include_router(make_router(drain.track(runner), config))
    if tokens is not None:
        app.state.closers.append(lambda: asyncio.to_thread(tokens.close))
    from agent.campaigns.twilio_routes import mount_campaigns  # outbound campaigns: Twilio callbacks

    mount_campaigns(app, settings, store)
    from agent.observability.routes import mount_metrics  # GET /metrics (Prometheus)

    mount_metrics(app, settings)
    app.state.closers.append(dashboard.hub.broker.close)
    app.state.closers.append(notifier.stop)
    app.state.starters = [  # run in order when the server starts, before it takes calls
        lambda: asyncio.to_thread(recover_abandoned_calls, settings, store, notifier.routes),
        _started(notifier.start),
        # after the recovery: store the spooled recordings of ended calls (S3), then retry every few minutes
        _started(lambda: runner.recordings.start(settings.recording_retry_s)),
    ]
    app.state.closers.append(runner.recordings.stop)
    from agent.retention import retention_worker  # recordings and transcripts past their retention period

    retention = retention_worker(settings, store)
    app.state.starters.append(_started(retention.start))
    app.state.closers.append(retention.stop)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    checks = call_server_checks(engines, store, drain, redis_ping=tokens.ping if tokens else None)

    @app.get("/ready")
    async def ready(response: Response) -> dict:
        """For a load balancer: 503 while draining, while the scenario's fixed prompts are still being synthesised
        at start-up, or while the database or Redis does not answer (agent/readiness.py); each check's status."""
        ok, answer = await readiness(checks)
        response.status_code = 200 if ok else 503
        return answer

    app.state.settings = settings
    app.state.store = store
    app.state.runner = runner
    app.state.drain = drain
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
    """uvicorn, draining on SIGTERM (``agent.drain``: no new calls, those in progress may end) and telling the
    call runner before it cuts calls, so they are recorded ``server_stopped`` rather than hung up by the caller."""
    runner: CallRunner = app.state.runner
    # uvicorn refuses a websocket message over the stream cap before buffering it (telephony.limits). Its log
    # records go through the server's own logging (agent.cli.logs), in the text or JSON format chosen there.
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning", log_config=None,
                            ws_max_size=settings.stream_max_message_bytes)
    DrainingServer(config, app.state.drain, on_cut=runner.server_stopping).run()  # SIGTERM: drain first


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
