"""Alerts about serious flags, sent from the persisted outbox (``agent.store.outbox``) the moment a flag is
journaled during the call: a signed webhook and e-mail, each with its own minimum severity.

The first alert of a call on a channel carries the flags raised so far; a flag raised later in the same
call follows as its own alert (``follow_up``), so a critical flag is never held back until the call ends
and no flag is told twice. A delivery worker claims due alerts, sends them, and marks them delivered or
reschedules them with backoff; the schedule is in the database, so retries go on across restarts. A
failure is logged (a webhook by scheme and host only: its path and query may hold a secret), never raised
into the call.

Webhooks are signed as Standard Webhooks: ``webhook-id`` (the alert's id, the same on every retry),
``webhook-timestamp`` (Unix seconds) and ``webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>``;
receivers check them with ``verify``, which refuses a timestamp outside the replay window.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import re
import smtplib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
from loguru import logger

from agent.call.events import CallEvent
from agent.observability.metrics import METRICS
from agent.store import AlertOutbox, AlertRoute, CallRecord, CallStore, OutboxEntry, utcnow
from dialog.flags import severity_rank

ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER = "webhook-id", "webhook-timestamp", "webhook-signature"
REPLAY_WINDOW_S = 300  # a signed alert older (or newer) than this is refused by ``verify``
SEVERITY_KO = {"low": "낮음", "medium": "보통", "high": "높음", "critical": "긴급"}
_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


def _key(secret: str) -> bytes:
    """A ``whsec_``-prefixed secret is base64 (as Standard Webhooks issue them); any other is its UTF-8 bytes."""
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        except binascii.Error:
            pass
    return secret.encode()


def sign(msg_id: str, timestamp: int, body: bytes, secret: str) -> str:
    """The ``webhook-signature`` value: ``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest()).decode()


def signature_headers(msg_id: str, body: bytes, secret: str, now: datetime) -> dict[str, str]:
    timestamp = int(now.timestamp())
    return {ID_HEADER: msg_id, TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(msg_id, timestamp, body, secret)}


def verify(
    body: bytes,
    secret: str,
    headers: Mapping[str, str],
    now: datetime | None = None,
    window_s: float = REPLAY_WINDOW_S,
) -> bool:
    """For receivers: the headers sign this raw body with this secret (constant-time), and their timestamp is
    within ``window_s`` of ``now``, so a captured alert cannot be replayed later. Header names in any case."""
    lower = {name.lower(): value for name, value in headers.items()}
    msg_id, stamp, signatures = (lower.get(h) for h in (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER))
    if not msg_id or not stamp or not signatures or not stamp.isdigit():
        return False
    if abs((now or utcnow()).timestamp() - int(stamp)) > window_s:
        return False
    expected = sign(msg_id, int(stamp), body, secret)
    return any(hmac.compare_digest(expected, given) for given in signatures.split())


def one_line(value: str | None) -> str:
    """A value safe for a header or a line of its own: line breaks and control characters become a space."""
    return _BREAKS.sub(" ", value or "").strip()


def where(url: str) -> str:
    """A URL as it may be logged: scheme and host only (a webhook's path or query may be its secret)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}" + (f":{parts.port}" if parts.port else "")


class DeliveryError(Exception):
    """A channel could not deliver; the message is safe to log and store (no secrets)."""


@dataclass(frozen=True)
class Alert:
    """What a channel is told: the call, who was called, and the flags this alert is about."""

    id: str  # the same on every retry: receivers deduplicate on it
    call_id: str
    person_name: str | None
    phone_number: str | None
    scenario: str | None
    status: str  # in_progress (raised during the call) | ended
    outcome: str | None
    url: str
    follow_up: bool  # a later alert of the same call on the same channel
    flags: list[dict[str, Any]]

    def payload(self) -> dict[str, Any]:
        return {"event": "call.flagged", **asdict(self)}


class Channel(Protocol):
    name: str
    min_severity: str

    def send(self, alert: Alert) -> None: ...


class WebhookChannel:
    name = "webhook"

    def __init__(
        self,
        url: str,
        secret: str,
        min_severity: str = "high",
        timeout_s: float = 5.0,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.url, self.secret, self.min_severity, self.timeout_s, self.clock = url, secret, min_severity, timeout_s, clock

    def send(self, alert: Alert) -> None:
        body = json.dumps(alert.payload(), ensure_ascii=False, sort_keys=True).encode()
        headers = {"Content-Type": "application/json", **signature_headers(alert.id, body, self.secret, self.clock())}
        try:
            response = httpx.post(self.url, content=body, headers=headers, timeout=self.timeout_s)
        except httpx.HTTPError as exc:  # its text names the full URL
            raise DeliveryError(f"{where(self.url)}: {type(exc).__name__}") from None
        if response.status_code >= 300:
            raise DeliveryError(f"{where(self.url)}: HTTP {response.status_code}")


class EmailChannel:
    name = "email"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        recipients: Sequence[str],
        min_severity: str = "high",
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout_s: float = 10.0,
    ):
        self.host, self.port, self.sender, self.recipients = host, port, sender, list(recipients)
        self.min_severity, self.username, self.password = min_severity, username, password
        self.starttls, self.timeout_s = starttls, timeout_s

    def message(self, alert: Alert) -> EmailMessage:
        top = max((f["severity"] for f in alert.flags), key=severity_rank)
        who = one_line(alert.person_name) or one_line(alert.phone_number) or "통화"
        more = " (추가)" if alert.follow_up else ""
        msg = EmailMessage()
        msg["Subject"] = f"[케어콜 {SEVERITY_KO.get(top, top)}] {who} 확인 필요{more}"
        msg["From"] = one_line(self.sender)
        msg["To"] = ", ".join(one_line(r) for r in self.recipients)
        msg["Message-ID"] = f"<{alert.id}@carecall>"
        state = "통화 중" if alert.status == "in_progress" else (alert.outcome or "-")
        lines = [
            f"대상: {one_line(alert.person_name) or '-'} ({one_line(alert.phone_number) or '-'})",
            f"통화 결과: {state}",
            "",
            "알림:",
        ]
        for flag in alert.flags:
            lines.append(f"- [{SEVERITY_KO.get(flag['severity'], flag['severity'])}] {flag.get('message') or flag['rule']}")
            if flag.get("evidence"):
                lines.append(f"  어르신 말씀: \"{one_line(flag['evidence'])}\"")
        lines += ["", f"통화 기록: {alert.url}"]
        msg.set_content("\n".join(lines))
        return msg

    def send(self, alert: Alert) -> None:
        message = self.message(alert)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"smtp {self.host}:{self.port}: {type(exc).__name__}: {exc}") from None


class Notifier:
    """Delivers the outbox's alerts; as a CallRunner listener it is woken when a call's flags are stored.

    ``routes`` (channel, minimum severity) is what the call runner and start-up recovery put in the outbox.
    ``start`` runs the delivery worker on the running event loop; ``deliver_due`` is one pass of it.
    """

    def __init__(
        self,
        store: CallStore,
        channels: Sequence[Channel],
        base_url: str,
        *,
        poll_s: float = 2.0,
        lease_s: float = 120.0,
        backoff_s: float = 5.0,
        max_backoff_s: float = 900.0,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.store, self.channels, self.base_url = store, {c.name: c for c in channels}, base_url.rstrip("/")
        self.outbox = AlertOutbox(store.engine)
        self.poll_s, self.lease = poll_s, timedelta(seconds=lease_s)
        self.backoff_s, self.max_backoff_s, self.clock = backoff_s, max_backoff_s, clock
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None

    @property
    def routes(self) -> list[AlertRoute]:
        return [AlertRoute(c.name, c.min_severity) for c in self.channels.values()]

    async def __call__(self, event: CallEvent) -> None:
        if event.kind in ("flagged", "ended") and self.channels:
            self._wake.set()

    def retry_delay(self, attempts: int) -> timedelta:
        """Backoff after the ``attempts``-th failed try: doubling from ``backoff_s``, at most ``max_backoff_s``."""
        return timedelta(seconds=min(self.backoff_s * 2 ** max(attempts - 1, 0), self.max_backoff_s))

    async def deliver_due(self, now: datetime | None = None) -> dict[int, bool]:
        """Send every alert due at ``now`` once; returns alert id → delivered."""
        now = now or self.clock()
        claimed = await asyncio.to_thread(self.outbox.claim_due, now, self.lease)
        results: dict[int, bool] = {}
        for entry in claimed:
            results[entry.id] = await self._deliver(entry, now)
        return results

    async def _deliver(self, entry: OutboxEntry, now: datetime) -> bool:
        channel = self.channels.get(entry.channel)
        try:
            if channel is None:  # configured away since: kept for when it comes back
                raise DeliveryError(f"no {entry.channel} channel is configured")
            alert = await asyncio.to_thread(self._alert, entry)
            if alert is not None:
                await asyncio.to_thread(channel.send, alert)
        except Exception as exc:
            reason = str(exc) if isinstance(exc, DeliveryError) else type(exc).__name__
            retry_at = now + self.retry_delay(entry.attempts)
            METRICS.alert_failed(entry.channel)
            logger.warning(
                f"{entry.channel} alert {entry.id} for call {entry.call_id} failed (try {entry.attempts}): {reason};"
                f" next try at {retry_at:%H:%M:%S} UTC"
            )
            await asyncio.to_thread(self.outbox.failed, entry.id, reason, retry_at)
            return False
        await asyncio.to_thread(self.outbox.delivered, entry.id, self.clock())
        return True

    def _alert(self, entry: OutboxEntry) -> Alert | None:
        record = self.store.get_call(entry.call_id)
        if record is None:  # the call was deleted: nothing left to tell
            return None
        return self.alert_for(record, entry, follow_up=self.outbox.is_follow_up(entry))

    def alert_for(self, record: CallRecord, entry: OutboxEntry, follow_up: bool = False) -> Alert:
        wanted = set(entry.flag_ids)
        flags = sorted((f for f in record.flags if f.id in wanted), key=lambda f: -severity_rank(f.severity))
        return Alert(
            id=f"alert_{entry.id}",
            call_id=record.id,
            person_name=record.person_name,
            phone_number=record.phone_number,
            scenario=record.scenario,
            status=record.status,
            outcome=record.outcome,
            url=f"{self.base_url}/dashboard/calls/{record.id}",
            follow_up=follow_up,
            flags=[
                {"rule": f.rule, "severity": f.severity, "evidence": f.evidence, "turn": f.turn_index,
                 "message": f.message}
                for f in flags
            ],  # fmt: skip
        )

    def start(self) -> None:
        """Run the delivery worker on this event loop (no-op without channels, or when running)."""
        if self.channels and self._task is None:
            self._task = asyncio.create_task(self._run(), name="alert-delivery")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.deliver_due()
            except Exception:  # the database away for a moment: try again at the next poll
                logger.exception("alert delivery pass failed")
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_s)
            except TimeoutError:
                pass
