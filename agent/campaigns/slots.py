"""Concurrency caps: a call holds one slot in each of its caps (the campaign's, all campaigns together,
this node's) for as long as it lasts.

In Redis a cap is a sorted set of leases (member = attempt id, score = expiry), taken by one Lua script
for all caps at once; a dialer renews its leases while its calls last, so the leases of a dialer that
died run out and free their slots by themselves.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Protocol

ACQUIRE = """
local now = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  local cap = tonumber(ARGV[3 + i])
  if cap > 0 and not redis.call('ZSCORE', key, ARGV[3]) and redis.call('ZCARD', key) >= cap then
    return 0
  end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', key, math.floor(tonumber(ARGV[2]) - now) + 60000)
end
return 1
"""


class Slots(Protocol):
    async def acquire(self, holder: str, caps: dict[str, int]) -> bool: ...
    async def release(self, holder: str, caps: dict[str, int]) -> None: ...
    async def renew(self, holder: str, caps: dict[str, int]) -> None: ...


class RedisSlots:
    def __init__(self, redis, prefix: str, lease_ms: int):
        self.redis = redis
        self.prefix = prefix
        self.lease_ms = lease_ms
        self._acquire = redis.register_script(ACQUIRE)

    def _keys(self, caps: dict[str, int]) -> list[str]:
        return [f"{self.prefix}:slots:{name}" for name in caps]

    async def acquire(self, holder: str, caps: dict[str, int]) -> bool:
        now = int(time.time() * 1000)
        args = [now, now + self.lease_ms, holder, *caps.values()]
        return bool(await self._acquire(keys=self._keys(caps), args=args))

    async def release(self, holder: str, caps: dict[str, int]) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            for key in self._keys(caps):
                pipe.zrem(key, holder)
            await pipe.execute()

    async def renew(self, holder: str, caps: dict[str, int]) -> None:
        expires = int(time.time() * 1000) + self.lease_ms
        async with self.redis.pipeline(transaction=True) as pipe:
            for key in self._keys(caps):
                pipe.zadd(key, {holder: expires}, xx=True)
            await pipe.execute()

    async def held(self, name: str) -> int:
        key = f"{self.prefix}:slots:{name}"
        return await self.redis.zcount(key, int(time.time() * 1000), "+inf")


class MemorySlots:
    def __init__(self) -> None:
        self._held: dict[str, set[str]] = defaultdict(set)

    async def acquire(self, holder: str, caps: dict[str, int]) -> bool:
        if any(cap > 0 and holder not in self._held[n] and len(self._held[n]) >= cap for n, cap in caps.items()):
            return False
        for name in caps:
            self._held[name].add(holder)
        return True

    async def release(self, holder: str, caps: dict[str, int]) -> None:
        for name in caps:
            self._held[name].discard(holder)

    async def renew(self, holder: str, caps: dict[str, int]) -> None:
        return None
