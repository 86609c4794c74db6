"""Fixtures: real databases (a fresh SQLite file, a fresh PostgreSQL database) and a dashboard app on them."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from agent.settings import Settings
from dashboard_testkit import build

@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'db' / 'carecall.db'}"


@pytest.fixture
def settings(tmp_path, sqlite_url) -> Settings:
    """SQLite settings; tests that run on both databases override ``database_url`` through ``db_settings``."""
    return Settings(_env_file=None, data_dir=tmp_path / "data", database_url=sqlite_url, dashboard_secret_key="k" * 32)


@pytest.fixture
def db_settings(tmp_path, database_url) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path / "data", database_url=database_url, dashboard_secret_key="k" * 32)


@pytest.fixture
def env(settings):
    app, store = build(settings)
    yield SimpleNamespace(app=app, store=store, settings=settings, dash=app.state.dashboard)
    store.engine.dispose()


@pytest.fixture
def db_env(db_settings):
    app, store = build(db_settings)
    yield SimpleNamespace(app=app, store=store, settings=db_settings, dash=app.state.dashboard)
    store.engine.dispose()
