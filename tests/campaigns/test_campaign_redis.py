"""The Redis Streams queue and the lease-based caps, on the real Redis."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from agent.campaigns.queue import RedisJobQueue
from agent.campaigns.service import Job
from agent.campaigns.slots import RedisSlots


async def test_a_dead_consumers_jobs_are_reclaimed_and_a_living_ones_are_not(redis_url, redis_prefix):
    client = aioredis.from_url(redis_url, decode_responses=True)
    queue = RedisJobQueue(client, redis_prefix)
    for i in range(4):
        await queue.enqueue(Job(f"attempt-{i}", "c"))
    alive = await queue.read("alive", 2, 100)
    dead = await queue.read("dead", 2, 100)
    assert {d.job.attempt_id for d in alive + dead} == {f"attempt-{i}" for i in range(4)}
    assert await queue.read("other", 10, 50) == []  # each job went to exactly one consumer
    await asyncio.sleep(0.3)
    await queue.keep("alive", [d.message_id for d in alive])  # the living consumer's heartbeat
    taken = await queue.reclaim("other", 200, 10)
    assert {d.job.attempt_id for d in taken} == {d.job.attempt_id for d in dead}
    for d in alive + taken:
        await queue.ack(d)
    assert await queue.pending() == 0
    assert await client.xlen(queue.stream) == 0  # acknowledged jobs are deleted too
    await queue.heartbeat("alive", 200)
    assert await queue.is_alive("alive") and not await queue.is_alive("dead")
    await client.aclose()


async def test_caps_hold_across_holders_and_a_dead_holders_leases_expire(redis_url, redis_prefix):
    client = aioredis.from_url(redis_url, decode_responses=True)
    slots = RedisSlots(client, redis_prefix, lease_ms=300)
    caps = {"campaign:c": 3, "node:a": 2}
    assert await slots.acquire("a1", caps) and await slots.acquire("a2", caps)
    assert not await slots.acquire("a3", caps)  # the node is full
    assert await slots.acquire("b1", {"campaign:c": 3, "node:b": 2})
    assert not await slots.acquire("b2", {"campaign:c": 3, "node:b": 2})  # the campaign is full
    assert await slots.acquire("a1", caps)  # a holder asking again keeps its one slot
    await slots.release("a1", caps)
    assert await slots.acquire("a3", caps)
    await asyncio.sleep(0.35)  # nobody renewed: every lease ran out
    assert await slots.held("campaign:c") == 0
    assert await slots.acquire("b2", {"campaign:c": 3, "node:b": 2})
    await slots.renew("b2", {"campaign:c": 3, "node:b": 2})
    assert await slots.held("node:b") == 1
    await client.aclose()
