"""Live call events (in-process and through the real Redis), the listener chain in create_app, and flag
alerts from the persisted outbox to a local webhook receiver and a local SMTP server."""

import asyncio
import json
import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller

from agent.call.events import CallEvent
from agent.dashboard.live import LiveHub, LocalBroker, RedisBroker, event_payload
from agent.dashboard.notify import ID_HEADER, EmailChannel, Notifier, WebhookChannel, sign, verify
from agent.store import AlertOutbox
from dashboard_testkit import build, seed_call

REDIS_URL = "redis://127.0.0.1:6379/0"
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # every time the alerts are scheduled or signed at is injected


def _ended(call_id: str) -> CallEvent:
    flag = SimpleNamespace(rule="fall", severity="high", evidence="넘어졌어요", turn=3, message="낙상")
    return CallEvent("ended", call_id, data={"outcome": "completed", "flags": [flag]})


async def _first(hub: LiveHub, publish: CallEvent, timeout: float = 5.0) -> dict:
    events = hub.subscribe()
    pending = asyncio.ensure_future(anext(events))
    try:
        for _ in range(int(timeout / 0.05)):  # until the subscription is in place
            await hub(publish)
            done, _ = await asyncio.wait({pending}, timeout=0.05)
            if done:
                return pending.result()
        raise AssertionError("no live event arrived")
    finally:
        pending.cancel()
        await events.aclose()


async def test_in_process_hub_fans_out_call_events():
    hub = LiveHub(LocalBroker())
    event = CallEvent("caller", "call-1", text="네, 먹었어요", state="meal")
    assert await _first(hub, event) == {"kind": "caller", "call_id": "call-1", "text": "네, 먹었어요", "state": "meal", "data": {}}
    assert hub.broker.subscribers == 0  # a closed page leaves nothing behind


async def test_redis_hub_carries_events_between_processes():
    channel = f"carecall:test:{uuid.uuid4().hex}"
    publisher, subscriber = LiveHub(RedisBroker(REDIS_URL, channel)), LiveHub(RedisBroker(REDIS_URL, channel))
    try:
        await publisher.broker._redis.ping()
    except Exception as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    received = []

    async def listen():
        async for message in subscriber.subscribe():
            received.append(message)
            return

    task = asyncio.create_task(listen())
    for _ in range(100):
        await publisher(_ended("call-2"))
        await asyncio.sleep(0.05)
        if received:
            break
    await task
    assert received[0]["kind"] == "ended" and received[0]["data"]["flags"][0]["evidence"] == "넘어졌어요"
    await publisher.broker.close()
    await subscriber.broker.close()


def test_event_payload_is_json_even_with_dataclass_flags():
    from dialog import Flag

    flag = Flag(rule="fall", severity="high", evidence="넘어졌어요", turn=3, message="낙상")
    payload = event_payload(CallEvent("ended", "c", data={"flags": [flag], "answers": {"meal": ["x"]}}))
    assert json.loads(json.dumps(payload))["data"]["flags"][0]["rule"] == "fall"


async def test_create_app_gives_call_events_to_the_given_listener_and_the_dashboard(settings):
    heard = []

    async def given(event):
        heard.append(event.kind)

    async def broken(event):
        raise RuntimeError("a listener failing must not starve the others")

    app, store = build(settings, listener=given)
    dash = app.state.dashboard
    dash.hub = LiveHub(LocalBroker())
    runner = app.state.runner
    events = dash.hub.subscribe()
    pending = asyncio.ensure_future(anext(events))
    await asyncio.sleep(0)
    await runner._emit(CallEvent("agent", "c1", text="안녕하세요"))
    message = await asyncio.wait_for(pending, 2)
    assert heard == ["agent"] and message["text"] == "안녕하세요"
    await events.aclose()

    from agent.dashboard import chain_listeners

    chained = chain_listeners(broken, given)
    await chained(CallEvent("caller", "c1"))
    assert heard == ["agent", "caller"]


class _Receiver(BaseHTTPRequestHandler):
    bodies: list = []
    failures_left = 0

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).bodies.append((body, dict(self.headers)))
        failing = type(self).failures_left > 0
        type(self).failures_left -= 1
        self.send_response(500 if failing else 204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    receiver = type("Receiver", (_Receiver,), {"bodies": [], "failures_left": 0})
    server = HTTPServer(("127.0.0.1", 0), receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}/hook", receiver=receiver)
    server.shutdown()


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = _Inbox()
    with socket.socket() as probe:  # aiosmtpd needs a fixed port to check it started
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield SimpleNamespace(host="127.0.0.1", port=port, inbox=inbox)
    controller.stop()


def _hook(url: str, secret: str = "s3cret", min_severity: str = "high", **kw) -> WebhookChannel:
    return WebhookChannel(url, secret, min_severity, clock=lambda: NOW, **kw)


def _notifier(store, channels, **kw) -> Notifier:
    return Notifier(store, channels, "https://agent.example", clock=lambda: NOW, **kw)


def _subject(envelope) -> str:
    return str(make_header(decode_header(message_from_bytes(envelope.content)["Subject"])))


@pytest.fixture
def logs():
    from loguru import logger

    lines: list[str] = []
    sink = logger.add(lambda m: lines.append(str(m)), format="{message}", level="DEBUG")
    yield lines
    logger.remove(sink)


async def test_serious_flags_reach_the_signed_webhook_and_email_each_at_its_own_threshold(env, webhook, smtp):
    call_id = seed_call(env.store, env.settings, name="정영자",
                        flags=[("fall", "high", "넘어졌어요", 3), ("meal_skipped", "low", "못 먹었어요", 1)])  # fmt: skip
    mail = EmailChannel(smtp.host, smtp.port, "carecall@centre.example", ["social@centre.example"], min_severity="high")
    notifier = _notifier(env.store, [_hook(webhook.url, min_severity="low"), mail])
    assert AlertOutbox(env.store.engine).enqueue(call_id, notifier.routes, now=NOW) == 2

    assert list((await notifier.deliver_due(NOW)).values()) == [True, True]
    assert await notifier.deliver_due(NOW + timedelta(days=1)) == {}  # delivered once

    (body, headers), = webhook.receiver.bodies
    assert headers["webhook-timestamp"] == str(int(NOW.timestamp())) and headers[ID_HEADER].startswith("alert_")
    assert headers["webhook-signature"] == sign(headers[ID_HEADER], int(NOW.timestamp()), body, "s3cret")
    assert verify(body, "s3cret", headers, now=NOW + timedelta(minutes=4))
    assert not verify(body, "other", headers, now=NOW)
    assert not verify(body + b" ", "s3cret", headers, now=NOW)
    assert not verify(body, "s3cret", headers, now=NOW + timedelta(minutes=6))  # a replay after the window
    assert not verify(body, "s3cret", {**headers, "webhook-timestamp": str(int(NOW.timestamp()) + 1)}, now=NOW)
    payload = json.loads(body)
    assert payload["event"] == "call.flagged" and payload["call_id"] == call_id and payload["id"] == headers[ID_HEADER]
    assert [f["rule"] for f in payload["flags"]] == ["fall", "meal_skipped"]  # low threshold: both, worst first
    assert payload["url"] == f"https://agent.example/dashboard/calls/{call_id}"

    (envelope,) = smtp.inbox.messages
    assert envelope.rcpt_tos == ["social@centre.example"]
    assert "높음" in _subject(envelope) and "정영자" in _subject(envelope)
    text = message_from_bytes(envelope.content).get_payload(decode=True).decode()
    assert "넘어졌어요" in text and "못 먹었어요" not in text  # high threshold: the low flag stays out


def test_signature_is_the_standard_webhooks_scheme():
    # The Standard Webhooks specification's own example.
    secret, msg_id, stamp = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330
    body = b'{"test": 2432232314}'
    assert sign(msg_id, stamp, body, secret) == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    at = datetime.fromtimestamp(stamp, UTC)
    headers = {"Webhook-Id": msg_id, "Webhook-Timestamp": str(stamp),
               "Webhook-Signature": "v1,bm90IHRoaXMgb25l v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}  # fmt: skip
    assert verify(body, secret, headers, now=at + timedelta(seconds=299))  # any of several signatures
    assert not verify(body, secret, headers, now=at - timedelta(seconds=301))
    assert not verify(body, secret, {"webhook-id": msg_id, "webhook-timestamp": "x", "webhook-signature": "v1,a"})
    assert not verify(body, secret, {})


async def test_an_alert_fires_during_the_call_and_a_later_flag_follows_up(env, webhook):
    from types import SimpleNamespace as F

    notifier = _notifier(env.store, [_hook(webhook.url)])
    call_id = env.store.start_call(person_name="이정희", phone_number="+821034567890")
    fall = F(rule="fall", severity="high", evidence="넘어졌어요", turn=3, message="넘어졌다고 함")
    harm = F(rule="self_harm_risk", severity="critical", evidence="죽고 싶어요", turn=6, message="자해 위험")
    env.store.journal(call_id, answers={"health": "unwell"}, flags=[fall], alerts=notifier.routes, now=NOW)
    assert list((await notifier.deliver_due(NOW)).values()) == [True]
    env.store.journal(call_id, answers={}, flags=[fall, harm], alerts=notifier.routes, now=NOW)
    assert list((await notifier.deliver_due(NOW)).values()) == [True]

    first, second = (json.loads(body) for body, _ in webhook.receiver.bodies)
    assert (first["status"], first["follow_up"], [f["rule"] for f in first["flags"]]) == ("in_progress", False, ["fall"])
    assert (second["follow_up"], [f["rule"] for f in second["flags"]]) == (True, ["self_harm_risk"])


async def test_nothing_is_sent_below_the_threshold(env, webhook):
    quiet = seed_call(env.store, env.settings, flags=[("meal_skipped", "low", "못 먹었어요", 1)])
    notifier = _notifier(env.store, [_hook(webhook.url)])
    assert AlertOutbox(env.store.engine).enqueue(quiet, notifier.routes, now=NOW) == 0
    await notifier(CallEvent("ended", quiet))
    assert await notifier.deliver_due(NOW) == {}
    assert webhook.receiver.bodies == []


async def test_a_failing_receiver_is_retried_with_backoff_across_a_restart_and_secrets_stay_out_of_logs(
    env, webhook, logs
):
    call_id = seed_call(env.store, env.settings, flags=[("self_harm", "critical", "죽고 싶어요", 3)])
    secret_url = webhook.url + "/T0KEN-PATH?sig=QUERYSECRET"
    first = _notifier(env.store, [_hook(secret_url)], backoff_s=5)
    AlertOutbox(env.store.engine).enqueue(call_id, first.routes, now=NOW)
    webhook.receiver.failures_left = 1
    assert list((await first.deliver_due(NOW)).values()) == [False]
    (entry,) = AlertOutbox(env.store.engine).pending()
    assert entry.last_error == f"http://127.0.0.1:{webhook.url.split(':')[2].split('/')[0]}: HTTP 500"

    # The process dies; a new one on the same database keeps the schedule: due 5 s after the failed try.
    restarted = _notifier(env.store, [_hook(secret_url)], backoff_s=5)
    assert await restarted.deliver_due(NOW + timedelta(seconds=4)) == {}
    assert list((await restarted.deliver_due(NOW + timedelta(seconds=5))).values()) == [True]
    ids = {headers[ID_HEADER] for _, headers in webhook.receiver.bodies}
    assert len(webhook.receiver.bodies) == 2 and len(ids) == 1  # the same alert id: receivers can deduplicate

    dead = _notifier(env.store, [_hook("http://127.0.0.1:9/hook/T0KEN-PATH?sig=QUERYSECRET", timeout_s=0.5),
                                 EmailChannel("127.0.0.1", 9, "a@b", ["c@d"], "high", timeout_s=0.5)])  # fmt: skip
    AlertOutbox(env.store.engine).enqueue(call_id, dead.routes, now=NOW)  # e-mail's alert: new
    assert list((await dead.deliver_due(NOW)).values()) == [False]
    assert AlertOutbox(env.store.engine).pending()[0].attempts == 1  # kept for the next try, never dropped
    text = "\n".join(logs)
    assert "failed" in text and "T0KEN-PATH" not in text and "QUERYSECRET" not in text
    assert "QUERYSECRET" not in (AlertOutbox(env.store.engine).pending()[0].last_error or "")
    assert first.retry_delay(1) == timedelta(seconds=5) and first.retry_delay(20) == timedelta(seconds=900)


async def test_a_name_with_a_line_break_does_not_lose_the_email(env, smtp):
    call_id = seed_call(env.store, env.settings, name="김영수\r\nBcc: evil@example.com", flags=[("fall", "high", "넘어졌어요", 3)])
    mail = EmailChannel(smtp.host, smtp.port, "carecall@centre.example", ["social@centre.example"], min_severity="high")
    notifier = _notifier(env.store, [mail])
    AlertOutbox(env.store.engine).enqueue(call_id, notifier.routes, now=NOW)
    assert list((await notifier.deliver_due(NOW)).values()) == [True]
    (envelope,) = smtp.inbox.messages
    assert envelope.rcpt_tos == ["social@centre.example"]
    message = message_from_bytes(envelope.content)
    assert message["Bcc"] is None and "김영수 Bcc: evil@example.com" in _subject(envelope)


async def test_the_worker_sends_as_soon_as_a_call_flags(env, webhook):
    from types import SimpleNamespace as F

    notifier = Notifier(env.store, [WebhookChannel(webhook.url, "k", "high")], "http://x", poll_s=60)
    notifier.start()
    try:
        call_id = env.store.start_call()
        fall = F(rule="fall", severity="high", evidence="넘어졌어요", turn=3, message="")
        env.store.journal(call_id, answers={}, flags=[fall], alerts=notifier.routes)
        await notifier(CallEvent("flagged", call_id, data={"rules": ["fall"]}))  # the runner's wake-up
        for _ in range(200):  # well before the 60 s poll
            if webhook.receiver.bodies:
                break
            await asyncio.sleep(0.05)
        assert json.loads(webhook.receiver.bodies[0][0])["call_id"] == call_id
    finally:
        await notifier.stop()


def test_channels_come_from_settings(settings):
    from agent.dashboard import notification_channels

    assert notification_channels(settings) == []
    configured = settings.model_copy(update={
        "webhook_url": "https://hooks.example/c", "webhook_secret": "k", "webhook_min_severity": "critical",
        "smtp_host": "mail.example", "smtp_to": "a@x.example, b@x.example", "email_min_severity": "medium"})  # fmt: skip
    hook, mail = notification_channels(configured)
    assert (hook.url, hook.min_severity) == ("https://hooks.example/c", "critical")
    assert (mail.recipients, mail.min_severity) == (["a@x.example", "b@x.example"], "medium")
    unsigned = settings.model_copy(update={"webhook_url": "https://hooks.example/c"})
    assert notification_channels(unsigned) == []  # never an unsigned webhook
