"""Live call events (in-process and through the real Redis), the listener chain in create_app, and flag
alerts to a local webhook receiver and a local SMTP server."""

import asyncio
import json
import socket
import threading
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller

from agent.call.events import CallEvent
from agent.dashboard.live import LiveHub, LocalBroker, RedisBroker, event_payload
from agent.dashboard.notify import SIGNATURE_HEADER, EmailChannel, Notifier, WebhookChannel, sign, verify
from dashboard_testkit import build, seed_call

REDIS_URL = "redis://127.0.0.1:6379/0"


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
        type(self).bodies.append((body, self.headers.get(SIGNATURE_HEADER)))
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


async def test_serious_flags_reach_the_signed_webhook_and_email_each_at_its_own_threshold(env, webhook, smtp):
    call_id = seed_call(env.store, env.settings, name="정영자",
                        flags=[("fall", "high", "넘어졌어요", 3), ("meal_skipped", "low", "못 먹었어요", 1)])  # fmt: skip
    hook = WebhookChannel(webhook.url, "s3cret", min_severity="low")
    mail = EmailChannel(smtp.host, smtp.port, "carecall@centre.example", ["social@centre.example"], min_severity="high")
    notifier = Notifier(env.store, [hook, mail], "https://agent.example", backoff_s=0.01)

    await notifier(_ended(call_id))
    await notifier.drain()

    (body, signature), = webhook.receiver.bodies
    assert signature == sign(body, "s3cret") and verify(body, "s3cret", signature) and not verify(body, "other", signature)
    payload = json.loads(body)
    assert payload["event"] == "call.flagged" and payload["call_id"] == call_id
    assert [f["rule"] for f in payload["flags"]] == ["fall", "meal_skipped"]  # low threshold: both, worst first
    assert payload["url"] == f"https://agent.example/dashboard/calls/{call_id}"

    (envelope,) = smtp.inbox.messages
    assert envelope.rcpt_tos == ["social@centre.example"]
    from email import message_from_bytes
    from email.header import decode_header, make_header

    message = message_from_bytes(envelope.content)
    assert "높음" in str(make_header(decode_header(message["Subject"]))) and "정영자" in str(make_header(decode_header(message["Subject"])))
    text = message.get_payload(decode=True).decode()
    assert "넘어졌어요" in text and "못 먹었어요" not in text  # high threshold: the low flag stays out


async def test_nothing_is_sent_below_the_threshold_or_for_other_events(env, webhook):
    quiet = seed_call(env.store, env.settings, flags=[("meal_skipped", "low", "못 먹었어요", 1)])
    notifier = Notifier(env.store, [WebhookChannel(webhook.url, "k", "high")], "http://x", backoff_s=0.01)
    await notifier(CallEvent("caller", quiet, text="..."))
    await notifier(_ended(quiet))
    assert await notifier.notify(quiet) == {}
    await notifier.drain()
    assert webhook.receiver.bodies == []


async def test_a_failing_receiver_is_retried_and_a_dead_one_never_breaks_the_call(env, webhook):
    call_id = seed_call(env.store, env.settings, flags=[("self_harm", "critical", "죽고 싶어요", 3)])
    webhook.receiver.failures_left = 2
    notifier = Notifier(env.store, [WebhookChannel(webhook.url, "k", "high")], "http://x", attempts=3, backoff_s=0.01)
    assert await notifier.notify(call_id) == {"webhook": True}
    assert len(webhook.receiver.bodies) == 3

    dead = Notifier(env.store, [WebhookChannel("http://127.0.0.1:9/hook", "k", "high", timeout_s=0.5),
                                EmailChannel("127.0.0.1", 9, "a@b", ["c@d"], "high", timeout_s=0.5)],
                    "http://x", attempts=2, backoff_s=0.01)  # fmt: skip
    await dead(_ended(call_id))  # returns at once: sending happens in the background
    await dead.drain()
    assert await dead.notify(call_id) == {"webhook": False, "email": False}


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
