"""Sessions, CSRF tokens, roles, login throttling and the security headers of the dashboard's routes."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from fastapi import HTTPException, Request
from loguru import logger
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent.dashboard.users import Account, UserBook

SESSION_MAX_AGE_S = 12 * 3600
# Failed logins within the window: per (account, client address), and per address over all accounts (a
# password sprayed at many names). Nothing is counted per account alone, so failures from one address never
# lock the account for someone logging in from another.
MAX_FAILURES, MAX_ADDRESS_FAILURES, FAILURE_WINDOW_S = 5, 20, 300


class LoginRequired(Exception):
    """Raised by ``current_user``; answered with a redirect to the login page."""


def secret_key(configured: str | None, data_dir: Path) -> str:
    """The configured key, or one generated once and kept owner-only (file 0600) in the data directory."""
    if configured:
        return configured
    path = data_dir / "dashboard.key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable by others, not even briefly
    with os.fdopen(fd, "w") as out:
        out.write(key)
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
    """A fresh session for the account (nothing carried over from before the login). The cookie carries the
    session's token only; the session itself is kept server-side so that it can be revoked."""
    users: UserBook = request.app.state.dashboard.users
    token = users.start_session(account, timedelta(seconds=SESSION_MAX_AGE_S))
    request.session.clear()
    request.session.update({"sid": token, "csrf": secrets.token_urlsafe(32), "since": int(time.time())})


def log_out(request: Request) -> None:
    """Revoke this session server-side (a copy of the cookie opens nothing afterwards) and clear the cookie."""
    token = request.session.get("sid")
    if token:
        request.app.state.dashboard.users.end_session(token)
    request.session.clear()


def current_user(request: Request) -> Account:
    """The logged-in account, looked up on every request so a logout, a password change, disabling or
    demoting takes effect at once."""
    users: UserBook = request.app.state.dashboard.users
    token = request.session.get("sid")
    account = users.session_account(token) if isinstance(token, str) else None
    if account is None:
        request.session.pop("sid", None)
        raise LoginRequired()
    return account


def client_address(request: Request) -> str:
    """The address a request came from (behind a proxy: as the server's forwarded-header settings say)."""
    return request.client.host if request.client else "unknown"


def require_admin(account: Account) -> Account:
    if not account.is_admin:
        raise HTTPException(403, "관리자만 할 수 있습니다.")
    return account


@dataclass(frozen=True)
class LoginAttempt:
    """One login try, counted before the password is checked (so parallel tries cannot all slip under the
    limit); a successful one is taken back with ``succeeded``."""

    username: str
    address: str
    entry: str  # this try's mark in the counts


class LoginThrottle:
    """The failure limits in this process (the embedded default): a lock makes checking and counting a try
    one step."""

    def __init__(self, max_failures: int = MAX_FAILURES, max_address_failures: int = MAX_ADDRESS_FAILURES,
                 window_s: float = FAILURE_WINDOW_S, clock: Callable[[], float] = time.monotonic):  # fmt: skip
        self.max_failures, self.max_address_failures, self.window_s = max_failures, max_address_failures, window_s
        self._clock = clock
        self._lock = threading.Lock()
        self._tries: dict[tuple[str, ...], deque[tuple[float, str]]] = defaultdict(deque)

    def attempt(self, username: str, address: str) -> LoginAttempt | None:
        """Count a try of ``username`` from ``address``; None (nothing counted) when either limit is reached."""
        pair, everyone = ("pair", address, username), ("address", address)
        with self._lock:
            now = self._clock()
            if self._recent(pair, now) >= self.max_failures or self._recent(everyone, now) >= self.max_address_failures:
                return None
            entry = uuid.uuid4().hex
            for key in (pair, everyone):
                self._tries[key].append((now, entry))
            return LoginAttempt(username, address, entry)

    def succeeded(self, attempt: LoginAttempt) -> None:
        """The password was right: this account's failures from this address are forgotten, and this try
        does not count against the address."""
        with self._lock:
            self._tries.pop(("pair", attempt.address, attempt.username), None)
            everyone = self._tries.pop(("address", attempt.address), deque())
            kept = deque(t for t in everyone if t[1] != attempt.entry)
            if kept:
                self._tries[("address", attempt.address)] = kept

    def _recent(self, key: tuple[str, ...], now: float) -> int:
        """How many tries under ``key`` are inside the window (older ones, and empty keys, are dropped)."""
        tries = self._tries.get(key)
        while tries and tries[0][0] <= now - self.window_s:
            tries.popleft()
        if not tries:
            self._tries.pop(key, None)
            return 0
        return len(tries)


# KEYS: the (account, address) set, the address set. ARGV: now, window, limits of each, the try's mark.
_RESERVE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1] - ARGV[2])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) or redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[5])
redis.call('EXPIRE', KEYS[1], math.ceil(ARGV[2]) + 1)
redis.call('EXPIRE', KEYS[2], math.ceil(ARGV[2]) + 1)
return 1
"""


class RedisLoginThrottle:
    """The same limits shared by every server process through Redis (sorted sets of try times), so a second
    process behind the load balancer does not grant more tries; one Lua script checks and counts atomically.
    If Redis is down, logins are not blocked by it: the password check still runs and failures are audited."""

    def __init__(self, redis_url: str, prefix: str = "carecall:login-tries:", max_failures: int = MAX_FAILURES,
                 max_address_failures: int = MAX_ADDRESS_FAILURES, window_s: float = FAILURE_WINDOW_S):  # fmt: skip
        import redis

        self._redis = redis.Redis.from_url(redis_url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._reserve = self._redis.register_script(_RESERVE)
        self.prefix, self.window_s = prefix, window_s
        self.max_failures, self.max_address_failures = max_failures, max_address_failures

    def _keys(self, username: str, address: str) -> tuple[str, str]:
        pair = hashlib.sha256(f"{address}\0{username}".encode()).hexdigest()[:32]
        everyone = hashlib.sha256(address.encode()).hexdigest()[:32]
        return f"{self.prefix}pair:{pair}", f"{self.prefix}address:{everyone}"

    def attempt(self, username: str, address: str) -> LoginAttempt | None:
        entry = uuid.uuid4().hex
        args = [time.time(), self.window_s, self.max_failures, self.max_address_failures, entry]
        try:
            counted = self._reserve(keys=list(self._keys(username, address)), args=args)
        except Exception as exc:
            logger.warning(f"login throttle: Redis unavailable ({exc}); not limiting {username!r} from {address}")
            return LoginAttempt(username, address, entry)
        return LoginAttempt(username, address, entry) if counted else None

    def succeeded(self, attempt: LoginAttempt) -> None:
        pair, everyone = self._keys(attempt.username, attempt.address)
        try:
            pipe = self._redis.pipeline()
            pipe.delete(pair)
            pipe.zrem(everyone, attempt.entry)
            pipe.execute()
        except Exception as exc:
            logger.warning(f"login throttle: Redis unavailable ({exc})")


def make_throttle(redis_url: str | None) -> LoginThrottle | RedisLoginThrottle:
    return RedisLoginThrottle(redis_url) if redis_url else LoginThrottle()


# No inline script or style in the templates, so none is allowed; audio, SSE and forms stay on this origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


class SecurityHeaders:
    """ASGI middleware: the security headers on every response under ``prefix`` (pages, redirects, errors,
    static files, the event stream), whatever produced it."""

    def __init__(self, app: ASGIApp, prefix: str = "/dashboard"):
        self.app, self.prefix = app, prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not (scope["path"] == self.prefix or scope["path"].startswith(self.prefix + "/")):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in SECURITY_HEADERS if name not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
