"""``GET /metrics``: the process's Prometheus metrics (``agent.observability.metrics``).

Outside the dashboard's login on purpose: Prometheus scrapes with no session cookie, and the page holds
counts and timings only, never a name, number or word of a call. Where the port is reachable by more than
the monitoring network, set ``CARECALL_METRICS_TOKEN`` and have the scraper send it as a bearer token
(``authorization: Bearer …``, Prometheus' ``bearer_token``/``authorization`` setting); a missing or wrong
token is a 401.

With ``CARECALL_REDIS_URL`` set, each scrape first reads the campaign queue's depth from Redis (at most
``QUEUE_READ_TIMEOUT_S``; a Redis that does not answer leaves the last value and is logged, the scrape goes on).
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from loguru import logger

from agent.observability.metrics import CONTENT_TYPE_LATEST, METRICS, CallMetrics
from agent.settings import Settings

QUEUE_READ_TIMEOUT_S = 1.0
QueueDepth = Callable[[], Awaitable[tuple[int, int]]]


def mount_metrics(app: FastAPI, settings: Settings, metrics: CallMetrics = METRICS) -> None:
    """Add ``GET /metrics``; with Redis, a campaign-queue reader closed with the app (``app.state.closers``)."""
    depth: QueueDepth | None = None
    if settings.redis_url:
        from agent.campaigns.queue import RedisJobQueue

        queue = RedisJobQueue.from_url(settings.redis_url, settings.campaign_prefix)
        depth = queue.depth
        app.state.closers.append(queue.close)
    token = settings.metrics_token

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics(request: Request) -> Response:
        if token and not _bearer_matches(request.headers.get("authorization"), token):
            return Response("metrics need the bearer token (CARECALL_METRICS_TOKEN)\n", status_code=401,
                            headers={"WWW-Authenticate": "Bearer"}, media_type="text/plain")
        if depth is not None:
            await read_queue_depth(depth, metrics)
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


async def read_queue_depth(depth: QueueDepth, metrics: CallMetrics) -> None:
    try:
        waiting, claimed = await asyncio.wait_for(depth(), QUEUE_READ_TIMEOUT_S)
    except Exception as exc:  # Redis away: the metrics of the calls still matter
        logger.warning(f"campaign queue depth not read from Redis: {type(exc).__name__}")
        return
    metrics.campaign_queue_depth(waiting, claimed)


def _bearer_matches(header: str | None, token: str) -> bool:
    scheme, _, given = (header or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
