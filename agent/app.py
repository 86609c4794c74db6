"""The agent's web server: Twilio webhooks and media streams (and later the operator dashboard)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from loguru import logger

from agent.call.events import CallListener
from agent.call.runner import CallRunner
from agent.dashboard import chain_listeners, mount_dashboard
from agent.call.engines import Engines
from agent.settings import Settings
from agent.store import CallStore
from telephony.routes import TelephonyConfig, make_router


def create_app(
    settings: Settings,
    engines: Engines,
    store: CallStore,
    listener: CallListener | None = None,
) -> FastAPI:
    """Build the FastAPI app serving ``POST /twiml`` and the ``/ws`` media stream."""
    app = FastAPI(title="carecall agent", lifespan=_close_at_shutdown)
    app.state.closers = []  # async callables run when the server stops (Redis clients and the like)
    dashboard = mount_dashboard(app, settings, store)  # /dashboard; live page and alerts hear every call
    runner = CallRunner(engines, store, settings, chain_listeners(listener, dashboard.listener))
    config = TelephonyConfig(
        auth_token=settings.twilio_auth_token,
        public_base_url=settings.base_url,
        require_stream_token=True,
    )
    app.include_router(make_router(runner, config))
    from agent.campaigns.twilio_routes import mount_campaigns  # outbound campaigns: Twilio callbacks

    mount_campaigns(app, settings, store)
    app.state.closers.append(dashboard.hub.broker.close)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    app.state.settings = settings
    app.state.store = store
    app.state.runner = runner
    return app


@asynccontextmanager
async def _close_at_shutdown(app: FastAPI) -> AsyncIterator[None]:
    yield
    closers: list[Callable[[], Awaitable[None]]] = getattr(app.state, "closers", [])
    for close in closers:
        try:
            await close()
        except Exception:
            logger.exception(f"closing {close!r} at shutdown failed")
