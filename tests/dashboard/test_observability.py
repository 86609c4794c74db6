"""Observability: ``/metrics`` (its series moving when a call is recorded, an alert fails, the campaign queue
fills), the call's ids on every JSON log line of the call, and the queue page's panel of today's calls.

A call is recorded through the real ``CallRunner`` (its record, journal, metrics and log context) with the
audio pipeline replaced by one that journals a turn and its measured latency, as the live observer does."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from loguru import logger
from pipecat.observers.user_bot_latency_observer import LatencyContribution, LatencyOwnerKind
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from agent.call.engines import Engines
from agent.cli.logs import server_logs
from agent.dashboard.notify import Notifier
from agent.dashboard.today import day_figures, percentile
from agent.observability.metrics import CallMetrics
from agent.observability.routes import mount_metrics
from agent.store import AlertOutbox, AlertRoute
from dashboard_testkit import login, seed_call, update_row
from dialog.clock import SEOUL
from telephony.routes import StreamStart


def scrape(client: TestClient, **headers) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def moved(before: dict, after: dict, name: str, **labels) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


@pytest.fixture
def json_logs():
    """The server's JSON logging into a buffer; loguru's default handler back afterwards."""
    buffer = io.StringIO()
    uvicorn = logging.getLogger("uvicorn")
    handlers, propagate = list(uvicorn.handlers), uvicorn.propagate
    server_logs("json", stream=buffer)
    yield buffer
    uvicorn.handlers[:], uvicorn.propagate = handlers, propagate
    logger.remove()
    logger.configure(patcher=None, extra={})
    logger.add(sys.stderr)


async def record_call(app, latency_s: float, outcome: str = "completed") -> str:
    """One call through the app's CallRunner, its pipeline replaced (see the module's docstring)."""
    runner = app.state.runner
    runner.engines = Engines(recognizer=None, synthesizer=None)
    runner.settings = runner.settings.model_copy(update={"tts_prewarm": False})
    seen: dict[str, str] = {}

    async def pipeline(websocket, start, session, serializer, journal, recording, latencies):
        seen["call_id"] = journal.call_id

        async def in_a_task_of_the_call() -> None:
            logger.warning("pipeline running")  # another library's warning, in a task the call started

        await asyncio.create_task(in_a_task_of_the_call())
        journal.add_turn("caller", "네, 잘 지내요.", 0, 900)
        journal.add_turn("agent", "다행이에요.", 900, state="greeting")
        journal.reply_latency(latency_s)
        latencies.append(latency_s)
        return outcome, None

    runner._run_pipeline = pipeline
    sid = "CA" + uuid.uuid4().hex
    await runner(None, StreamStart(stream_sid="MZ1", call_sid=sid, account_sid="AC1", custom_parameters={}))
    return seen["call_id"]


async def test_metrics_move_when_a_call_is_recorded_and_its_logs_carry_the_call_id(env, json_logs):
    client = TestClient(env.app)
    before = scrape(client)  # no login: Prometheus scrapes without a session
    call_id = await record_call(env.app, latency_s=0.8)
    after = scrape(client)
    assert moved(before, after, "carecall_calls_total", outcome="completed") == 1
    assert moved(before, after, "carecall_active_calls") == 0  # started and ended
    for histogram in ("voice_to_voice_seconds", "recognition_seconds", "synthesis_first_audio_seconds"):
        assert (f"carecall_{histogram}_count", ()) in after

    # The latency reached the agent turn's row (the panel reads it from there).
    record = env.store.get_call(call_id)
    assert [t.latency_ms for t in record.turns] == [None, 800]

    lines = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    inside = [line for line in lines if line.get("call_id") == call_id]
    assert {"pipeline running", f"call {call_id} ended: completed "} <= {line["message"] for line in inside}
    assert all(line["call_sid"].startswith("CA") for line in inside)
    assert not any(line["message"] == "pipeline running" and "call_id" not in line for line in lines)


def test_latency_stages_come_from_pipecats_breakdown():
    metrics = CallMetrics(CollectorRegistry())

    def part(key: str, seconds: float) -> LatencyContribution:
        return LatencyContribution(key=key, label=key, owner="x", owner_kind=LatencyOwnerKind.SERVICE,
                                   start_time=0.0, duration_secs=seconds)  # fmt: skip

    metrics.turn_stages([part("endpointing_wait", 0.2), part("transcription", 0.31), part("turn_detection", 0.1),
                         part("speech_synthesis", 0.12), part("speech_synthesis", 0.03)])  # fmt: skip
    metrics.turn_stages([part("speech_synthesis", 0.4)])  # the greeting: nothing was recognised
    metrics.reply_latency(1.1)
    text = metrics.exposition().decode()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    count = {f: next(s.value for s in families[f].samples if s.name.endswith("_count"))
             for f in ("carecall_recognition_seconds", "carecall_synthesis_first_audio_seconds",
                       "carecall_voice_to_voice_seconds")}  # fmt: skip
    assert count == {"carecall_recognition_seconds": 1, "carecall_synthesis_first_audio_seconds": 2,
                     "carecall_voice_to_voice_seconds": 1}  # fmt: skip
    total = next(s.value for s in families["carecall_synthesis_first_audio_seconds"].samples if s.name.endswith("_sum"))
    assert total == pytest.approx(0.55)  # one reply's two synthesis spans are one stage


async def test_a_failed_alert_delivery_is_counted(env):
    client = TestClient(env.app)
    call_id = seed_call(env.store, env.settings, flags=[("fall", "critical", "넘어졌어요", 3)], recording=False)
    AlertOutbox(env.store.engine).enqueue(call_id, [AlertRoute("webhook", "high")])
    before = scrape(client)
    # The webhook channel was configured away since: the alert stays pending, the failure is counted.
    assert list((await Notifier(env.store, [], "https://agent.example").deliver_due()).values()) == [False]
    assert moved(before, scrape(client), "carecall_alert_delivery_failures_total", channel="webhook") == 1


def metrics_app(settings, metrics: CallMetrics | None = None, **changes) -> FastAPI:
    app = FastAPI()
    app.state.closers = []
    mount_metrics(app, settings.model_copy(update=changes), metrics or CallMetrics(CollectorRegistry()))
    return app


def test_metrics_may_ask_for_a_bearer_token(settings):
    client = TestClient(metrics_app(settings, metrics_token="scrape-secret"))
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"authorization": "Bearer wrong"}).status_code == 401
    assert "carecall_active_calls" in client.get("/metrics", headers={"authorization": "Bearer scrape-secret"}).text


async def test_the_campaign_queue_depth_is_read_from_redis(settings):
    import httpx
    import redis.asyncio as aioredis

    from agent.campaigns.queue import RedisJobQueue
    from agent.campaigns.service import Job

    url, prefix = "redis://127.0.0.1:6379/0", f"test:metrics:{uuid.uuid4().hex[:10]}"
    queue = RedisJobQueue(aioredis.from_url(url, decode_responses=True), prefix)
    try:
        await queue.redis.ping()
    except Exception as exc:
        pytest.skip(f"Redis is not reachable at {url}: {exc}")
    try:
        for n in range(3):
            await queue.enqueue(Job(f"attempt-{n}", "campaign-1"))
        await queue.read("dialer-a", count=1, block_ms=10)  # one claimed, two waiting
        app = metrics_app(settings, redis_url=url, campaign_prefix=prefix)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test") as client:
            text = (await client.get("/metrics")).text
        samples = {(s.name, tuple(s.labels.items())): s.value
                   for f in text_string_to_metric_families(text) for s in f.samples}  # fmt: skip
        assert samples[("carecall_campaign_queue_jobs", (("state", "waiting"),))] == 2
        assert samples[("carecall_campaign_queue_jobs", (("state", "claimed"),))] == 1
        for close in app.state.closers:
            await close()
    finally:
        await queue.redis.delete(queue.stream)
        await queue.close()


async def test_the_queue_page_shows_todays_calls_and_latency(env):
    first = await record_call(env.app, latency_s=0.6)
    await record_call(env.app, latency_s=1.4, outcome="caller_hung_up")
    started = env.store.get_call(first).started_at
    env.app.state.dashboard.clock = lambda: started  # "today" is the calls' day, even across Seoul's midnight
    old = seed_call(env.store, env.settings, recording=False)  # two days before: not counted
    update_row(env.store, "calls", old, started_at=started - timedelta(days=2))
    page = login(env.app, "minjun").get("/dashboard/queue").text
    panel = page[page.index('<section id="today"'):]
    assert "오늘의 통화" in panel
    assert '<li data-outcome="all"><b>2</b>전체</li>' in panel
    assert '<b>1</b>완료' in panel and '<b>1</b>중간에 끊음' in panel
    assert "중앙값 <b>0.60초</b>, 95% <b>1.40초</b>" in panel


def test_day_figures_use_the_seoul_day(env):
    call_id = seed_call(env.store, env.settings, recording=False)
    update_row(env.store, "calls", call_id, started_at=datetime(2026, 3, 1, 15, 30, tzinfo=UTC))  # 3-02 00:30 KST
    env.store.add_turn(call_id, "agent", "네.", 9000, 9500)
    assert env.store.set_reply_latency(call_id, 700) and not env.store.set_reply_latency(call_id, 900)
    on_the_day = day_figures(env.store, datetime(2026, 3, 2, 14, 0, tzinfo=UTC), SEOUL)  # 23:00 KST
    assert (on_the_day.total, on_the_day.outcomes, on_the_day.p50_ms) == (1, (("completed", 1),), 700)
    assert day_figures(env.store, datetime(2026, 3, 1, 14, 0, tzinfo=UTC), SEOUL).total == 0  # 3-01 KST
    assert percentile([100, 200, 300, 400], 50) == 200 and percentile([100, 200, 300, 400], 95) == 400
    assert percentile([], 50) is None


def test_the_server_logs_our_info_and_quiets_the_libraries(json_logs):
    for name, level in (("agent.call.runner", "INFO"), ("pipecat.services.tts", "INFO"),
                        ("pipecat.services.tts", "ERROR"), ("httpx", "INFO"), ("httpx", "WARNING")):  # fmt: skip
        logger.patch(lambda record, name=name: record.update(name=name)).log(level, f"{name} {level}")
    served = [json.loads(line)["message"] for line in json_logs.getvalue().splitlines()]
    assert served == ["agent.call.runner INFO", "pipecat.services.tts ERROR", "httpx WARNING"]


def test_uvicorns_log_lines_come_out_as_json_too(json_logs):
    logging.getLogger("uvicorn.error").warning("Invalid HTTP request received.")
    logging.getLogger("uvicorn.access").info("GET /health 200")  # a library's info: left out
    logging.getLogger("httpx").warning("POST https://hooks.example/T0KEN-PATH")  # not uvicorn's: not ours to route
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    lines = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    assert [(line["logger"], line["level"], line["message"]) for line in lines] == [
        ("uvicorn.error", "WARNING", "Invalid HTTP request received."),
        ("uvicorn.error", "ERROR", "Exception in ASGI application"),
    ]
    assert "ValueError: boom" in lines[1]["exception"]
