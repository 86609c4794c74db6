"""Where a dialer waits for the end of a call that another process hears about (Twilio's status callback
reaches the agent's server, not the dialer). With Redis: a list per attempt, BLPOP. Without Redis (one
machine, embedded mode): the attempt's row is read every few seconds, the only option across processes."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from agent.campaigns.service import ENDED, CampaignService


class Waiters:
    def __init__(self, redis=None, prefix: str = "carecall:campaigns", poll_s: float = 2.0):
        self.redis = redis
        self.prefix = prefix
        self.poll_s = poll_s

    def _key(self, attempt_id: str) -> str:
        return f"{self.prefix}:ended:{attempt_id}"

    async def notify(self, attempt_id: str, payload: dict[str, Any]) -> None:
        if self.redis is None:
            return
        key = self._key(attempt_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, json.dumps(payload))
            pipe.expire(key, 3600)  # nobody waiting (the dialer died): it goes away by itself
            await pipe.execute()

    async def wait(self, attempt_id: str, service: CampaignService, timeout_s: float) -> bool:
        """True once the attempt has ended, False after ``timeout_s``."""
        if self.redis is not None:
            reply = await self.redis.blpop([self._key(attempt_id)], timeout=timeout_s)
            if reply is not None:
                await self.redis.delete(self._key(attempt_id))
                return True
            return False
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            view = await asyncio.to_thread(service.view, attempt_id)
            if view is None or view.status in ENDED:
                return True
            await asyncio.sleep(self.poll_s)
        return False
