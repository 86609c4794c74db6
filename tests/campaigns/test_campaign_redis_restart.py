"""Redis restarted while a campaign runs: a private ``redis-server`` with append-only persistence
(``appendfsync always``, as production runs it) is killed while calls are in progress and jobs wait in the
stream, then started again on the same port and data. The scheduler and two dialers (each with its own
connection, as separate processes have) ride it out without being restarted: every contact is dialled exactly
once, every attempt ends, and the stream ends empty."""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import subprocess
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from loguru import logger

from agent.campaigns.carrier import SimulatedCarrier
from agent.campaigns.network import SimulatedNetwork
from agent.campaigns.queue import GROUP, RedisJobQueue
from agent.campaigns.runtime import backend, dialer_config, run_dialer
from agent.campaigns.scheduler import Scheduler
from agent.campaigns.service import CampaignService, Claim
from agent.settings import Settings
from agent.store import CallStore
from agent.store.campaigns import QUEUED_PER_SLOT

ALL_DAY = {"days": "daily", "start": "00:00", "end": "24:00"}
CONTACTS = 10
NODE_CAP = 2  # two dialers: four calls in progress when Redis goes, six jobs waiting in the stream
PREFIX = "carecall:campaigns"


class PrivateRedis:
    """A redis-server of this test's own on a free port, its append-only file in ``folder``."""

    def __init__(self, folder: Path):
        self.folder = folder
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        log = (self.folder / "redis.log").open("a")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--protected-mode", "no"],
            stdout=log, stderr=subprocess.STDOUT,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 15
        try:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"redis-server exited: {(self.folder / 'redis.log').read_text()[-1000:]}")
                try:
                    if client.ping() and client.info("persistence")["loading"] == 0:
                        return
                except redis.exceptions.RedisError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not answer within 15 s")
                time.sleep(0.05)
        finally:
            client.close()

    def stop(self, how: signal.Signals) -> None:
        assert self.proc is not None
        self.proc.send_signal(how)
        self.proc.wait(timeout=15)

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, decode_responses=True)


@pytest.fixture
def private_redis(tmp_path):
    if not (shutil.which("redis-server") or Path("/usr/bin/redis-server").exists()):
        pytest.skip("no redis-server binary to run a private Redis that can be restarted")
    server = PrivateRedis(tmp_path / "redis")
    server.folder.mkdir()
    try:
        server.start()
    except (OSError, RuntimeError) as exc:
        pytest.skip(f"a private redis-server could not be started: {exc}")
    yield server
    if server.proc is not None and server.proc.poll() is None:
        server.stop(signal.SIGKILL)


class HeldCarrier(SimulatedCarrier):
    """The simulated carrier, counting every dial; a call in progress waits for ``hold`` before it talks."""

    def __init__(self, store: CallStore, hold: asyncio.Event):
        self.dials: Counter[str] = Counter()
        self.hold = hold
        super().__init__(store, SimulatedNetwork(), ring_s=0.01, turn_s=0.0, ledger=self._dialled)

    async def _dialled(self, claim: Claim) -> None:
        self.dials[claim.attempt_id] += 1

    async def place(self, claim, progress):
        async def held(status: str) -> None:
            await progress(status)
            if status == "in_progress":
                await self.hold.wait()

        return await super().place(claim, held)


async def wait_for(what: str, check, timeout: float = 20.0) -> None:
    """Poll ``check`` (blocking, run in a thread) until it holds; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(check):
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["sigkill", "sigterm"])
async def test_a_redis_restart_mid_campaign_loses_no_job_and_dials_nobody_twice(private_redis, sqlite_url, tmp_path,
                                                                               how):
    service = CampaignService(sqlite_url)
    store = CallStore(sqlite_url)
    campaign = service.create("재시작 안부 전화", calling_hours=ALL_DAY, max_concurrent=2 * NODE_CAP)
    csv = "name,phone,notes\n" + "".join(f"어르신{i},010-7000-{i:04d},sim=answer\n" for i in range(CONTACTS))
    assert service.import_csv(campaign.id, csv).added == CONTACTS
    service.start(campaign.id)

    messages: list[str] = []
    sink = logger.add(lambda m: messages.append(m.record["message"]), level="WARNING")
    hold = asyncio.Event()
    placer = HeldCarrier(store, hold)
    settings = {node: Settings(data_dir=tmp_path, database_url=sqlite_url, redis_url=private_redis.url,
                               campaign_prefix=PREFIX, dialer_node=node, dialer_node_max_concurrent=NODE_CAP,
                               dialer_lease_s=1.0)
                for node in ("node-a", "node-b")}
    backs = {node: backend(s) for node, s in settings.items()}
    sched_back = backend(settings["node-a"])
    stop = asyncio.Event()
    scheduler = Scheduler(service, sched_back.queue, redis=sched_back.redis, lock_name=f"{PREFIX}:scheduler",
                          idle_s=0.2, requeue_after=timedelta(minutes=10))
    tasks = {"scheduler": asyncio.create_task(scheduler.run(stop))}
    for node, back in backs.items():
        config = dialer_config(settings[node], name=f"dialer-{node}")
        config.block_ms = 300
        tasks[node] = asyncio.create_task(run_dialer(service, back, placer, config, stop))
    client = private_redis.client()
    stream = f"{PREFIX}:jobs"

    def live() -> list:
        return [a for a in service.ledger.attempts(campaign.id) if a.status == "in_progress"]

    try:
        # Four calls in progress, four more jobs waiting in the stream (QUEUED_PER_SLOT × the cap are queued
        # or live), two contacts not queued yet: then Redis goes away.
        await wait_for("four calls are in progress", lambda: len(live()) == 2 * NODE_CAP)
        in_flight = {a.id for a in live()}
        queued = min(CONTACTS, QUEUED_PER_SLOT * 2 * NODE_CAP)
        assert queued < CONTACTS and client.xlen(stream) == queued
        assert client.xpending(stream, GROUP)["pending"] == 2 * NODE_CAP
        private_redis.stop(how)

        # The calls end while Redis is down: their ends are recorded in the database, their jobs cannot be
        # acknowledged; the dialers' and the scheduler's calls to Redis fail (after the client's own retries).
        hold.set()
        await wait_for("the calls in progress have ended", lambda: all(
            a.status == "completed" for a in service.ledger.attempts(campaign.id) if a.id in in_flight))
        await wait_for("every part has met the outage", lambda: (
            sum("stays pending" in m for m in messages) >= len(in_flight)
            and all(any(f"dialer-{node}: job queue unreachable" in m for m in messages) for node in backs)
            and any("scheduler" in m and "fail" in m for m in messages)))
        assert not any(t.done() for t in tasks.values()), {n: t for n, t in tasks.items() if t.done()}

        private_redis.start()  # same port, same append-only file
        assert client.xlen(stream) >= queued - len(in_flight), "the waiting jobs did not survive the restart"

        await wait_for("the campaign has finished", lambda: service.get(campaign.id).status == "finished")
        await wait_for("the stream is empty", lambda: client.xpending(stream, GROUP)["pending"] == 0
                       and client.xlen(stream) == 0)
        assert not any(t.done() for t in tasks.values()), "a part stopped instead of reconnecting"
    finally:
        stop.set()
        hold.set()
        if private_redis.proc.poll() is not None:  # failed while Redis was down: let the parts stop cleanly
            private_redis.start()
        done = await asyncio.wait_for(asyncio.gather(*tasks.values(), return_exceptions=True), 30)
        logger.remove(sink)
        for back in [*backs.values(), sched_back]:
            await back.close()
        client.close()
    assert not [r for r in done if isinstance(r, BaseException)], done

    attempts = service.ledger.attempts(campaign.id)
    by_contact = Counter(a.contact_id for a in attempts)
    assert len(by_contact) == CONTACTS and set(by_contact.values()) == {1}  # no contact needed a second attempt
    assert all(a.status == "completed" and a.final for a in attempts), [(a.status, a.detail) for a in attempts]
    assert placer.dials == {a.id: 1 for a in attempts}  # every attempt dialled, none twice
    calls = store.list_calls(limit=100)
    assert len(calls) == CONTACTS and all(c.status == "ended" for c in calls)
    assert {a.call_id for a in attempts} == {c.id for c in calls}


class DiesOnFirstEnqueue:
    """The scheduler's queue, whose Redis is killed just as the first job goes on it: after the tick lock was
    taken, before its release."""

    def __init__(self, queue: RedisJobQueue, server: PrivateRedis):
        self.queue = queue
        self.server = server

    async def enqueue(self, job) -> None:
        if self.server.proc.poll() is None and not hasattr(self, "killed"):
            self.killed = True
            self.server.stop(signal.SIGKILL)
        await self.queue.enqueue(job)


async def test_jobs_and_the_tick_lock_a_scheduler_lost_with_redis_are_sent_and_kept_when_it_is_back(
        private_redis, sqlite_url):
    service = CampaignService(sqlite_url)
    campaign = service.create("재시작", calling_hours=ALL_DAY)
    service.import_csv(campaign.id, "name,phone\n" + "".join(f"어르신{i},010-7100-{i:04d}\n" for i in range(3)))
    service.start(campaign.id)
    back = backend(Settings(redis_url=private_redis.url, campaign_prefix=PREFIX))
    queue = DiesOnFirstEnqueue(back.queue, private_redis)
    lock = f"{PREFIX}:scheduler"
    scheduler = Scheduler(service, queue, redis=back.redis, lock_name=lock, requeue_after=timedelta(minutes=10))
    client = private_redis.client()
    try:
        with pytest.raises(redis.exceptions.ConnectionError):
            await scheduler.tick()  # three attempts marked queued in the database; none reached the stream
        assert {a.status for a in service.ledger.attempts(campaign.id)} == {"queued"}

        private_redis.start()
        assert client.pttl(lock) > 0  # the lock's release was lost with Redis: it is still held
        assert await scheduler.tick() == 3  # its holder goes on, and sends the three jobs first
        sent = {m[1]["attempt"] for m in client.xrange(f"{PREFIX}:jobs")}
        assert sent == {a.id for a in service.ledger.attempts(campaign.id)}
        assert not client.exists(lock)
        assert await scheduler.tick() == 0  # each job sent once
    finally:
        await back.close()
        client.close()
