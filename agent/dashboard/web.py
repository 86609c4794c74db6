"""Sessions, CSRF tokens, roles and login throttling for the dashboard's routes."""

from __future__ import annotations

import hmac
import secrets
import time
import uuid
from collections import defaultdict, deque
from pathlib import Path

from fastapi import HTTPException, Request
from loguru import logger

from agent.dashboard.users import Account, UserBook

SESSION_MAX_AGE_S = 12 * 3600
MAX_FAILURES, FAILURE_WINDOW_S = 5, 300


class LoginRequired(Exception):
    """Raised by ``current_user``; answered with a redirect to the login page."""


def secret_key(configured: str | None, data_dir: Path) -> str:
    """The configured key, or one generated once and kept (owner-only) in the data directory."""
    if configured:
        return configured
    path = data_dir / "dashboard.key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(key)
    return key


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise HTTPException(403, "CSRF 토큰이 맞지 않습니다. 페이지를 새로 고친 뒤 다시 시도하세요.")


def log_in(request: Request, account: Account) -> None:
    """A fresh session for the account (nothing carried over from before the login)."""
    request.session.clear()
    request.session.update({"user": account.username, "csrf": secrets.token_urlsafe(32), "since": int(time.time())})


def current_user(request: Request) -> Account:
    """The logged-in account, looked up on every request so disabling or demoting takes effect at once."""
    users: UserBook = request.app.state.dashboard.users
    username = request.session.get("user")
    account = users.get(username) if username else None
    if account is None or account.disabled:
        request.session.pop("user", None)
        raise LoginRequired()
    return account


def require_admin(account: Account) -> Account:
    if not account.is_admin:
        raise HTTPException(403, "관리자만 할 수 있습니다.")
    return account


class LoginThrottle:
    """Refuses a username after repeated failures within a window (in this process: the embedded default)."""

    def __init__(self, max_failures: int = MAX_FAILURES, window_s: float = FAILURE_WINDOW_S):
        self.max_failures, self.window_s = max_failures, window_s
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def blocked(self, username: str) -> bool:
        failures = self._failures[username]
        while failures and failures[0] < time.monotonic() - self.window_s:
            failures.popleft()
        return len(failures) >= self.max_failures

    def failed(self, username: str) -> None:
        self._failures[username].append(time.monotonic())

    def succeeded(self, username: str) -> None:
        self._failures.pop(username, None)


class RedisLoginThrottle:
    """The same rule shared by every server process through Redis (a sorted set of failure times per user),
    so a second process behind the load balancer does not grant another five tries. If Redis is down,
    logins are not blocked by it: the password check still runs and failures are audited."""

    def __init__(self, redis_url: str, prefix: str = "carecall:login-failures:",
                 max_failures: int = MAX_FAILURES, window_s: float = FAILURE_WINDOW_S):  # fmt: skip
        import redis

        self._redis = redis.Redis.from_url(redis_url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self.prefix, self.max_failures, self.window_s = prefix, max_failures, window_s

    def _key(self, username: str) -> str:
        return self.prefix + username

    def blocked(self, username: str) -> bool:
        key, now = self._key(username), time.time()
        try:
            pipe = self._redis.pipeline()
            pipe.zremrangebyscore(key, 0, now - self.window_s)
            pipe.zcard(key)
            return pipe.execute()[1] >= self.max_failures
        except Exception as exc:
            logger.warning(f"login throttle: Redis unavailable ({exc}); not blocking {username!r}")
            return False

    def failed(self, username: str) -> None:
        key, now = self._key(username), time.time()
        try:
            pipe = self._redis.pipeline()
            pipe.zadd(key, {f"{now:.6f}:{uuid.uuid4().hex[:8]}": now})
            pipe.expire(key, int(self.window_s) + 1)
            pipe.execute()
        except Exception as exc:
            logger.warning(f"login throttle: Redis unavailable ({exc}); failure of {username!r} not counted")

    def succeeded(self, username: str) -> None:
        try:
            self._redis.delete(self._key(username))
        except Exception as exc:
            logger.warning(f"login throttle: Redis unavailable ({exc})")


def make_throttle(redis_url: str | None) -> LoginThrottle | RedisLoginThrottle:
    return RedisLoginThrottle(redis_url) if redis_url else LoginThrottle()
