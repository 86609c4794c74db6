"""Live call events for the dashboard: CallEvents fanned out to every open page as server-sent events.

With a Redis URL the events go through Redis pub/sub, so pages served by one process see calls handled by
another; without one, an in-process broadcaster does the same within a single server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import asdict, is_dataclass
from typing import Any, Protocol

from loguru import logger

from agent.call.events import CallEvent
from dialog.scenario import labels_for

DEFAULT_CHANNEL = "carecall:call-events"
QUEUE_SIZE = 256  # a page that stops reading loses its oldest events, never blocks a call


def event_payload(event: CallEvent) -> dict[str, Any]:
    """A JSON-safe dict of a CallEvent (flags in ``data`` are dataclasses). A finished call's outcome comes
    with its Korean name too (``outcome_label``, the call's scenario's own), so pages show no raw codes."""
    data = _jsonable(event.data)
    if event.kind == "ended" and isinstance(data, dict) and data.get("outcome"):
        data["outcome_label"] = labels_for(data.get("scenario")).outcome(data["outcome"])
    return {
        "kind": event.kind,
        "call_id": event.call_id,
        "text": event.text,
        "state": event.state,
        "data": data,
    }


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return _jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if hasattr(value, "__dict__"):  # flag-like objects
        return _jsonable(vars(value))
    return str(value)


class Broker(Protocol):
    async def publish(self, message: dict[str, Any]) -> None: ...

    def subscribe(self) -> AsyncIterator[dict[str, Any]]: ...

    async def close(self) -> None: ...


class LocalBroker:
    """Fan-out to subscribers of this process."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue] = set()

    async def publish(self, message: dict[str, Any]) -> None:
        for queue in list(self._queues):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(message)

    async def subscribe(self) -> AsyncIterator[dict[str, Any]]:
        queue: asyncio.Queue = asyncio.Queue(QUEUE_SIZE)
        self._queues.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues.discard(queue)

    @property
    def subscribers(self) -> int:
        return len(self._queues)

    async def close(self) -> None:
        self._queues.clear()


class RedisBroker:
    """Pub/sub on one Redis channel; every subscriber has its own connection."""

    def __init__(self, url: str, channel: str = DEFAULT_CHANNEL):
        import redis.asyncio as redis

        self.channel = channel
        self._redis = redis.from_url(url)

    async def publish(self, message: dict[str, Any]) -> None:
        await self._redis.publish(self.channel, json.dumps(message, ensure_ascii=False))

    async def subscribe(self) -> AsyncIterator[dict[str, Any]]:
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(self.channel)
        try:
            async for raw in pubsub.listen():
                if raw.get("type") == "message":
                    try:
                        yield json.loads(raw["data"])
                    except (ValueError, TypeError):
                        logger.warning("ignored a malformed live event from Redis")
        finally:
            with contextlib.suppress(Exception):
                await pubsub.unsubscribe(self.channel)
                await pubsub.aclose()

    async def close(self) -> None:
        await self._redis.aclose()


class LiveHub:
    """The CallRunner listener that publishes every CallEvent; publishing errors never reach the call."""

    def __init__(self, broker: Broker):
        self.broker = broker

    async def __call__(self, event: CallEvent) -> None:
        try:
            await self.broker.publish(event_payload(event))
        except Exception:
            logger.exception("could not publish a live call event")

    def subscribe(self) -> AsyncIterator[dict[str, Any]]:
        return self.broker.subscribe()


def make_hub(redis_url: str | None, channel: str = DEFAULT_CHANNEL) -> LiveHub:
    return LiveHub(RedisBroker(redis_url, channel) if redis_url else LocalBroker())


async def sse_stream(hub: LiveHub, is_disconnected, heartbeat_s: float = 15.0) -> AsyncIterator[str]:
    """Server-sent events from the hub, with a comment line as heartbeat so proxies keep the stream open."""
    events = hub.subscribe()
    yield ": connected\n\n"
    pending: asyncio.Task | None = None
    try:
        while not await is_disconnected():
            if pending is None:
                pending = asyncio.ensure_future(anext(events))
            done, _ = await asyncio.wait({pending}, timeout=heartbeat_s)
            if not done:
                yield ": keep-alive\n\n"
                continue
            message, pending = pending.result(), None
            yield f"event: call\ndata: {json.dumps(message, ensure_ascii=False)}\n\n"
    finally:
        if pending is not None:
            pending.cancel()
            with contextlib.suppress(BaseException):
                await pending
        await events.aclose()
