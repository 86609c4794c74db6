"""The store tests' SQLite file (PostgreSQL and ``database_url`` come from tests/conftest.py)."""

import pytest


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'nested' / 'calls.db'}"
