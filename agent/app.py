"""The agent's web server: Twilio webhooks and media streams (and later the operator dashboard)."""

from __future__ import annotations

from fastapi import FastAPI

from agent.call import CallListener, CallRunner
from agent.dashboard import chain_listeners, mount_dashboard
from agent.engines import Engines
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
    app = FastAPI(title="carecall agent")
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

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    app.state.settings = settings
    app.state.store = store
    app.state.runner = runner
    return app
