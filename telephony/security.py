"""Who may talk to the agent: Twilio's webhook signature, and one-time tokens for media streams."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from twilio.request_validator import RequestValidator

if TYPE_CHECKING:
    from starlette.requests import Request


class TwilioSignatureChecker:
    """Checks ``X-Twilio-Signature`` with Twilio's own ``RequestValidator``.

    Twilio signs the URL it called. Behind a reverse proxy or tunnel that is the public URL, not the one
    the app sees, so the URL is rebuilt from ``public_base_url`` when configured, else from the request
    honouring ``X-Forwarded-Proto`` / ``X-Forwarded-Host``.
    """

    def __init__(self, auth_token: str, public_base_url: str | None = None):
        if not auth_token:
            raise ValueError("TwilioSignatureChecker needs the account's auth token")
        self._validator = RequestValidator(auth_token)
        self._public_base = public_base_url.rstrip("/") if public_base_url else None

    def signed_url(self, request: Request) -> str:
        """The URL Twilio requested (and signed)."""
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if self._public_base:
            return self._public_base + path
        proto = request.headers.get("x-forwarded-proto", request.url.scheme).split(",")[0].strip()
        host = request.headers.get("x-forwarded-host") or request.headers.get("host") or request.url.netloc
        return f"{proto}://{host.split(',')[0].strip()}{path}"

    def is_valid(self, url: str, params: dict[str, str], signature: str | None) -> bool:
        return bool(signature) and self._validator.validate(url, params, signature)

    async def check(self, request: Request) -> bool:
        """True when the request carries a valid signature (POST: over the form fields; GET: URL only)."""
        params = {k: str(v) for k, v in (await request.form()).items()} if request.method == "POST" else {}
        return self.is_valid(self.signed_url(request), params, request.headers.get("x-twilio-signature"))

    def sign(self, url: str, params: dict[str, str]) -> str:
        """The signature Twilio would send (for tests and the simulator's webhook call)."""
        return self._validator.compute_signature(url, params)


class TokenStore(Protocol):
    """One-time tokens. In memory here; a Redis version needs only SET key EX ttl / GETDEL key."""

    def issue(self, call_sid: str = "") -> str: ...

    def consume(self, token: str | None, call_sid: str = "") -> bool: ...


@dataclass
class _Issued:
    call_sid: str
    expires_at: float


class StreamTokens:
    """One-time tokens: issued with our TwiML, consumed when the media stream starts.

    A stream showing no token, an unknown one, an expired one or one already used was not started by
    our TwiML. A token issued for a CallSid is only good for that call. Thread-safe.
    """

    def __init__(self, ttl_s: float = 120.0, clock=time.monotonic):
        self.ttl_s = ttl_s
        self._clock = clock
        self._issued: dict[str, _Issued] = {}
        self._lock = threading.Lock()

    def issue(self, call_sid: str = "") -> str:
        token = secrets.token_urlsafe(24)
        now = self._clock()
        with self._lock:
            self._drop_expired(now)
            self._issued[token] = _Issued(call_sid, now + self.ttl_s)
        return token

    def consume(self, token: str | None, call_sid: str = "") -> bool:
        """True once for a live token (and, when it was issued for a call, only for that call)."""
        if not token:
            return False
        with self._lock:
            issued = self._issued.pop(token, None)
        if issued is None or issued.expires_at < self._clock():
            return False
        return not issued.call_sid or not call_sid or issued.call_sid == call_sid

    def __len__(self) -> int:
        with self._lock:
            self._drop_expired(self._clock())
            return len(self._issued)

    def _drop_expired(self, now: float) -> None:
        for token in [t for t, i in self._issued.items() if i.expires_at < now]:
            del self._issued[token]
