"""One-time media-stream tokens in Redis, so any of several call servers may take a call's ``/ws``.

``telephony.security.StreamTokens`` keeps the tokens ``/twiml`` issues in the memory of the process that issued
them, which pins a call's websocket to that process. With ``CARECALL_REDIS_URL`` set the tokens live in Redis
instead (``SET key call_sid EX ttl`` / ``GETDEL key``): the consume is one atomic command, so a token is good
for exactly one stream whichever server it reaches, and Redis expires the ones never used (GETDEL: Redis 6.2+).
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from loguru import logger

from telephony.security import StreamTokens

if TYPE_CHECKING:
    import redis

DEFAULT_PREFIX = "carecall:stream-token"
DEFAULT_TTL_S = StreamTokens().ttl_s  # the in-process store's expiry: the same rules whichever store is used


class RedisStreamTokens:
    """``telephony.security.TokenStore`` over Redis: a token issued by one server is consumed by any other.

    A token issued for a CallSid is good only for that call; shown for another it is spent all the same (as in
    the in-process store). Redis being unreachable refuses the stream (logged) rather than letting it in.
    """

    def __init__(self, client: redis.Redis, prefix: str = DEFAULT_PREFIX, ttl_s: float = DEFAULT_TTL_S):
        self._redis = client
        self.prefix = prefix
        self.ttl_s = ttl_s

    @classmethod
    def from_url(cls, url: str, prefix: str = DEFAULT_PREFIX, ttl_s: float = DEFAULT_TTL_S) -> RedisStreamTokens:
        import redis

        # Short timeouts: /twiml and /ws wait on these commands; a dead Redis must fail them fast.
        return cls(redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0), prefix, ttl_s)

    def issue(self, call_sid: str = "") -> str:
        token = secrets.token_urlsafe(24)
        self._redis.set(self._key(token), call_sid, px=max(1, int(self.ttl_s * 1000)))
        return token

    def consume(self, token: str | None, call_sid: str = "") -> bool:
        """True once for a live token (and, when it was issued for a call, only for that call)."""
        if not token:
            return False
        import redis

        try:
            issued = self._redis.getdel(self._key(token))
        except redis.RedisError as exc:
            logger.error(f"stream token check failed, stream refused: Redis unreachable ({exc})")
            return False
        if issued is None:
            return False
        issued_sid = issued.decode() if isinstance(issued, bytes) else str(issued)
        return not issued_sid or not call_sid or issued_sid == call_sid

    def ping(self) -> None:
        """Raises when Redis does not answer (the server's readiness check)."""
        self._redis.ping()

    def close(self) -> None:
        self._redis.close()

    def _key(self, token: str) -> str:
        return f"{self.prefix}:{token}"
