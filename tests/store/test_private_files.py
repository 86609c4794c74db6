"""What the server writes is its owner's only: the SQLite database (and its WAL files) and its folder."""

from __future__ import annotations

import sqlalchemy as sa

from agent.store import make_engine, migrate


def _mode(path) -> int:
    return path.stat().st_mode & 0o777


def test_a_new_sqlite_database_is_owner_only(tmp_path):
    path = tmp_path / "data" / "carecall.db"
    url = f"sqlite:///{path}"
    migrate(url)
    engine = make_engine(url)
    with engine.begin() as conn:  # a write, so the WAL file exists
        conn.execute(sa.text("CREATE TABLE probe (x INTEGER)"))
        conn.execute(sa.text("INSERT INTO probe VALUES (1)"))
        assert _mode(path) == 0o600 and _mode(path.parent) == 0o700
        for side in ("carecall.db-wal", "carecall.db-shm"):
            assert _mode(path.parent / side) == 0o600, side
    engine.dispose()


def test_an_existing_database_is_opened_as_it_is(tmp_path):
    path = tmp_path / "kept.db"
    path.write_bytes(b"")
    path.chmod(0o640)
    make_engine(f"sqlite:///{path}").dispose()
    assert _mode(path) == 0o640  # the owner's choice is not overridden
