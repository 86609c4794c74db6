"""Notifications of serious flags when a call ends: a signed webhook and e-mail, each with its own minimum
severity. Sending happens in the background with a few retries; a failure is logged, never raised into the
call."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import httpx
from loguru import logger

from agent.call.events import CallEvent
from agent.store import CallRecord, CallStore
from dialog.flags import severity_rank

SIGNATURE_HEADER = "X-Carecall-Signature"
SEVERITY_KO = {"low": "낮음", "medium": "보통", "high": "높음", "critical": "긴급"}


def sign(body: bytes, secret: str) -> str:
    """The webhook signature header value: ``sha256=<hex HMAC-SHA256 of the raw body>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, header: str | None) -> bool:
    """For receivers: constant-time check of a signature header against the raw body."""
    return bool(header) and hmac.compare_digest(sign(body, secret), header)


@dataclass(frozen=True)
class Alert:
    """What a channel is told: the call, who was called, and the flags at or above its minimum."""

    call_id: str
    person_name: str | None
    phone_number: str | None
    scenario: str | None
    outcome: str | None
    url: str
    flags: list[dict[str, Any]]

    def payload(self) -> dict[str, Any]:
        return {"event": "call.flagged", **self.__dict__}


class WebhookChannel:
    def __init__(self, url: str, secret: str, min_severity: str = "high", timeout_s: float = 5.0):
        self.url, self.secret, self.min_severity, self.timeout_s = url, secret, min_severity, timeout_s

    name = "webhook"

    def send(self, alert: Alert) -> None:
        body = json.dumps(alert.payload(), ensure_ascii=False, sort_keys=True).encode()
        response = httpx.post(
            self.url,
            content=body,
            headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, self.secret)},
            timeout=self.timeout_s,
        )
        response.raise_for_status()


class EmailChannel:
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

    name = "email"

    def message(self, alert: Alert) -> EmailMessage:
        top = max((f["severity"] for f in alert.flags), key=severity_rank)
        msg = EmailMessage()
        msg["Subject"] = f"[케어콜 {SEVERITY_KO.get(top, top)}] {alert.person_name or alert.phone_number or '통화'} 확인 필요"
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.recipients)
        lines = [
            f"대상: {alert.person_name or '-'} ({alert.phone_number or '-'})",
            f"통화 결과: {alert.outcome or '-'}",
            "",
            "알림:",
        ]
        for flag in alert.flags:
            lines.append(f"- [{SEVERITY_KO.get(flag['severity'], flag['severity'])}] {flag.get('message') or flag['rule']}")
            if flag.get("evidence"):
                lines.append(f"  어르신 말씀: \"{flag['evidence']}\"")
        lines += ["", f"통화 기록: {alert.url}"]
        msg.set_content("\n".join(lines))
        return msg

    def send(self, alert: Alert) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(self.message(alert))


class Notifier:
    """A CallRunner listener: on a call's end, alerts each channel about the flags at or above its minimum."""

    def __init__(
        self,
        store: CallStore,
        channels: Sequence[WebhookChannel | EmailChannel],
        base_url: str,
        attempts: int = 3,
        backoff_s: float = 1.0,
    ):
        self.store, self.channels, self.base_url = store, list(channels), base_url.rstrip("/")
        self.attempts, self.backoff_s = attempts, backoff_s
        self._tasks: set[asyncio.Task] = set()

    async def __call__(self, event: CallEvent) -> None:
        if event.kind != "ended" or not self.channels:
            return
        task = asyncio.create_task(self.notify(event.call_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def notify(self, call_id: str) -> dict[str, bool]:
        """Send what each channel should get; returns channel name → delivered (absent: nothing to send)."""
        try:
            record = await asyncio.to_thread(self.store.get_call, call_id)
        except Exception:
            logger.exception(f"notifications: could not read call {call_id}")
            return {}
        if record is None:
            return {}
        delivered: dict[str, bool] = {}
        for channel in self.channels:
            alert = self.alert_for(record, channel.min_severity)
            if alert is not None:
                delivered[channel.name] = await self._send(channel, alert)
        return delivered

    def alert_for(self, record: CallRecord, min_severity: str) -> Alert | None:
        floor = severity_rank(min_severity)
        flags = [f for f in record.flags if severity_rank(f.severity) >= floor]
        if not flags:
            return None
        return Alert(
            call_id=record.id,
            person_name=record.person_name,
            phone_number=record.phone_number,
            scenario=record.scenario,
            outcome=record.outcome,
            url=f"{self.base_url}/dashboard/calls/{record.id}",
            flags=[
                {"rule": f.rule, "severity": f.severity, "evidence": f.evidence, "turn": f.turn_index,
                 "message": f.message}
                for f in sorted(flags, key=lambda f: -severity_rank(f.severity))
            ],  # fmt: skip
        )

    async def _send(self, channel, alert: Alert) -> bool:
        for attempt in range(1, self.attempts + 1):
            try:
                await asyncio.to_thread(channel.send, alert)
                return True
            except Exception as exc:
                logger.warning(f"{channel.name} notification for call {alert.call_id} failed (try {attempt}): {exc}")
                if attempt < self.attempts:
                    await asyncio.sleep(self.backoff_s * 2 ** (attempt - 1))
        logger.error(f"{channel.name} notification for call {alert.call_id} given up after {self.attempts} tries")
        return False

    async def drain(self) -> None:
        """Wait for notifications under way (tests, shutdown)."""
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


