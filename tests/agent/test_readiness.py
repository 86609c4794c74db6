"""``/ready`` tells a load balancer to hold calls while the server cannot take them well: the scenario's prompts
still being synthesised, no models, the database or Redis not answering (draining: tests/agent/test_drain.py).
Each failing check is made real and local (a dead port), nothing global is stopped."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from fastapi.testclient import TestClient

from agent.app import create_app
from agent.call.engines import Engines
from agent.readiness import blocking_check, readiness
from agent.settings import Settings
from agent.store import CallStore, migrate

CHECKS = ("draining", "models", "database")  # and redis, when configured
DEAD_PORT_REDIS = "redis://127.0.0.1:1/0"


class _Idle:
    """Neither model is used by the readiness check."""

    sample_rate = 16000
    voice = "none"

    def transcribe(self, audio: np.ndarray):  # pragma: no cover - never called here
        raise AssertionError("no recognition in a readiness test")


def test_ready_only_once_the_fixed_prompts_are_synthesised(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path)
    migrate(settings.resolved_database_url)
    engines = Engines(_Idle(), _Idle())
    release = threading.Event()
    engines.prewarming = threading.Thread(target=release.wait, daemon=True)
    engines.prewarming.start()
    with TestClient(create_app(settings, engines, CallStore(settings.resolved_database_url))) as client:
        assert client.get("/health").status_code == 200  # alive all along
        warming = client.get("/ready")
        assert warming.status_code == 503 and warming.json()["reason"] == "warming"
        assert warming.json()["checks"]["models"]["status"] == "warming"
        release.set()
        engines.prewarming.join(timeout=10)
        ready = client.get("/ready")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ready", "checks": {name: {"status": "ok"} for name in CHECKS}}


def test_a_server_without_prewarming_is_ready_at_once(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path)
    migrate(settings.resolved_database_url)
    with TestClient(create_app(settings, Engines(_Idle(), _Idle()), CallStore(settings.resolved_database_url))) as client:
        assert client.get("/ready").status_code == 200


def test_a_database_that_does_not_answer_makes_the_server_unready(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path)
    store = CallStore("postgresql+psycopg://postgres@127.0.0.1:1/carecall")  # nothing listens on port 1
    with TestClient(create_app(settings, Engines(_Idle(), _Idle()), store)) as client:
        assert client.get("/health").status_code == 200  # alive: restarting it would not bring the database back
        answer = client.get("/ready")
    assert answer.status_code == 503
    body = answer.json()
    assert body["reason"] == "unreachable" and body["checks"]["database"]["status"] == "unreachable"
    assert body["checks"]["models"] == {"status": "ok"} and "redis" not in body["checks"]
    assert "127.0.0.1" not in answer.text  # the answer is public: the error's class, not its message


def test_a_redis_that_does_not_answer_makes_the_server_unready(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path, redis_url=DEAD_PORT_REDIS)
    migrate(settings.resolved_database_url)
    with TestClient(create_app(settings, Engines(_Idle(), _Idle()), CallStore(settings.resolved_database_url))) as client:
        answer = client.get("/ready")
    assert answer.status_code == 503
    checks = answer.json()["checks"]
    assert checks["redis"]["status"] == "unreachable" and checks["database"] == {"status": "ok"}


def test_a_live_redis_is_checked_too(tmp_path):
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0").ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis is not reachable: {exc}")
    settings = Settings(_env_file=None, data_dir=tmp_path, redis_url="redis://127.0.0.1:6379/0")
    migrate(settings.resolved_database_url)
    with TestClient(create_app(settings, Engines(_Idle(), _Idle()), CallStore(settings.resolved_database_url))) as client:
        answer = client.get("/ready")
    assert answer.status_code == 200 and answer.json()["checks"]["redis"] == {"status": "ok"}


def test_an_app_without_speech_models_is_not_ready(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path)
    migrate(settings.resolved_database_url)
    with TestClient(create_app(settings, None, CallStore(settings.resolved_database_url))) as client:
        answer = client.get("/ready")
    assert answer.status_code == 503 and answer.json()["checks"]["models"]["status"] == "not_loaded"


async def test_a_hanging_check_times_out_and_is_not_started_twice():
    """A database that hangs: the check gives up within its timeout, and the next probe waits on the same
    call instead of piling another thread on it."""
    release, started = threading.Event(), []

    def hang() -> None:
        started.append(1)
        release.wait(10)

    checks = {"database": blocking_check("database", hang)}
    try:
        for _ in range(2):
            ok, answer = await readiness(checks, timeout_s=0.05)
            assert not ok and answer["checks"]["database"]["status"] == "unreachable"
        assert len(started) == 1
    finally:
        release.set()
    assert (await readiness(checks, timeout_s=5))[0] and len(started) == 1  # the same call, answered now
    assert (await readiness(checks, timeout_s=5))[0] and len(started) == 2  # the next probe asks afresh
