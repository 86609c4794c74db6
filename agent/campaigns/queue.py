"""The job queue between the scheduler and the dialers.

``RedisJobQueue``: a Redis Stream read through one consumer group. XREADGROUP hands each job to one
dialer; the job stays in that dialer's pending list until XACK; a live dialer keeps its pending jobs fresh
(XCLAIM to itself, which resets their idle time), so XAUTOCLAIM by another dialer takes over only the jobs
of a dialer that stopped. Dialers also keep an ``alive`` key with a short expiry, so a job reclaimed from
a slow but living dialer is left alone.

``MemoryJobQueue``: the same contract in one process (the embedded default, no Redis).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from agent.campaigns.service import Job

GROUP = "dialers"


@dataclass(frozen=True)
class Delivery:
    message_id: str
    job: Job


class JobQueue(Protocol):
    async def enqueue(self, job: Job) -> None: ...
    async def read(self, consumer: str, count: int, block_ms: int) -> list[Delivery]: ...
    async def reclaim(self, consumer: str, min_idle_ms: int, count: int) -> list[Delivery]: ...
    async def keep(self, consumer: str, message_ids: list[str]) -> None: ...
    async def ack(self, delivery: Delivery) -> None: ...
    async def heartbeat(self, consumer: str, ttl_ms: int) -> None: ...
    async def is_alive(self, consumer: str) -> bool: ...
    async def wake(self) -> None: ...
    async def wait_wake(self, timeout_s: float) -> None: ...
    async def close(self) -> None: ...


class RedisJobQueue:
    def __init__(self, redis, prefix: str):
        self.redis = redis  # redis.asyncio.Redis(decode_responses=True)
        self.stream = f"{prefix}:jobs"
        self.control = f"{prefix}:wake"
        self.prefix = prefix
        self._wake_last = "$"
        self._ready = False

    @classmethod
    def from_url(cls, url: str, prefix: str) -> RedisJobQueue:
        import redis.asyncio as aioredis

        return cls(aioredis.from_url(url, decode_responses=True), prefix)

    async def _group(self) -> None:
        if self._ready:
            return
        from redis.exceptions import ResponseError

        try:
            await self.redis.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._ready = True

    async def enqueue(self, job: Job) -> None:
        await self._group()
        await self.redis.xadd(self.stream, {"attempt": job.attempt_id, "campaign": job.campaign_id})

    async def read(self, consumer: str, count: int, block_ms: int) -> list[Delivery]:
        await self._group()
        with self._group_kept():
            reply = await self.redis.xreadgroup(GROUP, consumer, {self.stream: ">"}, count=count, block=block_ms)
        return [d for _, messages in reply or [] for d in _deliveries(messages)]

    async def reclaim(self, consumer: str, min_idle_ms: int, count: int) -> list[Delivery]:
        await self._group()
        with self._group_kept():
            _next, messages, *_ = await self.redis.xautoclaim(self.stream, GROUP, consumer, min_idle_ms, "0-0",
                                                              count=count)
        return list(_deliveries(messages))

    @contextlib.contextmanager
    def _group_kept(self) -> Iterator[None]:
        """A Redis that came back without its data (no persistence) has no group: made again next time."""
        from redis.exceptions import ResponseError

        try:
            yield
        except ResponseError as exc:
            if "NOGROUP" in str(exc):
                self._ready = False
            raise

    async def keep(self, consumer: str, message_ids: list[str]) -> None:
        if message_ids:
            await self.redis.xclaim(self.stream, GROUP, consumer, 0, message_ids, justid=True)

    async def ack(self, delivery: Delivery) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xack(self.stream, GROUP, delivery.message_id)
            pipe.xdel(self.stream, delivery.message_id)  # one group: an acknowledged job is done with
            await pipe.execute()

    async def heartbeat(self, consumer: str, ttl_ms: int) -> None:
        await self.redis.set(f"{self.prefix}:alive:{consumer}", "1", px=ttl_ms)

    async def is_alive(self, consumer: str) -> bool:
        return bool(await self.redis.exists(f"{self.prefix}:alive:{consumer}"))

    async def wake(self) -> None:
        await self.redis.xadd(self.control, {"wake": "1"}, maxlen=100, approximate=True)

    async def wait_wake(self, timeout_s: float) -> None:
        reply = await self.redis.xread({self.control: self._wake_last}, block=max(1, int(timeout_s * 1000)))
        if reply:
            self._wake_last = reply[-1][1][-1][0]

    async def pending(self) -> int:
        await self._group()
        return (await self.redis.xpending(self.stream, GROUP))["pending"]

    async def depth(self) -> tuple[int, int]:
        """Jobs waiting for a dialer and jobs claimed by one (read, not acknowledged yet): for monitoring."""
        claimed = await self.pending()
        return max(await self.redis.xlen(self.stream) - claimed, 0), claimed

    async def close(self) -> None:
        await self.redis.aclose()


def _deliveries(messages) -> list[Delivery]:
    out = []
    for message_id, fields in messages or []:
        if not fields or "attempt" not in fields:  # deleted meanwhile, or not ours
            continue
        out.append(Delivery(message_id, Job(fields["attempt"], fields.get("campaign", ""))))
    return out


class MemoryJobQueue:
    """One process: an asyncio queue; nothing to reclaim, every consumer is this process."""

    def __init__(self) -> None:
        self._jobs: deque[Delivery] = deque()
        self._available = asyncio.Event()
        self._woken = asyncio.Event()
        self._seq = 0
        self._alive: set[str] = set()

    async def enqueue(self, job: Job) -> None:
        self._seq += 1
        self._jobs.append(Delivery(str(self._seq), job))
        self._available.set()

    async def read(self, consumer: str, count: int, block_ms: int) -> list[Delivery]:
        if not self._jobs:
            self._available.clear()
            try:
                await asyncio.wait_for(self._available.wait(), block_ms / 1000)
            except TimeoutError:
                return []
        return [self._jobs.popleft() for _ in range(min(count, len(self._jobs)))]

    async def reclaim(self, consumer: str, min_idle_ms: int, count: int) -> list[Delivery]:
        return []

    async def keep(self, consumer: str, message_ids: list[str]) -> None:
        return None

    async def ack(self, delivery: Delivery) -> None:
        return None

    async def heartbeat(self, consumer: str, ttl_ms: int) -> None:
        self._alive.add(consumer)

    async def is_alive(self, consumer: str) -> bool:
        return consumer in self._alive  # a dialer of an earlier process is gone

    async def wake(self) -> None:
        self._woken.set()

    async def wait_wake(self, timeout_s: float) -> None:
        try:
            await asyncio.wait_for(self._woken.wait(), timeout_s)
        except TimeoutError:
            pass
        self._woken.clear()

    async def close(self) -> None:
        return None
