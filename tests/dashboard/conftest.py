"""Fixtures: real databases (a fresh SQLite file, a fresh PostgreSQL database) and a dashboard app on them."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from agent.settings import Settings
from dashboard_testkit import build

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'db' / 'carecall.db'}"


@pytest.fixture
def postgres_url():
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            name = f"carecall_dash_{uuid.uuid4().hex[:10]}"
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at 127.0.0.1:5432: {exc.orig}")
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request):
    return request.getfixturevalue(f"{request.param}_url")


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
