"""A dialer: takes jobs from the queue, holds a slot in every concurrency cap, claims the attempt in the
database (only one claim of an attempt can ever succeed), places the call and records how it ended.

A job is acknowledged only once its attempt's end is recorded, so a dialer that dies leaves its jobs
pending; another dialer reclaims them (XAUTOCLAIM) and, for a call that was already live, finds out how
it ended instead of dialing it again.

Redis may restart under it: a failed read is tried again after a pause, and a job whose end could not be
acknowledged stays pending until a dialer reclaims it and finds it already ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

from loguru import logger

from agent.campaigns.placers import Outcome, Placer
from agent.campaigns.queue import Delivery, JobQueue
from agent.campaigns.service import ACTIVE, CampaignService, Claim
from agent.campaigns.slots import Slots


def slot_holder(attempt_id: str, message_id: str) -> str:
    """Whose the slots are: one delivery of an attempt's job. Two copies of a job (the scheduler re-sends one
    that waited too long) hold and release their own slots, so the copy that loses the claim cannot free the
    slots of the one placing the call."""
    return f"{attempt_id}/{message_id}"


@dataclass
class DialerConfig:
    name: str  # unique per process: the consumer name in the group
    node: str = "local"  # the machine: the per-node cap is shared by its dialers
    node_cap: int = 4  # calls at once on this node (and the most this process takes at once)
    global_cap: int = 0  # calls at once across every campaign and node (0 = no limit)
    lease_ms: int = 30_000  # a silent dialer's jobs and slots are taken over after this
    block_ms: int = 1000
    slot_wait_s: float = 0.1


class Dialer:
    def __init__(self, service: CampaignService, queue: JobQueue, slots: Slots, placer: Placer, config: DialerConfig):
        self.service = service
        self.queue = queue
        self.slots = slots
        self.placer = placer
        self.config = config
        self._inflight: dict[str, tuple[asyncio.Task, str, dict[str, int]]] = {}
        self.placed = 0
        self.recovered = 0
        self._stop = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop`` is set; then the calls in progress finish before it returns."""
        cfg = self.config
        self._stop = stop
        beat = asyncio.create_task(self._heartbeat(stop))
        next_reclaim = 0.0
        try:
            while not stop.is_set():
                free = cfg.node_cap - len(self._inflight)
                if free <= 0:
                    await asyncio.wait([t for t, _, _ in self._inflight.values()], timeout=cfg.block_ms / 1000,
                                       return_when=asyncio.FIRST_COMPLETED)
                    continue
                deliveries: list[Delivery] = []
                try:
                    if time.monotonic() >= next_reclaim:
                        next_reclaim = time.monotonic() + cfg.lease_ms / 2000
                        deliveries = await self.queue.reclaim(cfg.name, cfg.lease_ms, free)
                        deliveries = [d for d in deliveries if d.message_id not in self._inflight]
                    if not deliveries:
                        deliveries = await self.queue.read(cfg.name, free, cfg.block_ms)
                except Exception as exc:  # the queue is unreachable (Redis restarting): the jobs wait there
                    logger.warning(f"dialer {cfg.name}: job queue unreachable ({type(exc).__name__}: {exc}); "
                                   "trying again")
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), cfg.block_ms / 1000)
                    continue
                for delivery in deliveries:
                    task = asyncio.create_task(self._handle(delivery))
                    self._inflight[delivery.message_id] = (task, delivery.job.attempt_id, {})
                    task.add_done_callback(lambda _t, mid=delivery.message_id: self._inflight.pop(mid, None))
            if self._inflight:
                await asyncio.gather(*(t for t, _, _ in list(self._inflight.values())), return_exceptions=True)
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat

    async def _heartbeat(self, stop: asyncio.Event) -> None:
        cfg = self.config
        while True:
            try:
                await self.queue.heartbeat(cfg.name, cfg.lease_ms)
                await self.queue.keep(cfg.name, list(self._inflight))
                for message_id, (_, attempt_id, caps) in list(self._inflight.items()):
                    if caps:
                        await self.slots.renew(slot_holder(attempt_id, message_id), caps)
            except Exception:
                logger.exception("dialer heartbeat failed")
            await asyncio.sleep(cfg.lease_ms / 4000)

    async def _handle(self, delivery: Delivery) -> None:
        job = delivery.job
        try:
            view = await asyncio.to_thread(self.service.view, job.attempt_id)
            if view is None:
                logger.warning(f"job for unknown attempt {job.attempt_id}: dropped")
                await self.queue.ack(delivery)
                return
            if view.status in ACTIVE:
                await self._orphan(delivery, view)
                return
            if view.status != "queued":  # already dialed (a second copy of the job), or paused back
                await self.queue.ack(delivery)
                return
            await self._dial(delivery, view.max_concurrent)
        except Exception:
            # Not acknowledged: the job stays pending and is retried after the lease.
            logger.exception(f"dialer {self.config.name}: job {job.attempt_id} failed; it stays pending")

    async def _dial(self, delivery: Delivery, campaign_cap: int) -> None:
        cfg = self.config
        job = delivery.job
        caps = {f"campaign:{job.campaign_id}": campaign_cap, f"node:{cfg.node}": cfg.node_cap}
        if cfg.global_cap:
            caps["all"] = cfg.global_cap
        holder = slot_holder(job.attempt_id, delivery.message_id)
        while not await self.slots.acquire(holder, caps):
            if self._stop.is_set():
                return  # stopping: not acknowledged, another dialer takes the job over after the lease
            await asyncio.sleep(cfg.slot_wait_s)
        task, attempt_id, _ = self._inflight[delivery.message_id]
        self._inflight[delivery.message_id] = (task, attempt_id, caps)
        try:
            claim = await asyncio.to_thread(self.service.claim, job.attempt_id, cfg.name, self.placer.new_sid())
            if claim is None:
                await self.queue.ack(delivery)
                return
            self.placed += 1

            async def progress(status: str) -> None:
                await asyncio.to_thread(self.service.progress, claim.attempt_id, status)

            outcome = await self._reconcile(claim)
            if outcome is None:
                try:
                    outcome = await self.placer.place(claim, progress)
                except Exception as exc:
                    logger.exception(f"placing attempt {claim.attempt_id} failed")
                    outcome = Outcome("failed", None, f"{type(exc).__name__}: {exc}")
            await self._record(delivery, outcome)
        finally:
            try:
                await self.slots.release(holder, caps)
            except Exception:  # the leases run out by themselves
                logger.warning(f"dialer {cfg.name}: releasing the slots of {job.attempt_id} failed; they expire")

    async def _reconcile(self, claim: Claim) -> Outcome | None:
        """When the contact's previous attempt ended ``unknown``, look its call up first: an outcome when the
        call was placed after all (or the lookup failed: never dial twice on a guess), None to dial."""
        earlier = await asyncio.to_thread(self.service.unresolved_before, claim)
        if earlier is None:
            return None
        try:
            found = await self.placer.reconcile(earlier, claim)
        except Exception as exc:
            logger.exception(f"attempt {claim.attempt_id}: looking up attempt {earlier.id}'s call failed")
            return Outcome("unknown", None, f"not dialled: attempt {earlier.attempt_no}'s call could not be looked "
                                            f"up ({type(exc).__name__}: {exc})")
        if found is None:
            logger.info(f"attempt {claim.attempt_id}: attempt {earlier.attempt_no} placed no call; dialling")
        else:
            logger.warning(f"attempt {claim.attempt_id}: attempt {earlier.attempt_no}'s call was placed after all "
                           f"({found.status}); not dialling again")
        return found

    async def _orphan(self, delivery: Delivery, view) -> None:
        """A job whose call is (or was) live under another dialer's name."""
        if any(attempt == view.id and mid != delivery.message_id for mid, (_, attempt, _) in self._inflight.items()):
            await self.queue.ack(delivery)  # a second copy of a job this dialer is placing right now
            return
        if view.dialer != self.config.name and view.dialer and await self.queue.is_alive(view.dialer):
            return  # its dialer is alive, only slow: leave the job with it (it acknowledges it itself)
        logger.warning(f"attempt {view.id}: dialer {view.dialer} stopped during the call; recovering")
        self.recovered += 1
        outcome = await self.placer.recover(view)
        await self._record(delivery, outcome)

    async def _record(self, delivery: Delivery, outcome: Outcome) -> None:
        await asyncio.to_thread(
            self.service.finish, delivery.job.attempt_id, outcome.status, call_id=outcome.call_id,
            detail=outcome.detail,
        )
        await self.queue.ack(delivery)
        # The scheduler: a retry to enqueue when due, or room for the campaign's next attempt (at most
        # QUEUED_PER_SLOT × its cap are queued or live). Never lets the ack wait on it.
        with contextlib.suppress(Exception):
            await self.queue.wake()
