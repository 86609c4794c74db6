"""Who may talk to the agent: Twilio's webhook signature, and one-time tokens for media streams."""

from __future__ import annotations

import ipaddress
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


INSECURE_FLAG = "--insecure-no-twilio-signature"


def is_loopback(host: str) -> bool:
    """True for an address only this machine reaches (127.0.0.0/8, ::1, localhost); 0.0.0.0 is every interface."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to a public interface


def exposure_problem(host: str, public_url: str | None, auth_token: str | None) -> str | None:
    """Why serving like this would let anyone drive calls, or None when it is safe.

    Without an auth token nothing checks ``X-Twilio-Signature``: anyone who reaches ``/twiml`` gets a fresh
    one-time stream token (so the token proves nothing) and anyone may post campaign status callbacks. That is
    only acceptable when nobody else can reach the server: a loopback host and no public URL pointing at it.
    """
    if auth_token:
        return None
    if public_url:
        where = f"a public URL is configured (CARECALL_PUBLIC_URL={public_url})"
    elif not is_loopback(host):
        where = f"CARECALL_HOST={host} is reachable from other machines"
    else:
        return None
    return (
        f"refusing to serve: {where} and no Twilio auth token is set (CARECALL_TWILIO_AUTH_TOKEN), so nothing "
        "checks X-Twilio-Signature: anyone could fetch /twiml, open media streams with its stream token and "
        "forge campaign status callbacks.\n"
        "Set CARECALL_TWILIO_AUTH_TOKEN to the account's auth token (Twilio console, Account info), or listen on "
        f"127.0.0.1 without CARECALL_PUBLIC_URL; to run unprotected on purpose, pass {INSECURE_FLAG}."
    )


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
