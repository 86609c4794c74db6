"""Assembling scheduler and dialers from the settings: Redis when ``CARECALL_REDIS_URL`` is set (separate
processes, any number of dialers on any machines), otherwise one process with an in-memory queue."""

from __future__ import annotations

import asyncio
import os
import socket
from dataclasses import dataclass
from datetime import timedelta

from agent.campaigns.dialer import Dialer, DialerConfig
from agent.campaigns.network import SimulatedNetwork
from agent.campaigns.placers import Placer
from agent.campaigns.queue import JobQueue, MemoryJobQueue, RedisJobQueue
from agent.campaigns.scheduler import Scheduler
from agent.campaigns.service import CampaignService, Claim
from agent.campaigns.slots import MemorySlots, RedisSlots, Slots
from agent.settings import Settings
from agent.store import CallStore

PLACERS = ("auto", "twilio", "phone", "carrier")


@dataclass
class Backend:
    queue: JobQueue
    slots: Slots
    redis: object | None = None

    async def close(self) -> None:
        await self.queue.close()


def backend(settings: Settings) -> Backend:
    if not settings.redis_url:
        return Backend(MemoryJobQueue(), MemorySlots())
    import redis.asyncio as aioredis

    redis = aioredis.from_url(settings.redis_url, decode_responses=True)
    lease_ms = int(settings.dialer_lease_s * 1000)
    return Backend(RedisJobQueue(redis, settings.campaign_prefix), RedisSlots(redis, settings.campaign_prefix, lease_ms),
                   redis)


def dialer_config(settings: Settings, name: str | None = None) -> DialerConfig:
    node = settings.dialer_node or socket.gethostname()
    return DialerConfig(
        name=name or f"{node}-{os.getpid()}", node=node, node_cap=settings.dialer_node_max_concurrent,
        global_cap=settings.campaign_global_max_concurrent, lease_ms=int(settings.dialer_lease_s * 1000),
    )


def make_placer(kind: str, settings: Settings, store: CallStore, back: Backend, *, seed: int = 0,
                ring_s: float = 0.05, turn_s: float = 0.01, base_url: str | None = None) -> Placer:
    """``auto``: Twilio when its credentials and caller ID are set, else the audio phone simulator."""
    if kind == "auto":
        kind = "twilio" if settings.twilio_configured and settings.twilio_from_number else "phone"
    network = SimulatedNetwork(seed=seed)
    if kind == "carrier":
        from agent.campaigns.carrier import SimulatedCarrier

        return SimulatedCarrier(store, network, ring_s=ring_s, turn_s=turn_s, ledger=_ledger(back, settings))
    if kind == "phone":
        from agent.campaigns.phone import PhoneSimulatorPlacer

        return PhoneSimulatorPlacer(base_url or settings.base_url, store, network,
                                    auth_token=settings.twilio_auth_token, models_dir=settings.models_dir)
    if kind == "twilio":
        from agent.campaigns.twilio_placer import TwilioPlacer, Waiters

        return TwilioPlacer.from_settings(settings, store, Waiters(back.redis, settings.campaign_prefix))
    raise ValueError(f"unknown placer '{kind}' ({', '.join(PLACERS)})")


def _ledger(back: Backend, settings: Settings):
    """With Redis, the simulated network logs every dial (attempt id → count) across all dialers."""
    if back.redis is None:
        return None
    key = f"{settings.campaign_prefix}:carrier:dials"

    async def log(claim: Claim) -> None:
        await back.redis.hincrby(key, claim.attempt_id, 1)

    return log


async def run_scheduler(settings: Settings, service: CampaignService, back: Backend, stop: asyncio.Event,
                        idle_s: float = 30.0) -> Scheduler:
    scheduler = Scheduler(service, back.queue, redis=back.redis, lock_name=f"{settings.campaign_prefix}:scheduler",
                          idle_s=idle_s, requeue_after=timedelta(seconds=max(60.0, settings.dialer_lease_s * 4)))
    await scheduler.run(stop)
    return scheduler


async def run_dialer(service: CampaignService, back: Backend, placer: Placer, config: DialerConfig,
                     stop: asyncio.Event) -> Dialer:
    dialer = Dialer(service, back.queue, back.slots, placer, config)
    await dialer.run(stop)
    return dialer


async def run_embedded(settings: Settings, service: CampaignService, back: Backend, placer: Placer,
                       stop: asyncio.Event, idle_s: float = 5.0) -> None:
    """Scheduler and one dialer in this process (the demo, ``campaign start --run``). Without Redis this is
    the only dialer, so calls an earlier run left live are settled first (never redialed)."""
    if back.redis is None:
        for job in await asyncio.to_thread(service.live_attempts):
            await back.queue.enqueue(job)
    dialer_stop = asyncio.Event()
    dialer = asyncio.create_task(run_dialer(service, back, placer, dialer_config(settings), dialer_stop))
    try:
        await run_scheduler(settings, service, back, stop, idle_s=idle_s)
    finally:
        dialer_stop.set()
        await dialer
