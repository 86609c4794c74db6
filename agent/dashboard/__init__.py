"""The operator dashboard, served by the agent's own FastAPI server under ``/dashboard``.

``mount_dashboard(app, settings, store)`` adds the pages, the session middleware and the static files, and
returns a ``Dashboard`` whose ``listener`` receives the CallRunner's events (live page, notifications).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from loguru import logger
from starlette.middleware.sessions import SessionMiddleware

from agent.call.events import CallEvent, CallListener
from agent.dashboard import filters
from agent.dashboard.calls import CallDesk
from agent.dashboard.campaigns import CampaignBoard
from agent.dashboard.live import LiveHub, make_hub
from agent.dashboard.notify import EmailChannel, Notifier, WebhookChannel
from agent.dashboard.people import PeopleDesk
from agent.dashboard.router import router
from agent.dashboard.users import UserBook
from agent.dashboard.web import (
    SESSION_MAX_AGE_S,
    LoginRequired,
    LoginThrottle,
    RedisLoginThrottle,
    SecurityHeaders,
    make_throttle,
    secret_key,
)
from agent.recordings import RecordingShelf, recording_shelf
from agent.settings import Settings
from agent.store import AuditLog, CallStore, CampaignLedger, PeopleStore, SqlBookingBook, UserStore, utcnow
from dialog.clock import SEOUL

HERE = Path(__file__).parent
__all__ = ["Dashboard", "chain_listeners", "mount_dashboard"]


@dataclass
class Dashboard:
    users: UserBook
    audit: AuditLog
    calls: CallDesk
    bookings: SqlBookingBook
    campaigns: CampaignBoard
    hub: LiveHub
    notifier: Notifier
    templates: Jinja2Templates
    people: PeopleDesk
    recordings: RecordingShelf  # every storage a call's recording may be in (agent/recordings)
    throttle: LoginThrottle | RedisLoginThrottle = field(default_factory=LoginThrottle)
    tz: tzinfo = SEOUL
    clock: Callable[[], datetime] = utcnow  # "now" of every page (today's calls and bookings, reports); tests set it

    async def listener(self, event: CallEvent) -> None:
        """Feed a CallEvent to the live page and the notifications."""
        await chain_listeners(self.hub, self.notifier)(event)


def chain_listeners(*listeners: CallListener | None) -> CallListener:
    """One listener calling each given one in turn; one failing does not keep the others from the event."""
    present = [listener for listener in listeners if listener is not None]

    async def chained(event: CallEvent) -> None:
        for listener in present:
            try:
                await listener(event)
            except Exception:
                logger.exception(f"call listener {listener!r} failed on {event.kind}")

    return chained


def notification_channels(settings: Settings) -> list[WebhookChannel | EmailChannel]:
    channels: list[WebhookChannel | EmailChannel] = []
    if settings.webhook_url:
        if not settings.webhook_secret:
            logger.warning("CARECALL_WEBHOOK_URL is set without CARECALL_WEBHOOK_SECRET: webhook alerts are off")
        else:
            channels.append(WebhookChannel(settings.webhook_url, settings.webhook_secret, settings.webhook_min_severity))
    if settings.smtp_host and settings.smtp_to:
        channels.append(
            EmailChannel(
                settings.smtp_host,
                settings.smtp_port,
                settings.smtp_from,
                [a.strip() for a in settings.smtp_to.split(",") if a.strip()],
                settings.email_min_severity,
                settings.smtp_username,
                settings.smtp_password,
                settings.smtp_starttls,
            )
        )
    return channels


def mount_dashboard(app: FastAPI, settings: Settings, store: CallStore) -> Dashboard:
    templates = Jinja2Templates(directory=HERE / "templates")
    filters.install(templates.env)
    dashboard = Dashboard(
        users=UserBook(UserStore(store.engine)),
        audit=AuditLog(store.engine),
        calls=CallDesk(store),
        bookings=SqlBookingBook(store.engine),
        campaigns=CampaignBoard(CampaignLedger(store.engine)),
        hub=make_hub(settings.redis_url),
        notifier=Notifier(store, notification_channels(settings), settings.base_url),
        templates=templates,
        people=PeopleDesk(PeopleStore(store.engine), SEOUL),
        recordings=recording_shelf(settings),
        throttle=make_throttle(settings.redis_url),
    )
    app.state.dashboard = dashboard
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(settings.dashboard_secret_key, settings.data_dir),
        session_cookie="carecall_session",
        max_age=SESSION_MAX_AGE_S,
        path="/dashboard",
        same_site="strict",
        https_only=settings.dashboard_https_only,
    )
    app.add_middleware(SecurityHeaders, prefix="/dashboard")  # every /dashboard response, redirects included
    app.include_router(router)
    app.mount("/dashboard/static", StaticFiles(directory=HERE / "static"), name="dashboard-static")

    @app.exception_handler(LoginRequired)
    async def _to_login(request: Request, _exc: LoginRequired) -> RedirectResponse:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/dashboard/login?next={quote(target)}", status_code=303)

    return dashboard
