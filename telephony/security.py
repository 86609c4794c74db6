"""Who may talk to the agent: Twilio's webhook signature, and one-time tokens for media streams."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

from twilio.request_validator import RequestValidator


class TwilioSignatureChecker:
    """Checks ``X-Twilio-Signature`` on webhook POSTs with Twilio's own validator.

    Twilio signs the URL it called; behind a reverse proxy that is the public URL, not the one the
    server sees, so the URL is rebuilt from the configured public base when there is one.
    """

    def __init__(self, auth_token: str, public_base_url: str | None = None):
        self._validator = RequestValidator(auth_token)
        self._public_base = public_base_url.rstrip("/") if public_base_url else None

    def public_url(self, path_and_query: str, seen_url: str) -> str:
        return f"{self._public_base}{path_and_query}" if self._public_base else seen_url

    def is_valid(self, url: str, params: dict[str, str], signature: str | None) -> bool:
        return bool(signature) and self._validator.validate(url, params, signature)


@dataclass
class _Issued:
    call_sid: str
    expires_at: float


class StreamTokens:
    """One-time tokens: issued with our TwiML, consumed when the media stream starts.

    A stream that shows no token, an unknown one, an expired one or one already used is not ours.
    In memory and thread-safe; a multi-node deployment would keep them in Redis with the same calls.
    """

    def __init__(self, ttl_s: float = 120.0):
        self.ttl_s = ttl_s
        self._issued: dict[str, _Issued] = {}
        self._lock = threading.Lock()

    def issue(self, call_sid: str = "") -> str:
        token = secrets.token_urlsafe(24)
        now = time.monotonic()
        with self._lock:
            self._drop_expired(now)
            self._issued[token] = _Issued(call_sid, now + self.ttl_s)
        return token

    def consume(self, token: str | None, call_sid: str = "") -> bool:
        """True once for a valid token (and, when it was issued for a call, that same call)."""
        if not token:
            return False
        now = time.monotonic()
        with self._lock:
            issued = self._issued.pop(token, None)
        if issued is None or issued.expires_at < now:
            return False
        return not issued.call_sid or not call_sid or issued.call_sid == call_sid

    def _drop_expired(self, now: float) -> None:
        for token in [t for t, i in self._issued.items() if i.expires_at < now]:
            del self._issued[token]
