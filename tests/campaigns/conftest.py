"""Real databases and a real Redis for the campaign tests; each test gets its own database and key prefix."""

from __future__ import annotations

import uuid

import pytest

from agent.store import migrate

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def sqlite_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'campaigns.db'}"
    migrate(url)
    return url


@pytest.fixture
def postgres_url(postgres_url):
    """The fresh PostgreSQL database of tests/conftest.py, migrated."""
    migrate(postgres_url)
    return postgres_url


@pytest.fixture
def redis_url(redis_prefix):
    return REDIS_URL


@pytest.fixture
def redis_prefix():
    """A unique key prefix on the real Redis; every key under it is deleted afterwards."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    prefix = f"test:campaigns:{uuid.uuid4().hex[:10]}"
    yield prefix
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()
