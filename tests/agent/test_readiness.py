"""``/ready`` tells a load balancer to hold calls while the scenario's prompts are still being synthesised."""

from __future__ import annotations

import threading

import numpy as np
from fastapi.testclient import TestClient

from agent.app import create_app
from agent.call.engines import Engines
from agent.settings import Settings
from agent.store import CallStore, migrate


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
        assert warming.status_code == 503 and warming.json()["status"] == "warming"
        release.set()
        engines.prewarming.join(timeout=10)
        ready = client.get("/ready")
        assert ready.status_code == 200 and ready.json() == {"status": "ready"}


def test_a_server_without_prewarming_is_ready_at_once(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path)
    migrate(settings.resolved_database_url)
    with TestClient(create_app(settings, Engines(_Idle(), _Idle()), CallStore(settings.resolved_database_url))) as client:
        assert client.get("/ready").status_code == 200
